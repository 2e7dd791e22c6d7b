"""A confirmed round is frozen: every change is refused except through an appeal (申诉), whose
re-decision is recorded, respects the quota and the vetoes, and updates the cadre's record."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from guazhi.cadres.models import AnnualAssessment
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post
from guazhi.testing import make_user

from .. import services
from ..models import Rating, Round
from .helpers import AssessmentTestCase

FROZEN = "考核结果已确认（冻结），如有异议请走申诉"


class FrozenTestCase(AssessmentTestCase):
    """Five cadres (quota 1 优秀): wang 优秀, the others 称职, confirmed by alice."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for i in range(2):
            cadre = make_cadre(cls.hunnan_kjj, f"干部{i}", birth=date(1985, 1, 1))
            post = Post.objects.create(batch=cls.batch, title=f"岗位{i}", host_unit=cls.chaoyang)
            cls.approved_plan(programme_services.placement_create(cadre=cadre, post=post))
        cls.olga = make_user("olga", cls.city, "org_officer", full_name="奥尔加")
        cls.round = services.round_create(
            batch=cls.batch,
            kind=Round.Kind.ANNUAL,
            year=2027,
            period_start=date(2027, 3, 1),
            period_end=date(2027, 12, 31),
            by=cls.alice,
        )
        cls.round.entries.update(proposed_grade="称职")
        cls.round.entries.filter(placement=cls.p_wang).update(proposed_grade="优秀")
        services.round_confirm(round=cls.round, by=cls.alice)
        cls.e_wang = cls.round.entries.get(placement=cls.p_wang)
        cls.e_li = cls.round.entries.get(placement=cls.p_li)


class FreezeTests(FrozenTestCase):
    def test_every_change_to_a_confirmed_round_is_refused(self):
        rating = Rating.objects.get(entry=self.e_wang, rater_kind="host")
        item = self.plan_wang.items.get(indicator__name="工作作风")
        changes = {
            "rating": lambda: services.rating_submit(
                rating=rating, by=self.hank, political=1, conduct=1, performance=1, integrity=1
            ),
            "self summary": lambda: services.self_summary_save(
                entry=self.e_wang, by=self.dave, text="改写"
            ),
            "indicator score": lambda: services.indicator_score_set(
                entry=self.e_wang, item=item, score=Decimal(10), by=self.alice
            ),
            "integrity": lambda: services.integrity_set(
                entry=self.e_wang, by=self.alice, finding=True, note="x"
            ),
            "compute": lambda: services.round_compute(round=self.round),
            "confirm again": lambda: services.round_confirm(
                round=self.round, by=self.alice, grades={self.e_wang.pk: "不称职"}
            ),
        }
        for name, change in changes.items():
            with self.subTest(name), self.assertRaisesMessage(services.AssessmentError, FROZEN):
                change()
        self.e_wang.refresh_from_db()
        self.assertEqual((self.e_wang.grade, self.e_wang.self_summary), ("优秀", ""))
        self.assertFalse(self.e_wang.integrity_finding)

    def test_a_stale_object_of_a_confirmed_round_is_refused_too(self):
        stale = Round.objects.get(pk=self.round.pk)
        stale.status = Round.Status.OPEN  # as loaded before the confirmation
        with self.assertRaisesMessage(services.AssessmentError, FROZEN):
            services.round_compute(round=stale)


class AppealFileTests(FrozenTestCase):
    def test_the_cadre_appeals_his_grade(self):
        appeal = services.appeal_file(
            entry=self.e_li, by=self.lucy, reason="  工作实绩未被充分考虑 "
        )
        self.assertEqual(
            (appeal.status, appeal.old_grade, appeal.reason, appeal.filed_by),
            ("pending", "称职", "工作实绩未被充分考虑", self.lucy),
        )

    def test_the_org_department_may_file_an_appeal_for_him(self):
        appeal = services.appeal_file(entry=self.e_li, by=self.alice, reason="本人口头申诉")
        self.assertEqual(appeal.filed_by, self.alice)

    def test_no_one_else_appeals(self):
        for user in (self.dave, self.tina, self.hank, self.bob):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(
                    services.AssessmentError, "只有干部本人或组织部门可以提出申诉"
                ),
            ):
                services.appeal_file(entry=self.e_li, by=user, reason="不服")

    def test_an_appeal_needs_a_confirmed_round_a_reason_and_no_pending_appeal(self):
        open_round = self.open_round(kind=Round.Kind.TERM_END)
        entry = open_round.entries.get(placement=self.p_li)
        with self.assertRaisesMessage(services.AssessmentError, "考核结果确认后才能申诉"):
            services.appeal_file(entry=entry, by=self.lucy, reason="不服")
        with self.assertRaisesMessage(services.AssessmentError, "请填写申诉理由"):
            services.appeal_file(entry=self.e_li, by=self.lucy, reason="  ")
        services.appeal_file(entry=self.e_li, by=self.lucy, reason="不服")
        with self.assertRaisesMessage(services.AssessmentError, "已有待复核的申诉"):
            services.appeal_file(entry=self.e_li, by=self.lucy, reason="再次")


