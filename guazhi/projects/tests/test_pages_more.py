"""Project pages beyond the walk-through: tasks, blockers and the green channel, events,
rules, exports, home cards, the profile card — and query counts that do not grow."""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta
from decimal import Decimal

import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from guazhi.core.models import AuditEntry
from guazhi.testing import make_user

from .. import services
from ..models import Blocker, Event, Project, ProjectPolicy, Stage, Task
from .helpers import ProjectsTestCase

TODAY = date(2027, 10, 1)


@time_machine.travel(TODAY, tick=False)
class TaskAndBlockerPageTests(ProjectsTestCase):
    def test_the_owner_reports_a_task_done_but_cannot_reassign_it(self):
        project = self.lead(owner=self.alice, found_by=self.wang)
        task = services.task_create(
            project=project, by=self.alice, title="对接用地", owner=self.dave, deadline=TODAY
        )
        self.login(self.dave)
        page = self.client.get(f"/projects/tasks/{task.pk}/")
        self.assertContains(page, "状态")
        self.assertNotContains(page, 'name="owner"')
        response = self.client.post(
            f"/projects/tasks/{task.pk}/", {"status": "done", "note": "已落实"}
        )
        self.assertRedirects(response, f"/projects/{project.pk}/")
        task.refresh_from_db()
        self.assertEqual((task.status, task.done_on), (Task.Status.DONE, TODAY))

    def test_someone_else_cannot_touch_a_task_he_does_not_own(self):
        project = self.lead(owner=self.alice, found_by=self.wang)
        task = services.task_create(
            project=project, by=self.alice, title="对接用地", owner=self.alice, deadline=TODAY
        )
        self.login(self.dave)  # sees the project (credited) but neither owns it nor the task
        self.assertEqual(self.client.get(f"/projects/{project.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/projects/tasks/{task.pk}/").status_code, 403)
        self.login(self.lily)
        self.assertEqual(self.client.get(f"/projects/tasks/{task.pk}/").status_code, 404)

    def test_a_blocker_goes_to_the_green_channel_where_leaders_see_it(self):
        project = self.lead()
        self.login(self.dave)
        response = self.client.post(
            f"/projects/{project.pk}/blockers/new/",
            {"title": "用地指标不足", "owner": self.dave.pk},
        )
        self.assertRedirects(response, f"/projects/{project.pk}/")
        blocker = Blocker.objects.get()
        self.assertEqual(blocker.deadline, TODAY + timedelta(days=7))
        response = self.client.post(
            f"/projects/blockers/{blocker.pk}/", {"action": "escalate", "note": "需市里协调用地"}
        )
        self.assertRedirects(response, f"/projects/blockers/{blocker.pk}/")
        blocker.refresh_from_db()
        self.assertEqual(blocker.status, Blocker.Status.ESCALATED)
        self.assertIsNotNone(blocker.responded_at)
        lingdao = make_user("lingdao", self.city, "leader", full_name="领导")
        self.login(lingdao)
        self.assertContains(self.client.get("/projects/green-channel/"), "用地指标不足")
        self.assertEqual(
            self.client.post(
                f"/projects/blockers/{blocker.pk}/", {"action": "resolve", "note": "已协调"}
            ).status_code,
            403,
        )
        self.login(self.dave)
        self.assertEqual(self.client.get("/projects/green-channel/").status_code, 403)
        self.login(self.alice)
        response = self.client.post(
            f"/projects/blockers/{blocker.pk}/", {"action": "resolve", "note": ""}
        )
        self.assertEqual(response.status_code, 200)  # the form again, with the error
        blocker.refresh_from_db()
        self.assertEqual(blocker.status, Blocker.Status.ESCALATED)
        self.client.post(
            f"/projects/blockers/{blocker.pk}/", {"action": "resolve", "note": "市规划局调剂指标"}
        )
        blocker.refresh_from_db()
        self.assertEqual(blocker.status, Blocker.Status.RESOLVED)
        self.assertNotContains(self.client.get("/projects/green-channel/"), "用地指标不足")
        self.assertContains(self.client.get("/projects/green-channel/?show=all"), "用地指标不足")


