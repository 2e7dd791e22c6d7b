"""/api/v1/deeds/: an officer registers a deed with its targets, records progress (a photo by
multipart) and finishes it, each refusal a Chinese message on its field with nothing written;
every persona sees and changes exactly what the pages allow (outside the scope → 404, no role
→ 403, visible but not allowed → 403); ratings are listed without anything about the rater.

Personas: alice (市委组织部, all), bob (和平区, subtree), carol (和平区发改局, unit), dave (a
cadre, self), eve (浑南区), hank (a host unit, no deed permission), leo (a 和平区 leader, reads)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.testing import make_user

from .. import services
from ..models import Deed, Evidence, Level, Rating, Rectification, Target
from .helpers import DeedsTestCase

NOW = datetime(2027, 6, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
DEEDS = "/api/v1/deeds/"
PHONE = "13912345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


@time_machine.travel(NOW, tick=False)
class DeedsApiCase(DeedsTestCase):
    """Token-authenticated calls on 2027-06-01. 老旧小区管网改造 (和平区发改局, dave responsible)
    has a bad public rating with its rectification open; 浑南区实事 belongs to 浑南区科技局."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.leo = make_user("leo", cls.heping, "leader", full_name="利奥")
        cls.dave_cadre = make_cadre(cls.heping_fgj, "戴夫")
        Cadre.objects.filter(pk=cls.dave_cadre.pk).update(user=cls.dave)
        cls.pipes = cls.deed(cadre=cls.dave_cadre)
        cls.hunnan_deed = cls.deed("浑南区实事", unit=cls.hunnan_kjj, by=cls.eve)
        cls.rating = cls.rate(cls.pipes, Level.BAD, comment="阀门还在漏", phone=PHONE)
        cls.rect = cls.rectify(cls.rating)

    @classmethod
    def rate(cls, deed, level, *, comment="", phone="", key=None, channel="public"):
        """A rating written directly (the public and panel paths are tested in test_public)."""
        return Rating.objects.create(
            deed=deed,
            level=level,
            first_level=level,
            comment=comment,
            channel=channel,
            rater_key=key or f"secret-key-of-the-rater-{Rating.objects.count()}",
            mobile_encrypted=services.crypto.encrypt(phone) if phone else "",
        )

    @classmethod
    def rectify(cls, rating, **values):
        """The rectification a bad rating opens, written directly (no working-day calendar)."""
        values.setdefault("opened_on", TODAY)
        values.setdefault("deadline", TODAY + timedelta(days=7))
        return Rectification.objects.create(
            rating=rating,
            deed=rating.deed,
            unit=rating.deed.unit,
            rerate_token=f"tok-{rating.pk}",
            **values,
        )

    @classmethod
    def status(cls, kind):
        return next(s for s in services.statuses() if s.kind == kind)

    def api(self, user, method, url, data=None, **extra):
        token, _ = Token.objects.get_or_create(user=user)
        if method != "get" and "content_type" not in extra:
            extra["content_type"] = "application/json"
        return getattr(self.client, method)(
            url, data, headers={"Authorization": f"Token {token.key}"}, **extra
        )

    def upload(self, user, url, data):
        """A multipart POST (the test client's default encoding)."""
        token, _ = Token.objects.get_or_create(user=user)
        return self.client.post(url, data, headers={"Authorization": f"Token {token.key}"})

    def ok(self, response, code=200):
        self.assertEqual(response.status_code, code, response.content.decode())
        return response.json()

    def ids(self, user, url):
        return [row["id"] for row in self.ok(self.api(user, "get", url))["results"]]

    def url(self, deed, suffix=""):
        return f"{DEEDS}{deed.pk}/{suffix}"


