"""/api/v1/programmes/, batches/, posts/, placements/: shared reference data readable by all,
written only by the city organisation department; placements scoped to the sending and the
host side; workflow refusals in Chinese."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import ExpertiseTag
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services
from guazhi.programmes.models import Batch, Placement, PlacementChange, Post, Programme
from guazhi.selection.services import levels_create_default, nominate
from guazhi.testing import BaseTestCase


class ProgrammeApiCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.programme = Programme.objects.create(
            name="京沈对口合作", partner_city="北京", owner_unit=cls.city
        )
        levels_create_default(cls.programme)
        cls.batch = Batch.objects.create(
            programme=cls.programme,
            number=1,
            start=date(2025, 3, 1),
            end=date(2026, 3, 1),
            quota=10,
            status=Batch.Status.NOMINATING,
        )
        cls.old_batch = Batch.objects.create(
            programme=cls.programme,
            number=2,
            start=date(2023, 3, 1),
            end=date(2024, 3, 1),
            quota=5,
            status=Batch.Status.FINISHED,
        )
        cls.tag = ExpertiseTag.objects.create(name="招商引资")
        cls.tag2 = ExpertiseTag.objects.create(name="园区建设")
        cls.post = Post.objects.create(
            batch=cls.batch, title="区长助理", host_unit=cls.chaoyang, capacity=10
        )
        cls.wang = make_cadre(cls.heping_fgj, "王晓明")
        cls.li = make_cadre(cls.hunnan_kjj, "李浑南", male=False, birth=date(1992, 6, 1))
        cls.wang_placement = services.placement_create(cadre=cls.wang, post=cls.post)
        cls.li_placement = services.placement_create(cadre=cls.li, post=cls.post)

    def api(self, user, method, url, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )


class ProgrammeAndBatchTests(ProgrammeApiCase):
    def batch_payload(self, **changes):
        payload = {
            "programme": self.programme.pk,
            "number": 3,
            "start": "2026-03-01",
            "end": "2027-03-01",
            "quota": 8,
            "min_young_share": 30,
            "required_tags": ["招商引资"],
        }
        payload.update(changes)
        return payload

    def test_programme_list_shows_its_review_levels_in_order(self):
        body = self.api(self.carol, "get", "/api/v1/programmes/").json()
        self.assertEqual(body["count"], 1)
        levels = body["results"][0]["levels"]
        self.assertEqual([lv["order"] for lv in levels], [1, 2, 3, 4])
        self.assertEqual(levels[0]["role"], "district_officer")
        self.assertTrue(levels[3]["needs_document"])

    def test_programmes_are_hidden_from_a_user_without_the_view_permission(self):
        response = self.api(self.sam, "get", f"/api/v1/programmes/{self.programme.pk}/")
        self.assertEqual(response.status_code, 404)

    def test_batches_filter_by_programme_and_status(self):
        url = f"/api/v1/batches/?programme={self.programme.pk}&status=nominating"
        body = self.api(self.bob, "get", url).json()
        self.assertEqual([b["id"] for b in body["results"]], [self.batch.pk])
        self.assertEqual(body["results"][0]["label"], "第1批")

    def test_city_officer_creates_a_batch(self):
        response = self.api(self.alice, "post", "/api/v1/batches/", self.batch_payload())
        self.assertEqual(response.status_code, 201, response.content)
        batch = Batch.objects.get(number=3)
        self.assertEqual(list(batch.required_tags.values_list("name", flat=True)), ["招商引资"])

    def test_district_officer_and_sending_unit_cannot_create_a_batch(self):
        for user in (self.bob, self.carol):
            response = self.api(user, "post", "/api/v1/batches/", self.batch_payload())
            self.assertEqual(response.status_code, 403, user)
        self.assertFalse(Batch.objects.filter(number=3).exists())

    def test_batch_end_must_follow_its_start(self):
        response = self.api(
            self.alice, "post", "/api/v1/batches/", self.batch_payload(end="2026-02-01")
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("晚于开始日期", response.json()["end"][0])

    def test_batch_quota_at_least_one_and_young_share_within_percent(self):
        response = self.api(
            self.alice,
            "post",
            "/api/v1/batches/",
            self.batch_payload(quota=0, min_young_share=120),
        )
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertIn("至少为 1", body["quota"][0])
        self.assertIn("0 到 100", body["min_young_share"][0])

    def test_batch_number_is_unique_within_the_programme(self):
        response = self.api(self.alice, "post", "/api/v1/batches/", self.batch_payload(number=1))
        self.assertEqual(response.status_code, 400)
        self.assertIn("已有第1批", response.json()["number"][0])

    def test_city_officer_updates_a_batch_district_officer_is_refused(self):
        url = f"/api/v1/batches/{self.batch.pk}/"
        self.assertEqual(self.api(self.bob, "patch", url, {"quota": 12}).status_code, 403)
        response = self.api(self.alice, "patch", url, {"quota": 12, "status": "serving"})
        self.assertEqual(response.status_code, 200, response.content)
        self.batch.refresh_from_db()
        self.assertEqual((self.batch.quota, self.batch.status), (12, "serving"))

    def test_update_keeps_the_date_order(self):
        url = f"/api/v1/batches/{self.batch.pk}/"
        response = self.api(self.alice, "patch", url, {"end": "2025-01-01"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("end", response.json())

    def test_composition_counts_the_placements_the_caller_sees(self):
        url = f"/api/v1/batches/{self.batch.pk}/composition/"
        body = self.api(self.alice, "get", url).json()
        self.assertEqual(body["total"], 2)
        self.assertEqual(body["young"], 2)
        self.assertEqual({r["label"]: r["count"] for r in body["gender"]}, {"男": 1, "女": 1})
        self.assertEqual({r["label"] for r in body["cohorts"]}, {"80后", "90后"})
        # A district officer sees his own district's part only.
        self.assertEqual(self.api(self.bob, "get", url).json()["total"], 1)


class PostTests(ProgrammeApiCase):
    def payload(self, **changes):
        payload = {
            "batch": self.batch.pk,
            "title": "招商局副局长",
            "host_unit": self.chaoyang.pk,
            "capacity": 1,
            "rank_min": "副处级",
            "rank_max": "正处级",
            "age_max": 45,
            "experience_keywords": "招商、园区",
            "requirements": [
                {"tag": "招商引资", "weight": 5, "mandatory": True},
                {"tag": "园区建设", "weight": 2},
            ],
        }
        payload.update(changes)
        return payload

    def test_city_officer_creates_a_post_with_its_requirement_profile(self):
        response = self.api(self.alice, "post", "/api/v1/posts/", self.payload())
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(body["rank_min"], "副处级")
        self.assertEqual(
            body["requirements"],
            [
                {"tag": "招商引资", "weight": 5, "mandatory": True},
                {"tag": "园区建设", "weight": 2, "mandatory": False},
            ],
        )
        post = Post.objects.get(title="招商局副局长")
        self.assertEqual(post.requirements.count(), 2)

    def test_district_officer_and_sending_unit_cannot_create_posts(self):
        for user in (self.bob, self.carol):
            response = self.api(user, "post", "/api/v1/posts/", self.payload())
            self.assertEqual(response.status_code, 403, user)
        self.assertFalse(Post.objects.filter(title="招商局副局长").exists())

    def test_requirement_weight_is_one_to_ten_and_the_tag_must_exist(self):
        payload = self.payload(
            requirements=[{"tag": "招商引资", "weight": 11}, {"tag": "不存在的专长", "weight": 1}]
        )
        response = self.api(self.alice, "post", "/api/v1/posts/", payload)
        self.assertEqual(response.status_code, 400)
        errors = response.json()["requirements"]  # keyed by the row's index
        self.assertIn("1 到 10", errors["0"]["weight"][0])
        self.assertIn("不存在", errors["1"]["tag"][0])

    def test_rank_range_must_not_be_inverted(self):
        payload = self.payload(rank_min="正处级", rank_max="副处级")
        response = self.api(self.alice, "post", "/api/v1/posts/", payload)
        self.assertEqual(response.status_code, 400)
        self.assertIn("最高职级不能低于最低职级", response.json()["rank_max"][0])

    def test_update_replaces_the_requirements(self):
        post = Post.objects.create(batch=self.batch, title="科技局副局长", host_unit=self.chaoyang)
        url = f"/api/v1/posts/{post.pk}/"
        response = self.api(
            self.alice, "patch", url, {"requirements": [{"tag": "园区建设", "weight": 3}]}
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            list(post.requirements.values_list("tag__name", "weight")), [("园区建设", 3)]
        )
        self.assertEqual(self.api(self.bob, "patch", url, {"title": "x"}).status_code, 403)

    def test_list_filters_by_batch_and_is_readable_by_the_host_unit(self):
        Post.objects.create(batch=self.old_batch, title="旧岗位", host_unit=self.chaoyang)
        body = self.api(self.hank, "get", f"/api/v1/posts/?batch={self.batch.pk}").json()
        self.assertEqual([p["title"] for p in body["results"]], ["区长助理"])

    def test_unused_post_can_be_deleted(self):
        post = Post.objects.create(batch=self.batch, title="科技局副局长", host_unit=self.chaoyang)
        self.assertEqual(self.api(self.bob, "delete", f"/api/v1/posts/{post.pk}/").status_code, 403)
        response = self.api(self.alice, "delete", f"/api/v1/posts/{post.pk}/")
        self.assertEqual(response.status_code, 204)
        self.assertFalse(Post.objects.filter(pk=post.pk).exists())

    def test_post_with_a_placement_cannot_be_deleted(self):
        response = self.api(self.alice, "delete", f"/api/v1/posts/{self.post.pk}/")
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能删除", response.json()["detail"])
        self.assertTrue(Post.objects.filter(pk=self.post.pk).exists())

    def test_post_with_a_nomination_cannot_be_deleted(self):
        post = Post.objects.create(batch=self.batch, title="科技局副局长", host_unit=self.chaoyang)
        zhao = make_cadre(self.heping_fgj, "赵新")
        nomination = nominate(batch=self.batch, cadre=zhao, reason="熟悉招商", by=self.carol)
        nomination.post = post
        nomination.save()
        response = self.api(self.alice, "delete", f"/api/v1/posts/{post.pk}/")
        self.assertEqual(response.status_code, 400)
        self.assertIn("拟任人选", response.json()["detail"])


class PlacementTests(ProgrammeApiCase):
    def url(self, placement, suffix=""):
        return f"/api/v1/placements/{placement.pk}/{suffix}"

    def test_sending_side_and_host_side_see_their_placements(self):
        names = lambda user: {  # noqa: E731
            p["cadre_name"] for p in self.api(user, "get", "/api/v1/placements/").json()["results"]
        }
        self.assertEqual(names(self.bob), {"王晓明"})
        self.assertEqual(names(self.carol), {"王晓明"})
        self.assertEqual(names(self.eve), {"李浑南"})
        self.assertEqual(names(self.hank), {"王晓明", "李浑南"})
        self.assertEqual(names(self.alice), {"王晓明", "李浑南"})

    def test_placement_outside_the_scope_is_404_for_a_non_manager(self):
        self.assertEqual(self.api(self.eve, "get", self.url(self.wang_placement)).status_code, 404)
        response = self.api(
            self.eve, "post", self.url(self.wang_placement, "finish/"), {"end": "2026-03-01"}
        )
        self.assertEqual(response.status_code, 404)

    def test_list_filters_by_batch_and_status(self):
        Placement.objects.filter(pk=self.li_placement.pk).update(status="finished")
        body = self.api(
            self.alice, "get", f"/api/v1/placements/?batch={self.batch.pk}&status=on_post"
        ).json()
        self.assertEqual([p["id"] for p in body["results"]], [self.wang_placement.pk])

    def test_finish_on_the_planned_end(self):
        response = self.api(
            self.bob, "post", self.url(self.wang_placement, "finish/"), {"end": "2026-03-01"}
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "finished")

    def test_finish_before_the_planned_end_is_refused_in_chinese(self):
        response = self.api(
            self.bob, "post", self.url(self.wang_placement, "finish/"), {"end": "2025-10-01"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("提前结束", response.json()["detail"])
        self.wang_placement.refresh_from_db()
        self.assertEqual(self.wang_placement.status, "on_post")

    def test_host_unit_sees_but_may_not_finish(self):
        self.assertEqual(self.api(self.hank, "get", self.url(self.wang_placement)).status_code, 200)
        response = self.api(
            self.hank, "post", self.url(self.wang_placement, "finish/"), {"end": "2026-03-01"}
        )
        self.assertEqual(response.status_code, 403)

    def test_extension_requested_by_the_district_and_approved_by_the_city(self):
        response = self.api(
            self.bob,
            "post",
            self.url(self.wang_placement, "change-request/"),
            {"kind": "extend", "new_end": "2026-09-01", "reason": "项目未完成"},
        )
        self.assertEqual(response.status_code, 201, response.content)
        change_id = response.json()["id"]
        decide = self.url(self.wang_placement, f"changes/{change_id}/decide/")
        # The district officer may request but not approve.
        self.assertEqual(self.api(self.bob, "post", decide, {"approve": True}).status_code, 403)
        response = self.api(self.alice, "post", decide, {"approve": True, "note": "同意"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "approved")
        body = self.api(self.carol, "get", self.url(self.wang_placement)).json()
        self.assertEqual((body["status"], body["planned_end"]), ("extended", "2026-09-01"))
        self.assertEqual(body["changes"][0]["decided_by_name"], "艾丽丝")

    def test_requester_cannot_approve_his_own_request(self):
        change = services.change_request(
            placement=self.li_placement,
            by=self.alice,
            kind="end_early",
            new_end=date(2025, 9, 1),
            reason="身体原因",
        )
        decide = self.url(self.li_placement, f"changes/{change.pk}/decide/")
        response = self.api(self.alice, "post", decide, {"approve": True})
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能审批自己的申请", response.json()["detail"])
        change.refresh_from_db()
        self.assertEqual(change.status, PlacementChange.Status.PENDING)

    def test_change_request_validates_kind_and_reason(self):
        response = self.api(
            self.bob,
            "post",
            self.url(self.wang_placement, "change-request/"),
            {"kind": "promote", "new_end": "2026-09-01", "reason": ""},
        )
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertIn("extend", body["kind"][0])
        self.assertIn("申请理由", body["reason"][0])

    def test_change_of_another_placement_is_404(self):
        change = services.change_request(
            placement=self.li_placement,
            by=self.alice,
            kind="extend",
            new_end=date(2026, 9, 1),
            reason="项目未完成",
        )
        decide = self.url(self.wang_placement, f"changes/{change.pk}/decide/")
        self.assertEqual(self.api(self.alice, "post", decide, {"approve": True}).status_code, 404)

    def test_list_query_count_does_not_grow_with_the_rows(self):
        def count():
            with CaptureQueriesContext(connection) as ctx:
                response = self.api(self.alice, "get", "/api/v1/placements/")
            self.assertEqual(response.status_code, 200)
            return len(response.json()["results"]), len(ctx)

        count()  # warm up: the token and the content-type cache
        rows, queries = count()
        self.assertEqual(rows, 2)
        services.change_request(
            placement=self.wang_placement,
            by=self.bob,
            kind="extend",
            new_end=date(2026, 9, 1),
            reason="项目未完成",
        )
        for i in range(4):
            cadre = make_cadre(self.hunnan_kjj if i % 2 else self.heping_fgj, f"干部{i}")
            placement = services.placement_create(cadre=cadre, post=self.post)
            services.change_request(
                placement=placement,
                by=self.alice,
                kind="extend",
                new_end=date(2026, 9, 1),
                reason="项目未完成",
            )
        with self.assertNumQueries(queries):
            response = self.api(self.alice, "get", "/api/v1/placements/")
        self.assertEqual(len(response.json()["results"]), 6)

    def test_endpoints_are_in_the_openapi_document(self):
        doc = self.client.get("/api/v1/schema/", headers={"Accept": "application/json"}).json()
        for path in (
            "/api/v1/programmes/",
            "/api/v1/batches/{id}/composition/",
            "/api/v1/posts/{id}/",
            "/api/v1/placements/{id}/change-request/",
            "/api/v1/placements/{id}/changes/{change_id}/decide/",
        ):
            self.assertIn(path, doc["paths"])
