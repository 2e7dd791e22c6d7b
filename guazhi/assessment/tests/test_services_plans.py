"""Personalised plans: started from the post's template, edited, agreed by the cadre with
weights summing to 100, approved by the organisation department; changes after approval make a
new version that needs approval again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .. import services
from ..models import Entry, IndicatorScore, Plan, PlanTemplate, TemplateItem
from .helpers import AssessmentTestCase

D = Decimal


class PlanTestCase(AssessmentTestCase):
    """Plans of the fixtures are dropped for li: his plan is made here through the workflow."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.plan_li.items.all().delete()
        cls.plan_li.delete()

    def items(self, *spec):
        return [(self.ind[name], D(w), None if t is None else D(t)) for name, w, t in spec]

    def full(self):
        return self.items(("走访企业次数", 50, 40), ("工作纪实", 20, 80), ("工作作风", 30, None))

    def agreed(self):
        plan = services.plan_start(placement=self.p_li, by=self.alice)
        plan = services.plan_save(plan=plan, items=self.full(), by=self.alice)
        return services.plan_agree(plan=plan, by=self.lucy)


class PlanStartTests(PlanTestCase):
    def test_a_plan_starts_from_the_posts_template(self):
        template = PlanTemplate.objects.create(name="科技岗位", post=self.post_tech)
        TemplateItem.objects.create(
            template=template, indicator=self.ind["参加学习研讨调研"], weight=60, target=20
        )
        TemplateItem.objects.create(template=template, indicator=self.ind["专业素养"], weight=40)
        generic = PlanTemplate.objects.create(name="通用")
        TemplateItem.objects.create(template=generic, indicator=self.ind["工作作风"], weight=100)

        plan = services.plan_start(placement=self.p_li, by=self.alice)

        self.assertEqual((plan.version, plan.status, plan.created_by), (1, "draft", self.alice))
        self.assertEqual(
            sorted((i.indicator.name, i.weight, i.target) for i in plan.items.all()),
            [("专业素养", D(40), None), ("参加学习研讨调研", D(60), D(20))],
        )

    def test_without_a_post_template_the_generic_one_is_used(self):
        plan = services.plan_start(placement=self.p_li, by=self.lucy)
        names = [i.indicator.name for i in plan.items.all()]
        self.assertEqual(sorted(names), sorted(n for n, _w in services.GENERIC_TEMPLATE))
        self.assertEqual(sum(i.weight for i in plan.items.all()), D(100))
        plan.delete()
        generic = PlanTemplate.objects.get(post__isnull=True)
        generic.items.all().delete()
        TemplateItem.objects.create(template=generic, indicator=self.ind["工作作风"], weight=100)
        plan = services.plan_start(placement=self.p_li, by=self.lucy)
        self.assertEqual([i.indicator.name for i in plan.items.all()], ["工作作风"])

    def test_an_approved_plan_becomes_its_posts_template_for_the_org_department_only(self):
        with self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以保存岗位模板"):
            services.template_from_plan(plan=self.plan_wang, by=self.tina)
        template = services.template_from_plan(plan=self.plan_wang, by=self.alice)
        self.assertEqual(template.post, self.p_wang.post)
        self.assertEqual(
            sorted((t.indicator_id, t.weight) for t in template.items.all()),
            sorted((i.indicator_id, i.weight) for i in self.plan_wang.items.all()),
        )

    def test_starting_again_returns_the_current_plan(self):
        first = services.plan_start(placement=self.p_li, by=self.alice)
        self.assertEqual(services.plan_start(placement=self.p_li, by=self.lucy), first)
        self.assertEqual(services.plan_start(placement=self.p_wang, by=self.alice), self.plan_wang)

    def test_only_the_cadre_himself_or_the_org_department_makes_his_plan(self):
        for user in (self.dave, self.tina, self.hank, self.bob, self.eve):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "无权制定该干部的考核指标方案"),
            ):
                services.plan_start(placement=self.p_li, by=user)
        self.assertFalse(Plan.objects.filter(placement=self.p_li).exists())


