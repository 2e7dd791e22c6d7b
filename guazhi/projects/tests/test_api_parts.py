"""/api/v1/ around a project: the enterprise directory with masked contacts and an audited
reveal, tasks, blockers and the green channel, the task force, credits, follow-up notes,
events and the stage list — each with the allowed and the forbidden persona side by side —
and list endpoints whose query count does not grow with their rows."""

from __future__ import annotations

from datetime import date

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.core.models import AuditEntry

from .. import services
from ..models import Blocker, Credit, Enterprise, Event, Project, ProjectUpdate, Task
from .helpers import credit_code
from .test_api import PROJECTS, ProjectsApiCase

ENTERPRISES = "/api/v1/enterprises/"
CONTACTS = "/api/v1/enterprise-contacts/"
TASKS = "/api/v1/project-tasks/"
BLOCKERS = "/api/v1/project-blockers/"
MEMBERS = "/api/v1/project-members/"
CREDITS = "/api/v1/project-credits/"
UPDATES = "/api/v1/project-updates/"
EVENTS = "/api/v1/project-events/"
STAGES = "/api/v1/project-stages/"


class EnterpriseTests(ProjectsApiCase):
    def data(self, **extra):
        data = {
            "name": "北京某芯片设计有限公司",
            "credit_code": credit_code(2),
            "sector": "electronics",
            "city": "北京市",
        }
        data.update(extra)
        return data

    def test_a_district_officer_registers_an_enterprise_a_sending_unit_cannot(self):
        response = self.api(self.carol, "post", ENTERPRISES, self.data())
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "您的角色不能登记企业")
        body = self.ok(self.api(self.bob, "post", ENTERPRISES, self.data()), 201)
        self.assertEqual((body["sector_display"], body["contacts"]), ("电子信息", []))

    def test_a_credit_code_is_normalised_checked_and_not_registered_twice(self):
        code = credit_code(2)
        spaced = f"{code[:6]} {code[6:]}".lower()
        body = self.ok(self.api(self.bob, "post", ENTERPRISES, self.data(credit_code=spaced)), 201)
        self.assertEqual(body["credit_code"], code)
        response = self.api(
            self.alice, "post", ENTERPRISES, self.data(name="另一家", credit_code=code)
        )
        self.assertEqual(
            response.json(),
            {
                "credit_code": [
                    f"统一社会信用代码 {code} 已登记为“北京某芯片设计有限公司”，请勿重复登记"
                ]
            },
        )
        wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
        response = self.api(
            self.alice, "post", ENTERPRISES, self.data(name="第三家", credit_code=wrong)
        )
        self.assertIn(f"第 18 位应为“{code[-1]}”", response.json()["credit_code"][0])
        self.assertEqual(Enterprise.objects.count(), 2)

    def test_the_list_searches_by_name_or_credit_code_and_filters_sector(self):
        other = Enterprise.objects.create(
            name="沈阳某装备公司",
            credit_code=credit_code(3),
            sector="manufacturing",
            city="沈阳市",
            created_by=self.alice,
        )

        def names(query):
            body = self.ok(self.api(self.carol, "get", ENTERPRISES + query))
            return [e["name"] for e in body["results"]]

        self.assertEqual(names("?q=装备"), ["沈阳某装备公司"])
        self.assertEqual(names(f"?q={other.credit_code[-6:].lower()}"), ["沈阳某装备公司"])
        self.assertEqual(names("?sector=agriculture"), ["北京某农业科技有限公司"])
        self.assertEqual(self.api(self.hank, "get", ENTERPRISES).json()["count"], 0)

    def test_changing_an_enterprise_needs_the_change_permission(self):
        url = f"{ENTERPRISES}{self.enterprise.pk}/"
        self.assertEqual(self.api(self.dave, "patch", url, {"city": "天津市"}).status_code, 403)
        self.assertEqual(self.api(self.hank, "patch", url, {"city": "天津市"}).status_code, 404)
        body = self.ok(self.api(self.bob, "patch", url, {"city": "天津市"}))
        self.assertEqual((body["city"], body["name"]), ("天津市", "北京某农业科技有限公司"))
        response = self.api(self.bob, "patch", url, {"credit_code": "123"})
        self.assertIn("应为 18 位", response.json()["credit_code"][0])

    def test_contacts_are_shown_masked_and_added_by_the_change_permission(self):
        url = f"{ENTERPRISES}{self.enterprise.pk}/contacts/"
        data = {"name": "张经理", "title": "投资总监", "mobile": "13912345678"}
        self.assertEqual(self.api(self.dave, "post", url, data).status_code, 403)
        response = self.api(self.bob, "post", url, {**data, "mobile": "12345"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("mobile", response.json())
        contact = self.ok(self.api(self.bob, "post", url, data), 201)
        self.assertEqual(contact["mobile_masked"], "139****5678")
        response = self.api(self.carol, "get", f"{ENTERPRISES}{self.enterprise.pk}/")
        self.assertEqual(response.json()["contacts"][0]["mobile_masked"], "139****5678")
        self.assertNotIn("13912345678", response.content.decode())

    def test_the_full_mobile_is_revealed_to_the_organisation_department_and_audited(self):
        contact = services.contact_add(
            enterprise=self.enterprise, by=self.alice, name="张经理", mobile="13912345678"
        )
        url = f"{CONTACTS}{contact.pk}/reveal/"
        response = self.api(self.carol, "post", url)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(AuditEntry.objects.filter(action="reveal").exists())
        self.assertEqual(self.api(self.hank, "post", url).status_code, 404)
        body = self.ok(self.api(self.alice, "post", url))
        self.assertEqual(body, {"id": contact.pk, "mobile": "13912345678"})
        entry = AuditEntry.objects.get(action="reveal")
        self.assertEqual((entry.actor, entry.object_id), (self.alice, str(contact.pk)))

    def test_a_contact_is_changed_keeping_the_mobile_unless_given(self):
        contact = services.contact_add(
            enterprise=self.enterprise, by=self.alice, name="张经理", mobile="13912345678"
        )
        url = f"{CONTACTS}{contact.pk}/"
        self.assertEqual(self.api(self.carol, "patch", url, {"title": "总经理"}).status_code, 403)
        body = self.ok(self.api(self.bob, "patch", url, {"title": "总经理"}))
        self.assertEqual((body["title"], body["mobile_masked"]), ("总经理", "139****5678"))
        contact.refresh_from_db()
        self.assertEqual(contact.mobile, "13912345678")


class ProjectPartsCase(ProjectsApiCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Owned by bob, found by 王晓明: dave and carol see it but may not manage it.
        cls.project = cls.lead(owner=cls.bob, day=date(2027, 9, 1))


class TaskTests(ProjectPartsCase):
    def test_whoever_manages_the_project_assigns_a_task_a_sending_unit_cannot(self):
        data = {"project": self.project.pk, "title": "对接用地指标", "owner": self.dave.pk}
        response = self.api(self.bob, "post", TASKS, data)
        self.assertEqual(response.json(), {"deadline": ["请填写完成时限"]})
        data["deadline"] = "2027-10-15"
        body = self.ok(self.api(self.bob, "post", TASKS, data), 201)
        self.assertEqual(
            (body["owner_name"], body["status"], body["overdue"]), ("戴夫", "todo", False)
        )
        self.assertEqual(self.api(self.eve, "post", TASKS, data).status_code, 400)  # not in scope
        self.assertEqual(self.api(self.dave, "post", TASKS, data).status_code, 403)

    def test_the_task_owner_reports_progress_but_only_a_manager_changes_its_terms(self):
        task = services.task_create(
            project=self.project,
            by=self.bob,
            title="对接用地指标",
            owner=self.dave,
            deadline=date(2027, 9, 20),
        )
        url = f"{TASKS}{task.pk}/"
        self.assertTrue(self.ok(self.api(self.dave, "get", url))["overdue"])
        self.assertEqual(self.api(self.lily, "patch", url, {"status": "done"}).status_code, 404)
        response = self.api(self.dave, "patch", url, {"deadline": "2027-12-31"})
        self.assertEqual(response.status_code, 403)
        body = self.ok(self.api(self.dave, "patch", url, {"status": "done", "note": "已落实"}))
        self.assertEqual(
            (body["status"], body["done_on"], body["overdue"]), ("done", "2027-10-01", False)
        )
        body = self.ok(self.api(self.bob, "patch", url, {"deadline": "2027-12-31"}))
        self.assertEqual(body["deadline"], "2027-12-31")
        response = self.api(self.bob, "patch", url, {"status": "cancelled", "note": ""})
        self.assertEqual(response.json(), {"note": ["取消任务须填写说明"]})

    def test_tasks_filter_by_project_owner_and_status(self):
        other = self.lead("另一个", day=date(2027, 9, 1))
        for project, owner, status in (
            (self.project, self.dave, "todo"),
            (other, self.bob, "done"),
        ):
            Task.objects.create(
                project=project,
                title=f"{project.title}任务",
                owner=owner,
                deadline=date(2027, 10, 20),
                status=status,
                created_by=self.bob,
            )
        self.assertEqual(len(self.ids(self.bob, f"{TASKS}?project={other.pk}")), 1)
        self.assertEqual(len(self.ids(self.bob, f"{TASKS}?owner={self.dave.pk}&status=todo")), 1)
        self.assertEqual(len(self.ids(self.bob, f"{TASKS}?status=doing")), 0)
        self.assertEqual(self.ids(self.eve, TASKS), [])


class BlockerTests(ProjectPartsCase):
    def test_a_blocker_is_raised_answered_escalated_and_resolved_with_its_times(self):
        data = {"project": self.project.pk, "title": "环评批复慢", "owner": self.dave.pk}
        self.assertEqual(self.api(self.dave, "post", BLOCKERS, data).status_code, 403)
        with time_machine.travel("2027-10-01 09:00 +0800", tick=False):
            body = self.ok(self.api(self.bob, "post", BLOCKERS, data), 201)
        self.assertEqual(body["deadline"], "2027-10-08")  # the policy's 7 days
        url = f"{BLOCKERS}{body['id']}/"
        self.assertEqual(
            self.api(self.eve, "post", url + "respond/", {"note": "x"}).status_code, 404
        )
        response = self.api(self.dave, "post", url + "respond/", {"note": ""})
        self.assertEqual(response.json(), {"note": ["请填写说明"]})
        with time_machine.travel("2027-10-01 15:00 +0800", tick=False):
            body = self.ok(self.api(self.dave, "post", url + "respond/", {"note": "已联系环保局"}))
        self.assertEqual(body["response_hours"], 6.0)
        # The blocker's owner works it; putting it on the green channel is the manager's.
        response = self.api(self.dave, "post", url + "escalate/", {"note": "需市里协调"})
        self.assertEqual(response.status_code, 403)
        body = self.ok(self.api(self.bob, "post", url + "escalate/", {"note": "需市里协调"}))
        self.assertEqual((body["status"], body["status_display"]), ("escalated", "绿色通道"))
        response = self.api(self.bob, "post", url + "escalate/", {"note": "再次"})
        self.assertEqual(response.json(), {"note": ["问题已在绿色通道中"]})
        self.assertEqual(self.ids(self.alice, f"{BLOCKERS}?escalated=true"), [body["id"]])
        self.assertEqual(self.ids(self.alice, f"{BLOCKERS}?escalated=false"), [])
        with time_machine.travel("2027-10-04 09:00 +0800", tick=False):
            body = self.ok(self.api(self.dave, "post", url + "resolve/", {"resolution": "已批复"}))
        self.assertEqual((body["status"], body["resolution_days"]), ("resolved", 3.0))
        response = self.api(self.dave, "post", url + "resolve/", {"resolution": "x"})
        self.assertEqual(response.json(), {"resolution": ["问题已解决"]})

    def test_a_past_deadline_is_refused_on_its_field(self):
        data = {
            "project": self.project.pk,
            "title": "环评批复慢",
            "owner": self.dave.pk,
            "deadline": "2027-09-30",
        }
        response = self.api(self.bob, "post", BLOCKERS, data)
        self.assertEqual(response.json(), {"deadline": ["解决时限不能早于今天"]})
        self.assertFalse(Blocker.objects.exists())


class MemberAndCreditTests(ProjectPartsCase):
    def test_the_task_force_is_managed_by_whoever_manages_the_project(self):
        data = {"project": self.project.pk, "role": "lead", "cadre": self.wang.pk}
        self.assertEqual(self.api(self.carol, "post", MEMBERS, data).status_code, 403)
        response = self.api(self.bob, "post", MEMBERS, {"project": self.project.pk, "role": "lead"})
        self.assertEqual(response.json(), {"cadre": ["请选择一名干部或一个单位（二选一）"]})
        lead = self.ok(self.api(self.bob, "post", MEMBERS, data), 201)
        unit = self.ok(
            self.api(
                self.bob,
                "post",
                MEMBERS,
                {
                    "project": self.project.pk,
                    "role": "service",
                    "unit": self.heping_fgj.pk,
                    "contact": "刘科长",
                },
            ),
            201,
        )
        self.assertEqual(unit["unit_name"], "和平区发改局")
        response = self.api(self.bob, "post", MEMBERS, data)
        self.assertEqual(response.json(), {"cadre": ["王晓明已在工作专班中"]})
        self.assertEqual(
            [
                m["id"]
                for m in self.ok(
                    self.api(self.carol, "get", f"{MEMBERS}?project={self.project.pk}")
                )["results"]
            ],
            [lead["id"], unit["id"]],
        )
        self.ok(self.move(self.bob, self.project, self.s_force))
        # The last lead of a project in 专班 stays.
        response = self.api(self.bob, "delete", f"{MEMBERS}{lead['id']}/")
        self.assertEqual(response.status_code, 400)
        self.assertIn("工作专班不能没有牵头人", response.json()["detail"])
        self.assertEqual(self.api(self.eve, "delete", f"{MEMBERS}{unit['id']}/").status_code, 404)
        self.assertEqual(self.api(self.carol, "delete", f"{MEMBERS}{unit['id']}/").status_code, 403)
        self.assertEqual(self.api(self.bob, "delete", f"{MEMBERS}{unit['id']}/").status_code, 204)

    def test_credit_names_a_cadre_the_user_sees(self):
        data = {"project": self.project.pk, "cadre": self.li.pk, "role": "drove"}
        response = self.api(self.bob, "post", CREDITS, data)
        self.assertEqual(response.json(), {"cadre": ["该干部不存在或不在您的范围内"]})
        body = self.ok(self.api(self.bob, "post", CREDITS, {**data, "cadre": self.wang.pk}), 201)
        self.assertEqual((body["cadre_name"], body["role_display"]), ("王晓明", "牵头推动"))
        response = self.api(self.bob, "post", CREDITS, {**data, "cadre": self.wang.pk})
        self.assertEqual(response.json(), {"cadre": ["王晓明已记为“牵头推动”"]})
        self.assertEqual(len(self.ids(self.alice, f"{CREDITS}?cadre={self.wang.pk}")), 2)
        url = f"{CREDITS}{body['id']}/"
        self.assertEqual(self.api(self.carol, "delete", url).status_code, 403)
        self.assertEqual(self.api(self.hank, "delete", url).status_code, 404)
        self.assertEqual(self.api(self.bob, "delete", url).status_code, 204)
        self.assertFalse(Credit.objects.filter(pk=body["id"]).exists())


class UpdateTests(ProjectPartsCase):
    def test_a_follow_up_note_is_progress_for_the_light(self):
        Project.objects.filter(pk=self.project.pk).update(last_progress_on=date(2027, 7, 1))
        url = f"{PROJECTS}{self.project.pk}/"
        self.assertEqual(self.ok(self.api(self.bob, "get", url))["light"], "red")
        data = {"project": self.project.pk, "content": "企业来沈考察", "date": "2027-09-28"}
        self.assertEqual(self.api(self.carol, "post", UPDATES, data).status_code, 403)
        response = self.api(self.bob, "post", UPDATES, {**data, "date": "2027-10-02"})
        self.assertEqual(response.json(), {"date": ["跟进日期不能晚于今天（2027-10-01）"]})
        body = self.ok(self.api(self.bob, "post", UPDATES, data), 201)
        self.assertEqual((body["date"], body["by_name"]), ("2027-09-28", "鲍勃"))
        self.assertEqual(self.ok(self.api(self.bob, "get", url))["light"], "green")
        self.assertEqual(self.ids(self.carol, f"{UPDATES}?project={self.project.pk}"), [body["id"]])
        self.assertEqual(self.ids(self.hank, UPDATES), [])


class EventTests(ProjectPartsCase):
    def data(self, **extra):
        data = {
            "programme": self.programme.pk,
            "name": "京沈合作项目签约大会",
            "kind": "signing",
            "date": "2027-09-15",
            "place": "沈阳",
        }
        data.update(extra)
        return data

    def test_the_organisation_department_registers_events_a_cadre_cannot(self):
        response = self.api(self.dave, "post", EVENTS, self.data())
        self.assertEqual(response.status_code, 403)
        body = self.ok(self.api(self.bob, "post", EVENTS, self.data()), 201)
        self.assertEqual((body["kind_display"], body["signed_projects"]), ("签约仪式", []))
        self.assertEqual(self.ids(self.dave, EVENTS), [body["id"]])  # a shared directory
        self.assertEqual(self.ids(self.hank, EVENTS), [])
        response = self.api(self.bob, "post", EVENTS, self.data(name=""))
        self.assertEqual(response.json(), {"name": ["请填写活动名称"]})

    def test_an_event_lists_the_projects_signed_there_that_the_user_sees(self):
        event = services.event_save(
            by=self.alice,
            programme=self.programme,
            name="京沈合作项目签约大会",
            kind=Event.Kind.SIGNING,
            day=date(2027, 9, 15),
        )
        self.with_task_force(self.project)
        self.ok(
            self.move(
                self.alice,
                self.project,
                self.s_signed,
                day="2027-09-15",
                event=event.pk,
                signed_amount="8000",
            )
        )
        url = f"{EVENTS}{event.pk}/"
        body = self.ok(self.api(self.alice, "get", url))
        self.assertEqual(
            [(p["title"], p["signed_on"], p["signed_amount"]) for p in body["signed_projects"]],
            [("智慧农业示范园", "2027-09-15", "8000.00")],
        )
        # Found by 王晓明: his unit sees it; another district, cadre or team does not.
        for user, seen in ((self.carol, 1), (self.eve, 0), (self.lily, 0), (self.tom, 0)):
            with self.subTest(user=user.username):
                body = self.ok(self.api(user, "get", url))
                self.assertEqual(len(body["signed_projects"]), seen)
        # The date of an event with signed projects is fixed; its name is not.
        self.assertEqual(self.api(self.dave, "patch", url, {"name": "改名"}).status_code, 403)
        response = self.api(self.bob, "patch", url, {"date": "2027-09-16"})
        self.assertEqual(
            response.json(), {"date": ["已有 1 个项目在该活动上签约，不能再改活动日期"]}
        )
        body = self.ok(self.api(self.bob, "patch", url, {"name": "京沈合作签约大会"}))
        self.assertEqual((body["name"], body["date"]), ("京沈合作签约大会", "2027-09-15"))

    def test_a_signing_at_an_event_must_be_on_its_day(self):
        event = services.event_save(
            by=self.alice,
            programme=self.programme,
            name="推介会",
            kind=Event.Kind.PROMOTION,
            day=date(2027, 9, 15),
        )
        self.with_task_force(self.project)
        response = self.move(
            self.alice,
            self.project,
            self.s_signed,
            event=event.pk,
            signed_on="2027-09-16",
            signed_amount="8000",
        )
        self.assertIn("签约日期应为活动日期 2027-09-15", response.json()["signed_on"][0])


class StageTests(ProjectsApiCase):
    def test_the_stage_list_gives_ids_names_and_evidence_in_order(self):
        body = self.ok(self.api(self.dave, "get", f"{STAGES}?programme={self.programme.pk}"))
        self.assertEqual(
            [(s["id"], s["name"], s["evidence"]) for s in body["results"]],
            [(s.pk, s.name, s.evidence) for s in self.stages],
        )
        self.assertEqual(body["results"][3]["evidence_display"], "签约：签约日期与签约金额")
        self.assertEqual(self.api(self.hank, "get", STAGES).json()["count"], 0)
        self.assertEqual(self.api(self.alice, "post", STAGES, {}).status_code, 405)


class QueryCountTests(ProjectsApiCase):
    """Each list costs the same number of queries for 2 rows as for 10."""

    serial = 0

    def add_project(self):
        QueryCountTests.serial += 1
        n = QueryCountTests.serial
        enterprise = Enterprise.objects.create(
            name=f"企业{n}",
            credit_code=credit_code(100 + n),
            sector="other",
            city="北京市",
            created_by=self.alice,
        )
        services.contact_add(
            enterprise=enterprise, by=self.alice, name="联系人", mobile="13912345678"
        )
        event = services.event_save(
            by=self.alice,
            programme=self.programme,
            name=f"活动{n}",
            kind="summit",
            day=date(2027, 9, 1),
        )
        project = self.lead(f"项目{n}", day=date(2027, 9, 1), enterprise=enterprise)
        Project.objects.filter(pk=project.pk).update(signed_event=event)
        self.with_task_force(project)
        services.task_create(
            project=project, by=self.bob, title="任务", owner=self.dave, deadline=date(2027, 10, 9)
        )
        services.blocker_raise(project=project, by=self.bob, title="问题", owner=self.dave)
        ProjectUpdate.objects.create(
            project=project, date=date(2027, 9, 2), content="跟进", by=self.bob
        )

    def counts(self, user, url):
        with CaptureQueriesContext(connection) as ctx:
            body = self.ok(self.api(user, "get", url))
        return body.get("count"), len(ctx)

    def test_list_queries_do_not_grow_with_the_rows(self):
        endpoints = [
            (self.bob, PROJECTS),
            (self.bob, TASKS),
            (self.bob, BLOCKERS),
            (self.bob, MEMBERS),
            (self.bob, CREDITS),
            (self.bob, UPDATES),
            (self.bob, EVENTS),
            (self.carol, ENTERPRISES),
            (self.carol, CONTACTS),
            (self.dave, f"{PROJECTS}board/"),
        ]
        for _ in range(2):
            self.add_project()
        for user, url in endpoints:  # a user's first request creates his token
            self.counts(user, url)
        before = {url: self.counts(user, url) for user, url in endpoints}
        for _ in range(8):
            self.add_project()
        for user, url in endpoints:
            with self.subTest(url=url):
                rows, queries = self.counts(user, url)
                self.assertEqual(queries, before[url][1])
                if "board" not in url:
                    self.assertGreater(rows, before[url][0])

    def test_the_board_shows_at_most_twelve_cards_per_column(self):
        for _ in range(13):
            self.add_project()
        column = self.ok(self.api(self.alice, "get", f"{PROJECTS}board/"))["columns"][0]
        self.assertEqual((column["count"], len(column["cards"]), column["more"]), (13, 12, 1))
        self.assertEqual(column["lights"], {"green": 13})
