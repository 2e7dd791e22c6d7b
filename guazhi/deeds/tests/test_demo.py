"""The deeds demo tells the seed's story (SPEC §6, issue 8): the education-group and
kindergarten targets, the volunteer team's fundraising with its beneficiaries, ratings across
all five levels, a rectification with callback and re-rating, one upheld appeal, and the
look-backs (a flower bed sent back because the need was the pipes; a recurrence answered by a
lasting mechanism). Loaded on a fixed day with time frozen."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import time_machine
from django.test import TestCase
from django.utils import timezone

from guazhi.core import demo as core_demo

from .. import demo, services
from ..models import Appeal, Deed, Level, LookBack, Rating, Rectification

DAY = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.get_fixed_timezone(480))


class DeedsDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        with time_machine.travel(DAY, tick=False):
            core_demo.load()
            cls.counts = demo.load()

    def test_the_education_targets_are_22_groups_with_16_formed(self):
        school = Deed.objects.get(title__contains="集团化办学")
        groups = school.targets.get(name="组建紧密型教育集团")
        self.assertEqual((groups.planned, groups.achieved), (Decimal(22), Decimal(16)))
        self.assertTrue(school.targets.filter(name__contains="幼儿园").exists())

    def test_the_volunteer_team_raised_money_for_its_beneficiaries(self):
        charity = Deed.objects.get(title__contains="爱心团队")
        achieved = {t.name: t.achieved for t in charity.targets.all()}
        self.assertEqual(achieved["募集善款"], Decimal("8.2"))
        self.assertGreaterEqual(achieved["受益群众"], 2000)
        self.assertEqual(LookBack.objects.get(deed=charity).conclusion, "pass")

    def test_ratings_cover_every_level_and_both_kinds_of_rater(self):
        levels = set(Rating.objects.values_list("first_level", flat=True))
        self.assertEqual(levels, set(Level.values))
        self.assertTrue(Rating.objects.filter(panel_member__isnull=False).exists())
        self.assertEqual(
            set(Rating.objects.exclude(channel="public").values_list("channel", flat=True)),
            {"field", "ask", "forum"},
        )

    def test_a_bad_rating_was_rectified_called_back_and_rerated(self):
        rect = Rectification.objects.exclude(callback_on=None).get()
        self.assertEqual(rect.status, "done")
        self.assertEqual((rect.rating.first_level, rect.rating.level), (Level.BAD, Level.GOOD))
        self.assertIsNotNone(rect.rating.rerated_at)
        self.assertLessEqual(rect.done_on, rect.deadline)

    def test_one_appeal_was_upheld_and_its_rating_excluded_but_kept(self):
        appeal = Appeal.objects.get()
        self.assertEqual(appeal.decision, "upheld")
        self.assertTrue(appeal.rating.excluded)
        self.assertNotEqual(appeal.filed_by, appeal.decided_by)

    def test_the_look_backs_send_the_flower_bed_back_and_pass_the_wages_with_a_mechanism(self):
        flowers = LookBack.objects.get(deed__title__contains="花坛")
        self.assertEqual((flowers.conclusion, flowers.real_need), ("rework", False))
        self.assertTrue(flowers.tasks.exists())
        self.assertEqual(Deed.objects.get(title__contains="花坛").status.kind, "open")
        wages = LookBack.objects.get(deed__title="农民工工资支付保障")
        self.assertEqual((wages.conclusion, wages.recurrences, wages.mechanism), ("pass", 1, True))

    def test_the_figures_have_something_to_say(self):
        with time_machine.travel(DAY, tick=False):
            f = services.figures(Deed.objects.all())
        self.assertGreaterEqual(f.deeds, 15)
        self.assertIsNotNone(f.ratings.satisfaction)
        self.assertEqual(f.ratings.excluded, 1)
        self.assertTrue(Rectification.objects.filter(status="open").exists())

    def test_loading_twice_changes_nothing(self):
        before = (Deed.objects.count(), Rating.objects.count())
        with time_machine.travel(DAY, tick=False):
            self.assertIsNone(demo.load())
        self.assertEqual((Deed.objects.count(), Rating.objects.count()), before)
