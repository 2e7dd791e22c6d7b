"""平时考核: the team leader proposes a quarter's grade from the quarter's records and indicator
progress, the organisation department confirms, with the programme's cap on 好."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import time_machine
from django.contrib.auth.models import Permission

from guazhi.records.models import DailyRecord

from .. import services
from ..models import QuarterResult
from .helpers import AssessmentTestCase

D = Decimal


@time_machine.travel("2027-10-10")
class ProposeTests(AssessmentTestCase):
    def propose(self, placement=None, grade="好", by=None, year=2027, quarter=2, note="表现突出"):
        return services.quarter_propose(
            placement=placement or self.p_wang,
            year=year,
            quarter=quarter,
            grade=grade,
            note=note,
            by=by or self.tina,
        )

    def test_the_team_leader_proposes_a_grade(self):
        result = self.propose()
        self.assertEqual(
            (result.grade, result.status, result.proposed_by, result.note),
            ("好", "proposed", self.tina, "表现突出"),
        )

    def test_a_deputy_and_the_org_department_may_propose_too(self):
        self.team.deputies.add(self.bob)
        self.assertEqual(self.propose(by=self.bob).proposed_by, self.bob)
        self.assertEqual(self.propose(by=self.alice, grade="较好").grade, "较好")

    def test_others_may_not_propose(self):
        # tom leads batch 6's team, not this one.
        for user in (self.tom, self.dave, self.hank, self.carol, self.eve):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(
                    services.AssessmentError, "只有本批工作队队长、副队长或组织部门"
                ),
            ):
                self.propose(by=user)
        self.assertFalse(QuarterResult.objects.exists())

    def test_the_proposal_can_change_until_confirmed(self):
        first = self.propose()
        second = self.propose(grade="一般", note="纪实偏少")
        self.assertEqual(first.pk, second.pk)
        self.assertEqual(QuarterResult.objects.get().grade, "一般")
        services.quarter_confirm(results=[second], by=self.alice)
        with self.assertRaisesMessage(
            services.AssessmentError, "2027年第2季度平时考核已确认，不能再修改"
        ):
            self.propose(grade="好")

    def test_the_grade_and_the_quarter_are_checked(self):
        with self.assertRaisesMessage(
            services.AssessmentError, "平时考核等次须为 好、较好、一般、较差 之一"
        ):
            self.propose(grade="优秀")
        with self.assertRaisesMessage(services.AssessmentError, "季度须为 1–4"):
            self.propose(quarter=5)
        with self.assertRaisesMessage(
            services.AssessmentError,
            "2026年第4季度不在挂职期内（2027-03-01 至 2028-03-01）",
        ):
            self.propose(year=2026, quarter=4)
        with self.assertRaisesMessage(services.AssessmentError, "2028年第1季度尚未开始"):
            self.propose(year=2028, quarter=1)


@time_machine.travel("2027-10-10")
class ConfirmTests(AssessmentTestCase):
    def proposed(self, placement, grade, quarter=3):
        return services.quarter_propose(
            placement=placement, year=2027, quarter=quarter, grade=grade, note="", by=self.tina
        )

    def test_the_org_department_confirms(self):
        result = self.proposed(self.p_wang, "好")
        for user in (self.tina, self.bob, self.dave):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以确认平时考核"),
            ):
                services.quarter_confirm(results=[result], by=user)
        [confirmed] = services.quarter_confirm(results=[result], by=self.alice)
        self.assertEqual((confirmed.status, confirmed.confirmed_by), ("confirmed", self.alice))
        self.assertIsNotNone(confirmed.confirmed_at)
        # confirming again changes nothing
        self.assertEqual(services.quarter_confirm(results=[result], by=self.alice), [])

    def test_without_a_cap_every_result_may_be_good(self):
        results = [self.proposed(p, "好") for p in (self.p_wang, self.p_li, self.p_zhou)]
        self.assertEqual(len(services.quarter_confirm(results=results, by=self.alice)), 3)

    def test_the_cap_on_good_is_refused_with_the_numbers(self):
        self.policy.quarter_good_cap = 40
        self.policy.save()
        results = [
            self.proposed(self.p_wang, "好"),
            self.proposed(self.p_li, "好"),
            self.proposed(self.p_zhou, "一般"),
        ]
        # 3 × 40% = 1.2 → at most 1 好
        with self.assertRaisesMessage(
            services.AssessmentError,
            "“好”等次不超过 40%：第5批 2027年第3季度 3 人中最多 1 人，本次确认后将有 2 人",
        ):
            services.quarter_confirm(results=results, by=self.alice)
        self.assertFalse(QuarterResult.objects.filter(status="confirmed").exists())
        results[1] = self.proposed(self.p_li, "较好")
        self.assertEqual(len(services.quarter_confirm(results=results, by=self.alice)), 3)

    def test_the_cap_counts_the_results_confirmed_earlier(self):
        self.policy.quarter_good_cap = 50
        self.policy.save()
        # First wang 好 and li 一般: 2 × 50% = 1 好 allowed.
        services.quarter_confirm(
            results=[self.proposed(self.p_wang, "好"), self.proposed(self.p_li, "一般")],
            by=self.alice,
        )
        # Then zhou 好: 3 × 50% = 1.5 → 1, but there would be 2.
        with self.assertRaisesMessage(
            services.AssessmentError,
            "“好”等次不超过 50%：第5批 2027年第3季度 3 人中最多 1 人，本次确认后将有 2 人",
        ):
            services.quarter_confirm(results=[self.proposed(self.p_zhou, "好")], by=self.alice)

    def test_the_cap_is_per_quarter(self):
        self.policy.quarter_good_cap = 40
        self.policy.save()
        services.quarter_confirm(
            results=[
                self.proposed(self.p_wang, "好", quarter=2),
                self.proposed(self.p_li, "较好", quarter=2),
                self.proposed(self.p_zhou, "一般", quarter=2),
            ],
            by=self.alice,
        )
        services.quarter_confirm(
            results=[
                self.proposed(self.p_wang, "较好", quarter=3),
                self.proposed(self.p_li, "好", quarter=3),
                self.proposed(self.p_zhou, "一般", quarter=3),
            ],
            by=self.alice,
        )
        self.assertEqual(QuarterResult.objects.filter(grade="好", status="confirmed").count(), 2)

    def test_a_manager_without_the_all_scope_cannot_confirm(self):
        # bob's district role lacks the permission; even granted on a narrower role, not "all".
        district = self.bob.roles.get()
        district.permissions.add(Permission.objects.get(codename="confirm_quarterresult"))
        result = self.proposed(self.p_wang, "好")
        self.bob = type(self.bob).objects.get(pk=self.bob.pk)
        with self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以确认平时考核"):
            services.quarter_confirm(results=[result], by=self.bob)


@time_machine.travel("2027-10-10")
class EvidenceTests(AssessmentTestCase):
    def test_the_quarters_records_and_the_indicator_progress_so_far(self):
        rows = [
            (date(2027, 3, 20), "visit", ""),  # Q1: progress only
            (date(2027, 4, 2), "visit", "positive"),
            (date(2027, 4, 9), "visit", ""),
            (date(2027, 5, 6), "lead", ""),
            (date(2027, 6, 30), "routine", "negative"),
            (date(2027, 7, 1), "visit", ""),  # Q3: neither
        ]
        DailyRecord.objects.bulk_create(
            [
                DailyRecord(
                    cadre=self.wang,
                    placement=self.p_wang,
                    date=day,
                    category=category,
                    content="工作",
                    evidence=evidence,
                )
                for day, category, evidence in rows
            ]
        )
        evidence = services.quarter_evidence(placement=self.p_wang, year=2027, quarter=2)
        self.assertEqual(
            (evidence["start"], evidence["end"]), (date(2027, 4, 1), date(2027, 6, 30))
        )
        records = evidence["records"]
        self.assertEqual((records["total"], records["positive"], records["negative"]), (4, 1, 1))
        self.assertEqual(
            records["by_category"], {"走访企业": 2, "发现项目线索": 1, "岗位日常工作": 1}
        )
        self.assertEqual(records["weeks_due"], 14)  # Mondays 03-29 … 06-28
        self.assertEqual(records["weeks_with_records"], 4)
        progress = {p["indicator"]: p for p in evidence["progress"]}
        # From the start of the placement (2027-03-01) to the end of the quarter: 3 visits of 40.
        self.assertEqual(progress["走访企业次数"]["value"], D(3))
        self.assertEqual(progress["走访企业次数"]["percent"], D("7.50"))
        self.assertIn("走访企业 3 次", progress["走访企业次数"]["evidence"])
        self.assertEqual(progress["工作纪实"]["value"], D(5))
        self.assertIsNone(progress["工作作风"]["value"])
        self.assertEqual(evidence["plan"], self.plan_wang)
        self.assertIsNone(evidence["result"])

    def test_a_quarter_before_the_placement_is_empty(self):
        evidence = services.quarter_evidence(placement=self.p_wang, year=2027, quarter=1)
        self.assertEqual(evidence["start"], date(2027, 3, 1))
        evidence = services.quarter_evidence(placement=self.p_wang, year=2026, quarter=4)
        self.assertEqual(evidence["records"]["total"], 0)
