"""/api/v1/nominations/ and /api/v1/batches/{id}/match/: nominating within one's own scope,
each review level done by its role only, Chinese refusals, the full walk to a placement, and
person–post matching reserved to the city organisation department."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import ExpertiseTag
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes.models import Batch, Placement, Post, Programme
from guazhi.selection import services
from guazhi.selection.models import Nomination, PairRule
from guazhi.testing import BaseTestCase


class NominationApiCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.programme = Programme.objects.create(
            name="京沈对口合作", partner_city="北京", owner_unit=cls.city
        )
        cls.levels = services.levels_create_default(cls.programme)
        cls.batch = Batch.objects.create(
            programme=cls.programme,
            number=1,
            start=date(2025, 3, 1),
            end=date(2026, 3, 1),
            quota=4,
            status=Batch.Status.NOMINATING,
        )
        cls.investment = ExpertiseTag.objects.create(name="招商引资")
        cls.tech = ExpertiseTag.objects.create(name="科技创新")
        cls.post_invest = Post.objects.create(
            batch=cls.batch, title="招商局副局长", host_unit=cls.chaoyang
        )
        cls.post_invest.requirements.create(tag=cls.investment, weight=5)
        cls.post_tech = Post.objects.create(
            batch=cls.batch, title="科委副主任", host_unit=cls.chaoyang
        )
        cls.post_tech.requirements.create(tag=cls.tech, weight=5)
        cls.wang = make_cadre(cls.heping_fgj, "王晓明")
        cls.wang.tags.add(cls.investment)
        cls.zhao = make_cadre(cls.heping_fgj, "赵新", birth=date(1990, 5, 1))
        cls.zhao.tags.add(cls.tech)
        cls.li = make_cadre(cls.hunnan_kjj, "李浑南", male=False)

    def api(self, user, method, url, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )

    def nominate(self, cadre, by=None):
        return services.nominate(
            batch=self.batch, cadre=cadre, reason="政治过硬，熟悉业务", by=by or self.carol
        )

    def decide(self, user, nomination, **data):
        data.setdefault("approve", True)
        return self.api(user, "post", f"/api/v1/nominations/{nomination.pk}/decide/", data)

    def to_matching(self, *nominations):
        """Pass the district level so the nominations reach the matching level."""
        for nomination in nominations:
            services.decide(nomination=nomination, by=self.bob, approve=True, opinion="同意")


class NominateTests(NominationApiCase):
    def test_sending_unit_nominates_its_own_cadre(self):
        response = self.api(
            self.carol,
            "post",
            "/api/v1/nominations/",
            {"batch": self.batch.pk, "cadre": self.wang.pk, "reason": "熟悉招商"},
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["status"], body["level_name"]), ("pending", "区委组织部审核"))
        self.assertEqual([s["action"] for s in body["steps"]], ["submit"])
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.placement_status, "nominated")

    def test_sending_unit_cannot_nominate_another_districts_cadre(self):
        response = self.api(
            self.carol,
            "post",
            "/api/v1/nominations/",
            {"batch": self.batch.pk, "cadre": self.li.pk, "reason": "熟悉招商"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("不在您的推荐范围内", response.json()["cadre"][0])
        self.assertFalse(Nomination.objects.exists())

    def test_the_same_cadre_cannot_be_nominated_twice(self):
        self.nominate(self.wang)
        response = self.api(
            self.bob,
            "post",
            "/api/v1/nominations/",
            {"batch": self.batch.pk, "cadre": self.wang.pk, "reason": "再次推荐"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能重复推荐", response.json()["detail"])

    def test_a_batch_not_nominating_refuses_nominations(self):
        Batch.objects.filter(pk=self.batch.pk).update(status=Batch.Status.PLANNING)
        response = self.api(
            self.carol,
            "post",
            "/api/v1/nominations/",
            {"batch": self.batch.pk, "cadre": self.wang.pk, "reason": "熟悉招商"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("不接受推荐", response.json()["detail"])

    def test_a_host_unit_may_not_nominate(self):
        response = self.api(
            self.hank,
            "post",
            "/api/v1/nominations/",
            {"batch": self.batch.pk, "cadre": self.wang.pk, "reason": "熟悉招商"},
        )
        self.assertEqual(response.status_code, 403)

    def test_list_is_scoped_to_the_nominating_unit(self):
        self.nominate(self.wang)
        services.nominate(batch=self.batch, cadre=self.li, reason="熟悉科技", by=self.eve)

        def names(user):
            rows = self.api(user, "get", "/api/v1/nominations/").json()["results"]
            return {r["cadre_name"] for r in rows}

        self.assertEqual(names(self.carol), {"王晓明"})
        self.assertEqual(names(self.eve), {"李浑南"})
        self.assertEqual(names(self.alice), {"王晓明", "李浑南"})

    def test_nomination_outside_the_scope_is_404(self):
        nomination = self.nominate(self.wang)
        url = f"/api/v1/nominations/{nomination.pk}/"
        self.assertEqual(self.api(self.eve, "get", url).status_code, 404)
        self.assertEqual(self.decide(self.eve, nomination).status_code, 404)


class DecisionTests(NominationApiCase):
    def test_district_officer_decides_level_one(self):
        nomination = self.nominate(self.wang)
        response = self.decide(self.bob, nomination, opinion="同意推荐")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["status"], body["level_order"]), ("pending", 2))
        self.assertEqual(body["steps"][-1]["opinion"], "同意推荐")

    def test_district_officer_cannot_decide_level_two(self):
        nomination = self.nominate(self.wang)
        self.to_matching(nomination)
        response = self.decide(self.bob, nomination)
        self.assertEqual(response.status_code, 403)
        self.assertIn("市委组织部综合比选", response.json()["detail"])
        nomination.refresh_from_db()
        self.assertEqual(nomination.level.order, 2)

    def test_city_officer_cannot_skip_level_one(self):
        nomination = self.nominate(self.wang)
        response = self.decide(self.alice, nomination)
        self.assertEqual(response.status_code, 403)
        self.assertIn("区委组织部", response.json()["detail"])
        nomination.refresh_from_db()
        self.assertEqual(nomination.level.order, 1)

    def test_sending_unit_cannot_review_its_own_nomination(self):
        nomination = self.nominate(self.wang)
        self.assertEqual(self.decide(self.carol, nomination).status_code, 403)

    def test_rejection_without_a_reason_is_refused_in_chinese(self):
        nomination = self.nominate(self.wang)
        response = self.decide(self.bob, nomination, approve=False, opinion=" ")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["opinion"], ["不通过时须填写理由"])
        nomination.refresh_from_db()
        self.assertEqual(nomination.status, "pending")

    def test_rejection_with_a_reason_ends_the_nomination(self):
        nomination = self.nominate(self.wang)
        response = self.decide(self.bob, nomination, approve=False, opinion="年度考核不符合要求")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "rejected")
        self.assertEqual(self.decide(self.bob, nomination).status_code, 400)

    def test_matching_level_needs_a_post_first(self):
        nomination = self.nominate(self.wang)
        self.to_matching(nomination)
        response = self.decide(self.alice, nomination)
        self.assertEqual(response.status_code, 400)
        self.assertIn("人岗匹配", response.json()["detail"])

    def test_waiting_for_me_lists_what_waits_at_my_level(self):
        first = self.nominate(self.wang)
        second = self.nominate(self.zhao)
        self.to_matching(second)

        def waiting(user):
            rows = self.api(user, "get", "/api/v1/nominations/?waiting_for_me=1").json()
            return [r["id"] for r in rows["results"]]

        self.assertEqual(waiting(self.bob), [first.pk])
        self.assertEqual(waiting(self.alice), [second.pk])
        self.assertEqual(waiting(self.carol), [])
        rows = self.api(self.bob, "get", "/api/v1/nominations/").json()["results"]
        self.assertEqual(
            {r["id"]: r["waiting_for_me"] for r in rows}, {first.pk: True, second.pk: False}
        )

    def test_list_filters_by_batch_and_status(self):
        self.nominate(self.wang)
        other = Batch.objects.create(
            programme=self.programme,
            number=2,
            start=date(2027, 3, 1),
            end=date(2028, 3, 1),
            quota=2,
            status=Batch.Status.NOMINATING,
        )
        services.nominate(batch=other, cadre=self.zhao, reason="熟悉科技", by=self.carol)
        rows = self.api(
            self.carol, "get", f"/api/v1/nominations/?batch={other.pk}&status=pending"
        ).json()["results"]
        self.assertEqual([r["cadre_name"] for r in rows], ["赵新"])


class WithdrawTests(NominationApiCase):
    def test_withdrawal_is_kept_in_the_list_as_withdrawn(self):
        nomination = self.nominate(self.wang)
        url = f"/api/v1/nominations/{nomination.pk}/withdraw/"
        response = self.api(self.carol, "post", url, {"reason": "本人因家庭原因申请退出"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["steps"][-1]["action"], "withdraw")
        rows = self.api(self.carol, "get", "/api/v1/nominations/").json()["results"]
        self.assertEqual([(r["id"], r["status"]) for r in rows], [(nomination.pk, "withdrawn")])

    def test_withdrawal_needs_a_reason(self):
        nomination = self.nominate(self.wang)
        url = f"/api/v1/nominations/{nomination.pk}/withdraw/"
        response = self.api(self.carol, "post", url, {"reason": ""})
        self.assertEqual(response.status_code, 400)
        self.assertIn("撤回原因", response.json()["reason"][0])

    def test_other_district_and_host_unit_do_not_see_it_and_the_cadre_may_not_withdraw(self):
        from guazhi.cadres.models import Cadre

        Cadre.objects.filter(pk=self.wang.pk).update(user=self.dave)
        nomination = self.nominate(self.wang)
        url = f"/api/v1/nominations/{nomination.pk}/withdraw/"
        self.assertEqual(self.api(self.eve, "post", url, {"reason": "x"}).status_code, 404)
        self.assertEqual(self.api(self.hank, "post", url, {"reason": "x"}).status_code, 404)
        # The cadre sees his own nomination but withdrawing is the sending unit's.
        self.assertEqual(
            self.api(self.dave, "get", f"/api/v1/nominations/{nomination.pk}/").status_code, 200
        )
        self.assertEqual(self.api(self.dave, "post", url, {"reason": "x"}).status_code, 403)
        nomination.refresh_from_db()
        self.assertEqual(nomination.status, "pending")


class FullWalkTests(NominationApiCase):
    def test_all_levels_with_the_document_number_create_a_visible_placement(self):
        response = self.api(
            self.carol,
            "post",
            "/api/v1/nominations/",
            {"batch": self.batch.pk, "cadre": self.wang.pk, "reason": "熟悉招商"},
        )
        nomination_id = response.json()["id"]
        nomination = Nomination.objects.get(pk=nomination_id)
        self.assertEqual(self.decide(self.bob, nomination).status_code, 200)
        # 综合比选: the matching decides the post, then the level is passed.
        confirm = self.api(self.alice, "post", f"/api/v1/batches/{self.batch.pk}/match/confirm/")
        self.assertEqual(confirm.status_code, 200, confirm.content)
        self.assertEqual(confirm.json()["pairs"], [[nomination_id, self.post_invest.pk]])
        self.assertEqual(self.decide(self.alice, nomination, opinion="择优确定").status_code, 200)
        self.assertEqual(self.decide(self.alice, nomination, opinion="市委同意").status_code, 200)
        # 报中组部备案 needs the document number and date.
        missing = self.decide(self.alice, nomination)
        self.assertEqual(missing.status_code, 400)
        self.assertEqual(set(missing.json()), {"document_number", "document_date"}, missing.content)
        done = self.decide(
            self.alice, nomination, document_number="组干字〔2025〕12号", document_date="2025-02-20"
        )
        self.assertEqual(done.status_code, 200, done.content)
        body = done.json()
        self.assertEqual(body["status"], "approved")
        self.assertEqual(body["document_number"], "组干字〔2025〕12号")
        self.assertIsNotNone(body["placement"])
        self.assertEqual(
            [s["action"] for s in body["steps"]],
            ["submit", "approve", "assign", "approve", "approve", "approve"],
        )

        def placements(user):
            rows = self.api(user, "get", "/api/v1/placements/").json()["results"]
            return [(r["cadre_name"], r["post_title"]) for r in rows]

        expected = [("王晓明", "招商局副局长")]
        self.assertEqual(placements(self.hank), expected)
        self.assertEqual(placements(self.carol), expected)
        self.assertEqual(placements(self.bob), expected)
        self.assertEqual(placements(self.eve), [])
        self.assertEqual(
            self.api(self.eve, "get", f"/api/v1/placements/{body['placement']}/").status_code, 404
        )
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.placement_status, "on_post")


class MatchTests(NominationApiCase):
    def setUp(self):
        self.wang_n = self.nominate(self.wang)
        self.zhao_n = self.nominate(self.zhao)
        self.to_matching(self.wang_n, self.zhao_n)
        self.url = f"/api/v1/batches/{self.batch.pk}/match/"

    def test_match_is_refused_to_a_district_officer_and_works_for_the_city(self):
        self.assertEqual(self.api(self.bob, "get", self.url).status_code, 403)
        self.assertEqual(self.api(self.carol, "get", self.url).status_code, 403)
        response = self.api(self.alice, "get", self.url)
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["status"], "optimal")
        self.assertTrue(body["proven_optimal"])
        self.assertEqual(body["filled"], 2)
        pairs = {(p["nomination"], p["post"]) for p in body["pairs"]}
        self.assertEqual(
            pairs, {(self.wang_n.pk, self.post_invest.pk), (self.zhao_n.pk, self.post_tech.pk)}
        )
        wang = next(p for p in body["pairs"] if p["nomination"] == self.wang_n.pk)
        self.assertEqual(wang["cadre_name"], "王晓明")
        self.assertEqual(wang["post_title"], "招商局副局长")
        self.assertEqual(wang["score"], 100.0)
        item = wang["explanation"][0]
        self.assertEqual(set(item), {"label", "met", "points", "max_points", "mandatory", "detail"})
        self.assertEqual(item["label"], "专长：招商引资")
        self.assertTrue(item["met"])
        self.assertEqual(body["unassigned"], [])
        self.assertEqual(body["missing_tags"], [])

    def test_a_batch_without_candidates_gives_an_empty_proposal(self):
        empty = Batch.objects.create(
            programme=self.programme,
            number=2,
            start=date(2027, 3, 1),
            end=date(2028, 3, 1),
            quota=2,
            status=Batch.Status.NOMINATING,
        )
        Post.objects.create(batch=empty, title="区长助理", host_unit=self.chaoyang)
        response = self.api(self.alice, "get", f"/api/v1/batches/{empty.pk}/match/")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["filled"], body["pairs"]), (0, []))
        self.assertEqual(body["open_seats"][0]["open"], 1)

    def test_missing_batch_is_404_for_everyone(self):
        self.assertEqual(
            self.api(self.alice, "get", "/api/v1/batches/9999/match/").status_code, 404
        )

    def test_missing_tags_and_unassigned_are_reported(self):
        self.batch.required_tags.add(ExpertiseTag.objects.create(name="乡村振兴"))
        Post.objects.filter(pk=self.post_tech.pk).delete()
        body = self.api(self.alice, "get", self.url).json()
        self.assertEqual(body["missing_tags"], ["乡村振兴"])
        self.assertEqual([u["cadre_name"] for u in body["unassigned"]], ["赵新"])

    def test_compare_a_worse_own_choice_with_the_optimum(self):
        swapped = [[self.wang_n.pk, self.post_tech.pk], [self.zhao_n.pk, self.post_invest.pk]]
        response = self.api(self.alice, "post", self.url + "compare/", {"pairs": swapped})
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["optimum"], 200.0)
        self.assertLess(body["total"], body["optimum"])
        self.assertEqual((body["filled"], body["optimum_filled"]), (2, 2))
        self.assertEqual(
            self.api(self.bob, "post", self.url + "compare/", {"pairs": swapped}).status_code, 403
        )

    def test_compare_needs_pairs_of_two_ids(self):
        response = self.api(self.alice, "post", self.url + "compare/", {"pairs": [[1, 2, 3]]})
        self.assertEqual(response.status_code, 400)
        self.assertIn("pairs", response.json())

    def test_confirm_assigns_the_proposed_posts(self):
        response = self.api(self.alice, "post", self.url + "confirm/", {"opinion": "综合比选"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(len(response.json()["changed"]), 2)
        self.wang_n.refresh_from_db()
        self.zhao_n.refresh_from_db()
        self.assertEqual(self.wang_n.post, self.post_invest)
        self.assertEqual(self.zhao_n.post, self.post_tech)
        self.assertEqual(float(self.wang_n.fit_score), 100.0)

    def test_confirm_an_own_choice(self):
        pairs = [[self.wang_n.pk, self.post_tech.pk]]
        response = self.api(self.alice, "post", self.url + "confirm/", {"pairs": pairs})
        self.assertEqual(response.status_code, 200, response.content)
        self.wang_n.refresh_from_db()
        self.zhao_n.refresh_from_db()
        self.assertEqual(self.wang_n.post, self.post_tech)
        self.assertIsNone(self.zhao_n.post)

    def test_confirm_is_refused_to_a_district_officer(self):
        response = self.api(self.bob, "post", self.url + "confirm/", {})
        self.assertEqual(response.status_code, 403)
        self.wang_n.refresh_from_db()
        self.assertIsNone(self.wang_n.post)

    def test_confirm_refuses_a_post_over_capacity(self):
        pairs = [[self.wang_n.pk, self.post_tech.pk], [self.zhao_n.pk, self.post_tech.pk]]
        response = self.api(self.alice, "post", self.url + "confirm/", {"pairs": pairs})
        self.assertEqual(response.status_code, 400)
        self.assertIn("超过名额 1 人", response.json()["detail"])
        self.assertIn("科委副主任", response.json()["detail"])
        self.assertNotIn("#", response.json()["detail"])

    def test_forbid_rule_changes_the_proposal_and_null_clears_it(self):
        rule = {"nomination": self.wang_n.pk, "post": self.post_invest.pk, "kind": "forbid"}
        response = self.api(self.alice, "post", self.url + "rules/", rule)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertTrue(PairRule.objects.filter(kind="forbid").exists())
        body = self.api(self.alice, "get", self.url).json()
        self.assertNotIn(
            (self.wang_n.pk, self.post_invest.pk),
            {(p["nomination"], p["post"]) for p in body["pairs"]},
        )
        self.assertEqual(body["rules"], [rule])
        cleared = self.api(self.alice, "post", self.url + "rules/", {**rule, "kind": None})
        self.assertEqual(cleared.status_code, 200)
        self.assertFalse(PairRule.objects.exists())

    def test_rules_are_refused_to_a_district_officer_and_check_the_batch(self):
        rule = {"nomination": self.wang_n.pk, "post": self.post_invest.pk, "kind": "pin"}
        self.assertEqual(self.api(self.bob, "post", self.url + "rules/", rule).status_code, 403)
        response = self.api(
            self.alice, "post", self.url + "rules/", {**rule, "post": 9999, "kind": "maybe"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("pin", response.json()["kind"][0])
        response = self.api(self.alice, "post", self.url + "rules/", {**rule, "post": 9999})
        self.assertEqual(response.status_code, 400)
        self.assertIn("不属于", response.json()["post"][0])


class QueryCountTests(NominationApiCase):
    def test_nomination_list_query_count_does_not_grow_with_the_rows(self):
        def count():
            with CaptureQueriesContext(connection) as ctx:
                response = self.api(self.alice, "get", "/api/v1/nominations/")
            self.assertEqual(response.status_code, 200)
            return len(response.json()["results"]), len(ctx)

        self.to_matching(self.nominate(self.wang))
        services.nominate(batch=self.batch, cadre=self.li, reason="熟悉科技", by=self.eve)
        count()  # warm up: the token and the content-type cache
        rows, queries = count()
        self.assertEqual(rows, 2)
        for i in range(4):
            unit = self.hunnan_kjj if i % 2 else self.heping_fgj
            nomination = services.nominate(
                batch=self.batch,
                cadre=make_cadre(unit, f"干部{i}"),
                reason="熟悉业务",
                by=self.eve if i % 2 else self.carol,
            )
            services.decide(nomination=nomination, by=self.eve if i % 2 else self.bob, approve=True)
        with self.assertNumQueries(queries):
            response = self.api(self.alice, "get", "/api/v1/nominations/")
        self.assertEqual(len(response.json()["results"]), 6)

    def test_placement_list_query_count_does_not_grow_with_the_rows(self):
        from guazhi.programmes.services import placement_create

        post = Post.objects.create(
            batch=self.batch, title="区长助理", host_unit=self.chaoyang, capacity=10
        )
        placement_create(cadre=self.wang, post=post)
        placement_create(cadre=self.li, post=post)

        def count():
            with CaptureQueriesContext(connection) as ctx:
                response = self.api(self.hank, "get", "/api/v1/placements/")
            return len(response.json()["results"]), len(ctx)

        count()
        rows, queries = count()
        self.assertEqual(rows, 2)
        for i in range(4):
            placement_create(cadre=make_cadre(self.heping_fgj, f"干部{i}"), post=post)
        with self.assertNumQueries(queries):
            response = self.api(self.hank, "get", "/api/v1/placements/")
        self.assertEqual(Placement.objects.count(), len(response.json()["results"]))

    def test_endpoints_are_in_the_openapi_document(self):
        doc = self.client.get("/api/v1/schema/", headers={"Accept": "application/json"}).json()
        for path in (
            "/api/v1/nominations/",
            "/api/v1/nominations/{id}/decide/",
            "/api/v1/nominations/{id}/withdraw/",
            "/api/v1/batches/{id}/match/",
            "/api/v1/batches/{id}/match/compare/",
            "/api/v1/batches/{id}/match/confirm/",
            "/api/v1/batches/{id}/match/rules/",
        ):
            self.assertIn(path, doc["paths"])
