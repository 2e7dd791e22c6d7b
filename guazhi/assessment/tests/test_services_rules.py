"""Confirming a round: the 优秀 quota, its raise with a recorded approval, the veto rules, the
half-good-quarters rule — each refused with the rule and the numbers — and the results written
to the cadres' record."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

from guazhi.cadres.models import AnnualAssessment
from guazhi.cadres.tests.factories import make_cadre
from guazhi.core.models import AuditEntry
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post

from .. import services
from ..models import Entry, Round
from .helpers import AssessmentTestCase


class RulesTestCase(AssessmentTestCase):
    """Eight cadres in the round: wang, li, zhou and five more (no accounts). Every entry is
    proposed 称职 unless a test says otherwise."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.more = []
        for i in range(5):
            cadre = make_cadre(cls.hunnan_kjj, f"干部{i}", birth=date(1985 + i, 1, 1))
            post = Post.objects.create(batch=cls.batch, title=f"岗位{i}", host_unit=cls.chaoyang)
            placement = programme_services.placement_create(cadre=cadre, post=post)
            cls.approved_plan(placement)
            cls.more.append(placement)

    def setUp(self):
        self.round = self.open_round()
        self.round.entries.update(proposed_grade="称职", final_score=80)

    def propose(self, placement, grade):
        Entry.objects.filter(round=self.round, placement=placement).update(proposed_grade=grade)

    def confirm(self, grades=None, by=None):
        return services.round_confirm(round=self.round, by=by or self.alice, grades=grades)


class QuotaTests(RulesTestCase):
    def test_the_proposed_grades_are_confirmed_within_the_quota(self):
        self.propose(self.p_wang, "优秀")  # 8 × 20% = 1.6 → 1
        round_ = self.confirm()
        self.assertEqual(round_.status, "confirmed")
        self.assertTrue(round_.is_frozen)
        self.assertEqual((round_.confirmed_by, bool(round_.confirmed_at)), (self.alice, True))
        self.assertEqual(self.entry(round_, self.p_wang).grade, "优秀")
        self.assertEqual(
            set(round_.entries.exclude(placement=self.p_wang).values_list("grade", flat=True)),
            {"称职"},
        )

    def test_more_excellent_than_the_quota_is_refused_with_the_numbers(self):
        self.propose(self.p_wang, "优秀")
        self.propose(self.p_li, "优秀")
        with self.assertRaisesMessage(
            services.AssessmentError, "优秀比例不超过 20%：本轮 8 人，最多 1 人优秀，现有 2 人"
        ):
            self.confirm()
        self.round.refresh_from_db()
        self.assertEqual(self.round.status, "open")
        self.assertFalse(Entry.objects.exclude(grade="").exists())
        # Deciding li 称职 instead keeps to the quota.
        self.confirm(grades={self.entry(self.round, self.p_li).pk: "称职"})

    def test_the_quota_is_rounded_down(self):
        # 4 cadres: 4 × 20% = 0.8 → no 优秀 at all
        Entry.objects.filter(round=self.round, placement__in=self.more[:4]).delete()
        self.propose(self.p_wang, "优秀")
        with self.assertRaisesMessage(
            services.AssessmentError, "优秀比例不超过 20%：本轮 4 人，最多 0 人优秀，现有 1 人"
        ):
            self.confirm()

    def test_a_raised_quota_needs_a_recorded_approval(self):
        self.propose(self.p_wang, "优秀")
        self.propose(self.p_li, "优秀")  # 8 × 25% = 2
        self.policy.excellent_quota = 25
        self.policy.save()
        with self.assertRaisesMessage(
            services.AssessmentError,
            "优秀比例提高到 25% 须有批准：请先在考核规则中填写“提高比例的批准文件”",
        ):
            self.confirm()
        self.policy.quota_approval = "沈组字〔2027〕12号"
        self.policy.save()
        self.confirm()
        self.assertEqual(self.round.entries.filter(grade="优秀").count(), 2)

    def test_the_quota_cannot_exceed_25_percent_nor_be_raised_without_approval_in_the_form(self):
        self.policy.excellent_quota = 26
        with self.assertRaises(ValidationError) as ctx:
            self.policy.full_clean()
        self.assertIn("excellent_quota", ctx.exception.message_dict)
        self.policy.excellent_quota = 25
        with self.assertRaises(ValidationError) as ctx:
            self.policy.full_clean()
        self.assertEqual(
            ctx.exception.message_dict["quota_approval"],
            ["优秀比例提高到 25% 须填写批准文件（默认不超过 20%）"],
        )
        self.policy.quota_approval = "沈组字〔2027〕12号"
        self.policy.full_clean()

    def test_the_policy_form_checks_rater_weights_and_bands(self):
        self.policy.weight_self = 10
        self.policy.band_basic = 75
        with self.assertRaises(ValidationError) as ctx:
            self.policy.full_clean()
        self.assertEqual(
            ctx.exception.message_dict,
            {
                "weight_self": ["各评价方权重合计须为 100，当前合计 110"],
                "band_basic": ["分数线须依次降低：优秀 > 称职 > 基本称职"],
            },
        )


