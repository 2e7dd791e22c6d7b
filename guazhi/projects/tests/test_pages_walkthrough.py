"""A new user carries a lead to 投产 and another to 终止 through the pages, and the pages
refuse what the data scope forbids."""

from __future__ import annotations

from datetime import date

import time_machine

from guazhi.core.models import AuditEntry

from ..models import Project, StageChange, TaskForceMember
from .helpers import ProjectsTestCase, credit_code

TODAY = date(2027, 10, 1)


@time_machine.travel(TODAY, tick=False)
class WalkthroughTests(ProjectsTestCase):
    def move(self, project, stage, **data):
        data = {"to_stage": stage.pk, "day": "2027-09-01", **data}
        return self.client.post(f"/projects/{project.pk}/move/", data)

    def test_an_officer_carries_a_lead_from_clue_to_production_through_the_pages(self):
        self.login(self.alice)
        response = self.client.post(
            "/projects/new/",
            {
                "programme": self.programme.pk,
                "title": "设施农业产业园",
                "enterprise": self.enterprise.pk,
                "sector": "agriculture",
                "district": "和平区",
                "unit": self.heping.pk,
                "owner": self.dave.pk,
                "found_by": self.wang.pk,
                "found_on": "2027-04-01",
                "channel": "visit",
                "planned_amount": "30000",
            },
        )
        project = Project.objects.get(title="设施农业产业园")
        self.assertRedirects(response, f"/projects/{project.pk}/")
        self.assertEqual(project.stage, self.s_lead)
        # 专班 needs a lead member first.
        response = self.move(project, self.s_force, day="2027-04-10")
        self.assertContains(response, "进入专班阶段须先组建工作专班并指定牵头人")
        self.client.post(
            f"/projects/{project.pk}/members/new/", {"role": "lead", "cadre": self.wang.pk}
        )
        self.assertEqual(project.members.get().role, TaskForceMember.Role.LEAD)
        self.assertEqual(self.move(project, self.s_force, day="2027-04-10").status_code, 302)
        self.assertEqual(self.move(project, self.s_talk, day="2027-04-20").status_code, 302)
        # 签约 without an amount: the field is named, nothing is written.
        response = self.move(project, self.s_signed, day="2027-06-01", signed_on="2027-06-01")
        self.assertContains(response, "签约须填写签约金额")
        project.refresh_from_db()
        self.assertEqual(project.stage, self.s_talk)
        self.assertEqual(
            self.move(
                project,
                self.s_signed,
                day="2027-06-01",
                signed_on="2027-06-01",
                signed_amount="30000",
                agreement_number="HP-2027-018",
            ).status_code,
            302,
        )
        self.assertEqual(
            self.move(
                project,
                self.s_landed,
                day="2027-08-01",
                landed_on="2027-08-01",
                landed_amount="30000",
                landing_form="registered",
            ).status_code,
            302,
        )
        self.assertEqual(
            self.move(
                project, self.s_prod, day="2027-09-01", production_on="2027-09-01"
            ).status_code,
            302,
        )
        project.refresh_from_db()
        self.assertEqual(project.stage, self.s_prod)
        self.assertTrue(project.is_finished)
        self.assertEqual(project.landed_amount, 30000)
        page = self.client.get(f"/projects/{project.pk}/")
        self.assertContains(page, "已完成")
        self.assertContains(page, "HP-2027-018")
        self.assertEqual(
            list(project.history.values_list("kind", flat=True)),
            ["create", "advance", "advance", "advance", "advance", "advance"],
        )

    def test_an_officer_ends_a_lead_with_a_reason_and_reopens_it(self):
        project = self.lead()
        self.login(self.bob)
        response = self.client.post(
            f"/projects/{project.pk}/terminate/",
            {"reason": "不在列表中", "note": "企业转投他处", "day": "2027-09-01"},
        )
        self.assertEqual(response.status_code, 200)
        project.refresh_from_db()
        self.assertEqual(project.status, Project.Status.ACTIVE)
        response = self.client.post(
            f"/projects/{project.pk}/terminate/",
            {"reason": "被其他地区引走", "note": "企业转投他处", "day": "2027-09-01"},
        )
        self.assertRedirects(response, f"/projects/{project.pk}/")
        project.refresh_from_db()
        self.assertEqual(project.status, Project.Status.TERMINATED)
        self.assertContains(self.client.get(f"/projects/{project.pk}/"), "被其他地区引走")
        response = self.client.post(
            f"/projects/{project.pk}/reopen/", {"note": "企业重新考虑", "day": "2027-09-15"}
        )
        self.assertRedirects(response, f"/projects/{project.pk}/")
        kinds = list(project.history.values_list("kind", flat=True))
        self.assertEqual(kinds, ["create", "terminate", "reopen"])

    def test_moving_back_without_a_reason_is_refused_on_the_note_field(self):
        project = self.lead()
        self.with_task_force(project)
        self.login(self.alice)
        self.move(project, self.s_force, day="2027-04-10")
        response = self.move(project, self.s_lead, day="2027-05-01")
        self.assertContains(response, "须说明原因")
        self.assertEqual(StageChange.objects.filter(kind="back").count(), 0)

    def test_the_cadre_owns_and_moves_his_project_but_another_cadre_cannot_see_it(self):
        project = self.lead()
        self.login(self.dave)
        self.assertEqual(self.client.get(f"/projects/{project.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/projects/{project.pk}/move/").status_code, 200)
        self.login(self.lily)
        self.assertEqual(self.client.get(f"/projects/{project.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/projects/{project.pk}/move/").status_code, 404)

    def test_a_sending_unit_sees_its_cadres_project_but_may_not_move_it(self):
        project = self.lead()
        self.login(self.carol)
        self.assertEqual(self.client.get(f"/projects/{project.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/projects/{project.pk}/move/").status_code, 403)
        self.assertEqual(self.move(project, self.s_force).status_code, 403)

    def test_the_district_sees_its_projects_and_another_district_gets_404(self):
        project = self.lead()
        self.login(self.bob)
        self.assertEqual(self.client.get(f"/projects/{project.pk}/edit/").status_code, 200)
        self.login(self.eve)
        self.assertEqual(self.client.get(f"/projects/{project.pk}/").status_code, 404)

    def test_a_host_unit_has_no_project_pages(self):
        self.login(self.hank)
        self.assertEqual(self.client.get("/projects/").status_code, 403)
        self.assertEqual(self.client.get("/projects/board/").status_code, 403)

    def test_every_page_answers_for_the_officer(self):
        project = self.lead()
        self.with_task_force(project)
        self.login(self.alice)
        for url in [
            "/projects/",
            f"/projects/?light=green&stage={self.s_lead.pk}",
            "/projects/board/",
            "/projects/funnel/",
            "/projects/funnel/?format=json",
            "/projects/green-channel/",
            "/projects/new/",
            f"/projects/{project.pk}/",
            f"/projects/{project.pk}/move/?to={self.s_signed.pk}",
            f"/projects/{project.pk}/terminate/",
            f"/projects/{project.pk}/tasks/new/",
            f"/projects/{project.pk}/blockers/new/",
            f"/projects/{project.pk}/updates/new/",
            f"/projects/{project.pk}/credits/new/",
            f"/projects/{project.pk}/members/new/",
            "/projects/enterprises/",
            f"/projects/enterprises/{self.enterprise.pk}/",
            "/projects/enterprises/new/",
            "/projects/events/",
            "/projects/events/new/",
            f"/projects/settings/{self.programme.pk}/",
            f"/cadres/{self.wang.pk}/",
            "/",
        ]:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_the_move_form_asks_for_the_signing_and_landing_evidence_when_skipping(self):
        project = self.lead()
        self.login(self.alice)
        page = self.client.get(f"/projects/{project.pk}/move/?to={self.s_landed.pk}")
        self.assertContains(page, "签约佐证")
        self.assertContains(page, "落地佐证")
        self.assertContains(page, "进入专班阶段须先组建工作专班")

    def test_a_bad_credit_code_is_refused_with_the_expected_check_character(self):
        self.login(self.alice)
        good = credit_code(2)
        wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
        response = self.client.post(
            "/projects/enterprises/new/",
            {
                "name": "北京某新材料有限公司",
                "credit_code": wrong,
                "sector": "materials",
                "city": "北京市",
            },
        )
        self.assertContains(response, f"第 18 位应为“{good[-1]}”")
        response = self.client.post(
            "/projects/enterprises/new/",
            {
                "name": "北京某新材料有限公司",
                "credit_code": good.lower(),
                "sector": "materials",
                "city": "北京市",
            },
        )
        self.assertEqual(response.status_code, 302)

    def test_revealing_a_contact_mobile_is_audited_and_refused_without_the_permission(self):
        contact = self.enterprise.contacts.create(name="张经理")
        contact.mobile = "13912345678"
        contact.save()
        self.login(self.carol)
        page = self.client.get(f"/projects/enterprises/{self.enterprise.pk}/")
        self.assertContains(page, "139****5678")
        self.assertNotContains(page, "13912345678")
        self.assertEqual(
            self.client.post(f"/projects/contacts/{contact.pk}/reveal/").status_code, 403
        )
        self.assertFalse(AuditEntry.objects.filter(action="reveal").exists())
        self.login(self.alice)
        response = self.client.post(
            f"/projects/contacts/{contact.pk}/reveal/", headers={"HX-Request": "true"}
        )
        self.assertContains(response, "13912345678")
        self.assertTrue(AuditEntry.objects.filter(action="reveal").exists())