@time_machine.travel(TODAY, tick=False)
class EventAndRulesPageTests(ProjectsTestCase):
    def test_projects_are_signed_at_an_event_on_its_date(self):
        self.login(self.alice)
        response = self.client.post(
            "/projects/events/new/",
            {
                "programme": self.programme.pk,
                "name": "京沈合作峰会",
                "kind": "summit",
                "day": "2027-09-20",
            },
        )
        event = Event.objects.get()
        self.assertRedirects(response, f"/projects/events/{event.pk}/")
        project = self.lead()
        self.with_task_force(project)
        response = self.client.post(
            f"/projects/events/{event.pk}/", {"project": project.pk, "signed_amount": "5000"}
        )
        self.assertRedirects(response, f"/projects/events/{event.pk}/")
        project.refresh_from_db()
        self.assertEqual((project.stage, project.signed_on), (self.s_signed, date(2027, 9, 20)))
        self.assertEqual(project.signed_event, event)
        self.assertContains(self.client.get(f"/projects/events/{event.pk}/"), "5000")
        # With a project signed there the event's date is fixed.
        response = self.client.post(
            f"/projects/events/{event.pk}/edit/",
            {
                "programme": self.programme.pk,
                "name": "京沈合作峰会",
                "kind": "summit",
                "day": "2027-09-21",
            },
        )
        self.assertContains(response, "不能再改活动日期")

    def test_a_district_officer_cannot_create_events_or_change_rules(self):
        self.login(self.carol)
        self.assertEqual(self.client.get("/projects/events/new/").status_code, 403)
        self.login(self.bob)
        self.assertEqual(self.client.get("/projects/events/new/").status_code, 200)
        self.assertEqual(
            self.client.get(f"/projects/settings/{self.programme.pk}/").status_code, 403
        )

    def test_the_officer_changes_the_light_days_and_renames_a_stage(self):
        self.login(self.alice)
        response = self.client.post(
            f"/projects/settings/{self.programme.pk}/",
            {
                "part": "policy",
                "policy-yellow_days": "20",
                "policy-red_days": "10",
                "policy-blocker_days": "5",
                "policy-termination_reasons": "企业投资意向变化\n其他",
            },
        )
        self.assertContains(response, "红灯天数（10）须大于黄灯天数（20）")
        self.client.post(
            f"/projects/settings/{self.programme.pk}/",
            {
                "part": "policy",
                "policy-yellow_days": "20",
                "policy-red_days": "40",
                "policy-blocker_days": "5",
                "policy-termination_reasons": "企业投资意向变化\n其他",
            },
        )
        self.assertEqual(ProjectPolicy.objects.get().red_days, 40)
        data = {"part": "stages", "stages-TOTAL_FORMS": "6", "stages-INITIAL_FORMS": "6"}
        for i, s in enumerate(self.stages):
            data[f"stages-{i}-id"] = s.pk
            data[f"stages-{i}-name"] = "项目线索" if i == 0 else s.name
            data[f"stages-{i}-evidence"] = s.evidence
        response = self.client.post(f"/projects/settings/{self.programme.pk}/", data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Stage.objects.get(pk=self.s_lead.pk).name, "项目线索")


@time_machine.travel(TODAY, tick=False)
class ExportAndCardTests(ProjectsTestCase):
    def test_the_ledger_export_is_audited_and_lists_the_filtered_projects(self):
        self.lead("智慧农业示范园")
        self.lead("冷链物流中心", sector="logistics")
        self.login(self.alice)
        response = self.client.get(
            f"/projects/export.xlsx?programme={self.programme.pk}&sector=logistics"
        )
        self.assertEqual(response.status_code, 200)
        ws = load_workbook(io.BytesIO(response.content)).active
        titles = [row[1] for row in ws.iter_rows(min_row=2, values_only=True) if row and row[1]]
        self.assertIn("冷链物流中心", titles)
        self.assertNotIn("智慧农业示范园", titles)
        self.assertTrue(
            AuditEntry.objects.filter(action="export", object_type="projects.project").exists()
        )

    def test_a_cadre_may_not_export_the_ledger(self):
        self.login(self.dave)
        self.assertEqual(self.client.get("/projects/export.xlsx").status_code, 403)

    def test_the_home_page_shows_the_owners_red_projects_and_the_profile_his_credits(self):
        project = self.lead(day=date(2027, 5, 1))  # idle 153 days → red
        self.login(self.dave)
        home = self.client.get("/")
        self.assertContains(home, "我负责的红灯项目")
        self.assertContains(home, "?light=red&amp;mine=on")
        profile = self.client.get(f"/cadres/{self.wang.pk}/")
        self.assertContains(profile, project.title)
        self.assertContains(profile, "发现线索")

    def test_the_list_filters_by_light(self):
        red = self.lead("老线索", day=date(2027, 5, 1))
        green = self.lead("新线索", day=date(2027, 9, 25))
        self.login(self.alice)
        page = self.client.get(f"/projects/?programme={self.programme.pk}&light=red")
        self.assertContains(page, red.title)
        self.assertNotContains(page, green.title)
        partial = self.client.get("/projects/?light=green", headers={"HX-Request": "true"})
        self.assertContains(partial, green.title)
        self.assertNotContains(partial, "<html")


