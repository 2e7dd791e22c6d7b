"""Two people changing the same project: every edit form and API write carries the version
(lock_version) it was loaded with; the second of two saves from the same version is refused
with who changed the project and when, and the project keeps the first one's values — the
same for a form opened before a stage change, a termination or another move. Without a
version the API writes as before (documented)."""

from __future__ import annotations

import re
from datetime import date

import time_machine
from django.test import Client

from guazhi.core.versioning import StaleEdit

from .. import services
from ..models import Project, StageChange
from .helpers import ProjectsTestCase
from .test_api import ProjectsApiCase

TODAY = date(2027, 10, 1)
PROJECTS = "/api/v1/projects/"


def shown_version(response) -> str:
    """The lock_version hidden in a page's form."""
    found = re.search(r'name="lock_version" value="(\d+)"', response.content.decode())
    assert found, "the form carries no lock_version"
    return found.group(1)


@time_machine.travel(TODAY, tick=False)
class ProjectEditFormTests(ProjectsTestCase):
    def setUp(self):
        self.project = self.lead()
        self.alice_client = self.login(self.alice, Client())
        self.bob_client = self.login(self.bob, Client())

    def edit_data(self, version, **changes):
        p = self.project
        data = {
            "title": p.title,
            "enterprise": p.enterprise_id,
            "sector": p.sector,
            "district": p.district,
            "unit": p.unit_id,
            "owner": p.owner_id,
            "channel": p.channel,
            "source_note": p.source_note,
            "planned_amount": p.planned_amount,
            "batch": p.batch_id or "",
            "description": p.description,
            "lock_version": version,
        }
        return {**data, **changes}

    def url(self, action="edit"):
        return f"/projects/{self.project.pk}/{action}/"

    def test_two_officers_edit_the_same_project_and_the_second_save_is_refused(self):
        alice_form = self.alice_client.get(self.url())
        bob_form = self.bob_client.get(self.url())
        loaded = shown_version(alice_form)
        self.assertEqual(loaded, shown_version(bob_form))

        first = self.alice_client.post(self.url(), self.edit_data(loaded, title="智慧农业园一期"))
        self.assertRedirects(first, f"/projects/{self.project.pk}/", fetch_redirect_response=False)
        second = self.bob_client.post(self.url(), self.edit_data(loaded, title="智慧农业园二期"))

        self.assertEqual(second.status_code, 200)
        self.assertContains(second, "已被 艾丽丝 于")  # who (alice's full name) and when
        self.assertContains(second, "您的修改未保存")
        self.assertContains(second, 'value="智慧农业园二期"')  # bob's input is kept
        self.project.refresh_from_db()
        self.assertEqual(self.project.title, "智慧农业园一期")

    def test_the_second_officer_saves_after_reloading_the_form(self):
        loaded = shown_version(self.alice_client.get(self.url()))
        self.alice_client.post(self.url(), self.edit_data(loaded, title="智慧农业园一期"))
        reloaded = shown_version(self.bob_client.get(self.url()))
        self.assertNotEqual(reloaded, loaded)
        again = self.bob_client.post(self.url(), self.edit_data(reloaded, title="智慧农业园二期"))
        self.assertEqual(again.status_code, 302)
        self.project.refresh_from_db()
        self.assertEqual(self.project.title, "智慧农业园二期")

    def test_an_edit_form_opened_before_a_stage_change_is_refused(self):
        loaded = shown_version(self.bob_client.get(self.url()))
        self.with_task_force(self.project)
        services.stage_move(
            project=self.project, to_stage=self.s_force, by=self.alice, day=date(2027, 9, 1)
        )
        stale = self.bob_client.post(self.url(), self.edit_data(loaded, title="改名"))
        self.assertContains(stale, "您的修改未保存")
        self.assertEqual(Project.objects.get(pk=self.project.pk).title, "智慧农业示范园")

    def test_a_move_form_opened_before_another_move_is_refused_and_the_history_has_one_step(self):
        self.with_task_force(self.project)
        url = self.url("move") + f"?to={self.s_force.pk}"
        alice_loaded = shown_version(self.alice_client.get(url))
        bob_loaded = shown_version(self.bob_client.get(url))
        move = {"to_stage": self.s_force.pk, "day": "2027-09-01", "note": ""}
        first = self.alice_client.post(self.url("move"), {**move, "lock_version": alice_loaded})
        self.assertEqual(first.status_code, 302)
        second = self.bob_client.post(
            self.url("move"),
            {**move, "to_stage": self.s_talk.pk, "lock_version": bob_loaded},
        )
        self.assertContains(second, "您的修改未保存")
        self.assertEqual(Project.objects.get(pk=self.project.pk).stage, self.s_force)
        self.assertEqual(self.project.history.filter(kind=StageChange.Kind.ADVANCE).count(), 1)

    def test_a_termination_form_opened_before_a_move_is_refused(self):
        self.with_task_force(self.project)
        loaded = shown_version(self.bob_client.get(self.url("terminate")))
        services.stage_move(
            project=self.project, to_stage=self.s_force, by=self.alice, day=date(2027, 9, 1)
        )
        reason = services.policy_for(self.programme).reasons()[0]
        stale = self.bob_client.post(
            self.url("terminate"),
            {"reason": reason, "note": "企业撤资", "day": "2027-09-02", "lock_version": loaded},
        )
        self.assertContains(stale, "您的修改未保存")
        self.assertEqual(Project.objects.get(pk=self.project.pk).status, Project.Status.ACTIVE)

    def test_an_edit_raises_the_version_and_a_stale_service_call_is_refused(self):
        loaded = Project.objects.get(pk=self.project.pk).lock_version
        services.project_update(project=self.project, by=self.alice, title="一期")
        after_edit = Project.objects.get(pk=self.project.pk).lock_version
        self.assertGreater(after_edit, loaded)
        with self.assertRaises(StaleEdit):
            services.project_update(
                project=Project.objects.get(pk=self.project.pk),
                by=self.bob,
                title="二期",
                lock_version=loaded,
            )
        self.assertEqual(Project.objects.get(pk=self.project.pk).title, "一期")


