"""Reminders (`guazhi remind`, frozen time): a follow-up due within 14 days or overdue goes to
the officers covering the cadre's home unit until it is done; a return not recorded 30 days
after the placement ended goes to them until it is recorded."""

from __future__ import annotations

from datetime import date
from io import StringIO

import time_machine
from django.core.management import call_command

from guazhi.core import notices
from guazhi.core.models import Notice

from .. import services
from .helpers import ReturnsTestCase


class ReminderTests(ReturnsTestCase):
    def remind(self, day: str) -> dict[str, set[str]]:
        """Run `guazhi remind` on that day; {notice key: usernames}."""
        with time_machine.travel(day):
            call_command("remind", stdout=StringIO())
        result: dict[str, set[str]] = {}
        for n in Notice.objects.select_related("user").filter(key__startswith="returns:"):
            result.setdefault(n.key, set()).add(n.user.username)
        return result

    def test_a_follow_up_is_announced_14_days_ahead_and_gone_once_done(self):
        self.finish(self.wang_p)
        record = self.record_return(self.wang_p)
        six = record.follow_ups.get(months=6)  # due 2028-09-10
        key = f"returns:followup:{six.pk}"
        self.assertNotIn(key, self.remind("2028-08-26"))
        self.assertEqual(self.remind("2028-08-27")[key], {"alice", "bob"})
        notice = Notice.objects.get(key=key, user=self.bob)
        self.assertIn("将于 2028-09-10 到期", notice.text)
        self.assertEqual(notice.url, f"/returns/placement/{self.wang_p.pk}/")
        self.assertEqual(self.remind("2028-09-20")[key], {"alice", "bob"})
        notice.refresh_from_db()
        self.assertIn("已逾期", notice.text)
        services.follow_up_evaluate(
            follow_up=six,
            by=self.bob,
            done_on=date(2028, 9, 20),
            result="good",
            evaluation="好",
            today=date(2028, 9, 20),
        )
        self.assertNotIn(key, self.remind("2028-09-21"))

    def test_a_return_not_recorded_30_days_after_the_end_is_announced_until_recorded(self):
        self.finish(self.wang_p)  # ended 2028-03-01
        self.finish(self.li_p)
        wang, li = f"returns:missing:{self.wang_p.pk}", f"returns:missing:{self.li_p.pk}"
        self.assertEqual(self.remind("2028-03-31"), {})
        due = self.remind("2028-04-01")
        self.assertEqual(due[wang], {"alice", "bob"})
        self.assertEqual(due[li], {"alice", "eve"})
        self.assertIn("尚未登记返岗", Notice.objects.filter(key=wang).first().text)
        self.record_return(self.wang_p, on=date(2028, 4, 2))
        due = self.remind("2028-04-02")
        self.assertNotIn(wang, due)
        self.assertIn(li, due)

    def test_open_placements_readers_and_inactive_officers_get_nothing(self):
        self.assertEqual(list(services.reminders(date(2030, 1, 1))), [])
        self.finish(self.wang_p)
        self.bob.is_active = False
        self.bob.save()
        users = {d.user_id for d in services.reminders(date(2028, 6, 1))}
        self.assertEqual(users, {self.alice.pk})

    def test_the_provider_is_registered(self):
        self.assertIn(services.reminders, notices.PROVIDERS)
