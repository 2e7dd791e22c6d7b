"""/api/v1/projects/: a cadre carries his lead from 线索 to 投产 through the API, each stage's
missing evidence refused on its field in Chinese; a district officer ends a lead with a reason
and reopens it; and every role sees and moves exactly what the data scope allows (outside →
404, visible but not allowed → 403)."""

from __future__ import annotations

from datetime import date

import time_machine
from rest_framework.authtoken.models import Token

from ..models import Project, StageChange
from .helpers import ProjectsTestCase

TODAY = date(2027, 10, 1)
PROJECTS = "/api/v1/projects/"
MEMBERS = "/api/v1/project-members/"


@time_machine.travel(TODAY, tick=False)
class ProjectsApiCase(ProjectsTestCase):
    """Token-authenticated calls on 2027-10-01 (batch 5 is on post)."""

    def api(self, user, method, url, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )

    def ok(self, response, code=200):
        self.assertEqual(response.status_code, code, response.content.decode())
        return response.json()

    def move(self, user, project, stage, **data):
        data = {"to_stage": stage.pk, "day": "2027-09-20", **data}
        return self.api(user, "post", f"{PROJECTS}{project.pk}/move/", data)

    def ids(self, user, url):
        return [row["id"] for row in self.ok(self.api(user, "get", url))["results"]]