class WalkthroughTests(DeedsApiCase):
    def test_an_officer_registers_a_deed_with_a_target_records_progress_and_finishes_it(self):
        body = self.ok(
            self.api(
                self.alice,
                "post",
                DEEDS,
                {
                    "title": "集团化办学",
                    "content": "组建紧密型教育集团",
                    "source": "assigned",
                    "category": "education",
                    "urgent": True,
                    "location": "本溪市",
                    "unit": self.heping_fgj.pk,
                    "opened_on": "2027-05-01",
                    "promised_on": "2027-05-31",
                    "targets": [
                        {"name": "组建紧密型教育集团", "unit_label": "个", "planned": "22"}
                    ],
                },
            ),
            201,
        )
        deed = Deed.objects.get(pk=body["id"])
        self.assertEqual(
            (body["status_name"], body["status_kind"], body["category_display"]),
            ("已登记", "open", "教育"),
        )
        self.assertEqual(body["public_url"], f"http://testserver/public/deeds/{deed.public_key}/")
        self.assertTrue(body["can_change"])
        [target] = body["targets"]
        self.assertEqual((target["planned"], target["achieved"]), ("22.00", "0.00"))

        progress = self.ok(
            self.api(
                self.alice,
                "post",
                self.url(deed, "progress/"),
                {
                    "day": "2027-05-20",
                    "note": "已组建 16 个",
                    "target": target["id"],
                    "value": "16",
                },
            ),
            201,
        )
        self.assertEqual(
            (progress["target_name"], progress["value"]), ("组建紧密型教育集团", "16.00")
        )
        self.assertEqual(Target.objects.get(pk=target["id"]).achieved, 16)

        # Done with a target unfinished needs a note: refused on it, nothing changed.
        done = self.status("done")
        response = self.api(
            self.alice,
            "post",
            self.url(deed, "status/"),
            {"to_status": done.pk, "day": "2027-05-31"},
        )
        self.assertEqual(
            response.json(), {"note": ["以下指标尚未完成，办结须说明原因：组建紧密型教育集团"]}
        )
        self.assertEqual(Deed.objects.get(pk=deed.pk).status.kind, "open")
        body = self.ok(
            self.api(
                self.alice,
                "post",
                self.url(deed, "status/"),
                {"to_status": done.pk, "day": "2027-05-31", "note": "其余 6 个明年组建"},
            )
        )
        self.assertEqual((body["status_name"], body["done_on"]), ("已办结", "2027-05-31"))
        self.assertEqual(
            [(h["to_status_name"], h["date"]) for h in body["history"]],
            [("已登记", "2027-05-01"), ("已办结", "2027-05-31")],
        )
        [lookback] = body["lookbacks"]
        self.assertEqual((lookback["due_on"], lookback["conclusion"]), ("2027-06-28", ""))

        rows = self.ok(self.api(self.carol, "get", self.url(deed, "progress/")))["results"]
        self.assertEqual([(r["note"], r["by_name"]) for r in rows], [("已组建 16 个", "艾丽丝")])

    def test_a_field_error_is_in_chinese_on_the_field_and_nothing_is_written(self):
        data = {
            "title": "x",
            "content": "y",
            "source": "visit",
            "category": "housing",
            "location": "某小区",
            "unit": self.heping_fgj.pk,
            "opened_on": "2027-05-01",
            "promised_on": "2027-04-01",
        }
        before = Deed.objects.count()
        response = self.api(self.alice, "post", DEEDS, data)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(), {"promised_on": ["承诺办结日期不能早于登记日期（2027-05-01）"]}
        )
        response = self.api(
            self.alice,
            "post",
            DEEDS,
            {**data, "promised_on": "2027-05-31", "opened_on": "2027-06-02"},
        )
        self.assertEqual(response.json(), {"opened_on": ["登记日期不能晚于今天（2027-06-01）"]})
        response = self.api(self.alice, "post", DEEDS, {"unit": self.heping_fgj.pk})
        body = response.json()
        self.assertEqual(body["title"], ["请填写实事名称"])
        self.assertEqual(
            body["location"], ["请填写地点（如某街道某小区），回头看据此判断问题是否反弹"]
        )
        self.assertEqual(body["promised_on"], ["请填写承诺办结日期"])
        response = self.api(self.alice, "post", DEEDS, {**data, "category": "mining"})
        self.assertTrue(response.json()["category"][0].startswith("请从列表中选择：education 教育"))
        # A target the service refuses rolls the whole deed back.
        response = self.api(
            self.alice,
            "post",
            DEEDS,
            {
                **data,
                "promised_on": "2027-05-31",
                "targets": [{"name": "受益户数", "planned": "0"}],
            },
        )
        self.assertEqual(response.json(), {"targets": ["指标“受益户数”的目标值应大于 0"]})
        self.assertEqual(Deed.objects.count(), before)
        self.assertFalse(Target.objects.exists())

    def test_status_changes_are_refused_on_their_fields(self):
        url = self.url(self.pipes, "status/")
        closed = self.status("closed")
        response = self.api(self.bob, "post", url, {"to_status": closed.pk})
        self.assertEqual(response.json(), {"note": ["关闭实事须说明原因"]})
        response = self.api(
            self.bob, "post", url, {"to_status": closed.pk, "note": "重复", "day": "2027-06-02"}
        )
        self.assertEqual(response.json(), {"day": ["日期不能晚于今天（2027-06-01）"]})
        response = self.api(self.bob, "post", url, {"to_status": 99999})
        self.assertEqual(response.json(), {"to_status": ["该状态不存在"]})
        response = self.api(self.bob, "post", url, {"to_status": self.pipes.status_id})
        self.assertEqual(response.json(), {"to_status": ["实事已处于“已登记”状态"]})
        body = self.ok(self.api(self.bob, "post", url, {"to_status": closed.pk, "note": "重复"}))
        self.assertEqual((body["status_kind"], body["closed_on"]), ("closed", "2027-06-01"))

    def test_a_target_is_added_once_per_name(self):
        url = self.url(self.pipes, "targets/")
        body = self.ok(
            self.api(
                self.carol, "post", url, {"name": "更换管网", "unit_label": "米", "planned": "800"}
            ),
            201,
        )
        self.assertEqual((body["name"], body["percent"]), ("更换管网", 0))
        response = self.api(self.carol, "post", url, {"name": "更换管网", "planned": "10"})
        self.assertEqual(response.json(), {"name": ["指标“更换管网”已存在"]})
        response = self.api(self.carol, "post", url, {"name": "受益户数"})
        self.assertEqual(response.json(), {"planned": ["请填写目标值"]})
        self.assertEqual(
            self.api(self.leo, "post", url, {"name": "x", "planned": "1"}).status_code, 403
        )


