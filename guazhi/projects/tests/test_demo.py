"""The projects demo tells the seed's story (SPEC §6, issue 7): 360 京沈 projects over every
stage and light, the summit that signed 6 projects on one day and the 3亿元 agricultural project
that landed about six months after the talks began — and every row obeys the services' rules,
as if a user had entered it. Loaded on a fixed day (DAY) with time frozen."""

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.db.models import Max
from django.test import TestCase
from django.utils import timezone

from guazhi.assessment import sources as assessment_sources
from guazhi.cadres import demo as cadres_demo
from guazhi.core import demo as core_demo
from guazhi.core import notices
from guazhi.core.models import Notice, User
from guazhi.programmes.models import Placement, Programme
from guazhi.returns import demo as returns_demo
from guazhi.selection import demo as selection_demo

from .. import demo, services
from ..models import (
    Blocker,
    Credit,
    Enterprise,
    EnterpriseContact,
    Event,
    Light,
    Project,
    ProjectUpdate,
    Stage,
    StageChange,
    Task,
    TaskForceMember,
)

DAY = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.get_fixed_timezone(480))
TODAY = DAY.date()


class ProjectsDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        with time_machine.travel(DAY, tick=False):
            core_demo.load()
            cadres_demo.load()
            selection_demo.load()
            returns_demo.load()
            cls.counts = demo.load()
        cls.programme = Programme.objects.get(name=demo.PROGRAMME)
        cls.ganbu = User.objects.get(username="ganbu")
        cls.stages = {s.order: s for s in Stage.objects.filter(programme=cls.programme)}

    def lit(self):
        return services.with_light(Project.objects.all(), today=TODAY)

    def test_the_programme_has_the_seeds_360_projects_from_the_four_batches(self):
        self.assertEqual(Project.objects.filter(programme=self.programme).count(), 360)
        by_batch = Counter(Project.objects.values_list("batch__number", flat=True))
        self.assertEqual(by_batch, {1: 70, 2: 80, 3: 90, 4: 120})
        self.assertEqual(self.counts["projects"], 360)

    def test_projects_stand_in_every_stage_and_some_were_ended_with_a_reason(self):
        active = Counter(
            Project.objects.filter(status=Project.Status.ACTIVE).values_list(
                "stage__name", flat=True
            )
        )
        for name in ["线索", "专班", "洽谈", "签约", "落地", "投产"]:
            self.assertGreaterEqual(active[name], 10, name)
        ended = Project.objects.filter(status=Project.Status.TERMINATED)
        reasons = services.policy_for(self.programme).reasons()
        self.assertGreaterEqual(ended.count(), 30)
        for project in ended:
            self.assertIn(project.terminated_reason, reasons)
            self.assertTrue(project.terminated_note)
        # Some were reopened after an end, some moved back a stage with a note.
        self.assertTrue(StageChange.objects.filter(kind=StageChange.Kind.REOPEN).exists())
        backs = StageChange.objects.filter(kind=StageChange.Kind.BACK)
        self.assertTrue(backs.exists())
        self.assertFalse(backs.filter(note="").exists())

    def test_active_projects_show_every_light_and_red_ones_reach_ganbu_and_duizhang(self):
        lights = Counter(self.lit().values_list("light", flat=True))
        for light in Light.values:
            self.assertGreaterEqual(lights[light], 10, light)
        ganbu_red = self.lit().filter(owner=self.ganbu, light=Light.RED)
        self.assertGreaterEqual(ganbu_red.count(), 2)
        self.assertTrue(self.lit().filter(batch__number=4, light=Light.RED).exists())
        notices.remind(TODAY)
        for username in ("ganbu", "duizhang", "zzb"):
            self.assertTrue(
                Notice.objects.filter(user__username=username, url__contains="/projects/")
                .filter(text__contains="红灯")
                .exists(),
                username,
            )

    def test_the_summit_signed_exactly_six_projects_on_its_day(self):
        summit = Event.objects.get(name="京沈科创产业生态共同体峰会")
        self.assertEqual(summit.kind, Event.Kind.SUMMIT)
        signed = Project.objects.filter(signed_event=summit)
        self.assertEqual(signed.count(), 6)
        self.assertEqual(set(signed.values_list("signed_on", flat=True)), {summit.date})
        self.assertEqual(set(signed.values_list("batch__number", flat=True)), {3})
        self.assertEqual(set(signed.values_list("district", flat=True)), {"浑南区"})
        self.assertEqual(Project.objects.filter(signed_on=summit.date).count(), 6)
        moves = StageChange.objects.filter(event=summit, to_stage=self.stages[4])
        self.assertEqual(moves.count(), 6)

    def test_the_3亿元_agricultural_project_landed_six_months_after_the_talks_began(self):
        big = Project.objects.get(title=demo.BIG_TITLE)
        self.assertEqual(big.sector, "agriculture")
        self.assertEqual(big.found_by.user, self.ganbu)
        self.assertEqual(big.owner, self.ganbu)
        self.assertEqual(big.unit.code, "SY-NYNC")
        self.assertEqual(big.signed_amount, Decimal(30000))
        self.assertEqual(big.landed_amount, Decimal(30000))
        self.assertEqual(big.stage.name, "落地")
        talks = big.history.get(to_stage=self.stages[3]).date
        self.assertTrue(170 <= (big.landed_on - talks).days <= 200, big.landed_on - talks)
        roles = set(big.credits.filter(cadre__user=self.ganbu).values_list("role", flat=True))
        self.assertEqual(roles, {Credit.Role.FOUND, Credit.Role.DROVE})
        blocker = big.blockers.get()
        self.assertEqual(blocker.status, Blocker.Status.RESOLVED)
        self.assertIsNotNone(blocker.escalated_at)
        self.assertEqual(Enterprise.objects.get(name=demo.BIG_ENTERPRISE), big.enterprise)
        self.assertEqual(services.light_of(big, TODAY), Light.GREEN)

    def test_every_history_replays_to_the_projects_stage_dates_and_light(self):
        history = {}
        for change in StageChange.objects.select_related("from_stage", "to_stage").order_by(
            "date", "pk"
        ):
            history.setdefault(change.project_id, []).append(change)
        progress = Counter()
        for model, field in ((ProjectUpdate, "date"), (Task, "done_on")):
            for pid, day in model.objects.values_list("project_id", field).exclude(
                **{f"{field}__isnull": True}
            ):
                progress[pid] = max(progress.get(pid) or day, day)
        for project in Project.objects.select_related("stage"):
            changes = history[project.pk]
            first = changes[0]
            self.assertEqual(
                (first.kind, first.date, first.to_stage.order),
                (StageChange.Kind.CREATE, project.found_on, 1),
            )
            stage, entered, status, reached = first.to_stage, first.date, "active", 1
            for change in changes[1:]:
                self.assertEqual(change.from_stage, stage, project.title)
                if change.kind == StageChange.Kind.REOPEN:
                    self.assertEqual(status, "terminated")
                    status, entered = "active", change.date
                    continue
                self.assertEqual(status, "active", project.title)
                self.assertEqual(change.days_in_from, (change.date - entered).days)
                if change.kind == StageChange.Kind.TERMINATE:
                    status = "terminated"
                    continue
                forward = change.to_stage.order > stage.order
                self.assertEqual(change.kind == StageChange.Kind.ADVANCE, forward)
                if not forward:
                    self.assertTrue(change.note)
                stage, entered = change.to_stage, change.date
                reached = max(reached, stage.order)
            self.assertEqual(
                (project.stage, project.stage_entered_on, project.status, project.reached_order),
                (stage, entered, status, reached),
                project.title,
            )
            self.assertEqual(project.is_finished, stage.order == 6 and status == "active")
            last = max([c.date for c in changes] + [progress.get(project.pk) or first.date])
            self.assertEqual(project.last_progress_on, last, project.title)
            self.assertLessEqual(last, TODAY)

    def test_every_project_has_the_evidence_and_task_force_its_stages_ask_for(self):
        with time_machine.travel(DAY, tick=False):
            for project in Project.objects.select_related("stage", "programme"):
                kinds = [
                    s.evidence
                    for order, s in self.stages.items()
                    if 1 < order <= project.reached_order and s.evidence
                ]
                errors = services._check_evidence(
                    project, kinds, services.Evidence(), project.stage_entered_on
                )
                self.assertEqual(errors, {}, project.title)
            leads = TaskForceMember.objects.filter(role=TaskForceMember.Role.LEAD)
            self.assertFalse(
                Project.objects.filter(reached_order__gte=2).exclude(members__in=leads).exists()
            )

    def test_enterprises_carry_valid_unique_credit_codes_and_encrypted_contacts(self):
        codes = list(Enterprise.objects.values_list("credit_code", flat=True))
        self.assertGreaterEqual(len(codes), 100)
        self.assertEqual(len(set(codes)), len(codes))
        for code in codes:
            self.assertEqual(services.check_credit_code(code), code)
        for contact in EnterpriseContact.objects.all():
            self.assertNotIn(contact.mobile, contact.mobile_encrypted)
            self.assertRegex(contact.mobile, r"^1\d{10}$")
            self.assertEqual(
                contact.mobile_masked, contact.mobile[:3] + "****" + contact.mobile[7:]
            )

    def test_blockers_and_tasks_are_consistent_and_some_wait_on_the_green_channel(self):
        waiting = Blocker.objects.filter(status=Blocker.Status.ESCALATED)
        self.assertGreaterEqual(waiting.count(), 5)
        for blocker in Blocker.objects.select_related("project"):
            self.assertLessEqual(blocker.raised_at.date(), blocker.project.last_progress_on)
            if blocker.responded_at:
                self.assertGreaterEqual(blocker.responded_at, blocker.raised_at)
            if blocker.escalated_at:
                self.assertGreaterEqual(blocker.escalated_at, blocker.responded_at)
                self.assertTrue(blocker.escalation_note)
            if blocker.status == Blocker.Status.RESOLVED:
                self.assertTrue(blocker.resolution)
                self.assertGreaterEqual(blocker.resolved_at, blocker.responded_at)
        times = services.blocker_times(Blocker.objects.all())
        self.assertTrue(times)
        self.assertTrue(
            Task.objects.filter(
                status__in=[Task.Status.TODO, Task.Status.DOING], deadline__lt=TODAY
            ).exists()
        )
        self.assertFalse(Task.objects.filter(status=Task.Status.CANCELLED, note="").exists())
        self.assertFalse(Task.objects.filter(status=Task.Status.DONE, done_on=None).exists())

    def test_credit_reaches_the_assessment_sources(self):
        placement = Placement.objects.get(cadre__user=self.ganbu, batch__number=4)
        found = Project.objects.filter(
            credits__cadre__user=self.ganbu, credits__role=Credit.Role.FOUND
        ).count()
        result = assessment_sources.compute_many(
            ["projects_leads", "amount_landed"], [placement], placement.start, TODAY
        )
        leads, _text = result["projects_leads"][placement.pk]
        landed, text = result["amount_landed"][placement.pk]
        self.assertEqual(leads, found)
        self.assertGreaterEqual(landed, Decimal(30000))
        self.assertIn(demo.BIG_TITLE, text)

    def test_the_funnel_counts_every_project_in_its_first_row(self):
        rows = services.funnel(Project.objects.all(), self.programme)
        self.assertEqual(rows[0].reached, 360)
        finished = Project.objects.aggregate(m=Max("reached_order"))["m"]
        self.assertEqual(finished, 6)

    def test_loading_twice_changes_nothing(self):
        before = (Project.objects.count(), StageChange.objects.count(), User.objects.count())
        with time_machine.travel(DAY + timedelta(days=1), tick=False):
            self.assertIsNone(demo.load())
        self.assertEqual(
            (Project.objects.count(), StageChange.objects.count(), User.objects.count()), before
        )
