"""The assessment demo: approved plans for 第3批 and 第4批 (one re-opened as version 2), a
confirmed 第3批 2024 年度考核 within the 20 % 优秀 quota whose results reach the cadres' records,
and an open 第4批 round with ratings to give."""

import time_machine
from django.test import TestCase

from guazhi.assessment import demo, services
from guazhi.assessment.models import Plan, Rating, Round
from guazhi.cadres import demo as cadres_demo
from guazhi.cadres.models import AnnualAssessment
from guazhi.core import demo as core_demo
from guazhi.returns import demo as returns_demo
from guazhi.selection import demo as selection_demo


@time_machine.travel("2026-11-27 10:00 +0800")
class AssessmentDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        core_demo.load()
        cadres_demo.load()
        selection_demo.load()
        returns_demo.load()
        demo.load()

    def test_the_finished_round_is_confirmed_within_the_quota(self):
        round3 = Round.objects.get(batch__number=3)
        self.assertTrue(round3.is_frozen)
        counts = services.grade_distribution(round3)
        n = round3.entries.count()
        self.assertEqual(n, 17)
        self.assertEqual(counts["优秀"], n * 20 // 100)  # 3 of 17
        self.assertEqual(
            AnnualAssessment.objects.filter(year=2024, source="挂职考核", result="优秀").count(), 3
        )

    def test_plans_are_approved_and_one_waits_for_reapproval(self):
        statuses = list(Plan.objects.values_list("status", flat=True))
        self.assertEqual(statuses.count(Plan.Status.APPROVED), 35)
        self.assertEqual(statuses.count(Plan.Status.DRAFT), 1)
        self.assertTrue(Plan.objects.filter(version=2, status=Plan.Status.DRAFT).exists())

    def test_the_current_round_is_open_with_ratings_left_to_give(self):
        round4 = Round.objects.get(batch__number=4)
        self.assertFalse(round4.is_frozen)
        ratings = Rating.objects.filter(entry__round=round4)
        self.assertTrue(ratings.filter(submitted_at__isnull=True).exists())
        self.assertTrue(ratings.filter(submitted_at__isnull=False).exists())

    def test_loading_twice_adds_nothing(self):
        before = (Round.objects.count(), Plan.objects.count(), Rating.objects.count())
        demo.load()
        self.assertEqual(
            (Round.objects.count(), Plan.objects.count(), Rating.objects.count()), before
        )