class ProjectApiVersionTests(ProjectsApiCase):
    def setUp(self):
        self.project = self.lead()
        self.url = f"{PROJECTS}{self.project.pk}/"

    def test_the_api_shows_the_version_and_refuses_a_stale_patch_with_409(self):
        loaded = self.ok(self.api(self.alice, "get", self.url))["lock_version"]
        first = self.ok(
            self.api(self.alice, "patch", self.url, {"title": "一期", "lock_version": loaded})
        )
        self.assertGreater(first["lock_version"], loaded)
        second = self.api(self.bob, "patch", self.url, {"title": "二期", "lock_version": loaded})
        self.assertEqual(second.status_code, 409)
        self.assertIn("已被 艾丽丝 于", second.json()["detail"])
        self.assertIn("您的修改未保存", second.json()["detail"])
        self.assertEqual(Project.objects.get(pk=self.project.pk).title, "一期")

    def test_a_patch_with_the_current_version_saves(self):
        loaded = self.ok(self.api(self.bob, "get", self.url))["lock_version"]
        body = self.ok(
            self.api(self.bob, "patch", self.url, {"title": "二期", "lock_version": loaded})
        )
        self.assertEqual(body["title"], "二期")

    def test_a_patch_without_a_version_saves_unchecked_as_documented(self):
        self.api(self.alice, "patch", self.url, {"title": "一期"})
        body = self.ok(self.api(self.bob, "patch", self.url, {"title": "二期"}))
        self.assertEqual(body["title"], "二期")

    def test_a_move_from_a_stale_version_is_409_and_leaves_no_history(self):
        self.with_task_force(self.project)
        loaded = self.ok(self.api(self.alice, "get", self.url))["lock_version"]
        self.ok(self.move(self.alice, self.project, self.s_force, lock_version=loaded))
        stale = self.move(self.bob, self.project, self.s_talk, lock_version=loaded)
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(Project.objects.get(pk=self.project.pk).stage, self.s_force)
        self.assertEqual(self.project.history.count(), 2)  # created, one advance

    def test_a_bad_version_is_a_400_on_its_field(self):
        response = self.api(self.alice, "patch", self.url, {"lock_version": "x"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("lock_version", response.json())
