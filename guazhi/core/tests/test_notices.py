"""Notices: `guazhi remind` turns what providers report into one notice per user and cause,
keeps the read state, removes what is no longer due; each user sees and marks only his own."""

from __future__ import annotations

import io
from datetime import date

from django.core.management import CommandError, call_command

from guazhi.core import notices
from guazhi.core.models import Notice
from guazhi.testing import BaseTestCase


class NoticeTests(BaseTestCase):
    def setUp(self):
        self.due: list[notices.Due] = []
        self.provider = lambda today: [d for d in self.due if d.due_on is None or d.due_on >= today]
        notices.PROVIDERS.append(self.provider)

    def tearDown(self):
        notices.PROVIDERS.remove(self.provider)

    def test_remind_creates_keeps_and_removes(self):
        self.due = [
            notices.Due(self.bob.pk, "t:1", "测试", "第一条", "/selection/"),
            notices.Due(self.carol.pk, "t:2", "测试", "第二条", due_on=date(2027, 1, 10)),
        ]
        summary = notices.remind(date(2027, 1, 1))
        self.assertEqual((summary.created, summary.kept, summary.removed), (2, 0, 0))
        Notice.objects.filter(user=self.bob).update(read_at="2027-01-01T08:00:00Z")
        summary = notices.remind(date(2027, 1, 2))
        self.assertEqual((summary.created, summary.kept), (0, 2))
        self.assertIsNotNone(Notice.objects.get(user=self.bob).read_at)  # read state kept
        summary = notices.remind(date(2027, 1, 11))  # carol's cause has passed
        self.assertEqual(summary.removed, 1)
        self.assertFalse(Notice.objects.filter(user=self.carol).exists())

    def test_each_user_sees_and_marks_only_his_own(self):
        self.due = [
            notices.Due(self.bob.pk, "t:1", "测试", "鲍勃的提醒"),
            notices.Due(self.eve.pk, "t:1", "测试", "伊芙的提醒"),
        ]
        notices.remind(date(2027, 1, 1))
        self.login(self.bob)
        page = self.client.get("/notices/").content.decode()
        self.assertIn("鲍勃的提醒", page)
        self.assertNotIn("伊芙的提醒", page)
        eves = Notice.objects.get(user=self.eve)
        self.client.post("/notices/read/", {"pk": eves.pk})
        eves.refresh_from_db()
        self.assertIsNone(eves.read_at)
        self.client.post("/notices/read/")
        self.assertIsNotNone(Notice.objects.get(user=self.bob).read_at)
        self.assertIsNone(Notice.objects.get(user=self.eve).read_at)

    def test_the_navbar_shows_the_unread_count(self):
        self.due = [notices.Due(self.bob.pk, "t:1", "测试", "x")]
        notices.remind(date(2027, 1, 1))
        self.login(self.bob)
        page = self.client.get("/").content.decode()
        self.assertIn('text-bg-danger">1</span>', page)

    def test_the_command_reports_and_checks_its_date(self):
        self.due = [notices.Due(self.bob.pk, "t:1", "测试", "x")]
        out = io.StringIO()
        call_command("remind", date="2027-01-01", stdout=out)
        self.assertIn("新增提醒 1 条", out.getvalue())
        with self.assertRaisesMessage(CommandError, "YYYY-MM-DD"):
            call_command("remind", date="2027/01/01", stdout=out)
