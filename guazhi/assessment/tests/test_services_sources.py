"""Data sources of quantitative indicators: values computed from daily records and meetings in
bulk, each with the evidence text listing what was counted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.programmes.models import Placement
from guazhi.records.models import DailyRecord

from .. import services, sources
from ..models import IndicatorScore
from .helpers import AssessmentTestCase

D = Decimal
START, END = date(2027, 3, 1), date(2027, 12, 31)


def record(placement, day, category, linked="", evidence=""):
    return DailyRecord.objects.create(
        cadre_id=placement.cadre_id,
        placement=placement,
        date=day,
        category=category,
        content="工作内容",
        linked=linked,
        evidence=evidence,
    )


def signed_two(placements, start, end):
    return {pk: (D(2), "签约 2 个") for pk, *_rest in sources.placement_rows(placements)}


class RecordSourceTests(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        record(cls.p_wang, date(2027, 3, 5), "visit", "北京甲科技有限公司")
        record(cls.p_wang, date(2027, 4, 12), "visit", "北京乙医药有限公司", evidence="positive")
        record(cls.p_wang, date(2027, 4, 20), "lead", "某新能源项目")
        record(cls.p_wang, date(2027, 5, 8), "routine")
        record(cls.p_wang, date(2028, 1, 3), "visit", "期外企业")  # after the period
        record(cls.p_li, date(2027, 6, 1), "visit", "北京丙公司")

    def compute(self, code, placements=None):
        if placements is None:
            placements = [self.p_wang, self.p_li, self.p_zhou]
        return sources.SOURCES[code].compute(placements, START, END)

    def test_enterprise_visits_are_counted_and_listed(self):
        result = self.compute("records_visit")
        value, text = result[self.p_wang.pk]
        self.assertEqual(value, D(2))
        self.assertEqual(
            text,
            "2027-03-01 至 2027-12-31 走访企业 2 次：03-05 北京甲科技有限公司；04-12 北京乙医药有限公司",
        )
        self.assertEqual(result[self.p_li.pk][0], D(1))
        self.assertEqual(
            result[self.p_zhou.pk], (D(0), "2027-03-01 至 2027-12-31 工作纪实中无走访企业记录")
        )

    def test_leads_and_positive_records(self):
        self.assertEqual(
            self.compute("records_lead")[self.p_wang.pk],
            (D(1), "2027-03-01 至 2027-12-31 发现项目线索 1 条：04-20 某新能源项目"),
        )
        value, text = self.compute("records_positive")[self.p_wang.pk]
        self.assertEqual(value, D(1))
        self.assertIn("被标记为正面实绩的工作纪实 1 条：04-12 北京乙医药有限公司", text)

    def test_all_records_are_counted_by_category(self):
        self.assertEqual(
            self.compute("records_total")[self.p_wang.pk],
            (
                D(4),
                "2027-03-01 至 2027-12-31 工作纪实 4 条：走访企业 2、发现项目线索 1、岗位日常工作 1",
            ),
        )
        self.assertEqual(self.compute("records_total")[self.p_zhou.pk][0], D(0))

    def test_a_long_list_names_the_first_ten(self):
        for day in range(1, 13):
            record(self.p_zhou, date(2027, 7, day), "visit", f"企业{day}")
        value, text = self.compute("records_visit")[self.p_zhou.pk]
        self.assertEqual(value, D(12))
        self.assertTrue(text.endswith("07-10 企业10；等 12 项"), text)

    def test_a_queryset_and_a_list_give_the_same_in_a_fixed_number_of_queries(self):
        queryset = Placement.objects.filter(batch=self.batch)
        for code in ("records_total", "records_visit", "meetings_attended"):
            with self.subTest(code=code):
                with CaptureQueriesContext(connection) as ctx:
                    by_queryset = self.compute(code, queryset)
                self.assertLessEqual(len(ctx.captured_queries), 2)
                self.assertEqual(by_queryset, self.compute(code))

    def test_project_sources_are_registered_by_the_projects_app(self):
        for code in ("projects_leads", "projects_signed", "amount_landed"):
            self.assertIn(code, dict(sources.choices()))
            self.assertTrue(sources.available(code))
        self.assertTrue(services.is_computed(self.ind["推动签约项目"]))

    def test_a_planned_source_is_not_offered_while_unregistered(self):
        registered = sources.SOURCES.pop("projects_signed")
        try:
            self.assertNotIn("projects_signed", dict(sources.choices()))
            self.assertFalse(sources.available("projects_signed"))
            self.assertIn("待项目库上线", sources.label("projects_signed"))
            self.assertFalse(services.is_computed(self.ind["推动签约项目"]))
            sources.register("projects_signed", "推动签约项目数（项目库）", "个", signed_two)
            self.assertIn("projects_signed", dict(sources.choices()))
            self.assertTrue(services.is_computed(self.ind["推动签约项目"]))
        finally:
            sources.SOURCES["projects_signed"] = registered


class MeetingSourceTests(AssessmentTestCase):
    def test_meetings_of_his_own_team_attended_are_counted_by_kind(self):
        self.meeting("study", date(2027, 4, 10))
        self.meeting("study", date(2027, 5, 10), absent={self.wang: "出差"})
        self.meeting("group", date(2027, 6, 10))  # Party members: wang and li
        self.meeting("research", date(2028, 1, 10))  # after the period
        result = sources.SOURCES["meetings_attended"].compute(
            [self.p_wang, self.p_li, self.p_zhou], START, END
        )
        self.assertEqual(
            result[self.p_wang.pk],
            (D(2), "2027-03-01 至 2027-12-31 参加工作队会议 2 次：党小组会 1、学习研讨 1"),
        )
        self.assertEqual(result[self.p_li.pk][0], D(3))
        self.assertEqual(result[self.p_zhou.pk][0], D(2))  # not a Party member


class ComputedScoreEvidenceTests(AssessmentTestCase):
    def test_quantitative_scores_come_from_the_records_with_what_was_counted(self):
        record(self.p_wang, date(2027, 3, 5), "visit", "北京甲科技有限公司")
        record(self.p_wang, date(2027, 4, 12), "visit", "北京乙医药有限公司")
        record(self.p_wang, date(2027, 5, 8), "routine")
        round_ = self.open_round()
        services.round_compute(round=round_)
        scores = {
            s.item.indicator.name: s
            for s in IndicatorScore.objects.filter(entry__placement=self.p_wang).select_related(
                "item__indicator"
            )
        }
        visits = scores["走访企业次数"]
        self.assertEqual((visits.value, visits.score), (D(2), D("5.00")))
        self.assertEqual(
            visits.evidence,
            "2027-03-01 至 2027-12-31 走访企业 2 次：03-05 北京甲科技有限公司；04-12 北京乙医药有限公司。"
            "完成 2次 ÷ 目标 40次 × 100 = 5 分（最高 100 分）",
        )
        total = scores["工作纪实"]
        self.assertEqual((total.value, total.score), (D(3), D("3.75")))
        self.assertIn("工作纪实 3 条：走访企业 2、岗位日常工作 1", total.evidence)
        self.assertNotIn("工作作风", scores)  # qualitative: set by hand
