"""问题清单 and the green channel (绿色通道): a blocker gets the policy's default deadline, its
first response is timed once, escalation needs a reason and shows it to the organisation
department and leaders, resolution needs a note; the times are measured."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.core.exceptions import PermissionDenied

from guazhi.testing import make_user

from .. import access, services
from ..models import Blocker, Project, Task
from ..services import ProjectError
from .helpers import ProjectsTestCase

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 9) -> datetime:
    """2027-10-`day` `hour`:00 Beijing time."""
    return datetime(2027, 10, day, hour, tzinfo=SH)


def on(moment):
    return time_machine.travel(moment, tick=False)


class BlockerTests(ProjectsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.leo = make_user("leo", cls.city, "leader", full_name="利奥")
        with on(at(1)):
            cls.project = cls.lead()

    def raise_(self, title="用地指标不足", owner=None, **kwargs):
        return services.blocker_raise(
            project=self.project, by=self.dave, title=title, owner=owner or self.bob, **kwargs
        )

    def test_a_blocker_gets_the_policys_default_deadline(self):
        with on(at(1)):
            self.assertEqual(self.raise_().deadline, date(2027, 10, 8))
            services.policy_save(
                programme=self.programme,
                by=self.alice,
                yellow_days=30,
                red_days=60,
                blocker_days=3,
                termination_reasons="其他",
            )
            self.project = Project.objects.get(pk=self.project.pk)
            self.assertEqual(self.raise_("环评手续").deadline, date(2027, 10, 4))
            self.assertEqual(
                self.raise_("能耗指标", deadline=date(2027, 10, 20)).deadline, date(2027, 10, 20)
            )

    def test_a_deadline_in_the_past_or_no_title_is_refused(self):
        with on(at(1)):
            with self.assertRaises(ProjectError) as past:
                self.raise_(deadline=date(2027, 9, 30))
            with self.assertRaises(ProjectError) as untitled:
                self.raise_(title="  ")
        self.assertEqual((past.exception.field, untitled.exception.field), ("deadline", "title"))
        self.assertFalse(Blocker.objects.exists())

    def test_a_terminated_project_takes_no_new_blockers_or_tasks(self):
        with on(at(2)):
            services.project_terminate(
                project=self.project, by=self.alice, reason="其他", note="企业撤回"
            )
            self.project = Project.objects.get(pk=self.project.pk)
            with self.assertRaises(ProjectError):
                self.raise_()
            with self.assertRaises(ProjectError):
                services.task_create(
                    project=self.project,
                    by=self.alice,
                    title="回访",
                    owner=self.dave,
                    deadline=date(2027, 10, 9),
                )
        self.assertFalse(Blocker.objects.exists() or Task.objects.exists())

    def test_the_first_response_is_timed_once(self):
        with on(at(1, 9)):
            blocker = self.raise_()
        self.assertIsNone(blocker.response_hours)
        with on(at(1, 15)):
            services.blocker_respond(blocker=blocker, by=self.bob, note="已联系自然资源局")
        with on(at(3, 15)):
            services.blocker_respond(blocker=blocker, by=self.alice, note="自然资源局答复下周上会")
        blocker.refresh_from_db()
        self.assertEqual((blocker.responded_at, blocker.responded_by), (at(1, 15), self.bob))
        self.assertEqual(blocker.response_hours, 6.0)
        self.assertEqual(blocker.response_note, "自然资源局答复下周上会")
        self.assertEqual(blocker.status, Blocker.Status.OPEN)

    def test_a_response_needs_a_note(self):
        with on(at(1)):
            blocker = self.raise_()
            with self.assertRaises(ProjectError) as caught:
                services.blocker_respond(blocker=blocker, by=self.bob, note=" ")
        self.assertEqual(caught.exception.field, "note")
        blocker.refresh_from_db()
        self.assertIsNone(blocker.responded_at)

    def test_escalation_needs_a_note(self):
        with on(at(1)):
            blocker = self.raise_()
            with self.assertRaises(ProjectError) as caught:
                services.blocker_escalate(blocker=blocker, by=self.bob, note="")
        self.assertEqual(caught.exception.errors, {"note": "提交绿色通道须说明理由"})
        blocker.refresh_from_db()
        self.assertEqual((blocker.status, blocker.escalated_at), (Blocker.Status.OPEN, None))
        self.assertEqual(list(access.green_channel_for(self.alice)), [])

    def test_an_escalated_blocker_is_on_the_green_channel_of_the_department_and_leaders(self):
        with on(at(1, 9)):
            blocker = self.raise_()
        with on(at(2, 9)):
            services.blocker_escalate(blocker=blocker, by=self.bob, note="涉及跨部门用地调整")
        blocker.refresh_from_db()
        self.assertEqual(blocker.status, Blocker.Status.ESCALATED)
        self.assertEqual((blocker.escalated_at, blocker.escalated_by), (at(2, 9), self.bob))
        self.assertEqual(blocker.escalation_note, "涉及跨部门用地调整")
        # Escalating counts as the first response when nobody had answered.
        self.assertEqual((blocker.responded_at, blocker.response_hours), (at(2, 9), 24.0))
        for user in (self.alice, self.leo, self.bob):
            with self.subTest(user=user.username):
                self.assertEqual(list(access.green_channel_for(user)), [blocker])
        self.assertEqual(list(access.green_channel_for(self.eve)), [])  # another district
        for user in (self.dave, self.carol, self.hank):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                access.green_channel_for(user)
        self.assertTrue(access.sees_green_channel(self.leo))
        self.assertFalse(access.sees_green_channel(self.dave))

    def test_a_blocker_is_escalated_once_and_not_after_it_is_resolved(self):
        with on(at(1)):
            blocker = self.raise_()
            services.blocker_escalate(blocker=blocker, by=self.bob, note="跨部门")
            with self.assertRaises(ProjectError) as twice:
                services.blocker_escalate(blocker=blocker, by=self.bob, note="再次提交")
            self.assertEqual(str(twice.exception), "问题已在绿色通道中")
            other = self.raise_("环评")
            services.blocker_resolve(blocker=other, by=self.bob, resolution="已办结")
            with self.assertRaises(ProjectError):
                services.blocker_escalate(blocker=other, by=self.bob, note="跨部门")

    def test_resolving_needs_a_note_and_is_timed(self):
        with on(at(1, 9)):
            blocker = self.raise_()
        with on(at(4, 9)):
            with self.assertRaises(ProjectError) as caught:
                services.blocker_resolve(blocker=blocker, by=self.bob, resolution="")
            self.assertEqual(caught.exception.field, "resolution")
            blocker.refresh_from_db()
            self.assertEqual(blocker.status, Blocker.Status.OPEN)
            services.blocker_resolve(blocker=blocker, by=self.bob, resolution="已调剂用地指标")
        blocker.refresh_from_db()
        self.assertEqual(blocker.status, Blocker.Status.RESOLVED)
        self.assertEqual((blocker.resolved_at, blocker.resolved_by), (at(4, 9), self.bob))
        self.assertEqual(blocker.resolution_days, 3.0)
        self.assertEqual(blocker.response_hours, 72.0)  # resolving answered it too
        self.assertFalse(blocker.is_open)
        with on(at(5)), self.assertRaises(ProjectError):
            services.blocker_resolve(blocker=blocker, by=self.bob, resolution="再次")

    def test_blocker_times_on_a_known_set(self):
        # raised 10-01 09:00; answered after 2, 6 and 10 hours; two resolved after 1 and 3
        # days; one never answered; one escalated.
        with on(at(1, 9)):
            fast = self.raise_("一", deadline=date(2027, 10, 10))
            mid = self.raise_("二", deadline=date(2027, 10, 3))
            slow = self.raise_("三", deadline=date(2027, 10, 3))
            silent = self.raise_("四", deadline=date(2027, 10, 3))
        with on(at(1, 11)):
            services.blocker_respond(blocker=fast, by=self.bob, note="受理")
        with on(at(1, 15)):
            services.blocker_respond(blocker=mid, by=self.bob, note="受理")
        with on(at(1, 19)):
            services.blocker_escalate(blocker=slow, by=self.bob, note="跨部门")
        with on(at(2, 9)):
            services.blocker_resolve(blocker=fast, by=self.bob, resolution="办结")
        with on(at(4, 9)):
            services.blocker_resolve(blocker=mid, by=self.bob, resolution="办结")
        with on(at(5)):
            times = services.blocker_times(Blocker.objects.all())
        self.assertEqual(
            times,
            {
                "count": 4,
                "open": 2,
                "escalated_open": 1,
                "overdue": 2,  # 三 and 四, due 10-03
                "median_response_hours": 6.0,
                "median_resolution_days": 2.0,
                "unanswered": 1,
            },
        )
        self.assertEqual(
            [b.response_hours for b in (fast, mid, slow, silent)], [2.0, 6.0, 10.0, None]
        )
        with on(at(5)):
            one = services.blocker_times(Blocker.objects.filter(pk=fast.pk))
            none = services.blocker_times(Blocker.objects.none())
        self.assertEqual((one["median_response_hours"], one["median_resolution_days"]), (2.0, 1.0))
        self.assertEqual((none["count"], none["median_response_hours"]), (0, None))
