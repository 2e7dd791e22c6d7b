"""The daily reminders (reminders.due): a red project to its owner, to its batch's team leader
and, counted, to the organisation departments whose scope covers it; an overdue task or
blocker to its owner; the green channel's waiting blockers to whoever watches it."""

from __future__ import annotations

from datetime import date

import time_machine

from guazhi.testing import make_user

from .. import reminders, services
from ..models import Blocker, Project, Task
from .helpers import ProjectsTestCase

TODAY = date(2027, 10, 1)
SET_UP = date(2027, 9, 25)


class ReminderTests(ProjectsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.leo = make_user("leo", cls.city, "leader", full_name="利奥")
        with time_machine.travel(SET_UP, tick=False):
            cls.red_hp = cls.lead("和平红灯项目")  # dave's, found by 王晓明 (batch 5)
            cls.red_hn = cls.lead(
                "浑南红灯项目", found_by=cls.li, unit=cls.hunnan, owner=cls.lily, district="浑南区"
            )
            cls.red_b6 = cls.lead(
                "市级红灯项目", found_by=cls.li, unit=cls.city, owner=cls.alice, batch=cls.batch6
            )
            cls.green = cls.lead("绿灯项目", unit=cls.heping_fgj)
            cls.late_task = services.task_create(
                project=cls.green,
                by=cls.alice,
                title="提交可研报告",
                owner=cls.carol,
                deadline=date(2027, 9, 30),
            )
            done = services.task_create(
                project=cls.green,
                by=cls.alice,
                title="已完成任务",
                owner=cls.carol,
                deadline=date(2027, 9, 26),
            )
            services.task_update(task=done, by=cls.carol, status=Task.Status.DONE)
            services.task_create(
                project=cls.green, by=cls.alice, title="今天到期", owner=cls.carol, deadline=TODAY
            )
            cls.late_blocker = services.blocker_raise(
                project=cls.green,
                by=cls.alice,
                title="用地指标",
                owner=cls.bob,
                deadline=date(2027, 9, 28),
            )
            resolved = services.blocker_raise(
                project=cls.green,
                by=cls.alice,
                title="已解决问题",
                owner=cls.bob,
                deadline=date(2027, 9, 26),
            )
            services.blocker_resolve(blocker=resolved, by=cls.bob, resolution="已办结")
            cls.escalated = services.blocker_raise(
                project=cls.green,
                by=cls.alice,
                title="跨部门审批",
                owner=cls.bob,
                deadline=date(2027, 10, 20),
            )
            services.blocker_escalate(blocker=cls.escalated, by=cls.bob, note="需市里协调")
        Project.objects.filter(pk__in=[cls.red_hp.pk, cls.red_hn.pk, cls.red_b6.pk]).update(
            last_progress_on=date(2027, 7, 1)
        )

    def due(self, day=TODAY) -> dict:
        return {(n.user_id, n.key): n for n in reminders.due(day)}

    def red_keys(self, notices) -> set:
        return {k for k in notices if k[1].startswith("projects:red")}

    def test_a_red_project_reaches_its_owner(self):
        notices = self.due()
        notice = notices[(self.dave.pk, f"projects:red:{self.red_hp.pk}")]
        self.assertEqual(notice.kind, "项目红灯")
        self.assertEqual(
            notice.text, "您负责的项目“和平红灯项目”已 92 天无进展（红灯），请推进或说明原因终止"
        )
        self.assertEqual(notice.url, f"/projects/{self.red_hp.pk}/")
        self.assertIn((self.lily.pk, f"projects:red:{self.red_hn.pk}"), notices)
        self.assertIn((self.alice.pk, f"projects:red:{self.red_b6.pk}"), notices)
        self.assertNotIn((self.dave.pk, f"projects:red:{self.green.pk}"), notices)

    def test_the_team_leader_gets_one_notice_per_batch_with_its_count(self):
        notices = self.due()
        tina = notices[(self.tina.pk, f"projects:red:batch:{self.batch.pk}")]
        self.assertEqual(tina.text, "工作队有 2 个项目亮红灯，请督促推进")
        self.assertEqual(tina.url, f"/projects/?light=red&batch={self.batch.pk}")
        tom = notices[(self.tom.pk, f"projects:red:batch:{self.batch6.pk}")]
        self.assertEqual(tom.text, "工作队有 1 个项目亮红灯，请督促推进")
        self.assertEqual(
            {k for k in self.red_keys(notices) if k[0] in (self.tina.pk, self.tom.pk)},
            {
                (self.tina.pk, f"projects:red:batch:{self.batch.pk}"),
                (self.tom.pk, f"projects:red:batch:{self.batch6.pk}"),
            },
        )

    def test_a_deputy_is_reminded_too(self):
        self.team.deputies.add(self.hugh)
        self.assertIn((self.hugh.pk, f"projects:red:batch:{self.batch.pk}"), self.due())

    def test_the_departments_get_the_count_in_their_scope(self):
        notices = self.due()
        counts = {
            user.username: notices[(user.pk, "projects:red:scope")].text
            for user in (self.alice, self.bob, self.eve)
        }
        self.assertEqual(
            counts,
            {
                "alice": "范围内有 3 个项目亮红灯，请督办",
                "bob": "范围内有 1 个项目亮红灯，请督办",  # 和平区's only
                "eve": "范围内有 1 个项目亮红灯，请督办",
            },
        )
        # Team leaders, cadres, the sending unit and leaders get no scope notice.
        for user in (self.tina, self.tom, self.dave, self.lily, self.carol, self.leo):
            with self.subTest(user=user.username):
                self.assertNotIn((user.pk, "projects:red:scope"), notices)

    def test_an_overdue_task_reaches_its_owner(self):
        notices = self.due()
        notice = notices[(self.carol.pk, f"projects:task:{self.late_task.pk}")]
        self.assertEqual(notice.text, "项目“绿灯项目”的任务“提交可研报告”已过完成时限")
        self.assertEqual(notice.due_on, date(2027, 9, 30))
        # Not the finished task, nor the one due today.
        self.assertEqual(
            [k for k in notices if k[1].startswith("projects:task:")],
            [(self.carol.pk, f"projects:task:{self.late_task.pk}")],
        )

    def test_an_overdue_blocker_reaches_its_owner(self):
        notices = self.due()
        notice = notices[(self.bob.pk, f"projects:blocker:{self.late_blocker.pk}")]
        self.assertEqual(notice.text, "项目“绿灯项目”的问题“用地指标”已过解决时限")
        self.assertEqual(
            [k for k in notices if k[1].startswith("projects:blocker:")],
            [(self.bob.pk, f"projects:blocker:{self.late_blocker.pk}")],
        )

    def test_escalated_blockers_reach_the_green_channels_watchers(self):
        notices = self.due()
        watchers = {k[0] for k in notices if k[1] == "projects:green"}
        self.assertEqual(watchers, {self.alice.pk, self.bob.pk, self.leo.pk})  # not eve
        self.assertEqual(
            notices[(self.leo.pk, "projects:green")].text, "绿色通道有 1 个问题待协调解决"
        )
        with time_machine.travel(TODAY, tick=False):
            services.blocker_resolve(blocker=self.escalated, by=self.bob, resolution="已协调")
        self.assertFalse([k for k in self.due() if k[1] == "projects:green"])

    def test_nothing_for_a_project_that_moved_or_ended(self):
        with time_machine.travel(TODAY, tick=False):
            self.with_task_force(self.red_hp)
            services.stage_move(project=self.red_hp, to_stage=self.s_force, by=self.alice)
            services.project_terminate(
                project=self.red_hn, by=self.eve, reason="其他", note="企业撤回"
            )
        notices = self.due()
        self.assertEqual(
            self.red_keys(notices),
            {
                (self.alice.pk, f"projects:red:{self.red_b6.pk}"),
                (self.tom.pk, f"projects:red:batch:{self.batch6.pk}"),
                (self.alice.pk, "projects:red:scope"),
            },
        )
        self.assertEqual(
            notices[(self.alice.pk, "projects:red:scope")].text, "范围内有 1 个项目亮红灯，请督办"
        )

    def test_a_yellow_project_is_not_reminded(self):
        notices = self.due(date(2027, 8, 15))  # 45 days after 07-01: yellow
        self.assertEqual(self.red_keys(notices), set())
        # Tasks and blockers are not yet due either.
        self.assertEqual([k for k in notices if k[1].split(":")[1] in ("task", "blocker")], [])
        self.assertEqual(Blocker.objects.filter(status="escalated").count(), 1)