class DeedScopeTests(DeedsApiCase):
    def test_who_sees_the_deed_and_who_gets_404_or_403(self):
        for user in (self.alice, self.bob, self.carol, self.dave, self.leo):
            with self.subTest(user=user.username):
                self.ok(self.api(user, "get", self.url(self.pipes)))
        self.assertEqual(self.api(self.eve, "get", self.url(self.pipes)).status_code, 404)
        for url in (DEEDS, self.url(self.pipes), self.url(self.pipes, "ratings/")):
            response = self.api(self.hank, "get", url)
            self.assertEqual(response.status_code, 403, url)
            self.assertEqual(response.json()["detail"], "您的角色不能查看办实事")

    def test_each_persona_lists_the_deeds_in_his_scope(self):
        self.assertEqual(set(self.ids(self.alice, DEEDS)), {self.pipes.pk, self.hunnan_deed.pk})
        self.assertEqual(self.ids(self.bob, DEEDS), [self.pipes.pk])
        self.assertEqual(self.ids(self.carol, DEEDS), [self.pipes.pk])
        self.assertEqual(self.ids(self.dave, DEEDS), [self.pipes.pk])
        self.assertEqual(self.ids(self.eve, DEEDS), [self.hunnan_deed.pk])

    def test_a_cadre_changes_his_own_deed_but_not_anothers(self):
        body = self.ok(
            self.api(self.dave, "patch", self.url(self.pipes), {"title": "文萃小区管网改造"})
        )
        self.assertEqual(
            (body["title"], body["location"]), ("文萃小区管网改造", "和平区南湖街道 文萃小区")
        )
        self.ok(
            self.api(self.dave, "post", self.url(self.pipes, "progress/"), {"note": "已换阀门"}),
            201,
        )
        self.assertEqual(self.pipes.evidence.get().date, TODAY)  # the day defaults to today
        other = self.deed("别人的实事", by=self.alice)
        self.assertEqual(self.api(self.dave, "get", self.url(other)).status_code, 404)
        self.assertEqual(
            self.api(self.dave, "patch", self.url(other), {"title": "x"}).status_code, 404
        )
        response = self.api(self.dave, "post", self.url(other, "progress/"), {"note": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(other.evidence.exists())

    def test_a_leader_reads_the_deed_but_may_not_change_it_and_another_district_gets_404(self):
        self.assertFalse(self.ok(self.api(self.leo, "get", self.url(self.pipes)))["can_change"])
        for method, suffix, data in (
            ("patch", "", {"title": "x"}),
            ("post", "progress/", {"note": "x"}),
            ("post", "status/", {"to_status": self.status("done").pk}),
        ):
            with self.subTest(suffix=suffix):
                response = self.api(self.leo, method, self.url(self.pipes, suffix), data)
                self.assertEqual(response.status_code, 403)
                self.assertTrue(response.json()["detail"].startswith("您不能修改该实事"))
                response = self.api(self.eve, method, self.url(self.pipes, suffix), data)
                self.assertEqual(response.status_code, 404)
        self.assertEqual(Deed.objects.get(pk=self.pipes.pk).title, self.pipes.title)

    def test_a_unit_registers_deeds_only_for_itself_and_edits_keep_the_rules(self):
        data = {
            "title": "楼道照明",
            "content": "楼道灯坏了",
            "source": "hotline",
            "category": "housing",
            "location": "和平区 某小区",
            "unit": self.heping.pk,
            "promised_on": "2027-06-30",
        }
        response = self.api(self.carol, "post", DEEDS, data)
        self.assertEqual(response.json(), {"unit": ["该单位不存在或您不能为它登记实事"]})
        body = self.ok(
            self.api(self.carol, "post", DEEDS, {**data, "unit": self.heping_fgj.pk}), 201
        )
        self.assertEqual((body["opened_on"], body["created_by_name"]), ("2027-06-01", "卡罗"))
        url = f"{DEEDS}{body['id']}/"
        response = self.api(self.carol, "patch", url, {"promised_on": "2027-05-01"})
        self.assertEqual(
            response.json(), {"promised_on": ["承诺办结日期不能早于登记日期（2027-06-01）"]}
        )
        response = self.api(self.carol, "patch", url, {"unit": self.hunnan_kjj.pk})
        self.assertEqual(response.json(), {"unit": ["该单位不存在或您不能为它登记实事"]})
        response = self.api(self.carol, "patch", url, {"location": " "})
        self.assertEqual(
            response.json(),
            {"location": ["请填写地点（如某街道某小区），回头看据此判断问题是否反弹"]},
        )


class DeedListTests(DeedsApiCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.school = cls.deed(
            "幼儿园学位",
            category=Deed.Category.EDUCATION,
            source=Deed.Source.ASSIGNED,
            urgent=False,
            location="和平区 太原街",
            unit=cls.heping,
            promised_on=date(2027, 9, 1),
        )

    def test_the_list_filters_by_kind_category_source_unit_cadre_urgent_overdue_and_text(self):
        def titles(query):
            body = self.ok(self.api(self.alice, "get", DEEDS + query))
            return {row["title"] for row in body["results"]}

        pipes, school, hunnan = "老旧小区管网改造", "幼儿园学位", "浑南区实事"
        self.assertEqual(titles("?category=education"), {school})
        self.assertEqual(titles("?source=assigned"), {school})
        self.assertEqual(titles("?urgent=true"), {pipes, hunnan})
        self.assertEqual(titles("?urgent=false"), {school})
        self.assertEqual(titles("?overdue=true"), {pipes, hunnan})  # promised 2027-04-30
        self.assertEqual(titles("?overdue=false"), {school})
        self.assertEqual(titles("?q=太原街"), {school})
        self.assertEqual(titles("?q=管网"), {pipes})
        self.assertEqual(titles(f"?unit={self.heping.pk}"), {pipes, school})  # and below
        self.assertEqual(titles(f"?unit={self.heping_fgj.pk}"), {pipes})
        self.assertEqual(titles("?unit=99999"), set())
        self.assertEqual(titles(f"?cadre={self.dave_cadre.pk}"), {pipes})
        self.assertEqual(titles("?kind=open"), {pipes, school, hunnan})
        self.assertEqual(titles("?kind=done"), set())
        response = self.api(self.alice, "get", DEEDS + "?category=mining")
        self.assertEqual(response.status_code, 400)
        self.assertIn("category", response.json())

    def test_a_row_shows_its_status_lateness_and_counts(self):
        self.rate(self.pipes, Level.VERY_GOOD)
        excluded = self.rate(self.pipes, Level.VERY_BAD)
        Rating.objects.filter(pk=excluded.pk).update(excluded=True)
        [row] = [
            r
            for r in self.ok(self.api(self.bob, "get", DEEDS))["results"]
            if r["id"] == self.pipes.pk
        ]
        self.assertEqual(
            {k: row[k] for k in ("status_name", "overdue", "ratings_count", "open_rectifications")},
            {
                "status_name": "已登记",
                "overdue": True,
                "ratings_count": 2,
                "open_rectifications": 1,
            },
        )
        self.assertEqual((row["unit_name"], row["cadre_name"]), ("和平区发改局", "戴夫"))

    def test_the_status_workflow_is_listed_in_order(self):
        body = self.ok(self.api(self.carol, "get", "/api/v1/deed-statuses/"))
        self.assertEqual(
            [(s["name"], s["kind"]) for s in body["results"]],
            [("已登记", "open"), ("办理中", "open"), ("已办结", "done"), ("已关闭", "closed")],
        )
        self.assertEqual(self.api(self.hank, "get", "/api/v1/deed-statuses/").status_code, 403)


class RatingTests(DeedsApiCase):
    def test_ratings_are_listed_without_anything_about_the_rater(self):
        self.rate(self.pipes, Level.VERY_GOOD, comment="施工很快", phone="13800001111")
        response = self.api(self.carol, "get", self.url(self.pipes, "ratings/"))
        body = self.ok(response)
        self.assertEqual(
            [(r["level_display"], r["comment"], r["channel_display"]) for r in body["results"]],
            [("非常满意", "施工很快", "公开评价页"), ("不满意", "阀门还在漏", "公开评价页")],
        )
        for row in body["results"]:
            self.assertFalse({"rater_key", "mobile", "mobile_encrypted", "panel_member"} & set(row))
        for url in (
            self.url(self.pipes, "ratings/"),
            self.url(self.pipes),
            DEEDS,
            "/api/v1/deed-rectifications/",
            f"/api/v1/deed-rectifications/{self.rect.pk}/",
        ):
            with self.subTest(url=url):
                text = self.api(self.carol, "get", url).content.decode()
                for secret in (PHONE, "139****5678", "13800001111", "secret-key-of-the-rater"):
                    self.assertNotIn(secret, text)
        self.assertEqual(
            self.api(self.eve, "get", self.url(self.pipes, "ratings/")).status_code, 404
        )

    def test_the_deeds_figures_count_levels_satisfaction_and_rectification(self):
        for level in (Level.VERY_GOOD, Level.GOOD, Level.FAIR):
            self.rate(self.pipes, level)
        malicious = self.rate(self.pipes, Level.VERY_BAD)
        Rating.objects.filter(pk=malicious.pk).update(excluded=True)
        body = self.ok(self.api(self.dave, "get", self.url(self.pipes, "figures/")))
        self.assertEqual(
            [(row["level_display"], row["count"]) for row in body["levels"]],
            [("非常满意", 1), ("满意", 1), ("基本满意", 1), ("不满意", 1), ("非常不满意", 0)],
        )
        self.assertEqual(
            {k: body[k] for k in ("valid", "excluded", "bad", "rectified")},
            {"valid": 4, "excluded": 1, "bad": 1, "rectified": 0},
        )
        self.assertEqual((body["satisfaction"], body["rectify_rate"]), (62.5, 0.0))  # (2+0.5)/4
        empty = self.ok(self.api(self.eve, "get", self.url(self.hunnan_deed, "figures/")))
        self.assertEqual((empty["valid"], empty["satisfaction"]), (0, None))


class PhotoTests(DeedsApiCase):
    def setUp(self):
        super().setUp()
        media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        settings = override_settings(MEDIA_ROOT=media)
        settings.enable()
        self.addCleanup(settings.disable)

    def test_progress_takes_a_photo_by_multipart_served_only_within_the_scope(self):
        url = self.url(self.pipes, "progress/")
        body = self.ok(
            self.upload(
                self.dave,
                url,
                {
                    "day": "2027-05-30",
                    "note": "现场照片",
                    "photo": SimpleUploadedFile("现场.png", PNG),
                },
            ),
            201,
        )
        self.assertEqual(body["photo_name"], "现场.png")
        evidence = Evidence.objects.get(pk=body["id"])
        self.assertEqual(
            body["photo_url"],
            f"http://testserver{DEEDS}{self.pipes.pk}/progress/{evidence.pk}/photo/",
        )
        token, _ = Token.objects.get_or_create(user=self.carol)
        response = self.client.get(
            body["photo_url"], headers={"Authorization": f"Token {token.key}", "Accept": "image/*"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(b"".join(response.streaming_content), PNG)
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(self.api(self.eve, "get", body["photo_url"]).status_code, 404)

    def test_a_renamed_file_is_refused_on_the_photo_field_and_nothing_is_written(self):
        fake = SimpleUploadedFile("现场.png", b"MZ\x90\x00 not an image")
        response = self.upload(
            self.dave, self.url(self.pipes, "progress/"), {"note": "现场照片", "photo": fake}
        )
        self.assertEqual(
            response.json(), {"photo": ["照片“现场.png”的内容与扩展名不符，不是有效的图片文件"]}
        )
        self.assertFalse(Evidence.objects.exists())
        response = self.upload(
            self.dave,
            self.url(self.pipes, "progress/"),
            {"note": "x", "value": "3"},  # a value without its target
        )
        self.assertEqual(response.json(), {"value": ["更新指标须同时选择指标并填写完成值"]})
