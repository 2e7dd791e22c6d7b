"""Deeds feed the assessment (办结实事件数, 实事满意率 of the deeds a placement's cadre is
responsible for) and the daily reminders (open rectifications to the rectifying unit's
people, due look-backs to the reviewers, overdue deeds to the responsible cadre)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import time_machine

from guazhi.assessment.sources import SOURCES
from guazhi.records.tests.helpers import RecordsTestCase

from .. import reminders, services
from ..models import Level, Rating, Rectification
from .helpers import DeedsTestCase

NOW = date(2027, 6, 1)


@time_machine.travel(NOW, tick=False)
class DeedSourceAndReminderTests(DeedsTestCase, RecordsTestCase):
    """王晓明 (wang, dave's cadre record) is placed 2027-03-01 to 2028-03-01."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            done = next(s for s in services.statuses() if s.kind == "done")
            cls.pipes = cls.deed(cadre=cls.wang, day=date(2027, 4, 1))
            services.status_change(
                deed=cls.pipes, to_status=done, by=cls.alice, day=date(2027, 5, 1)
            )
            cls.late = cls.deed(
                "超期实事", cadre=cls.wang, day=date(2027, 4, 1), promised_on=date(2027, 5, 1)
            )
            for i, (level, excluded) in enumerate(
                [
                    (Level.VERY_GOOD, False),
                    (Level.GOOD, False),
                    (Level.FAIR, False),
                    (Level.VERY_BAD, True),
                ]
            ):
                Rating.objects.create(
                    deed=cls.pipes,
                    level=level,
                    first_level=level,
                    excluded=excluded,
                    channel="field",
                    rater_key=f"k{i}",
                )
            bad = Rating.objects.create(
                deed=cls.late,
                level=Level.BAD,
                first_level=Level.BAD,
                channel="ask",
                rater_key="bad",
            )
            cls.rect = Rectification.objects.create(
                rating=bad,
                deed=cls.late,
                unit=cls.late.unit,
                opened_on=NOW,
                deadline=NOW + timedelta(days=7),
                rerate_token="t",
            )

    def compute(self, code):
        return SOURCES[code].compute([self.p_wang, self.p_li], date(2027, 1, 1), date(2027, 12, 31))

    def test_deeds_done_count_his_deeds_inside_the_placement(self):
        result = self.compute("deeds_done")
        value, text = result[self.p_wang.pk]
        self.assertEqual(value, Decimal(1))
        self.assertIn("05-01 老旧小区管网改造", text)
        self.assertEqual(result[self.p_li.pk][0], Decimal(0))
        self.assertIn("无办结的实事", result[self.p_li.pk][1])

    def test_satisfaction_counts_his_valid_ratings(self):
        result = self.compute("deeds_satisfaction")
        value, text = result[self.p_wang.pk]
        # (1 + 1 + 0.5 × 1) of 4 valid (非常满意, 满意, 基本满意, 不满意); the excluded one not.
        self.assertEqual(value, Decimal("62.5"))
        self.assertIn("有效评价 4 条", text)
        self.assertIn("所负责实事无群众评价", result[self.p_li.pk][1])

    def test_reminders_go_to_those_who_must_act(self):
        due = reminders.due(NOW + timedelta(days=30))
        by_user = {}
        for notice in due:
            by_user.setdefault(notice.user_id, set()).add(notice.kind)
        # The rectification: the unit (carol) and the district (bob), not another district (eve).
        self.assertIn("差评整改", by_user[self.carol.pk])
        self.assertIn("差评整改", by_user[self.bob.pk])
        self.assertNotIn("差评整改", by_user.get(self.eve.pk, set()))
        # The look-back (due 2027-05-29): the reviewers (alice, bob), not the unit (carol).
        self.assertIn("回头看", by_user[self.alice.pk])
        self.assertNotIn("回头看", by_user[self.carol.pk])
        # The overdue deed: its cadre's account (dave).
        self.assertIn("实事超期", by_user[self.dave.pk])
        Rectification.objects.filter(pk=self.rect.pk).update(status="done")
        kinds = {n.kind for n in reminders.due(NOW + timedelta(days=30))}
        self.assertNotIn("差评整改", kinds)
