"""Two stage changes of one project at the same moment (two sessions, committed rows): the
project's row is locked and each move judged on what it holds once it has the lock, so the
history never forks or repeats a step — the same move twice is made once and refused once; a
move from a version someone else has changed meanwhile is refused; two different moves
without versions are made one after the other, the second starting where the first ended.

PostgreSQL only for the threads (SQLite has one writer and no row locks); the same refusals
without threads run on both databases in test_concurrent_edits.py."""

from __future__ import annotations

import threading
import time
from datetime import date

from django.db import connection, connections, transaction
from django.test import TransactionTestCase

from guazhi.core.models import OrgUnit, User
from guazhi.core.versioning import StaleEdit
from guazhi.programmes.models import Programme

from .. import services
from ..models import Project, ProjectPolicy, Stage, StageChange

MARK = "并发阶段测试"
FOUND = date(2026, 1, 5)


class ConcurrentStageChangeTests(TransactionTestCase):
    def setUp(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only: two sessions holding row locks")
        self.unit = OrgUnit.objects.create(code="STAGE-RACE", name=MARK, kind="sending")
        self.alice = User.objects.create(username="stage-race-a", unit=self.unit)
        self.bob = User.objects.create(username="stage-race-b", unit=self.unit)
        self.programme = Programme.objects.create(name=MARK, owner_unit=self.unit)
        self.first, self.second, self.third = (
            Stage.objects.create(programme=self.programme, order=i, name=name)
            for i, name in enumerate(("线索", "洽谈", "签约前"), start=1)
        )
        self.project = Project.objects.create(
            programme=self.programme,
            title=MARK,
            sector="agriculture",
            district="和平区",
            unit=self.unit,
            found_on=FOUND,
            channel="visit",
            owner=self.alice,
            stage=self.first,
            stage_entered_on=FOUND,
            reached_order=1,
            last_progress_on=FOUND,
            created_by=self.alice,
        )

    def _fixture_teardown(self):
        # Not Django's flush (the audit log's append-only trigger refuses it): remove only
        # what setUp and the test committed.
        StageChange.objects.filter(project__title=MARK).delete()
        Project.objects.filter(title=MARK).delete()
        Stage.objects.filter(programme__name=MARK).delete()
        ProjectPolicy.objects.filter(programme__name=MARK).delete()
        Programme.objects.filter(name=MARK).delete()
        User.objects.filter(username__startswith="stage-race-").delete()
        OrgUnit.objects.filter(code="STAGE-RACE").delete()

    def race(self, first_move, second_move):
        """Run `first_move` in a transaction that stays open 0.5 s after the move, and
        `second_move` as soon as the first has moved (so it waits on the project's row).
        Returns what each returned or raised."""
        moved = threading.Event()
        outcome: dict[str, object] = {}

        def first():
            try:
                with transaction.atomic():
                    outcome["first"] = first_move()
                    moved.set()
                    time.sleep(0.5)
            except Exception as exc:  # noqa: BLE001 — asserted by the test
                outcome["first"] = exc
                moved.set()
            finally:
                connections.close_all()

        def second():
            moved.wait(timeout=5)
            try:
                with transaction.atomic():
                    outcome["second"] = second_move()
            except Exception as exc:  # noqa: BLE001
                outcome["second"] = exc
            finally:
                connections.close_all()

        started = time.monotonic()
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        outcome["waited"] = time.monotonic() - started
        return outcome

    def move(self, to, by, **kwargs):
        return lambda: services.stage_move(project=self.project, to_stage=to, by=by, **kwargs)

    def history(self):
        return list(
            StageChange.objects.filter(project=self.project)
            .order_by("pk")
            .values_list("kind", "from_stage__name", "to_stage__name")
        )

    def test_the_same_move_twice_at_once_is_made_once_and_refused_once(self):
        outcome = self.race(self.move(self.second, self.alice), self.move(self.second, self.bob))
        self.assertIsInstance(outcome["first"], StageChange)
        self.assertIsInstance(outcome["second"], services.ProjectError)
        self.assertIn("已处于“洽谈”阶段", str(outcome["second"]))
        self.assertGreaterEqual(outcome["waited"], 0.5)  # the second waited for the lock
        self.assertEqual(self.history(), [("advance", "线索", "洽谈")])

    def test_two_moves_from_the_same_version_are_one_move_and_one_conflict(self):
        loaded = Project.objects.get(pk=self.project.pk).lock_version
        outcome = self.race(
            self.move(self.second, self.alice, lock_version=loaded),
            self.move(self.third, self.bob, lock_version=loaded),
        )
        self.assertIsInstance(outcome["first"], StageChange)
        self.assertIsInstance(outcome["second"], StaleEdit)
        self.assertIn("您的修改未保存", str(outcome["second"]))
        self.assertEqual(self.history(), [("advance", "线索", "洽谈")])
        self.assertEqual(Project.objects.get(pk=self.project.pk).stage, self.second)

    def test_two_different_moves_without_versions_follow_each_other_in_the_history(self):
        outcome = self.race(self.move(self.second, self.alice), self.move(self.third, self.bob))
        self.assertIsInstance(outcome["first"], StageChange)
        self.assertIsInstance(outcome["second"], StageChange)
        # The second started where the first ended: no step from 线索 twice.
        self.assertEqual(
            self.history(), [("advance", "线索", "洽谈"), ("advance", "洽谈", "签约前")]
        )
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual((project.stage, project.reached_order), (self.third, 3))

    def test_an_edit_waiting_behind_a_move_is_refused_not_written_over_it(self):
        loaded = Project.objects.get(pk=self.project.pk)
        outcome = self.race(
            self.move(self.second, self.alice),
            lambda: services.project_update(
                project=loaded, by=self.bob, title=MARK, district="浑南区"
            ),
        )
        self.assertIsInstance(outcome["first"], StageChange)
        self.assertIsInstance(outcome["second"], StaleEdit)
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual((project.stage, project.district), (self.second, "和平区"))
