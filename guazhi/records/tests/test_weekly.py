"""Weekly summaries: ISO weeks Monday–Sunday, counted right across the Sunday/Monday boundary,
in one query; the evidence counts the assessment reads; the weekly pages for a cadre (his own
weeks) and for a leader (his team in one week, those without a record marked)."""

from __future__ import annotations

from datetime import date

import time_machine

from .. import services
from .helpers import Category, Evidence, RecordsTestCase

SUN_9, MON_10, SUN_16, MON_17 = (date(2027, 5, d) for d in (9, 10, 16, 17))


class WeekHelperTests(RecordsTestCase):
    def test_weeks_are_iso_weeks_named_like_the_week_input(self):
        self.assertEqual(services.week_start(SUN_16), MON_10)
        self.assertEqual(services.week_start(MON_17), MON_17)
        self.assertEqual(services.week_code(MON_10), "2027-W19")
        self.assertEqual(services.parse_week("2027-W19"), MON_10)
        self.assertEqual(services.parse_week("2027w19"), MON_10)
        self.assertEqual(services.week_code(date(2027, 1, 1)), "2026-W53")
        for bad in ("", None, "2027-W54", "W19", "2027-19", "abc"):
            self.assertIsNone(services.parse_week(bad), bad)
        self.assertEqual(services.week_range_label(MON_10), "05-10–05-16")


class WeeklySummaryTests(RecordsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.write(cls.p_wang, SUN_9, "周日", category=Category.ROUTINE)
        cls.write(cls.p_wang, MON_10, "周一", evidence=Evidence.POSITIVE)
        cls.write(cls.p_wang, MON_10, "周一下午", category=Category.LEAD)
        cls.write(cls.p_wang, SUN_16, "周日晚", evidence=Evidence.NEGATIVE)
        cls.write(cls.p_wang, MON_17, "下周一")

    def test_records_fall_in_the_week_of_their_date_across_the_sunday_monday_boundary(self):
        with self.assertNumQueries(1):
            result = services.weekly_summary([self.wang.pk, self.li.pk], date(2027, 5, 3), SUN_16)
        wang = result[self.wang.pk]
        self.assertEqual(list(wang), [date(2027, 5, 3), MON_10])
        first, second = wang[date(2027, 5, 3)], wang[MON_10]
        self.assertEqual((first.total, first.by_category), (1, {"routine": 1}))
        self.assertEqual((second.total, second.positive, second.negative), (3, 1, 1))
        self.assertEqual(second.by_category, {"visit": 2, "lead": 1})
        self.assertEqual([r.content for r in second.entries], ["周一", "周一下午", "周日晚"])
        self.assertEqual(second.categories, [("走访企业", 2), ("发现项目线索", 1)])

    def test_a_cadre_without_records_has_weeks_of_zeros(self):
        result = services.weekly_summary([self.li.pk], MON_10, SUN_16)
        self.assertEqual(result[self.li.pk][MON_10].total, 0)

    def test_the_range_cuts_partial_weeks(self):
        result = services.weekly_summary([self.wang.pk], MON_10, MON_10)
        self.assertEqual(result[self.wang.pk][MON_10].total, 2)

    def test_evidence_counts_for_the_assessment(self):
        with self.assertNumQueries(2):
            counts = services.evidence_counts(self.wang, date(2027, 4, 26), SUN_16)
        self.assertEqual((counts.total, counts.positive, counts.negative), (4, 1, 1))
        self.assertEqual(counts.by_category, {"routine": 1, "visit": 2, "lead": 1})
        self.assertEqual((counts.weeks_due, counts.weeks_with_records), (3, 2))
        self.assertEqual(counts.missing_weeks, [date(2027, 4, 26)])

    def test_weeks_before_the_placement_are_not_due(self):
        counts = services.evidence_counts(self.wang, date(2027, 2, 15), date(2027, 3, 7))
        self.assertEqual(counts.weeks_due, 1)
        self.assertEqual(counts.missing_weeks, [date(2027, 3, 1)])


class WeeklyPageTests(RecordsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.write(cls.p_wang, SUN_9, "上周日整理材料")
        cls.write(cls.p_wang, MON_10, "本周一走访企业", evidence=Evidence.POSITIVE)
        cls.write(cls.p_li, SUN_16, "本周日调研园区", category=Category.STUDY)

    @time_machine.travel("2027-05-16 22:00 +0800", tick=False)
    def test_on_sunday_night_the_leader_sees_this_weeks_records_of_both_cadres(self):
        self.login(self.tina)
        response = self.client.get("/records/weekly/")
        self.assertContains(response, "2027-W19")
        self.assertContains(response, "本周一走访企业")
        self.assertContains(response, "本周日调研园区")
        self.assertNotContains(response, "上周日整理材料")
        self.assertNotContains(response, "bi-exclamation-circle")
        self.assertContains(response, "都已填写纪实")

    @time_machine.travel("2027-05-17 08:00 +0800", tick=False)
    def test_on_monday_a_new_week_starts_and_the_cadres_without_records_are_marked(self):
        self.login(self.tina)
        response = self.client.get("/records/weekly/")
        self.assertContains(response, "2027-W20")
        self.assertContains(response, "list-group-item-warning", count=2)
        self.assertContains(response, "2 人无纪实")
        last = self.client.get("/records/weekly/?week=2027-W19")
        self.assertContains(last, "本周一走访企业")
        self.assertNotContains(last, "人无纪实")

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_the_leader_can_list_only_the_cadres_without_records(self):
        self.login(self.tina)
        response = self.client.get("/records/weekly/?week=2027-W18&missing=true")
        self.assertContains(response, "在岗 2 人")
        self.assertContains(response, "1 人无纪实")
        body = response.content.decode()
        self.assertIn(">李浑南<", body)
        self.assertNotIn(">王晓明<", body)

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_the_leader_of_another_team_sees_nobody(self):
        self.login(self.tom)
        response = self.client.get("/records/weekly/?week=2027-W19")
        self.assertContains(response, "这一周没有在岗的挂职干部")
        self.assertNotContains(response, "本周一走访企业")

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_a_cadre_sees_his_own_weeks_newest_first(self):
        self.login(self.dave)
        response = self.client.get("/records/weekly/")
        body = response.content.decode()
        self.assertIn("我的每周纪实", body)
        self.assertLess(body.index("2027-W19"), body.index("2027-W18"))
        self.assertIn("本周一走访企业", body)
        self.assertNotIn("本周日调研园区", body)
        # weeks on post without a record are shown as such (W17 and older)
        self.assertIn("bi-exclamation-circle", body)
        self.assertEqual(self.client.get(f"/records/weekly/?cadre={self.li.pk}").status_code, 404)

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_a_week_asked_for_opens_the_page_holding_it(self):
        self.login(self.dave)
        body = self.client.get("/records/weekly/?week=2027-W09").content.decode()
        self.assertIn('id="2027-W09"', body)
        self.assertNotIn('id="2027-W19"', body)

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_a_district_officer_opens_the_weeks_of_his_cadre_only(self):
        self.login(self.bob)
        response = self.client.get(f"/records/weekly/?cadre={self.wang.pk}")
        self.assertContains(response, "王晓明的每周纪实")
        self.assertEqual(self.client.get(f"/records/weekly/?cadre={self.li.pk}").status_code, 404)
        self.assertEqual(self.client.get("/records/weekly/?cadre=x").status_code, 404)
        team = self.client.get("/records/weekly/?week=2027-W19")
        self.assertContains(team, "王晓明")
        self.assertNotContains(team, "李浑南")