@time_machine.travel(TODAY, tick=False)
class QueryCountTests(ProjectsTestCase):
    serial = itertools.count()

    def grow(self, n):
        for _ in range(n):
            i = next(self.serial)
            p = self.lead(f"项目{i}", day=date(2027, 4, 1) + timedelta(days=i % 150))
            if i % 2:
                self.with_task_force(p)
                services.stage_move(
                    project=p, to_stage=self.s_force, by=self.alice, day=date(2027, 9, 1)
                )
            if i % 3 == 0:
                services.task_create(
                    project=p, by=self.alice, title="任务", owner=self.dave, deadline=TODAY
                )
            if i % 5 == 0:
                services.blocker_raise(project=p, by=self.alice, title="问题", owner=self.dave)
                services.project_terminate(project=p, by=self.alice, reason="其他", note="测试")

    def count(self, url):
        self.client.get(url)  # warm caches (session, roles)
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return len(ctx)

    @override_settings(DASHBOARD_CACHE_SECONDS=0)  # the funnel computed on every request
    def test_list_board_funnel_and_green_channel_cost_the_same_for_few_and_many_projects(self):
        urls = ["/projects/", "/projects/board/", "/projects/funnel/", "/projects/green-channel/"]
        self.login(self.alice)
        self.grow(2)
        few = {url: self.count(url) for url in urls}
        self.grow(12)
        many = {url: self.count(url) for url in urls}
        self.assertEqual(few, many)
        self.login(self.bob)
        few_bob = self.count("/projects/board/")
        self.grow(3)
        self.assertEqual(self.count("/projects/board/"), few_bob)

    def test_a_project_page_costs_the_same_with_more_tasks_blockers_and_history(self):
        p = self.lead()
        self.login(self.alice)
        url = f"/projects/{p.pk}/"
        first = self.count(url)
        self.with_task_force(p)
        for i in range(4):
            services.task_create(
                project=p, by=self.alice, title=f"任务{i}", owner=self.dave, deadline=TODAY
            )
            services.blocker_raise(project=p, by=self.alice, title=f"问题{i}", owner=self.dave)
            services.update_add(project=p, by=self.alice, day=TODAY, content="跟进")
        services.stage_move(project=p, to_stage=self.s_force, by=self.alice, day=date(2027, 9, 1))
        self.assertEqual(self.count(url), first)
        self.assertEqual(Project.objects.count(), 1)
        self.assertEqual(Decimal(p.planned_amount), Decimal("30000"))


@time_machine.travel(TODAY, tick=False)
class FunnelCacheTests(ProjectsTestCase):
    """The funnel's body is kept per viewer, language and query until a record behind it
    changes (core/figurecache.py): what is served always equals what would be computed now."""

    def body(self, user, url="/projects/funnel/"):
        self.client.force_login(user)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return str(response.context["body"])

    def fresh(self, user, url="/projects/funnel/"):
        with override_settings(DASHBOARD_CACHE_SECONDS=0):
            return self.body(user, url)

    def test_a_stage_move_shows_on_the_next_request(self):
        p = self.lead()
        before = self.body(self.alice)
        self.assertEqual(self.body(self.alice), before)  # served from the cache
        self.with_task_force(p)
        services.stage_move(project=p, to_stage=self.s_force, by=self.alice, day=date(2027, 9, 1))
        after = self.body(self.alice)
        self.assertNotEqual(after, before)
        self.assertEqual(after, self.fresh(self.alice))

    def test_each_viewer_and_query_gets_its_own(self):
        self.lead()
        self.lead("浑南项目", district="浑南区")
        city = self.body(self.alice)
        district = self.body(self.eve)
        self.assertNotEqual(city, district)
        self.assertEqual(district, self.fresh(self.eve))
        url = "/projects/funnel/?district=%E6%B5%91%E5%8D%97%E5%8C%BA"
        narrowed = self.body(self.alice, url)
        self.assertNotEqual(narrowed, city)
        self.assertEqual(narrowed, self.fresh(self.alice, url))
        self.assertEqual(self.body(self.alice), city)
        self.assertIn("<table", city)  # kept as HTML, not escaped on the way back
