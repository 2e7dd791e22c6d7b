"""The indicator library, a programme's rules and the plan pages: editing a draft, a new
version after approval, the cadre's agreement, approval, and the version history."""

from __future__ import annotations

import time_machine
from django.contrib.messages import get_messages

from ..models import Indicator, Plan, PlanItem, Policy
from .helpers import AssessmentTestCase

NOW = "2027-04-10 10:00 +0800"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def policy_data(**values):
    data = {
        "quarter_good_cap": "",
        "weight_host": 30,
        "weight_leader": 20,
        "weight_org": 30,
        "weight_peer": 20,
        "weight_self": 0,
        "weight_indicators": 60,
        "band_excellent": 90,
        "band_competent": 70,
        "band_basic": 60,
        "excellent_quota": 20,
        "quota_approval": "",
        "veto_integrity": "on",
        "veto_poor_quarter": "on",
        "excellent_needs_good_quarters": "on",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


class IndicatorLibraryTests(AssessmentTestCase):
    def test_the_library_lists_the_six_dimensions_with_the_data_sources(self):
        self.login(self.alice)
        response = self.client.get("/assessment/indicators/")
        for dimension in (
            "推进招商引资",
            "项目落实",
            "转变观念",
            "提升能力",
            "调研学习",
            "工作状态",
        ):
            self.assertContains(response, dimension)
        self.assertContains(response, "走访企业次数（工作纪实）")
        self.assertContains(response, "到位资金（项目库）")  # registered by the projects app
        self.assertContains(response, "组织部门评分")

    def test_the_first_visit_fills_an_empty_library_with_the_defaults(self):
        PlanItem.objects.all().delete()
        Plan.objects.all().delete()
        Indicator.objects.all().delete()
        self.login(self.alice)
        response = self.client.get("/assessment/indicators/")
        self.assertContains(response, "走访企业次数")
        self.assertEqual(Indicator.objects.count(), 18)

    def test_a_manager_adds_a_quantitative_indicator_with_a_source(self):
        self.login(self.alice)
        response = self.client.get("/assessment/indicators/new/")
        self.assertContains(response, "正面实绩条数（工作纪实）")
        self.assertContains(response, "推动签约项目数（项目库）")  # the projects app's source
        response = self.client.post(
            "/assessment/indicators/new/",
            {
                "name": "正面实绩",
                "dimension": "attitude",
                "kind": "quantitative",
                "unit": "条",
                "default_target": "10",
                "source": "records_positive",
                "is_active": "on",
            },
        )
        self.assertRedirects(response, "/assessment/indicators/")
        indicator = Indicator.objects.get(name="正面实绩")
        self.assertEqual((indicator.source, indicator.unit), ("records_positive", "条"))

    def test_a_qualitative_indicator_takes_no_source_and_a_quantitative_one_needs_a_unit(self):
        self.login(self.alice)
        response = self.client.post(
            "/assessment/indicators/new/",
            {
                "name": "群众口碑",
                "dimension": "attitude",
                "kind": "qualitative",
                "source": "records_total",
            },
        )
        self.assertContains(response, "定性指标由考核人评分，不能设置数据来源")
        response = self.client.post(
            "/assessment/indicators/new/",
            {"name": "宣讲次数", "dimension": "research", "kind": "quantitative"},
        )
        self.assertContains(response, "定量指标须填写单位")
        self.assertFalse(Indicator.objects.filter(name__in=["群众口碑", "宣讲次数"]).exists())

    def test_an_indicator_keeps_its_planned_source_when_edited(self):
        indicator = self.ind["推动签约项目"]
        self.login(self.alice)
        response = self.client.get(f"/assessment/indicators/{indicator.pk}/edit/")
        self.assertContains(response, 'value="projects_signed" selected')


class PolicyPageTests(AssessmentTestCase):
    def url(self):
        return f"/assessment/programmes/{self.programme.pk}/policy/"

    def test_the_rules_are_saved(self):
        self.login(self.alice)
        response = self.client.post(
            self.url(),
            policy_data(
                weight_host=40,
                weight_peer=10,
                quarter_good_cap=40,
                excellent_quota=22,
                quota_approval="沈组通〔2027〕5号",
            ),
        )
        self.assertRedirects(response, "/assessment/")
        policy = Policy.objects.get(programme=self.programme)
        self.assertEqual(
            (
                policy.weight_host,
                policy.weight_peer,
                policy.quarter_good_cap,
                policy.excellent_quota,
            ),
            (40, 10, 40, 22),
        )

    def test_rater_weights_must_add_up_to_100(self):
        self.login(self.alice)
        response = self.client.post(self.url(), policy_data(weight_self=10))
        self.assertContains(
            response,
            "五方评价权重之和须为 100：接收单位 30 + 工作队 20 + 组织部门 30 + 民主测评 20 + "
            "个人自评 10 = 110",
        )
        # Said once, not repeated by the model's own check.
        self.assertNotContains(response, "各评价方权重合计须为 100")
        self.assertEqual(Policy.objects.get(programme=self.programme).weight_self, 0)

    def test_bands_must_descend(self):
        self.login(self.alice)
        response = self.client.post(self.url(), policy_data(band_competent=95))
        self.assertContains(
            response, "分数线须在 0–100 之间从高到低：优秀 90 &gt; 称职 95 &gt; 基本称职 60"
        )

    def test_a_quota_over_20_percent_needs_the_approval(self):
        self.login(self.alice)
        response = self.client.post(self.url(), policy_data(excellent_quota=25))
        self.assertContains(response, "优秀比例 25% 超过 20%，须填写批准文件")
        response = self.client.post(self.url(), policy_data(excellent_quota=30, quota_approval="x"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Policy.objects.get(programme=self.programme).excellent_quota, 20)


@time_machine.travel(NOW, tick=False)
class PlanPageTests(AssessmentTestCase):
    def formset(self, rows, note=""):
        data = {
            "items-TOTAL_FORMS": str(len(rows) + 1),
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "40",
            "note": note,
        }
        for i, (name, weight, target) in enumerate(rows):
            data[f"items-{i}-indicator"] = self.ind[name].pk
            data[f"items-{i}-weight"] = weight
            data[f"items-{i}-target"] = "" if target is None else target
        return data

    def test_the_plan_page_shows_items_weights_targets_and_the_history(self):
        self.login(self.bob)
        response = self.client.get(f"/assessment/placements/{self.p_wang.pk}/plan/")
        self.assertContains(response, "走访企业次数")
        self.assertContains(response, "走访企业次数（工作纪实）")
        self.assertContains(response, "已审定")
        self.assertContains(response, "版本记录")
        self.assertContains(response, "艾丽丝")  # approved by
        self.assertNotContains(response, "/plan/edit/")
        self.assertNotContains(response, "/approve/")

    def test_changing_an_approved_plan_makes_a_new_version_that_needs_agreement_and_approval(self):
        self.login(self.alice)
        url = f"/assessment/placements/{self.p_wang.pk}/plan/edit/"
        response = self.client.get(url)
        self.assertContains(response, "保存后将生成新的版本草稿")
        rows = [("走访企业次数", 50, 60), ("工作纪实", 20, 80), ("工作作风", 30, None)]
        response = self.client.post(url, self.formset(rows, note="提高走访目标"))
        self.assertRedirects(response, f"/assessment/placements/{self.p_wang.pk}/plan/")
        self.assertIn("已生成第 2 版草稿", messages_of(response)[0])
        v1, v2 = Plan.objects.filter(placement=self.p_wang).order_by("version")
        self.assertEqual((v1.status, v2.status, v2.note), ("approved", "draft", "提高走访目标"))
        response = self.client.get(f"/assessment/placements/{self.p_wang.pk}/plan/")
        self.assertContains(response, "考核仍按已审定的第 1 版执行")
        self.assertNotContains(response, f"/plans/{v2.pk}/approve/")  # not agreed yet

        # The cadre agrees, the organisation department approves; v1 is superseded.
        self.login(self.dave)
        response = self.client.get(f"/assessment/placements/{self.p_wang.pk}/plan/")
        self.assertContains(response, "干部确认")
        self.client.post(f"/assessment/plans/{v2.pk}/agree/")
        self.login(self.alice)
        response = self.client.get(f"/assessment/placements/{self.p_wang.pk}/plan/")
        self.assertContains(response, f"/assessment/plans/{v2.pk}/approve/")
        self.client.post(f"/assessment/plans/{v2.pk}/approve/")
        v1.refresh_from_db()
        v2.refresh_from_db()
        self.assertEqual((v1.status, v2.status), ("superseded", "approved"))
        response = self.client.get(f"/assessment/placements/{self.p_wang.pk}/plan/?v=1")
        self.assertContains(response, "这是历史版本")

    def test_a_draft_may_be_incomplete_but_agreement_needs_weights_of_100(self):
        self.login(self.alice)
        url = f"/assessment/placements/{self.p_wang.pk}/plan/edit/"
        response = self.client.post(url, self.formset([("走访企业次数", 60, 40)]))
        self.assertIn("权重合计 60，须为 100 才能确认和审定。", messages_of(response))
        plan = Plan.objects.get(placement=self.p_wang, version=2)
        self.login(self.dave)
        response = self.client.post(f"/assessment/plans/{plan.pk}/agree/")
        self.assertIn("指标权重合计须为 100，当前合计 60", messages_of(response))
        plan.refresh_from_db()
        self.assertEqual(plan.status, "draft")

    def test_a_duplicate_indicator_and_a_missing_target_are_refused(self):
        self.login(self.alice)
        url = f"/assessment/placements/{self.p_wang.pk}/plan/edit/"
        rows = [("走访企业次数", 50, 40), ("走访企业次数", 50, 40)]
        response = self.client.post(url, self.formset(rows))
        self.assertContains(response, "指标“走访企业次数”重复出现")
        response = self.client.post(url, self.formset([("走访企业次数", 100, None)]))
        self.assertContains(response, "定量指标“走访企业次数”须填写大于 0 的目标值")
        self.assertEqual(Plan.objects.filter(placement=self.p_wang).count(), 1)

    def test_a_plan_is_started_from_nothing_and_approved_after_agreement(self):
        Plan.objects.filter(placement=self.p_li).delete()
        self.login(self.alice)
        response = self.client.get(f"/assessment/batches/{self.batch.pk}/plans/?status=none")
        self.assertContains(response, "李浑南")
        self.assertNotContains(response, "王晓明")
        self.assertContains(response, "为未制定的干部生成草稿")
        self.client.post(f"/assessment/batches/{self.batch.pk}/plans/start/")
        plan = Plan.objects.get(placement=self.p_li)
        self.assertEqual((plan.version, plan.status), (1, "draft"))
        # Approving before the cadre agreed is refused with the service's reason.
        response = self.client.post(f"/assessment/plans/{plan.pk}/approve/")
        self.assertIn("干部本人尚未确认该方案，不能审定", messages_of(response))

    def test_the_organisation_department_agrees_for_a_cadre_without_an_account(self):
        self.login(self.alice)
        url = f"/assessment/placements/{self.p_zhou.pk}/plan/edit/"
        rows = [("走访企业次数", 40, 40), ("工作纪实", 30, 80), ("工作作风", 30, None)]
        self.client.post(url, self.formset(rows))
        plan = Plan.objects.get(placement=self.p_zhou, version=2)
        response = self.client.get(f"/assessment/placements/{self.p_zhou.pk}/plan/")
        self.assertContains(response, "代干部确认（该干部无账号）")
        response = self.client.post(f"/assessment/plans/{plan.pk}/agree/")
        self.assertIn("已确认指标方案，待组织部门审定。", messages_of(response))
        plan.refresh_from_db()
        self.assertEqual(plan.status, "agreed")

    def test_another_cadre_cannot_agree(self):
        self.login(self.alice)
        rows = [("走访企业次数", 40, 40), ("工作纪实", 30, 80), ("工作作风", 30, None)]
        self.client.post(f"/assessment/placements/{self.p_wang.pk}/plan/edit/", self.formset(rows))
        plan = Plan.objects.get(placement=self.p_wang, version=2)
        self.login(self.lucy)
        self.assertEqual(self.client.post(f"/assessment/plans/{plan.pk}/agree/").status_code, 404)
        self.login(
            self.alice
        )  # a manager does not agree in the cadre's name when he has an account
        response = self.client.post(f"/assessment/plans/{plan.pk}/agree/")
        self.assertIn("考核指标方案须由干部本人确认", messages_of(response))
        plan.refresh_from_db()
        self.assertEqual(plan.status, "draft")


class PlanTemplatePageTests(AssessmentTestCase):
    def test_the_org_department_saves_an_approved_plan_as_its_posts_template(self):
        from ..models import PlanTemplate

        url = f"/assessment/plans/{self.plan_wang.pk}/template/"
        self.login(self.tina)
        self.client.post(url)
        self.assertFalse(PlanTemplate.objects.filter(post=self.p_wang.post).exists())
        self.login(self.alice)
        page = self.client.get(f"/assessment/placements/{self.p_wang.pk}/plan/").content.decode()
        self.assertIn("存为岗位模板", page)
        self.client.post(url)
        self.assertEqual(
            PlanTemplate.objects.get(post=self.p_wang.post).items.count(),
            self.plan_wang.items.count(),
        )
