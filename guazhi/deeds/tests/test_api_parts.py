"""/api/v1/ around a deed: look-backs concluded pass or rework by the departments (not the
unit), rectifications worked by the unit with the rater's phone revealed only to the
department and audited, appeals filed by the unit and decided by someone else, the rates over
the deeds in scope, the review panel with masked phones — each with the allowed and the
forbidden persona side by side — list endpoints whose query count does not grow with their
rows, and the OpenAPI document."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.core.models import AuditEntry, Role
from guazhi.testing import make_user

from .. import services
from ..models import Appeal, Deed, Evidence, Level, LookBack, PanelMember, Rating, Rectification
from .test_api import DEEDS, PHONE, DeedsApiCase

LOOKBACKS = "/api/v1/deed-lookbacks/"
RECTIFICATIONS = "/api/v1/deed-rectifications/"
APPEALS = "/api/v1/deed-appeals/"
FIGURES = "/api/v1/deed-figures/"
PANEL = "/api/v1/deed-panel-members/"
STATUSES = "/api/v1/deed-statuses/"


class LookBackTests(DeedsApiCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        done = cls.status("done")
        services.status_change(deed=cls.pipes, to_status=done, by=cls.alice, day=date(2027, 5, 1))
        cls.lookback = LookBack.objects.get(deed=cls.pipes)  # due 2027-05-29
        cls.later = cls.deed("小区加装电梯", location="和平区 某小区")
        services.status_change(deed=cls.later, to_status=done, by=cls.alice, day=date(2027, 5, 20))

    def url(self, suffix=""):
        return f"{LOOKBACKS}{self.lookback.pk}/{suffix}"

    def conclude(self, user, **data):
        data = {
            "real_need": True,
            "real_note": "管网老化是居民反映最多的问题",
            "lasting": True,
            "mechanism": True,
            "lasting_note": "建立巡检机制",
            "conclusion": "pass",
            **data,
        }
        return self.api(user, "post", self.url("conclude/"), data)

    def test_the_look_back_is_for_the_departments_not_the_unit(self):
        for user in (self.carol, self.dave, self.leo, self.hank):
            with self.subTest(user=user.username):
                response = self.api(user, "get", self.url())
                self.assertEqual(response.status_code, 403)
                self.assertEqual(self.conclude(user).status_code, 403)
        response = self.api(self.carol, "get", LOOKBACKS)
        self.assertEqual(response.json()["detail"], "只有范围覆盖该实事的组织部门可以进行回头看")
        self.assertEqual(self.api(self.eve, "get", self.url()).status_code, 404)
        self.assertEqual(self.conclude(self.eve).status_code, 404)
        self.assertEqual(self.ids(self.eve, LOOKBACKS), [])
        self.assertEqual(LookBack.objects.get(pk=self.lookback.pk).conclusion, "")

    def test_a_district_officer_concludes_pass_with_the_three_looks(self):
        body = self.ok(self.api(self.bob, "get", self.url()))
        self.assertEqual(
            (body["due_on"], body["overdue"], body["recurrences_now"]), ("2027-05-29", True, 0)
        )
        body = self.ok(self.conclude(self.bob, happy_note="居民满意"))
        self.assertEqual(
            {k: body[k] for k in ("conclusion", "conclusion_display", "ratings", "satisfaction")},
            {"conclusion": "pass", "conclusion_display": "通过", "ratings": 1, "satisfaction": 0.0},
        )
        self.assertEqual((body["reviewed_by_name"], body["overdue"]), ("鲍勃", False))
        response = self.conclude(self.bob)
        self.assertEqual(response.json(), {"conclusion": ["该次回头看已有结论"]})

    def test_pass_needs_a_real_need_and_every_look_answered(self):
        response = self.conclude(self.bob, real_need=False)
        self.assertEqual(
            response.json(), {"conclusion": ["所办事项不是群众急难愁盼，不能认定通过，请回炉返工"]}
        )
        response = self.api(self.bob, "post", self.url("conclude/"), {"conclusion": "pass"})
        self.assertEqual(
            response.json(),
            {
                "real_need": ["请选择：解决的是否是群众急难愁盼"],
                "lasting": ["请选择：效果是否持续"],
                "mechanism": ["请选择：是否建立了长效机制"],
            },
        )
        response = self.conclude(self.bob, real_note=" ")
        self.assertEqual(response.json(), {"real_note": ["请填写“实不实”的核实情况"]})
        self.assertEqual(LookBack.objects.get(pk=self.lookback.pk).conclusion, "")

    def test_rework_reopens_the_deed_with_tasks_and_a_new_deadline(self):
        response = self.conclude(self.alice, lasting=False, conclusion="rework")
        self.assertEqual(response.json(), {"tasks": ["回炉返工须列出返工任务"]})
        task = {"title": "更换二次供水泵", "deadline": "2027-06-25"}
        response = self.conclude(
            self.alice, conclusion="rework", tasks=[task], rework_deadline="2027-06-20"
        )
        self.assertEqual(
            response.json(), {"tasks": ["返工任务“更换二次供水泵”的时限应在今天与返工完成时限之间"]}
        )
        response = self.conclude(self.alice, conclusion="rework", tasks=[{"title": "x"}])
        self.assertEqual(
            response.json(), {"tasks": {"0": {"deadline": ["请填写返工任务的完成时限"]}}}
        )
        self.assertEqual(Deed.objects.get(pk=self.pipes.pk).reworks, 0)
        body = self.ok(
            self.conclude(
                self.alice,
                lasting=False,
                conclusion="rework",
                tasks=[{**task, "deadline": "2027-06-15"}],
                rework_deadline="2027-06-20",
            )
        )
        self.assertEqual(
            (body["conclusion_display"], body["rework_deadline"]), ("回炉返工", "2027-06-20")
        )
        self.assertEqual([t["title"] for t in body["tasks"]], ["更换二次供水泵"])
        deed = self.ok(self.api(self.carol, "get", f"{DEEDS}{self.pipes.pk}/"))
        self.assertEqual(
            (deed["status_name"], deed["promised_on"], deed["reworks"], deed["done_on"]),
            ("办理中", "2027-06-20", 1, None),
        )

    def test_the_list_puts_due_look_backs_first_and_filters_due_and_done(self):
        self.assertEqual(self.ids(self.bob, LOOKBACKS), [self.lookback.pk, self.lookback.pk + 1])
        self.assertEqual(self.ids(self.bob, LOOKBACKS + "?due=true"), [self.lookback.pk])
        self.assertEqual(self.ids(self.bob, LOOKBACKS + "?done=true"), [])
        self.ok(self.conclude(self.bob))
        self.assertEqual(self.ids(self.bob, LOOKBACKS + "?done=true"), [self.lookback.pk])
        self.assertEqual(self.ids(self.bob, LOOKBACKS + "?done=false"), [self.lookback.pk + 1])
        self.assertEqual(self.ids(self.bob, LOOKBACKS + "?due=true"), [])


class RectificationTests(DeedsApiCase):
    def url(self, suffix=""):
        return f"{RECTIFICATIONS}{self.rect.pk}/{suffix}"

    def test_the_unit_rectifies_and_calls_back_another_district_gets_404(self):
        self.assertEqual(self.api(self.eve, "get", self.url()).status_code, 404)
        self.assertEqual(
            self.api(self.eve, "post", self.url("done/"), {"action": "x"}).status_code, 404
        )
        self.assertEqual(self.ids(self.eve, RECTIFICATIONS), [])
        body = self.ok(self.api(self.carol, "get", self.url()))
        self.assertEqual(
            (body["level_display"], body["comment"], body["status"], body["overdue"]),
            ("不满意", "阀门还在漏", "open", False),
        )
        self.assertEqual(
            (body["can_work"], body["can_reveal"], body["can_appeal"]), (True, False, True)
        )
        response = self.api(self.carol, "post", self.url("done/"), {"action": " "})
        self.assertEqual(response.json(), {"action": ["请填写整改措施"]})
        body = self.ok(
            self.api(self.carol, "post", self.url("done/"), {"action": "更换阀门并试压"})
        )
        self.assertEqual((body["status_display"], body["done_by_name"]), ("已整改", "卡罗"))
        self.assertEqual(body["rerate_url"], "")  # the link goes with the callback, see reveal
        response = self.api(
            self.carol, "post", self.url("callback/"), {"day": "2027-05-31", "note": "x"}
        )
        self.assertEqual(response.json(), {"day": ["回访日期不能早于整改启动日期（2027-06-01）"]})
        body = self.ok(self.api(self.carol, "post", self.url("callback/"), {"note": "居民满意"}))
        self.assertEqual((body["callback_on"], body["callback_note"]), ("2027-06-01", "居民满意"))

    def test_a_leader_reads_the_rectification_but_may_not_work_it(self):
        self.assertFalse(self.ok(self.api(self.leo, "get", self.url()))["can_work"])
        response = self.api(self.leo, "post", self.url("done/"), {"action": "x"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            response.json()["detail"], "只有整改单位和范围覆盖它的组织部门可以办理该整改"
        )
        self.assertEqual(self.api(self.hank, "get", RECTIFICATIONS).status_code, 403)
        self.assertEqual(Rectification.objects.get(pk=self.rect.pk).status, "open")

    def test_the_raters_phone_is_revealed_to_the_department_and_audited_not_to_the_unit(self):
        response = self.api(self.carol, "post", self.url("reveal/"))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "您的角色不能查看评价人手机号")
        self.assertEqual(self.api(self.eve, "post", self.url("reveal/")).status_code, 404)
        self.assertFalse(AuditEntry.objects.filter(action="reveal").exists())
        body = self.ok(self.api(self.bob, "post", self.url("reveal/")))
        self.assertEqual(body, {"id": self.rating.pk, "mobile": PHONE})
        entry = AuditEntry.objects.get(action="reveal")
        self.assertEqual(
            (entry.actor, entry.object_type, entry.object_id),
            (self.bob, "deeds.rating", str(self.rating.pk)),
        )
        # Once the fix is done, the one who calls back also gets the re-rating link.
        services.rectification_done(rectification=self.rect, by=self.carol, action="更换阀门")
        body = self.ok(self.api(self.bob, "get", self.url()))
        self.assertEqual(
            body["rerate_url"], f"http://testserver/public/rerate/{self.rect.rerate_token}/"
        )

    def test_the_list_shows_open_ones_first_and_filters(self):
        other = self.rate(self.pipes, Level.VERY_BAD)
        closed = self.rectify(other, status="done", deadline=date(2027, 5, 20))
        late = self.rectify(self.rate(self.pipes, Level.BAD), deadline=date(2027, 5, 30))
        self.assertEqual(self.ids(self.carol, RECTIFICATIONS), [late.pk, self.rect.pk, closed.pk])
        self.assertEqual(self.ids(self.carol, RECTIFICATIONS + "?overdue=true"), [late.pk])
        self.assertEqual(self.ids(self.carol, RECTIFICATIONS + "?status=done"), [closed.pk])
        self.assertEqual(self.ids(self.carol, RECTIFICATIONS + f"?deed={self.hunnan_deed.pk}"), [])


class AppealTests(DeedsApiCase):
    def file(self, user, rating=None, reason="评价人并非本小区居民"):
        rating = rating or self.rating
        return self.api(user, "post", APPEALS, {"rating": rating.pk, "reason": reason})

    def decide(self, user, appeal_id, **data):
        return self.api(user, "post", f"{APPEALS}{appeal_id}/decide/", data)

    def test_the_unit_files_an_appeal_and_someone_else_with_the_right_decides_it(self):
        body = self.ok(self.file(self.carol), 201)
        self.assertEqual(
            (body["level_display"], body["filed_by_name"], body["decision"], body["can_decide"]),
            ("不满意", "卡罗", "", False),
        )
        self.assertEqual(self.ids(self.carol, APPEALS), [body["id"]])
        response = self.decide(self.carol, body["id"], decision="upheld", note="我说了算")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "申诉人不能复核自己的申诉")
        self.assertFalse(Rating.objects.get(pk=self.rating.pk).excluded)

        self.assertTrue(
            self.ok(self.api(self.alice, "get", f"{APPEALS}{body['id']}/"))["can_decide"]
        )
        response = self.decide(self.alice, body["id"], decision="upheld")
        self.assertEqual(response.json(), {"note": ["请填写复核意见"]})
        body = self.ok(self.decide(self.alice, body["id"], decision="upheld", note="核实为误评"))
        self.assertEqual(
            (body["decision_display"], body["decided_by_name"], body["can_decide"]),
            ("申诉成立", "艾丽丝", False),
        )
        self.assertTrue(Rating.objects.get(pk=self.rating.pk).excluded)
        response = self.decide(self.bob, body["id"], decision="rejected", note="再议")
        self.assertEqual(response.json(), {"decision": ["该申诉已复核"]})
        figures = self.ok(self.api(self.carol, "get", f"{DEEDS}{self.pipes.pk}/figures/"))
        self.assertEqual((figures["valid"], figures["excluded"]), (0, 1))
        response = self.file(self.carol)
        self.assertEqual(response.json(), {"reason": ["该评价已因申诉成立不计入统计"]})

    def test_an_officer_may_not_decide_his_own_appeal(self):
        appeal = self.ok(self.file(self.alice), 201)
        self.assertFalse(appeal["can_decide"])
        response = self.decide(self.alice, appeal["id"], decision="upheld", note="x")
        self.assertEqual(response.json()["detail"], "申诉人不能复核自己的申诉")
        response = self.file(self.carol)
        self.assertEqual(response.json(), {"reason": ["该评价已有待复核的申诉"]})
        body = self.ok(self.decide(self.bob, appeal["id"], decision="rejected", note="评价属实"))
        self.assertEqual(body["decision_display"], "申诉不成立")
        self.assertFalse(Rating.objects.get(pk=self.rating.pk).excluded)

    def test_outside_the_scope_and_without_the_role_no_appeal_is_seen_or_filed(self):
        appeal = self.ok(self.file(self.carol), 201)
        self.assertEqual(self.api(self.eve, "get", f"{APPEALS}{appeal['id']}/").status_code, 404)
        self.assertEqual(
            self.decide(self.eve, appeal["id"], decision="upheld", note="x").status_code, 404
        )
        self.assertEqual(self.ids(self.eve, APPEALS), [])
        response = self.file(self.eve)
        self.assertEqual(response.json(), {"rating": ["该评价不存在或不在您的范围内"]})
        for user in (self.dave, self.leo, self.hank):
            with self.subTest(user=user.username):
                response = self.file(user)
                self.assertEqual(response.status_code, 403)
                self.assertEqual(response.json()["detail"], "您的角色不能提出或复核差评申诉")
        response = self.api(self.carol, "post", APPEALS, {"rating": self.rating.pk})
        self.assertEqual(response.json(), {"reason": ["请填写申诉理由（如恶意评价、误评的依据）"]})
        self.assertEqual(Appeal.objects.count(), 1)


class FigureTests(DeedsApiCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        done = cls.status("done")
        on_time = cls.deed("路灯维修", location="和平区 某路")
        services.status_change(deed=on_time, to_status=done, by=cls.alice, day=date(2027, 4, 20))
        cls.rate(on_time, Level.VERY_GOOD)
        late = cls.deed("公园座椅", location="和平区 某公园", unit=cls.heping)
        services.status_change(deed=late, to_status=done, by=cls.alice, day=date(2027, 5, 10))
        going = cls.deed("社区食堂", location="和平区 某社区", day=date(2027, 5, 1))
        Evidence.objects.create(deed=going, date=date(2027, 5, 2), note="选址", by=cls.carol)

    def figures(self, user, query=""):
        return self.ok(self.api(user, "get", FIGURES + query))

    def test_the_rates_count_the_deeds_in_the_callers_scope(self):
        body = self.figures(self.bob)
        self.assertEqual(
            {k: body[k] for k in ("deeds", "responded", "solved", "on_time")},
            {"deeds": 4, "responded": 3, "solved": 2, "on_time": 1},
        )
        self.assertEqual(
            {k: body[k] for k in ("response_rate", "solve_rate", "on_time_rate")},
            {"response_rate": 75.0, "solve_rate": 50.0, "on_time_rate": 50.0},
        )
        self.assertEqual((body["satisfaction"], body["rectify_rate"]), (50.0, 0.0))
        self.assertEqual((body["ratings"]["valid"], body["ratings"]["bad"]), (2, 1))
        Rectification.objects.filter(pk=self.rect.pk).update(status="done")
        self.assertEqual(self.figures(self.bob)["rectify_rate"], 100.0)
        body = self.figures(self.eve)
        self.assertEqual(
            (body["deeds"], body["response_rate"], body["satisfaction"]), (1, 0.0, None)
        )
        self.assertEqual(self.figures(self.alice)["deeds"], 5)

    def test_the_rates_filter_by_unit_and_below_cadre_and_registration_dates(self):
        self.assertEqual(self.figures(self.alice, f"?unit={self.heping.pk}")["deeds"], 4)
        self.assertEqual(self.figures(self.alice, f"?unit={self.heping_fgj.pk}")["deeds"], 3)
        self.assertEqual(self.figures(self.eve, f"?unit={self.heping.pk}")["deeds"], 0)
        self.assertEqual(self.figures(self.alice, f"?cadre={self.dave_cadre.pk}")["deeds"], 1)
        self.assertEqual(self.figures(self.bob, "?opened_from=2027-04-01")["deeds"], 1)
        self.assertEqual(self.figures(self.bob, "?opened_to=2027-04-01")["deeds"], 3)
        response = self.api(self.bob, "get", FIGURES + "?unit=和平区")
        self.assertEqual(response.json(), {"unit": ["单位 id 应为整数"]})
        response = self.api(self.hank, "get", FIGURES)
        self.assertEqual(response.status_code, 403)


class PanelTests(DeedsApiCase):
    def test_the_department_invites_a_member_whose_phone_is_shown_masked(self):
        response = self.api(self.bob, "post", PANEL, {"name": "王大妈", "mobile": "12345"})
        self.assertEqual(response.json(), {"mobile": ["请填写正确的 11 位手机号"]})
        response = self.api(self.bob, "post", PANEL, {"community": "文萃小区"})
        self.assertEqual(response.json(), {"name": ["请填写姓名"]})
        response = self.api(
            self.bob,
            "post",
            PANEL,
            {"name": "王大妈", "community": "文萃小区", "mobile": "13700001234"},
        )
        body = self.ok(response, 201)
        member = PanelMember.objects.get()
        self.assertEqual((body["mobile_masked"], body["token"]), ("137****1234", member.token))
        self.assertEqual(body["invitation_url"], f"http://testserver/public/panel/{member.token}/")
        self.assertNotIn("13700001234", response.content.decode())
        response = self.api(self.alice, "get", PANEL)
        self.assertEqual([m["name"] for m in response.json()["results"]], ["王大妈"])
        self.assertNotIn("13700001234", response.content.decode())

    def test_the_unit_neither_sees_nor_invites_the_panel(self):
        for method in ("get", "post"):
            response = self.api(self.carol, method, PANEL, {"name": "x"})
            self.assertEqual(response.status_code, 403)
            self.assertEqual(response.json()["detail"], "您的角色不能查看群众评议团")
        self.assertFalse(PanelMember.objects.exists())

    def test_the_invitation_is_shown_only_to_those_who_may_invite(self):
        member = services.panel_member_add(by=self.alice, name="王大妈", mobile="13700001234")
        role = Role.objects.create(code="panel_reader", name="评议团查看", scope=Role.Scope.ALL)
        role.permissions.set(
            Permission.objects.filter(content_type__app_label="deeds", codename="view_panelmember")
        )
        reader = make_user("pat", self.city, "panel_reader")
        response = self.api(reader, "get", PANEL)
        [row] = self.ok(response)["results"]
        self.assertEqual((row["token"], row["invitation_url"]), (None, None))
        self.assertNotIn(member.token, response.content.decode())
        response = self.api(reader, "post", PANEL, {"name": "x"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "您的角色不能邀请评议团成员")


class QueryCountTests(DeedsApiCase):
    def add_rows(self, n: int):
        """A deed with a target, progress, a bad rating with its rectification and an appeal,
        done (so a look-back is due); a rating and progress on the pipes; a panel member."""
        deed = self.deed(f"实事{n}", cadre=self.dave_cadre, targets=[("户数", "户", 10)])
        Evidence.objects.create(deed=deed, date=date(2027, 4, 1), note="进展", by=self.carol)
        rating = self.rate(deed, Level.BAD, phone=PHONE)
        self.rectify(rating)
        services.appeal_file(rating=rating, by=self.carol, reason="误评")
        services.status_change(
            deed=deed,
            to_status=self.status("done"),
            by=self.alice,
            day=date(2027, 4, 1),
            note="完成",
        )
        self.rate(self.pipes, Level.GOOD, comment=f"评价{n}")
        Evidence.objects.create(
            deed=self.pipes, date=date(2027, 4, 1), note=f"进展{n}", by=self.carol
        )
        services.panel_member_add(by=self.alice, name=f"成员{n}", mobile="13700001234")

    def counts(self, user, url):
        with CaptureQueriesContext(connection) as ctx:
            body = self.ok(self.api(user, "get", url))
        return body.get("count"), len(ctx)

    def test_list_queries_do_not_grow_with_the_rows(self):
        endpoints = [
            (self.bob, DEEDS),
            (self.bob, f"{DEEDS}{self.pipes.pk}/"),
            (self.bob, f"{DEEDS}{self.pipes.pk}/ratings/"),
            (self.bob, f"{DEEDS}{self.pipes.pk}/progress/"),
            (self.bob, LOOKBACKS),
            (self.bob, RECTIFICATIONS),
            (self.bob, APPEALS),
            (self.carol, APPEALS),
            (self.bob, PANEL),
            (self.bob, FIGURES),
            (self.carol, STATUSES),
        ]
        for n in range(2):
            self.add_rows(n)
        for user, url in endpoints:  # a user's first request creates his token
            self.counts(user, url)
        before = {(user, url): self.counts(user, url) for user, url in endpoints}
        for n in range(2, 10):
            self.add_rows(n)
        for user, url in endpoints:
            with self.subTest(user=user.username, url=url):
                rows, queries = self.counts(user, url)
                self.assertEqual(queries, before[user, url][1])
                if rows is not None and url != STATUSES:
                    self.assertGreater(rows, before[user, url][0])


class SchemaTests(DeedsApiCase):
    def test_the_deeds_endpoints_are_in_the_openapi_document_without_warnings(self):
        from drf_spectacular.drainage import GENERATOR_STATS

        GENERATOR_STATS.reset()
        with GENERATOR_STATS.silence():
            response = self.client.get("/api/v1/schema/", headers={"Accept": "application/json"})
        doc = response.json()
        for path in (
            "/api/v1/deeds/",
            "/api/v1/deeds/{id}/",
            "/api/v1/deeds/{id}/status/",
            "/api/v1/deeds/{id}/targets/",
            "/api/v1/deeds/{id}/progress/",
            "/api/v1/deeds/{id}/progress/{evidence}/photo/",
            "/api/v1/deeds/{id}/ratings/",
            "/api/v1/deeds/{id}/figures/",
            "/api/v1/deed-statuses/",
            "/api/v1/deed-lookbacks/{id}/conclude/",
            "/api/v1/deed-rectifications/{id}/done/",
            "/api/v1/deed-rectifications/{id}/callback/",
            "/api/v1/deed-rectifications/{id}/reveal/",
            "/api/v1/deed-appeals/",
            "/api/v1/deed-appeals/{id}/decide/",
            "/api/v1/deed-figures/",
            "/api/v1/deed-panel-members/",
        ):
            self.assertIn(path, doc["paths"])
        progress = doc["paths"]["/api/v1/deeds/{id}/progress/"]["post"]["requestBody"]["content"]
        self.assertIn("multipart/form-data", progress)
        rating = doc["components"]["schemas"]["DeedRatingRow"]["properties"]
        self.assertFalse({"rater_key", "mobile", "panel_member"} & set(rating))
        mine = [
            message
            for message in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
            if "deeds/api.py" in message or "Deed" in message or '"category"' in message
        ]
        self.assertEqual(mine, [])

    def test_the_public_rating_endpoints_are_described_where_their_urls_are(self):
        """Plain Django views, described by deeds/schema.py: the paths must be the routes."""
        from django.urls import reverse

        doc = self.client.get("/api/v1/schema/", headers={"Accept": "application/json"}).json()
        for name, answer in (("code", "200"), ("ratings", "201")):
            with self.subTest(name=name):
                url = reverse(f"deeds_public_api:{name}", args=["KEY"]).replace("KEY", "{key}")
                operation = doc["paths"][url]["post"]
                self.assertEqual(operation["security"], [])
                self.assertIn(answer, operation["responses"])
                self.assertIn("400", operation["responses"])
                self.assertIn("429", operation["responses"])
        body = doc["paths"]["/api/v1/public/deeds/{key}/ratings/"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        self.assertEqual(schema["required"], ["mobile", "code", "level"])
        self.assertEqual(sorted(schema["properties"]["level"]["enum"]), [1, 2, 3, 4, 5])
