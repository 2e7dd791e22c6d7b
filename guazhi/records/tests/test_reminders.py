"""Weekly reminders (`guazhi remind`): a cadre on post without a record in the previous
complete ISO week is told so, and his team's leader and deputies get one notice per team with
the number who missed it; a notice goes once the record exists; nobody is reminded for weeks
before the placement starts or after it ends."""

from __future__ import annotations

from datetime import date

import time_machine
from django.utils import timezone

from guazhi.cadres.models import Cadre
from guazhi.core import notices
from guazhi.core.models import Notice
from guazhi.programmes.models import Placement
from guazhi.testing import make_user

from .helpers import RecordsTestCase


def remind():
    notices.remind(timezone.localdate())
    return {
        (n.user.username, n.key): n
        for n in Notice.objects.filter(key__startswith="records:").select_related("user")
    }


class ReminderTests(RecordsTestCase):
    def keys(self, week):
        return {
            ("dave", f"records:week:{week}:cadre:{self.wang.pk}"),
            ("lily", f"records:week:{week}:cadre:{self.li.pk}"),
            ("tina", f"records:week:{week}:team:{self.team.pk}"),
        }

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_a_missing_week_reminds_the_cadre_and_his_leader(self):
        found = remind()
        self.assertEqual(set(found), self.keys("2027-W18"))
        dave = found[("dave", f"records:week:2027-W18:cadre:{self.wang.pk}")]
        self.assertEqual(dave.text, "上周（05-03–05-09）没有工作纪实")
        self.assertEqual(dave.url, "/records/new/")
        self.assertEqual(dave.kind, "工作纪实")
        tina = found[("tina", f"records:week:2027-W18:team:{self.team.pk}")]
        self.assertIn("2 名干部没有工作纪实", tina.text)
        self.assertEqual(tina.url, "/records/weekly/?week=2027-W18")

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_the_reminder_goes_once_the_record_exists(self):
        remind()
        self.write(self.p_wang, date(2027, 5, 9), "周日补记")  # Sunday still counts for W18
        found = remind()
        self.assertNotIn(("dave", f"records:week:2027-W18:cadre:{self.wang.pk}"), found)
        self.assertIn(("lily", f"records:week:2027-W18:cadre:{self.li.pk}"), found)
        tina = found[("tina", f"records:week:2027-W18:team:{self.team.pk}")]
        self.assertIn("1 名干部", tina.text)

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_a_record_of_this_week_does_not_count_for_last_week(self):
        self.write(self.p_wang, date(2027, 5, 10), "周一")
        self.assertIn(("dave", f"records:week:2027-W18:cadre:{self.wang.pk}"), remind())

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_when_everybody_wrote_the_leader_gets_nothing(self):
        self.write(self.p_wang, date(2027, 5, 3))
        self.write(self.p_li, date(2027, 5, 8))
        self.assertEqual(remind(), {})

    def test_no_reminder_before_the_placement_starts(self):
        with time_machine.travel("2027-02-20 10:00 +0800", tick=False):
            self.assertEqual(remind(), {})
        # The first week is not complete until Monday 2027-03-08.
        with time_machine.travel("2027-03-05 10:00 +0800", tick=False):
            self.assertEqual(remind(), {})
        with time_machine.travel("2027-03-08 10:00 +0800", tick=False):
            self.assertEqual(set(remind()), self.keys("2027-W09"))

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_no_reminder_after_the_placement_ends(self):
        Placement.objects.filter(pk=self.p_wang.pk).update(
            status=Placement.Status.FINISHED, actual_end=date(2027, 4, 30)
        )
        found = remind()
        self.assertNotIn(("dave", f"records:week:2027-W18:cadre:{self.wang.pk}"), found)
        self.assertIn(
            "1 名干部", found[("tina", f"records:week:2027-W18:team:{self.team.pk}")].text
        )

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_deputies_are_told_and_a_cadre_without_an_account_only_through_the_leader(self):
        deputy = make_user("dora", self.team_unit, "team_leader")
        self.team.deputies.add(deputy)
        Cadre.objects.filter(pk=self.li.pk).update(user=None)
        found = remind()
        self.assertIn(("dora", f"records:week:2027-W18:team:{self.team.pk}"), found)
        self.assertNotIn(("lily", f"records:week:2027-W18:cadre:{self.li.pk}"), found)
        self.assertIn(
            "2 名干部", found[("tina", f"records:week:2027-W18:team:{self.team.pk}")].text
        )

    def test_last_weeks_notice_is_replaced_by_the_next_one(self):
        with time_machine.travel("2027-05-12 10:00 +0800", tick=False):
            remind()
        with time_machine.travel("2027-05-19 10:00 +0800", tick=False):
            self.assertEqual(set(remind()), self.keys("2027-W19"))

    @time_machine.travel("2027-05-12 10:00 +0800", tick=False)
    def test_the_provider_takes_four_queries(self):
        from .. import services

        with self.assertNumQueries(4):
            due = services.weekly_reminders(date(2027, 5, 12))
        self.assertEqual(len(due), 3)
