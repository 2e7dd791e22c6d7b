"""The stall light (红黄绿灯): green until the programme's yellow days pass without progress,
then yellow, then red; any progress (a stage change, a task, a blocker, a follow-up note)
turns it green again; an ended project shows 已终止 and a finished one 已完成. The queryset
annotation and `light_of` give the same answer."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import time_machine

from guazhi.programmes.models import Programme

from .. import services
from ..models import Light, Project
from .helpers import ProjectsTestCase

FOUND = date(2027, 6, 1)


def on(day: date):
    return time_machine.travel(day, tick=False)


def after(days: int) -> date:
    return FOUND + timedelta(days=days)


class StallLightTests(ProjectsTestCase):
    def setUp(self):
        with on(FOUND):
            self.project = self.lead(day=FOUND)

    def light(self, day: date, project=None) -> str:
        """light_of on a fresh copy, checked against the annotation."""
        project = Project.objects.get(pk=(project or self.project).pk)
        with on(day):
            single = services.light_of(project)
            annotated = services.with_light(Project.objects.filter(pk=project.pk)).get().light
        self.assertEqual(single, annotated, f"light_of and with_light disagree on {day}")
        return single

    def test_green_turns_yellow_at_exactly_the_yellow_days_and_red_at_the_red_days(self):
        self.assertEqual(self.light(after(0)), Light.GREEN)
        self.assertEqual(self.light(after(29)), Light.GREEN)
        self.assertEqual(self.light(after(30)), Light.YELLOW)
        self.assertEqual(self.light(after(59)), Light.YELLOW)
        self.assertEqual(self.light(after(60)), Light.RED)
        self.assertEqual(self.light(after(200)), Light.RED)
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual(services.idle_days(project, after(60)), 60)

    def test_the_thresholds_are_the_programmes_own(self):
        services.policy_save(
            programme=self.programme,
            by=self.alice,
            yellow_days=7,
            red_days=14,
            blocker_days=7,
            termination_reasons="其他",
        )
        other = Programme.objects.create(name="京沈合作（另一项目）", owner_unit=self.city)
        with on(FOUND):
            elsewhere = services.project_create(
                by=self.alice,
                programme=other,
                title="另一项目的线索",
                sector="agriculture",
                district="和平区",
                unit=self.heping,
                owner=self.dave,
                found_on=FOUND,
                channel="visit",
            )
        self.assertEqual(self.light(after(6)), Light.GREEN)
        self.assertEqual(self.light(after(7)), Light.YELLOW)
        self.assertEqual(self.light(after(14)), Light.RED)
        # The other programme has no policy row: the defaults (30 and 60 days) apply.
        self.assertEqual(self.light(after(14), elsewhere), Light.GREEN)
        self.assertEqual(self.light(after(30), elsewhere), Light.YELLOW)
        self.assertEqual(self.light(after(60), elsewhere), Light.RED)

    def assertProgressResets(self, act):
        """At day 70 the project is red; `act` there turns it green."""
        self.assertEqual(self.light(after(70)), Light.RED)
        with on(after(70)):
            act()
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual(project.last_progress_on, after(70))
        self.assertEqual(self.light(after(70)), Light.GREEN)
        self.assertEqual(self.light(after(100)), Light.YELLOW)

    def test_a_stage_change_resets_the_light(self):
        with on(FOUND):
            self.with_task_force(self.project)
        self.assertProgressResets(
            lambda: services.stage_move(project=self.project, to_stage=self.s_force, by=self.alice)
        )

    def test_a_move_dated_earlier_counts_from_its_own_date(self):
        with on(FOUND):
            self.with_task_force(self.project)
        with on(after(70)):
            services.stage_move(
                project=self.project, to_stage=self.s_force, by=self.alice, day=after(40)
            )
        self.assertEqual(self.light(after(70)), Light.YELLOW)

    def test_a_new_task_resets_the_light(self):
        self.assertProgressResets(
            lambda: services.task_create(
                project=self.project,
                by=self.alice,
                title="走访企业总部",
                owner=self.dave,
                deadline=after(80),
            )
        )

    def test_an_updated_task_resets_the_light(self):
        with on(FOUND):
            task = services.task_create(
                project=self.project,
                by=self.alice,
                title="走访企业总部",
                owner=self.dave,
                deadline=after(10),
            )
        self.assertProgressResets(
            lambda: services.task_update(task=task, by=self.dave, status="doing")
        )

    def test_a_raised_blocker_resets_the_light(self):
        self.assertProgressResets(
            lambda: services.blocker_raise(
                project=self.project, by=self.alice, title="用地指标不足", owner=self.bob
            )
        )

    def test_working_on_a_blocker_resets_the_light(self):
        with on(FOUND):
            blocker = services.blocker_raise(
                project=self.project, by=self.alice, title="用地指标不足", owner=self.bob
            )
        self.assertProgressResets(
            lambda: services.blocker_respond(blocker=blocker, by=self.bob, note="已协调自然资源局")
        )

    def test_a_follow_up_note_resets_the_light(self):
        self.assertProgressResets(
            lambda: services.update_add(
                project=self.project, by=self.dave, day=after(70), content="电话回访企业"
            )
        )

    def test_a_late_entered_note_about_an_old_day_counts_from_that_day(self):
        with on(after(70)):
            services.update_add(
                project=self.project, by=self.dave, day=after(35), content="补记：走访企业"
            )
        self.assertEqual(self.light(after(70)), Light.YELLOW)
        # An older note never moves the progress date back.
        with on(after(70)):
            services.update_add(
                project=self.project, by=self.dave, day=after(5), content="补记：初次接触"
            )
        self.assertEqual(Project.objects.get(pk=self.project.pk).last_progress_on, after(35))

    def test_a_terminated_project_shows_ended_and_a_finished_one_done(self):
        with on(FOUND):
            finished = self.lead("已投产项目", day=FOUND)
            self.with_task_force(finished)
            services.stage_move(
                project=finished,
                to_stage=self.s_prod,
                by=self.alice,
                evidence={
                    "signed_on": FOUND,
                    "signed_amount": Decimal(100),
                    "landed_on": FOUND,
                    "landed_amount": Decimal(100),
                    "landing_form": "started",
                    "production_on": FOUND,
                },
            )
            services.project_terminate(
                project=self.project, by=self.alice, reason="其他", note="企业撤回"
            )
        for days in (0, 45, 300):
            self.assertEqual(self.light(after(days)), Light.ENDED)
            self.assertEqual(self.light(after(days), finished), Light.DONE)

    def test_the_annotation_and_light_of_agree_on_a_mixed_set(self):
        ages = {"刚发现": 1, "快黄灯": 29, "黄灯": 30, "快红灯": 59, "红灯": 60, "久未推进": 150}
        today = date(2027, 12, 1)
        with on(today):
            for title, age in ages.items():
                self.lead(title, day=today - timedelta(days=age))
            ended = self.lead("已终止", day=today - timedelta(days=150))
            services.project_terminate(project=ended, by=self.alice, reason="其他", note="撤回")
        with on(today):
            annotated = dict(
                services.with_light(Project.objects.all()).values_list("title", "light")
            )
            single = {p.title: services.light_of(p) for p in Project.objects.all()}
        self.assertEqual(annotated, single)
        self.assertEqual(
            annotated,
            {
                "智慧农业示范园": Light.RED,  # found 2027-06-01
                "刚发现": Light.GREEN,
                "快黄灯": Light.GREEN,
                "黄灯": Light.YELLOW,
                "快红灯": Light.YELLOW,
                "红灯": Light.RED,
                "久未推进": Light.RED,
                "已终止": Light.ENDED,
            },
        )

    def test_a_red_project_leaves_the_red_list_when_it_moves_or_is_terminated(self):
        with on(FOUND):
            other = self.lead("另一个红灯项目", day=FOUND)
            self.with_task_force(self.project)

        def red():
            with on(after(90)):
                return set(
                    services.with_light(Project.objects.all())
                    .filter(light=Light.RED)
                    .values_list("title", flat=True)
                )

        self.assertEqual(red(), {"智慧农业示范园", "另一个红灯项目"})
        with on(after(90)):
            services.stage_move(project=self.project, to_stage=self.s_force, by=self.alice)
        self.assertEqual(red(), {"另一个红灯项目"})
        with on(after(90)):
            services.project_terminate(
                project=other, by=self.alice, reason="被其他地区引走", note="企业落户外省"
            )
        self.assertEqual(red(), set())