class AppealDecideTests(FrozenTestCase):
    def test_an_appeal_changes_the_grade_with_the_decision_recorded(self):
        # Quota 1 of 5 is used by wang: first wang goes down to 称职, then li may go up.
        services.appeal_decide(
            appeal=services.appeal_file(entry=self.e_wang, by=self.olga, reason="复查"),
            by=self.alice,
            new_grade="称职",
            decision="经复查，实绩不足以评为优秀",
        )
        appeal = services.appeal_file(entry=self.e_li, by=self.lucy, reason="实绩突出")
        appeal = services.appeal_decide(
            appeal=appeal, by=self.alice, new_grade="优秀", decision="经复核，改为优秀"
        )
        self.assertEqual(
            (appeal.status, appeal.old_grade, appeal.new_grade, appeal.decided_by),
            ("changed", "称职", "优秀", self.alice),
        )
        self.assertEqual(appeal.decision, "经复核，改为优秀")
        self.assertIsNotNone(appeal.decided_at)
        self.e_li.refresh_from_db()
        self.assertEqual(self.e_li.grade, "优秀")
        self.round.refresh_from_db()
        self.assertTrue(self.round.is_frozen)  # still frozen

    def test_the_annual_result_is_written_on_confirm_and_updated_on_appeal(self):
        self.assertEqual(AnnualAssessment.objects.get(cadre=self.wang, year=2027).result, "优秀")
        services.appeal_decide(
            appeal=services.appeal_file(entry=self.e_wang, by=self.olga, reason="复查"),
            by=self.alice,
            new_grade="基本称职",
            decision="复查发现问题",
        )
        result = AnnualAssessment.objects.get(cadre=self.wang, year=2027)
        self.assertEqual((result.result, result.source), ("基本称职", "挂职考核"))

    def test_an_upheld_appeal_keeps_the_grade(self):
        appeal = services.appeal_file(entry=self.e_li, by=self.lucy, reason="不服")
        appeal = services.appeal_decide(
            appeal=appeal, by=self.alice, new_grade="称职", decision="维持"
        )
        self.assertEqual((appeal.status, appeal.new_grade), ("upheld", "称职"))
        with self.assertRaisesMessage(services.AssessmentError, "该申诉已复核"):
            services.appeal_decide(appeal=appeal, by=self.alice, new_grade="优秀", decision="x")

    def test_a_change_to_excellent_respects_the_quota(self):
        appeal = services.appeal_file(entry=self.e_li, by=self.lucy, reason="实绩突出")
        with self.assertRaisesMessage(
            services.AssessmentError, "优秀比例不超过 20%：本轮 5 人，最多 1 人优秀，现有 2 人"
        ):
            services.appeal_decide(appeal=appeal, by=self.alice, new_grade="优秀", decision="改")
        appeal.refresh_from_db()
        self.e_li.refresh_from_db()
        self.assertEqual((appeal.status, self.e_li.grade), ("pending", "称职"))

    def test_a_change_to_excellent_respects_the_vetoes(self):
        services.appeal_decide(
            appeal=services.appeal_file(entry=self.e_wang, by=self.olga, reason="复查"),
            by=self.alice,
            new_grade="称职",
            decision="复查",
        )
        self.quarter(self.p_li, 3, "较差")
        appeal = services.appeal_file(entry=self.e_li, by=self.lucy, reason="实绩突出")
        with self.assertRaisesMessage(
            services.AssessmentError, "李浑南：2027年第3季度平时考核为“较差”，不能评为优秀"
        ):
            services.appeal_decide(appeal=appeal, by=self.alice, new_grade="优秀", decision="改")

    def test_the_filer_cannot_decide_his_own_appeal(self):
        appeal = services.appeal_file(entry=self.e_li, by=self.alice, reason="本人口头申诉")
        with self.assertRaisesMessage(services.AssessmentError, "申诉人不能复核自己提出的申诉"):
            services.appeal_decide(appeal=appeal, by=self.alice, new_grade="称职", decision="维持")
        services.appeal_decide(appeal=appeal, by=self.olga, new_grade="称职", decision="维持")

    def test_only_the_org_department_decides(self):
        appeal = services.appeal_file(entry=self.e_li, by=self.lucy, reason="不服")
        for user in (self.lucy, self.dave, self.tina, self.bob):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以复核申诉"),
            ):
                services.appeal_decide(appeal=appeal, by=user, new_grade="优秀", decision="改")

    def test_the_decision_needs_a_grade_and_a_reason(self):
        appeal = services.appeal_file(entry=self.e_li, by=self.lucy, reason="不服")
        with self.assertRaisesMessage(
            services.AssessmentError, "等次须为 优秀、称职、基本称职、不称职 之一"
        ):
            services.appeal_decide(appeal=appeal, by=self.alice, new_grade="良好", decision="x")
        with self.assertRaisesMessage(services.AssessmentError, "请填写复核意见"):
            services.appeal_decide(appeal=appeal, by=self.alice, new_grade="称职", decision=" ")


class GradeSetTests(AssessmentTestCase):
    def test_the_org_department_sets_a_draft_grade_others_cannot_and_not_after_freezing(self):
        round_ = self.open_round()
        entry = round_.entries.first()
        for user in (self.tina, self.bob, self.dave):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以评定等次"),
            ):
                services.grade_set(entry=entry, by=user, grade="优秀")
        with self.assertRaisesMessage(services.AssessmentError, "等次须为"):
            services.grade_set(entry=entry, by=self.alice, grade="良好")
        services.grade_set(entry=entry, by=self.alice, grade="称职")
        entry.refresh_from_db()
        self.assertEqual(entry.grade, "称职")
