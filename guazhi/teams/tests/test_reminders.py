"""Reminders from `notices.remind(today)`: meetings behind rhythm go to the team's leader and
deputies, overdue check-ins to the pairing's members; each is removed once its cause is
fixed."""

from __future__ import annotations

from datetime import date

import time_machine
from django.core.management import call_command

from guazhi.core import notices
from guazhi.core.models import Notice
from guazhi.testing import make_user

from .. import services
from ..models import Pairing
from .helpers import TeamTestCase


class RhythmReminderTests(TeamTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Only the monthly 党小组会 rule, so each case reads plainly.
        cls.programme.rhythm.exclude(meeting_type="group").delete()
        cls.rule = cls.programme.rhythm.get()
        cls.deputy = make_user("dan", cls.team_unit, "team_leader")
        cls.team.deputies.add(cls.deputy)

    def team_notices(self):
        return Notice.objects.filter(key__startswith=f"teams:rhythm:{self.team.pk}:")

    def test_a_month_behind_reaches_the_leader_and_deputies_and_leaves_once_fixed(self):
        self.meeting("group", date(2027, 3, 10))
        with time_machine.travel("2027-05-03 08:00 +0800"):
            notices.remind(date(2027, 5, 3))
        key = f"teams:rhythm:{self.team.pk}:{self.rule.pk}:2027-04"
        self.assertEqual(
            set(self.team_notices().values_list("user__username", "key")),
            {("tina", key), ("dan", key)},
        )
        notice = self.team_notices().get(user=self.tina)
        self.assertIn("2027年4月党小组会应至少召开 1 次，实际 0 次", notice.text)
        self.assertEqual(notice.url, f"/teams/{self.team.pk}/")
        self.assertFalse(self.team_notices().filter(user__in=[self.dave, self.lucy]).exists())
        # The April meeting was held but not recorded: recording it clears the reminder.
        self.meeting("group", date(2027, 4, 28))
        with time_machine.travel("2027-05-04 08:00 +0800"):
            notices.remind(date(2027, 5, 4))
        self.assertFalse(self.team_notices().exists())

    def test_the_current_month_is_reminded_only_in_its_last_week(self):
        self.meeting("group", date(2027, 3, 10))
        self.meeting("group", date(2027, 4, 10))
        with time_machine.travel("2027-05-24 08:00 +0800"):
            notices.remind(date(2027, 5, 24))
        self.assertFalse(self.team_notices().exists())
        with time_machine.travel("2027-05-25 08:00 +0800"):
            notices.remind(date(2027, 5, 25))
        notice = self.team_notices().get(user=self.tina)
        self.assertEqual(notice.key, f"teams:rhythm:{self.team.pk}:{self.rule.pk}:2027-05")
        self.assertIn("距本期结束还有 7 天", notice.text)
        self.assertEqual(notice.due_on, date(2027, 5, 31))
        # The month ends still short: the same notice now says it fell behind.
        with time_machine.travel("2027-06-01 08:00 +0800"):
            notices.remind(date(2027, 6, 1))
        notice = self.team_notices().get(user=self.tina)
        self.assertIn("实际 0 次，低于规定频次", notice.text)
        self.meeting("group", date(2027, 5, 31))
        with time_machine.travel("2027-06-02 08:00 +0800"):
            notices.remind(date(2027, 6, 2))
        self.assertFalse(self.team_notices().exists())

    def test_a_finished_batch_is_not_reminded(self):
        with time_machine.travel("2028-04-02 08:00 +0800"):
            notices.remind(date(2028, 4, 2))
        self.assertFalse(self.team_notices().exists())

    def test_the_remind_command_runs_the_providers(self):
        with time_machine.travel("2027-05-03 08:00 +0800"):
            call_command("remind", "--date", "2027-05-03", stdout=open("/dev/null", "w"))
        self.assertTrue(self.team_notices().filter(user=self.tina).exists())


class CheckInReminderTests(TeamTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.programme.rhythm.all().delete()  # only check-in reminders here
        cls.pairing = services.pairing_create(
            team=cls.team,
            by=cls.tina,
            members=[cls.wang, cls.li, cls.zhou],
            goals="共同推进招商项目",
            started_on=date(2027, 4, 1),
            today=date(2027, 4, 1),
        )

    def checkin_notices(self):
        return Notice.objects.filter(key__startswith=f"teams:checkin:{self.pairing.pk}:")

    def test_no_check_in_for_more_than_the_programme_days_reminds_each_member(self):
        self.assertEqual(self.programme.checkin_days, 30)
        with time_machine.travel("2027-05-01 08:00 +0800"):  # 30 days: still in time
            notices.remind(date(2027, 5, 1))
        self.assertFalse(self.checkin_notices().exists())
        with time_machine.travel("2027-05-02 08:00 +0800"):
            notices.remind(date(2027, 5, 2))
        # zhou has no account: dave (wang) and lucy (li) are told; the leader is not.
        self.assertEqual(
            set(self.checkin_notices().values_list("user__username", flat=True)), {"dave", "lucy"}
        )
        notice = self.checkin_notices().get(user=self.dave)
        self.assertEqual(notice.key, f"teams:checkin:{self.pairing.pk}:2027-04-01")
        self.assertEqual(notice.url, f"/teams/pairings/{self.pairing.pk}/")
        self.assertIn("31 天没有交流记录", notice.text)

    def test_a_check_in_removes_the_reminder_and_restarts_the_count(self):
        with time_machine.travel("2027-05-10 08:00 +0800"):
            notices.remind(date(2027, 5, 10))
            self.assertEqual(self.checkin_notices().count(), 2)
            services.checkin_add(
                pairing=self.pairing, by=self.lucy, date=date(2027, 5, 9), content="交流招商线索"
            )
            notices.remind(date(2027, 5, 10))
        self.assertFalse(self.checkin_notices().exists())
        with time_machine.travel("2027-06-08 08:00 +0800"):  # 30 days after 9 May
            notices.remind(date(2027, 6, 8))
        self.assertFalse(self.checkin_notices().exists())
        with time_machine.travel("2027-06-09 08:00 +0800"):
            notices.remind(date(2027, 6, 9))
        self.assertEqual(
            set(self.checkin_notices().values_list("key", flat=True)),
            {f"teams:checkin:{self.pairing.pk}:2027-05-09"},
        )

    def test_a_closed_pairing_is_not_reminded(self):
        Pairing.objects.filter(pk=self.pairing.pk).update(status=Pairing.Status.CLOSED)
        with time_machine.travel("2027-06-01 08:00 +0800"):
            notices.remind(date(2027, 6, 1))
        self.assertFalse(self.checkin_notices().exists())

    def test_the_leader_home_card_counts_upcoming_meetings_and_overdue_pairings(self):
        services.meeting_save(
            team=self.team,
            by=self.tina,
            kind="study",
            date=date(2027, 5, 12),
            place="驻京办",
            topic="学习研讨",
            host="蒂娜",
            today=date(2027, 5, 2),
        )
        with time_machine.travel("2027-05-02 08:00 +0800"):
            self.login(self.tina)
            page = self.client.get("/")
        self.assertContains(page, "近两周的会议")
        cards = {c["label"]: c["value"] for c in page.context["cards"]}
        self.assertEqual(cards["近两周的会议"], 1)
        self.assertEqual(cards["结对交流逾期"], 1)
        with time_machine.travel("2027-05-02 08:00 +0800"):
            self.login(self.dave)
            page = self.client.get("/")
        self.assertNotContains(page, "近两周的会议")