class VetoTests(RulesTestCase):
    def test_an_integrity_finding_bars_excellent(self):
        self.propose(self.p_wang, "优秀")
        services.integrity_set(
            entry=self.entry(self.round, self.p_wang), by=self.alice, finding=True, note="违规宴请"
        )
        with self.assertRaisesMessage(
            services.AssessmentError, "王晓明：廉洁自律有问题，不能评为优秀"
        ):
            self.confirm()
        self.policy.veto_integrity = False
        self.policy.save()
        self.confirm()

    def test_integrity_is_recorded_by_the_org_department_with_a_note(self):
        wang = self.entry(self.round, self.p_wang)
        with self.assertRaisesMessage(services.AssessmentError, "请说明廉洁自律方面的问题"):
            services.integrity_set(entry=wang, by=self.alice, finding=True)
        with self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以记录廉洁自律情况"):
            services.integrity_set(entry=wang, by=self.tina, finding=True, note="x")

    def test_a_poor_quarter_bars_excellent(self):
        self.propose(self.p_wang, "优秀")
        self.quarter(self.p_wang, 2, "好")
        self.quarter(self.p_wang, 3, "较差")
        self.quarter(self.p_wang, 4, "好")
        with self.assertRaisesMessage(
            services.AssessmentError, "王晓明：2027年第3季度平时考核为“较差”，不能评为优秀"
        ):
            self.confirm()
        self.policy.veto_poor_quarter = False
        self.policy.save()
        self.confirm()

    def test_quarters_outside_the_period_and_unconfirmed_ones_do_not_count(self):
        self.propose(self.p_wang, "优秀")
        self.quarter(self.p_wang, 4, "较差", year=2026)
        proposed = self.quarter(self.p_wang, 2, "较差")
        proposed.status = "proposed"
        proposed.save()
        self.confirm()

    def test_excellent_needs_at_least_half_of_the_quarters_good(self):
        self.propose(self.p_wang, "优秀")
        self.quarter(self.p_wang, 1, "好")
        self.quarter(self.p_wang, 2, "较好")
        self.quarter(self.p_wang, 3, "一般")
        with self.assertRaisesMessage(
            services.AssessmentError,
            "王晓明：评为优秀须至少一半季度平时考核为“好”，考核期内已确认 3 个季度，其中“好” 1 个",
        ):
            self.confirm()
        self.policy.excellent_needs_good_quarters = False
        self.policy.save()
        self.confirm()

    def test_half_of_the_quarters_good_is_enough(self):
        self.propose(self.p_wang, "优秀")
        for q, grade in ((1, "好"), (2, "较好"), (3, "好"), (4, "一般")):
            self.quarter(self.p_wang, q, grade)
        self.confirm()

    def test_every_problem_is_named(self):
        self.propose(self.p_wang, "优秀")
        self.policy.excellent_quota = 25
        self.policy.quota_approval = "批准"
        self.policy.save()
        self.propose(self.p_li, "优秀")
        Entry.objects.filter(round=self.round, placement=self.p_wang).update(integrity_finding=True)
        self.quarter(self.p_li, 2, "较差")
        with self.assertRaises(services.AssessmentError) as ctx:
            self.confirm()
        self.assertEqual(
            str(ctx.exception),
            "王晓明：廉洁自律有问题，不能评为优秀；"
            "李浑南：2027年第2季度平时考核为“较差”，不能评为优秀；"
            "李浑南：评为优秀须至少一半季度平时考核为“好”，考核期内已确认 1 个季度，其中“好” 0 个",
        )


