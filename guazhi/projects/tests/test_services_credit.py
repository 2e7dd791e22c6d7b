"""Credit (项目贡献) reaches the assessment: leads found, projects signed and amount landed are
counted for a placement when the fact's date lies inside both the period and the placement,
with the evidence text naming the projects; an indicator with such a source in an approved
plan gets its value when the round is computed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import time_machine

from guazhi.assessment import services as assessment_services
from guazhi.assessment.models import IndicatorScore
from guazhi.assessment.sources import SOURCES
from guazhi.assessment.tests.helpers import AssessmentTestCase

from .. import services
from ..models import Credit, Project, TaskForceMember
from ..services import ProjectError
from .helpers import ProjectsTestCase

D = Decimal
NOW = date(2028, 5, 1)  # after the placements' planned end (2028-03-01)


def carry(project, by, *, signed_on=None, amount=D(0), landed_on=None, landed=D(0), lead=None):
    """Give the project a lead member and move it to 签约 (and 落地) on the given dates."""
    stages = services.stages_for(project.programme)
    if not project.members.filter(role=TaskForceMember.Role.LEAD).exists():
        services.member_add(project=project, by=by, role="lead", cadre=lead or project.found_by)
    if signed_on:
        services.stage_move(
            project=project,
            to_stage=stages[3],
            by=by,
            day=signed_on,
            evidence={"signed_on": signed_on, "signed_amount": amount},
        )
    if landed_on:
        services.stage_move(
            project=project,
            to_stage=stages[4],
            by=by,
            day=landed_on,
            evidence={"landed_on": landed_on, "landed_amount": landed, "landing_form": "started"},
        )
    return Project.objects.get(pk=project.pk)


@time_machine.travel(NOW, tick=False)
class CreditSourceTests(ProjectsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            cls.a = carry(
                cls.lead("智慧农业示范园", day=date(2027, 4, 1)),
                cls.alice,
                signed_on=date(2027, 6, 1),
                amount=D(30000),
                landed_on=date(2027, 8, 1),
                landed=D(5000),
            )
            # Found by 李浑南, driven by 王晓明.
            cls.b = cls.lead("新能源电池项目", found_by=cls.li, day=date(2027, 5, 10))
            services.credit_add(project=cls.b, by=cls.alice, cadre=cls.wang, role="drove")
            cls.b = carry(
                cls.b,
                cls.alice,
                signed_on=date(2027, 9, 10),
                amount=D(8000),
                landed_on=date(2027, 12, 1),
                landed=D("3000.5"),
            )
            # Found before his placement began, signed after it ended: never his.
            cls.c = carry(
                cls.lead("期外项目", day=date(2027, 2, 10)),
                cls.alice,
                signed_on=date(2028, 4, 1),
                amount=D(100),
            )
            cls.e = cls.lead("冷链物流园", day=date(2027, 5, 5))
            # Someone else's.
            cls.f = carry(
                cls.lead("他人项目", found_by=cls.li, day=date(2027, 6, 1)),
                cls.alice,
                signed_on=date(2027, 7, 1),
                amount=D(100),
            )

    def compute(self, code, start=date(2027, 1, 1), end=date(2028, 12, 31), placements=None):
        return SOURCES[code].compute(placements or [self.p_wang, self.p_li], start, end)

    def test_the_fixture_credits(self):
        self.assertEqual(
            set(Credit.objects.filter(cadre=self.wang).values_list("project__title", "role")),
            {
                ("智慧农业示范园", "found"),
                ("智慧农业示范园", "drove"),  # he leads its task force
                ("新能源电池项目", "drove"),
                ("期外项目", "found"),
                ("期外项目", "drove"),
                ("冷链物流园", "found"),
            },
        )
        self.assertEqual(
            (self.p_wang.start, self.p_wang.planned_end), (date(2027, 3, 1), date(2028, 3, 1))
        )

    def test_leads_count_the_projects_he_found_inside_his_placement(self):
        result = self.compute("projects_leads")
        self.assertEqual(
            result[self.p_wang.pk],
            (
                D(2),
                "2027-01-01 至 2028-12-31 发现项目线索 2 条：04-01 智慧农业示范园；05-05 冷链物流园",
            ),
        )
        # Driving a project is not finding it: 新能源电池项目 is 李浑南's lead.
        self.assertEqual(
            result[self.p_li.pk],
            (
                D(2),
                "2027-01-01 至 2028-12-31 发现项目线索 2 条：05-10 新能源电池项目；06-01 他人项目",
            ),
        )

    def test_signed_projects_count_any_credit_once_by_the_signing_date(self):
        # 智慧农业示范园 credits him three times: found, drove (lead member) and assisted.
        services.credit_add(project=self.a, by=self.alice, cadre=self.wang, role="assisted")
        result = self.compute("projects_signed")
        self.assertEqual(
            result[self.p_wang.pk],
            (
                D(2),
                "2027-01-01 至 2028-12-31 推动签约项目 2 个：06-01 智慧农业示范园；09-10 新能源电池项目",
            ),
        )
        self.assertEqual(result[self.p_li.pk][0], D(2))

    def test_the_amount_landed_sums_his_projects_by_the_landing_date(self):
        result = self.compute("amount_landed")
        self.assertEqual(
            result[self.p_wang.pk],
            (
                D("8000.5"),
                "2027-01-01 至 2028-12-31 到位资金 8000.5 万元："
                "08-01 智慧农业示范园 5000 万元；12-01 新能源电池项目 3000.5 万元",
            ),
        )

    def test_the_period_limits_what_is_counted(self):
        start, end = date(2027, 5, 1), date(2027, 10, 31)
        self.assertEqual(self.compute("projects_leads", start, end)[self.p_wang.pk][0], D(1))
        self.assertEqual(self.compute("projects_signed", start, end)[self.p_wang.pk][0], D(2))
        value, text = self.compute("amount_landed", start, end)[self.p_wang.pk]
        self.assertEqual(value, D(5000))
        self.assertNotIn("新能源电池项目", text)

    def test_a_fact_outside_the_placement_is_not_counted(self):
        # 期外项目 was found on 2027-02-10 (before 03-01) and signed on 2028-04-01 (after the
        # planned end 2028-03-01); an early end of the placement cuts later facts off too.
        for code in ("projects_leads", "projects_signed"):
            self.assertNotIn("期外项目", self.compute(code)[self.p_wang.pk][1])
        self.p_wang.actual_end = date(2027, 11, 30)
        self.p_wang.save(update_fields=["actual_end"])
        self.assertEqual(self.compute("amount_landed")[self.p_wang.pk][0], D(5000))

    def test_a_cadre_without_facts_gets_zero_and_says_so(self):
        Credit.objects.filter(cadre=self.li).delete()
        self.assertEqual(
            self.compute("projects_signed")[self.p_li.pk],
            (D(0), "2027-01-01 至 2028-12-31 项目库中无推动签约项目记录"),
        )
        self.assertEqual(self.compute("amount_landed")[self.p_li.pk][0], D(0))

    def test_a_queryset_of_placements_gives_the_same_as_a_list(self):
        from guazhi.programmes.models import Placement

        for code in ("projects_leads", "projects_signed", "amount_landed"):
            with self.subTest(code=code):
                self.assertEqual(
                    self.compute(code, placements=Placement.objects.filter(batch=self.batch)),
                    self.compute(code),
                )

    def test_the_cadre_leading_the_task_force_is_credited_as_driving_it_once(self):
        project = self.e
        services.member_add(project=project, by=self.alice, role="liaison", cadre=self.li)
        self.assertFalse(project.credits.filter(cadre=self.li).exists())
        lead = services.member_add(project=project, by=self.alice, role="lead", cadre=self.wang)
        self.assertEqual(
            set(project.credits.filter(cadre=self.wang).values_list("role", flat=True)),
            {"found", "drove"},
        )
        # Removing him from the task force keeps the credit; adding him back adds no second.
        services.member_remove(member=lead, by=self.alice)
        services.member_add(project=project, by=self.alice, role="lead", cadre=self.wang)
        self.assertEqual(project.credits.filter(cadre=self.wang, role="drove").count(), 1)

    def test_credit_is_recorded_once_per_role(self):
        with self.assertRaises(ProjectError) as caught:
            services.credit_add(project=self.b, by=self.alice, cadre=self.wang, role="drove")
        self.assertEqual(caught.exception.field, "cadre")
        with self.assertRaises(ProjectError):
            services.credit_add(project=self.b, by=self.alice, cadre=self.wang, role="boss")


@time_machine.travel(date(2028, 1, 10), tick=False)
class CreditInAssessmentTests(AssessmentTestCase):
    """Through the assessment: an approved plan whose indicator reads projects_signed."""

    def test_a_computed_round_takes_the_signed_projects_with_their_titles(self):
        assessment_services.library_defaults()
        self.approved_plan(
            self.p_wang, [("推动签约项目", 70, 4), ("工作作风", 30, None)], version=2
        )
        for title, found, signed in (
            ("智慧农业示范园", date(2027, 4, 1), date(2027, 6, 1)),
            ("新能源电池项目", date(2027, 5, 10), date(2027, 9, 10)),
            ("次年签约项目", date(2027, 11, 1), date(2028, 1, 5)),  # after the round's period
        ):
            project = services.project_create(
                by=self.alice,
                programme=self.programme,
                title=title,
                sector="energy",
                district="和平区",
                unit=self.heping,
                owner=self.dave,
                found_on=found,
                channel="visit",
                found_by=self.wang,
            )
            carry(project, self.alice, signed_on=signed, amount=D(1000))
        round_ = self.open_round()
        assessment_services.round_compute(round=round_)
        score = IndicatorScore.objects.get(
            entry__placement=self.p_wang, item__indicator__name="推动签约项目"
        )
        self.assertEqual((score.value, score.score), (D(2), D("50.00")))
        self.assertEqual(
            score.evidence,
            "2027-03-01 至 2027-12-31 推动签约项目 2 个：06-01 智慧农业示范园；09-10 新能源电池项目。"
            "完成 2个 ÷ 目标 4个 × 100 = 50 分（最高 100 分）",
        )
        # 李浑南 has no plan item reading the source, and no credit: nothing is invented.
        self.assertFalse(
            IndicatorScore.objects.filter(
                entry__placement=self.p_li, item__indicator__name="推动签约项目"
            ).exists()
        )