class PlanSaveTests(PlanTestCase):
    def test_a_draft_is_changed_in_place_and_may_be_incomplete(self):
        plan = services.plan_start(placement=self.p_li, by=self.lucy)
        plan = services.plan_save(
            plan=plan, items=self.items(("工作作风", 30, None)), by=self.lucy, note="初稿"
        )
        plan = services.plan_save(plan=plan, items=self.full(), by=self.lucy)
        self.assertEqual(Plan.objects.filter(placement=self.p_li).count(), 1)
        self.assertEqual((plan.version, plan.note), (1, "初稿"))
        self.assertEqual(
            sorted((i.indicator.name, i.weight, i.target) for i in plan.items.all()),
            [("工作作风", D(30), None), ("工作纪实", D(20), D(80)), ("走访企业次数", D(50), D(40))],
        )

    def test_items_are_checked(self):
        plan = services.plan_start(placement=self.p_li, by=self.lucy)
        cases = [
            (self.items(("工作作风", 120, None)), "权重须在 0–100 之间：指标“工作作风”为 120"),
            (self.items(("工作作风", -5, None)), "权重须在 0–100 之间：指标“工作作风”为 -5"),
            (
                self.items(("工作作风", 30, None), ("工作作风", 70, None)),
                "指标“工作作风”重复",
            ),
            (self.items(("走访企业次数", 40, None)), "定量指标“走访企业次数”须填写大于 0 的目标值"),
            (self.items(("走访企业次数", 40, 0)), "定量指标“走访企业次数”须填写大于 0 的目标值"),
            ([(self.ind["工作作风"], "很多", None)], "指标“工作作风”的权重或目标值不是数字"),
        ]
        before = sorted(plan.items.values_list("indicator_id", "weight"))
        for items, message in cases:
            with (
                self.subTest(message=message),
                self.assertRaisesMessage(services.AssessmentError, message),
            ):
                services.plan_save(plan=plan, items=items, by=self.lucy)
        # Nothing partial: the draft keeps the items it started with (the generic template).
        self.assertEqual(sorted(plan.items.values_list("indicator_id", "weight")), before)

    def test_a_qualitative_item_keeps_no_target(self):
        plan = services.plan_start(placement=self.p_li, by=self.lucy)
        plan = services.plan_save(plan=plan, items=self.items(("工作作风", 100, 5)), by=self.lucy)
        self.assertIsNone(plan.items.get().target)

    def test_an_inactive_indicator_cannot_be_added(self):
        self.ind["专业素养"].is_active = False
        self.ind["专业素养"].save()
        plan = services.plan_start(placement=self.p_li, by=self.lucy)
        with self.assertRaisesMessage(services.AssessmentError, "指标“专业素养”已停用"):
            services.plan_save(plan=plan, items=self.items(("专业素养", 100, None)), by=self.lucy)

    def test_others_cannot_change_the_plan(self):
        plan = services.plan_start(placement=self.p_li, by=self.lucy)
        for user in (self.dave, self.tina, self.hank):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "无权修改该干部的考核指标方案"),
            ):
                services.plan_save(plan=plan, items=self.full(), by=user)


class AgreeApproveTests(PlanTestCase):
    def test_weights_must_sum_to_100_when_agreeing_with_the_actual_sum_named(self):
        plan = services.plan_start(placement=self.p_li, by=self.lucy)
        plan = services.plan_save(
            plan=plan,
            items=self.items(("走访企业次数", D("50.5"), 40), ("工作作风", 45, None)),
            by=self.lucy,
        )
        with self.assertRaisesMessage(
            services.AssessmentError, "指标权重合计须为 100，当前合计 95.5"
        ):
            services.plan_agree(plan=plan, by=self.lucy)
        plan = services.plan_save(plan=plan, items=[], by=self.lucy)
        with self.assertRaisesMessage(services.AssessmentError, "方案中还没有指标"):
            services.plan_agree(plan=plan, by=self.lucy)
        plan = services.plan_save(plan=plan, items=self.full(), by=self.lucy)
        plan = services.plan_agree(plan=plan, by=self.lucy)
        self.assertEqual(plan.status, "agreed")
        self.assertIsNotNone(plan.agreed_at)

    def test_weights_must_sum_to_100_when_approving(self):
        plan = self.agreed()
        plan.items.filter(indicator=self.ind["工作作风"]).update(weight=20)
        with self.assertRaisesMessage(
            services.AssessmentError, "指标权重合计须为 100，当前合计 90"
        ):
            services.plan_approve(plan=plan, by=self.alice)

    def test_only_the_cadre_himself_agrees(self):
        plan = services.plan_start(placement=self.p_li, by=self.alice)
        plan = services.plan_save(plan=plan, items=self.full(), by=self.alice)
        for user in (self.alice, self.dave, self.tina):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "须由干部本人确认"),
            ):
                services.plan_agree(plan=plan, by=user)

    def test_for_a_cadre_without_an_account_the_org_department_records_his_agreement(self):
        self.plan_zhou.items.all().delete()
        self.plan_zhou.delete()
        plan = services.plan_start(placement=self.p_zhou, by=self.alice)
        plan = services.plan_save(plan=plan, items=self.full(), by=self.alice)
        with self.assertRaisesMessage(services.AssessmentError, "须由干部本人确认"):
            services.plan_agree(plan=plan, by=self.tina)
        self.assertEqual(services.plan_agree(plan=plan, by=self.alice).status, "agreed")

    def test_the_org_department_approves_an_agreed_plan(self):
        plan = services.plan_start(placement=self.p_li, by=self.alice)
        plan = services.plan_save(plan=plan, items=self.full(), by=self.alice)
        with self.assertRaisesMessage(services.AssessmentError, "干部本人尚未确认该方案"):
            services.plan_approve(plan=plan, by=self.alice)
        plan = services.plan_agree(plan=plan, by=self.lucy)
        for user in (self.bob, self.lucy, self.tina, self.carol):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以审定"),
            ):
                services.plan_approve(plan=plan, by=user)
        plan = services.plan_approve(plan=plan, by=self.alice)
        self.assertEqual((plan.status, plan.approved_by), ("approved", self.alice))
        self.assertEqual(services.plan_approved(self.p_li), plan)
        with self.assertRaisesMessage(services.AssessmentError, "该方案状态为“已审定”，不能再审定"):
            services.plan_approve(plan=plan, by=self.alice)