class ConfirmTests(RulesTestCase):
    def test_the_decided_grades_replace_the_proposed_ones(self):
        self.propose(self.p_wang, "优秀")
        wang, li = self.entry(self.round, self.p_wang), self.entry(self.round, self.p_li)
        self.confirm(grades={wang.pk: "称职", str(li.pk): "基本称职"})
        self.assertEqual(
            dict(self.round.entries.filter(pk__in=[wang.pk, li.pk]).values_list("pk", "grade")),
            {wang.pk: "称职", li.pk: "基本称职"},
        )
        audit = AuditEntry.objects.filter(object_type="assessment.round").latest("seq")
        self.assertEqual(audit.message, "确认考核结果（冻结）：8 人")
        self.assertEqual(audit.changes["调整建议等次"][str(wang.pk)], ["优秀", "称职"])

    def test_unknown_grades_and_foreign_entries_are_refused(self):
        wang = self.entry(self.round, self.p_wang)
        with self.assertRaisesMessage(
            services.AssessmentError, "等次须为 优秀、称职、基本称职、不称职 之一（收到“良好”）"
        ):
            self.confirm(grades={wang.pk: "良好"})
        with self.assertRaisesMessage(services.AssessmentError, "考核对象 999999 不在本轮考核中"):
            self.confirm(grades={999999: "称职"})

    def test_entries_without_a_score_or_a_grade_are_refused(self):
        Entry.objects.filter(round=self.round, placement__in=[self.p_wang, self.p_li]).update(
            proposed_grade=""
        )
        with self.assertRaisesMessage(
            services.AssessmentError, "2 人尚无得分和等次（王晓明、李浑南），请先计算得分或指定等次"
        ):
            self.confirm()
        wang, li = self.entry(self.round, self.p_wang), self.entry(self.round, self.p_li)
        self.confirm(grades={wang.pk: "称职", li.pk: "称职"})

    def test_only_the_org_department_confirms(self):
        for user in (self.bob, self.tina, self.hank, self.dave):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以确认考核结果"),
            ):
                self.confirm(by=user)

    def test_an_annual_round_writes_the_cadres_annual_results(self):
        AnnualAssessment.objects.create(cadre=self.wang, year=2027, result="称职", source="录入")
        AnnualAssessment.objects.create(cadre=self.wang, year=2026, result="优秀", source="录入")
        self.propose(self.p_wang, "优秀")
        self.propose(self.p_zhou, "基本称职")
        self.confirm()
        self.assertEqual(
            list(self.wang.annual_results.values_list("year", "result", "source")),
            [(2027, "优秀", "挂职考核"), (2026, "优秀", "录入")],
        )
        self.assertEqual(
            list(self.zhou.annual_results.values_list("year", "result", "source")),
            [(2027, "基本称职", "挂职考核")],
        )
        self.assertEqual(AnnualAssessment.objects.filter(year=2027).count(), 8)

    def test_a_term_end_round_does_not_write_annual_results(self):
        self.round = self.open_round(kind=Round.Kind.TERM_END)
        self.round.entries.update(proposed_grade="称职")
        self.confirm()
        self.assertFalse(AnnualAssessment.objects.exists())

    def test_the_grade_distribution(self):
        self.propose(self.p_wang, "优秀")
        self.propose(self.p_li, "不称职")
        Entry.objects.filter(round=self.round, placement=self.p_zhou).update(proposed_grade="")
        self.assertEqual(
            services.grade_distribution(self.round),
            {"优秀": 1, "称职": 5, "基本称职": 0, "不称职": 1, "未评定": 1},
        )
        zhou = self.entry(self.round, self.p_zhou)
        self.confirm(grades={zhou.pk: "基本称职", self.entry(self.round, self.p_li).pk: "称职"})
        self.assertEqual(
            services.grade_distribution(self.round),
            {"优秀": 1, "称职": 6, "基本称职": 1, "不称职": 0},
        )