class WalkthroughTests(ProjectsApiCase):
    def test_a_cadre_carries_his_lead_from_clue_to_production_through_the_api(self):
        body = self.ok(
            self.api(
                self.dave,
                "post",
                PROJECTS,
                {
                    "programme": self.programme.pk,
                    "title": "设施农业产业园",
                    "enterprise": self.enterprise.pk,
                    "sector": "agriculture",
                    "district": "和平区",
                    "unit": self.heping_fgj.pk,
                    "owner": self.dave.pk,
                    "found_by": self.wang.pk,
                    "found_on": "2027-09-10",
                    "channel": "visit",
                    "planned_amount": "30000",
                },
            ),
            201,
        )
        project = Project.objects.get(pk=body["id"])
        self.assertEqual((body["stage_name"], body["light"]), ("线索", "green"))
        self.assertEqual((body["batch"], body["owner_name"]), (self.batch.pk, "戴夫"))

        # 专班 needs a lead member of the task force first: a refusal of the whole request.
        response = self.move(self.dave, project, self.s_force, day="2027-09-12")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"detail": "进入专班阶段须先组建工作专班并指定牵头人"})
        member = self.ok(
            self.api(
                self.dave,
                "post",
                MEMBERS,
                {"project": project.pk, "role": "lead", "cadre": self.wang.pk},
            ),
            201,
        )
        self.assertEqual((member["cadre_name"], member["role_display"]), ("王晓明", "牵头"))
        self.ok(self.move(self.dave, project, self.s_force, day="2027-09-12"))
        self.ok(self.move(self.dave, project, self.s_talk, day="2027-09-15"))

        # 签约: date and amount, each refused on its own field; nothing is written.
        response = self.move(self.dave, project, self.s_signed, signed_on="2027-09-18")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"signed_amount": ["签约须填写签约金额（万元，大于 0）"]})
        response = self.move(self.dave, project, self.s_signed, signed_amount="30000")
        self.assertEqual(response.json(), {"signed_on": ["签约须填写签约日期"]})
        project.refresh_from_db()
        self.assertEqual((project.stage, project.signed_amount), (self.s_talk, 0))
        body = self.ok(
            self.move(
                self.dave,
                project,
                self.s_signed,
                day="2027-09-18",
                signed_on="2027-09-18",
                signed_amount="30000",
                agreement_number="HP-2027-018",
            )
        )
        self.assertEqual((body["stage_name"], body["signed_amount"]), ("签约", "30000.00"))
        self.assertEqual(body["agreement_number"], "HP-2027-018")

        # 落地: date, amount and form.
        response = self.move(
            self.dave, project, self.s_landed, landed_on="2027-09-22", landed_amount="12000"
        )
        self.assertEqual(response.json(), {"landing_form": ["落地须选择落地形式（注册或开工）"]})
        response = self.move(self.dave, project, self.s_landed, landing_form="built")
        self.assertEqual(response.status_code, 400)
        self.assertIn("请从列表中选择", response.json()["landing_form"][0])
        body = self.ok(
            self.move(
                self.dave,
                project,
                self.s_landed,
                day="2027-09-22",
                landed_on="2027-09-22",
                landed_amount="12000",
                landing_form="registered",
            )
        )
        self.assertEqual(
            (body["landed_amount"], body["landing_form_display"]), ("12000.00", "注册")
        )

        # 投产: a date, not before the landing.
        response = self.move(self.dave, project, self.s_prod, day="2027-09-28")
        self.assertEqual(response.json(), {"production_on": ["投产须填写投产日期"]})
        response = self.move(
            self.dave, project, self.s_prod, day="2027-09-28", production_on="2027-09-21"
        )
        self.assertEqual(
            response.json(), {"production_on": ["投产日期不能早于落地日期（2027-09-22）"]}
        )
        body = self.ok(
            self.move(self.dave, project, self.s_prod, day="2027-09-28", production_on="2027-09-28")
        )
        self.assertEqual((body["stage_name"], body["is_finished"]), ("投产", True))
        self.assertEqual((body["light"], body["light_display"]), ("done", "已完成"))

        history = self.ok(self.api(self.dave, "get", f"{PROJECTS}{project.pk}/history/"))
        self.assertEqual(
            [(h["kind"], h["to_stage_name"], h["date"]) for h in history],
            [
                ("create", "线索", "2027-09-10"),
                ("advance", "专班", "2027-09-12"),
                ("advance", "洽谈", "2027-09-15"),
                ("advance", "签约", "2027-09-18"),
                ("advance", "落地", "2027-09-22"),
                ("advance", "投产", "2027-09-28"),
            ],
        )
        self.assertEqual(history[3]["amount"], "30000.00")
        funnel = self.ok(
            self.api(self.alice, "get", f"{PROJECTS}funnel/?programme={self.programme.pk}")
        )
        self.assertEqual([row["reached"] for row in funnel["stages"]], [1, 1, 1, 1, 1, 1])
        self.assertEqual(funnel["stages"][1]["median_days"], 3.0)

    def test_a_district_officer_ends_a_lead_with_a_reason_and_reopens_it(self):
        project = self.lead("某新材料项目", day=date(2027, 9, 1))
        self.with_task_force(project)
        self.ok(self.move(self.bob, project, self.s_force, day="2027-09-05"))
        url = f"{PROJECTS}{project.pk}/"

        response = self.api(
            self.bob, "post", url + "terminate/", {"reason": "不想做了", "note": "企业无回应"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertTrue(
            response.json()["reason"][0].startswith("请从列表中选择终止原因：企业投资意向变化")
        )
        response = self.api(self.bob, "post", url + "terminate/", {"reason": "被其他地区引走"})
        self.assertEqual(response.json(), {"note": ["终止项目须填写说明"]})
        body = self.ok(
            self.api(
                self.bob,
                "post",
                url + "terminate/",
                {"reason": "被其他地区引走", "note": "企业选择落户大连", "day": "2027-09-20"},
            )
        )
        self.assertEqual((body["status"], body["light"]), ("terminated", "ended"))
        self.assertEqual(
            (body["terminated_on"], body["terminated_reason"]), ("2027-09-20", "被其他地区引走")
        )

        response = self.move(self.bob, project, self.s_talk, day="2027-09-25")
        self.assertEqual(response.json(), {"to_stage": ["项目已终止，须先重新启动才能变更阶段"]})
        response = self.api(self.bob, "post", url + "reopen/", {"note": " "})
        self.assertEqual(response.json(), {"note": ["重新启动须说明原因"]})
        body = self.ok(
            self.api(
                self.bob, "post", url + "reopen/", {"note": "企业重新考虑", "day": "2027-09-25"}
            )
        )
        self.assertEqual(
            (body["status"], body["stage_name"], body["light"]), ("active", "专班", "green")
        )
        self.assertEqual(body["terminated_reason"], "")

        history = self.ok(self.api(self.bob, "get", url + "history/"))
        self.assertEqual(
            [(h["kind"], h["to_stage_name"], h["reason"]) for h in history],
            [
                ("create", "线索", ""),
                ("advance", "专班", ""),
                ("terminate", "专班", "被其他地区引走"),
                ("reopen", "专班", ""),
            ],
        )
        self.assertEqual(history[2]["by_name"], "鲍勃")

    def test_moving_back_needs_a_note_and_the_future_is_refused(self):
        project = self.lead(day=date(2027, 9, 1))
        self.with_task_force(project)
        self.ok(self.move(self.alice, project, self.s_talk, day="2027-09-10"))
        response = self.move(self.alice, project, self.s_force, day="2027-09-12")
        self.assertEqual(response.json(), {"note": ["从“洽谈”回退到“专班”须说明原因"]})
        response = self.move(self.alice, project, self.s_lead, day="2027-10-02", note="退回")
        self.assertEqual(response.json(), {"day": ["变更日期不能晚于今天（2027-10-01）"]})
        body = self.ok(self.move(self.alice, project, self.s_force, day="2027-09-12", note="重谈"))
        self.assertEqual(body["stage_name"], "专班")
        self.assertEqual(
            StageChange.objects.filter(project=project).last().kind, StageChange.Kind.BACK
        )

    def test_a_stage_of_another_programme_is_refused_on_its_field(self):
        project = self.lead(day=date(2027, 9, 1))
        response = self.move(self.alice, project, self.s_force, to_stage=99999)
        self.assertEqual(response.json(), {"to_stage": ["所选阶段不存在或不属于该项目的挂职项目"]})


class ProjectScopeTests(ProjectsApiCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.project = cls.lead(day=date(2027, 9, 1))
        cls.with_task_force(cls.project)

    def url(self, suffix=""):
        return f"{PROJECTS}{self.project.pk}/{suffix}"

    def test_a_district_officer_moves_a_project_of_his_district_and_another_gets_404(self):
        self.assertEqual(self.api(self.eve, "get", self.url()).status_code, 404)
        self.assertEqual(self.move(self.eve, self.project, self.s_force).status_code, 404)
        self.assertEqual(self.ids(self.eve, PROJECTS), [])
        self.ok(self.move(self.bob, self.project, self.s_force))
        self.assertEqual(self.ids(self.bob, PROJECTS), [self.project.pk])

    def test_a_cadre_moves_the_project_he_owns_and_another_cadre_gets_404(self):
        self.assertEqual(self.api(self.lily, "get", self.url()).status_code, 404)
        self.assertEqual(self.move(self.lily, self.project, self.s_force).status_code, 404)
        self.ok(self.move(self.dave, self.project, self.s_force))

    def test_a_cadre_cannot_move_a_project_he_found_but_neither_owns_nor_leads(self):
        project = self.lead("另一个项目", owner=self.bob, day=date(2027, 9, 1))
        url = f"{PROJECTS}{project.pk}/"
        self.ok(self.api(self.dave, "get", url))
        response = self.move(self.dave, project, self.s_force)
        self.assertEqual(response.status_code, 403)
        self.assertIn("只有项目责任人", response.json()["detail"])
        response = self.api(self.dave, "patch", url, {"title": "改名"})
        self.assertEqual(response.status_code, 403)
        # Leading its task force makes it his to move.
        self.with_task_force(project)
        self.ok(self.move(self.dave, project, self.s_force))

    def test_a_host_unit_sees_no_project(self):
        self.assertEqual(self.ids(self.hank, PROJECTS), [])
        self.assertEqual(self.api(self.hank, "get", self.url()).status_code, 404)
        self.assertEqual(self.move(self.hank, self.project, self.s_force).status_code, 404)
        self.assertEqual(self.api(self.hank, "get", f"{PROJECTS}board/").status_code, 403)

    def test_a_sending_unit_reads_its_cadres_project_but_cannot_move_it(self):
        body = self.ok(self.api(self.carol, "get", self.url()))
        self.assertEqual(body["found_by_name"], "王晓明")
        self.assertEqual(self.move(self.carol, self.project, self.s_force).status_code, 403)
        self.assertEqual(self.api(self.carol, "post", self.url("terminate/"), {}).status_code, 403)
        others = self.lead("浑南项目", found_by=self.li, unit=self.hunnan, district="浑南区")
        self.assertEqual(self.api(self.carol, "get", f"{PROJECTS}{others.pk}/").status_code, 404)
        self.assertEqual(self.ids(self.carol, PROJECTS), [self.project.pk])

    def test_the_team_leader_of_the_batch_moves_it_and_another_team_leader_gets_404(self):
        self.assertEqual(self.move(self.tom, self.project, self.s_force).status_code, 404)
        self.ok(self.move(self.tina, self.project, self.s_force))

    def test_the_owner_changes_the_description_another_district_gets_404(self):
        body = self.ok(
            self.api(
                self.dave,
                "patch",
                self.url(),
                {"title": "智慧农业示范园二期", "planned_amount": "50000"},
            )
        )
        self.assertEqual(
            (body["title"], body["planned_amount"]), ("智慧农业示范园二期", "50000.00")
        )
        self.assertEqual(self.api(self.eve, "patch", self.url(), {"title": "x"}).status_code, 404)
        self.assertEqual(self.api(self.carol, "patch", self.url(), {"title": "x"}).status_code, 403)
        response = self.api(self.dave, "patch", self.url(), {"title": " "})
        self.assertEqual(response.json(), {"title": ["请填写项目名称"]})

    def test_a_project_cannot_lose_its_owner_or_be_given_to_an_administrator(self):
        response = self.api(self.alice, "patch", self.url(), {"owner": None})
        self.assertEqual(response.json(), {"owner": ["项目必须有责任人"]})
        response = self.api(self.alice, "patch", self.url(), {"owner": self.sam.pk})
        self.assertEqual(response.json(), {"owner": ["该用户不存在或不能作为责任人"]})


class ProjectCreateTests(ProjectsApiCase):
    def data(self, **extra):
        data = {
            "programme": self.programme.pk,
            "title": "数字经济产业园",
            "sector": "digital",
            "district": "和平区",
            "unit": self.heping.pk,
            "owner": self.bob.pk,
            "found_on": "2027-09-01",
            "channel": "event",
        }
        data.update(extra)
        return data

    def test_a_district_officer_registers_a_lead_for_his_district(self):
        body = self.ok(self.api(self.bob, "post", PROJECTS, self.data()), 201)
        self.assertEqual((body["stage_name"], body["unit_name"]), ("线索", "和平区委组织部"))
        self.assertIsNone(body["found_by"])
        response = self.api(self.bob, "post", PROJECTS, self.data(unit=self.hunnan.pk))
        self.assertEqual(response.json(), {"unit": ["该单位不存在或您不能把项目交给它负责"]})

    def test_a_cadre_registers_leads_only_for_his_own_unit_and_credits_himself(self):
        response = self.api(self.dave, "post", PROJECTS, self.data(owner=self.dave.pk))
        self.assertEqual(response.status_code, 400)
        self.assertIn("unit", response.json())
        response = self.api(
            self.dave,
            "post",
            PROJECTS,
            self.data(owner=self.dave.pk, unit=self.heping_fgj.pk, found_by=self.li.pk),
        )
        self.assertEqual(response.json(), {"found_by": ["该干部不存在或不在您的范围内"]})
        body = self.ok(
            self.api(
                self.dave,
                "post",
                PROJECTS,
                self.data(owner=self.dave.pk, unit=self.heping_fgj.pk, found_by=self.wang.pk),
            ),
            201,
        )
        project = Project.objects.get(pk=body["id"])
        self.assertEqual(
            list(project.credits.values_list("cadre", "role")), [(self.wang.pk, "found")]
        )

    def test_a_sending_unit_and_a_host_unit_cannot_register_leads(self):
        for user in (self.carol, self.hank):
            with self.subTest(user=user.username):
                response = self.api(user, "post", PROJECTS, self.data())
                self.assertEqual(response.status_code, 403)
                self.assertEqual(response.json()["detail"], "您的角色不能登记项目线索")
        self.assertFalse(Project.objects.exists())

    def test_missing_and_wrong_values_are_chinese_field_errors(self):
        response = self.api(self.bob, "post", PROJECTS, {"programme": self.programme.pk})
        body = response.json()
        self.assertEqual(response.status_code, 400)
        self.assertEqual(body["title"], ["请填写项目名称"])
        self.assertEqual(body["owner"], ["项目必须有责任人"])
        self.assertEqual(body["found_on"], ["请填写发现日期"])
        response = self.api(
            self.bob, "post", PROJECTS, self.data(found_on="2027-10-02", sector="mining")
        )
        body = response.json()
        self.assertIn("请从列表中选择", body["sector"][0])
        response = self.api(self.bob, "post", PROJECTS, self.data(found_on="2027-10-02"))
        self.assertEqual(response.json(), {"found_on": ["发现日期不能晚于今天（2027-10-01）"]})


class ProjectListTests(ProjectsApiCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.stale = cls.lead("智慧农业示范园", day=date(2027, 4, 1))  # idle 183 days: red
        cls.fresh = cls.lead("冷链物流中心", day=date(2027, 9, 20), sector="logistics")
        cls.hunnan_p = cls.lead(
            "芯片封装测试基地",
            day=date(2027, 8, 15),  # idle 47 days: yellow
            found_by=cls.li,
            unit=cls.hunnan,
            district="浑南区",
            owner=cls.eve,
            enterprise=None,
        )

    def test_the_list_filters_by_light_stage_cadre_district_owner_and_text(self):
        def titles(query):
            return {
                r["title"]
                for r in self.ok(self.api(self.alice, "get", PROJECTS + query))["results"]
            }

        self.assertEqual(titles("?light=red"), {"智慧农业示范园"})
        self.assertEqual(titles("?light=yellow"), {"芯片封装测试基地"})
        self.assertEqual(titles("?light=green"), {"冷链物流中心"})
        self.assertEqual(titles(f"?stage={self.s_lead.pk}&sector=logistics"), {"冷链物流中心"})
        self.assertEqual(titles(f"?cadre={self.li.pk}"), {"芯片封装测试基地"})
        self.assertEqual(titles("?district=和平区"), {"智慧农业示范园", "冷链物流中心"})
        self.assertEqual(titles(f"?owner={self.eve.pk}"), {"芯片封装测试基地"})
        self.assertEqual(titles("?q=农业科技"), {"智慧农业示范园", "冷链物流中心"})  # enterprise
        self.assertEqual(titles("?q=冷链"), {"冷链物流中心"})
        self.assertEqual(titles(f"?batch={self.batch.pk}&status=active"), titles(""))
        self.assertEqual(titles(f"?programme={self.programme.pk}"), titles(""))
        self.assertEqual(len(titles("")), 3)

    def test_a_project_shows_its_stage_light_idle_days_amounts_and_names(self):
        body = self.ok(self.api(self.bob, "get", f"{PROJECTS}{self.stale.pk}/"))
        self.assertEqual(
            {k: body[k] for k in ("stage_name", "light", "light_display", "idle_days")},
            {"stage_name": "线索", "light": "red", "light_display": "红灯", "idle_days": 183},
        )
        self.assertEqual(
            (body["owner_name"], body["enterprise_name"], body["batch_label"]),
            ("戴夫", "北京某农业科技有限公司", self.batch.label),
        )
        self.assertEqual((body["planned_amount"], body["signed_amount"]), ("30000.00", "0.00"))
        self.assertIsNone(body["signed_on"])

    def test_the_district_officer_lists_his_district_and_the_cadre_his_own(self):
        self.assertEqual(set(self.ids(self.bob, PROJECTS)), {self.stale.pk, self.fresh.pk})
        self.assertEqual(self.ids(self.eve, PROJECTS), [self.hunnan_p.pk])
        self.assertEqual(self.ids(self.lily, PROJECTS), [self.hunnan_p.pk])  # credited
        self.assertEqual(set(self.ids(self.dave, PROJECTS)), {self.stale.pk, self.fresh.pk})

    def test_the_board_counts_lights_and_lists_the_most_stalled_first(self):
        body = self.ok(self.api(self.bob, "get", f"{PROJECTS}board/?programme={self.programme.pk}"))
        self.assertEqual(body["programme_name"], self.programme.name)
        first = body["columns"][0]
        self.assertEqual((first["stage_name"], first["count"]), ("线索", 2))
        self.assertEqual(first["lights"], {"red": 1, "green": 1})
        self.assertEqual(
            [(c["title"], c["light"]) for c in first["cards"]],
            [("智慧农业示范园", "red"), ("冷链物流中心", "green")],
        )
        self.assertEqual(first["cards"][0]["idle_days"], 183)
        self.assertEqual([c["count"] for c in body["columns"][1:]], [0, 0, 0, 0, 0])
        body = self.ok(self.api(self.alice, "get", f"{PROJECTS}board/?district=浑南区"))
        self.assertEqual(body["columns"][0]["lights"], {"yellow": 1})

    def test_the_funnel_counts_only_the_projects_in_scope(self):
        body = self.ok(self.api(self.eve, "get", f"{PROJECTS}funnel/"))
        self.assertEqual(body["stages"][0]["reached"], 1)
        body = self.ok(self.api(self.alice, "get", f"{PROJECTS}funnel/"))
        self.assertEqual(body["stages"][0]["reached"], 3)
        self.assertEqual(body["stages"][0]["conversion"], 0.0)
        self.assertEqual(
            self.api(self.alice, "get", f"{PROJECTS}funnel/?programme=99999").status_code, 404
        )


class SchemaTests(ProjectsApiCase):
    def test_the_projects_endpoints_are_in_the_openapi_document_without_warnings(self):
        from drf_spectacular.drainage import GENERATOR_STATS

        GENERATOR_STATS.reset()
        with GENERATOR_STATS.silence():
            response = self.client.get("/api/v1/schema/", headers={"Accept": "application/json"})
        doc = response.json()
        for path in (
            "/api/v1/enterprises/{id}/contacts/",
            "/api/v1/enterprise-contacts/{id}/reveal/",
            "/api/v1/projects/{id}/move/",
            "/api/v1/projects/{id}/history/",
            "/api/v1/projects/board/",
            "/api/v1/projects/funnel/",
            "/api/v1/project-stages/",
            "/api/v1/project-tasks/{id}/",
            "/api/v1/project-blockers/{id}/escalate/",
            "/api/v1/project-members/{id}/",
            "/api/v1/project-credits/",
            "/api/v1/project-updates/",
            "/api/v1/project-events/{id}/",
        ):
            self.assertIn(path, doc["paths"])
        mine = [
            message
            for message in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
            if "projects/api.py" in message or "Project" in message
        ]
        self.assertEqual(mine, [])