class VersionTests(PlanTestCase):
    def test_a_change_after_approval_makes_a_new_version_that_needs_approval_again(self):
        v1 = services.plan_approve(plan=self.agreed(), by=self.alice)
        changed = self.items(("走访企业次数", 60, 50), ("工作纪实", 10, 80), ("工作作风", 30, None))

        v2 = services.plan_save(plan=v1, items=changed, by=self.lucy, note="增加走访目标")

        self.assertEqual((v2.version, v2.status, v2.note), (2, "draft", "增加走访目标"))
        v1.refresh_from_db()
        self.assertEqual(v1.status, "approved")  # unchanged until v2 is approved
        self.assertEqual(
            v1.items.get(indicator=self.ind["走访企业次数"]).target, D(40)
        )  # never edited
        self.assertEqual(services.plan_current(self.p_li), v2)
        self.assertEqual(services.plan_approved(self.p_li), v1)

        v2 = services.plan_agree(plan=v2, by=self.lucy)
        v1.refresh_from_db()
        self.assertEqual(v1.status, "approved")  # still: v2 is only agreed
        v2 = services.plan_approve(plan=v2, by=self.alice)
        v1.refresh_from_db()
        self.assertEqual((v1.status, v2.status), ("superseded", "approved"))
        self.assertEqual(services.plan_approved(self.p_li), v2)

    def test_an_agreed_plan_changed_again_makes_a_new_draft_version(self):
        v1 = self.agreed()
        v2 = services.plan_save(plan=v1, items=self.full(), by=self.alice)
        self.assertEqual((v2.version, v2.status), (2, "draft"))
        with self.assertRaisesMessage(
            services.AssessmentError, "已有第 2 版，只能在最新版本上操作"
        ):
            services.plan_approve(plan=v1, by=self.alice)

    def test_only_the_latest_version_is_changed(self):
        v1 = services.plan_approve(plan=self.agreed(), by=self.alice)
        services.plan_save(plan=v1, items=self.full(), by=self.lucy)
        with self.assertRaisesMessage(
            services.AssessmentError, "该方案是第 1 版，已有第 2 版，只能在最新版本上操作"
        ):
            services.plan_save(plan=v1, items=self.full(), by=self.lucy)

    def test_an_open_round_follows_the_newly_approved_version(self):
        round_ = self.open_round()
        wang = Entry.objects.get(round=round_, placement=self.p_wang)
        item = self.plan_wang.items.get(indicator=self.ind["工作作风"])
        services.indicator_score_set(entry=wang, item=item, score=85, by=self.alice)
        v2 = services.plan_save(
            plan=self.plan_wang,
            items=self.items(("走访企业次数", 70, 40), ("工作作风", 30, None)),
            by=self.dave,
        )
        services.plan_agree(plan=v2, by=self.dave)
        services.plan_approve(plan=v2, by=self.alice)
        wang.refresh_from_db()
        self.assertEqual(wang.plan, v2)
        score = IndicatorScore.objects.get(entry=wang)
        self.assertEqual((score.item.plan_id, score.score), (v2.pk, D("85.00")))
        # li had no approved plan at the start of the round: his entry gets the first one.
        li = Entry.objects.get(round=round_, placement=self.p_li)
        self.assertIsNone(li.plan)
        plan = services.plan_approve(plan=self.agreed(), by=self.alice)
        li.refresh_from_db()
        self.assertEqual(li.plan, plan)

    def test_a_confirmed_round_keeps_the_version_it_was_assessed_on(self):
        round_ = self.open_round(start=date(2027, 3, 1))
        round_.status = "confirmed"
        round_.save()
        v2 = services.plan_save(plan=self.plan_wang, items=self.full(), by=self.alice)
        services.plan_agree(plan=v2, by=self.dave)
        services.plan_approve(plan=v2, by=self.alice)
        self.assertEqual(
            Entry.objects.get(round=round_, placement=self.p_wang).plan, self.plan_wang
        )
