"""/api/v1/daily-records/: a cadre lists, writes, changes and deletes only his own records
(until the leader marks them); the leader of his team comments and marks, another team's
leader finds nothing; the sending side and the host unit read in their scope; refusals are in
Chinese and name their field when they have one."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post
from guazhi.testing import make_user

from ..models import DailyRecord
from .helpers import Category, Evidence, RecordsTestCase

URL = "/api/v1/daily-records/"


@time_machine.travel("2027-05-12 10:00 +0800", tick=False)
class RecordApiCase(RecordsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.r_wang = cls.write(cls.p_wang, date(2027, 5, 11), "王晓明走访中关村企业")
        cls.r_li = cls.write(cls.p_li, date(2027, 5, 11), "李浑南对接海淀科技园区")

    def api(self, user, method, url, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )

    def contents(self, user, query=""):
        response = self.api(user, "get", URL + query)
        self.assertEqual(response.status_code, 200, response.content)
        return [r["content"] for r in response.json()["results"]]


class CadreTests(RecordApiCase):
    def test_a_cadre_lists_only_his_own_records(self):
        self.assertEqual(self.contents(self.dave), ["王晓明走访中关村企业"])
        self.assertEqual(self.contents(self.dave, f"?cadre={self.li.pk}"), [])
        self.assertEqual(self.api(self.dave, "get", f"{URL}{self.r_wang.pk}/").status_code, 200)
        self.assertEqual(self.api(self.dave, "get", f"{URL}{self.r_li.pk}/").status_code, 404)

    def test_a_cadre_writes_a_record_on_his_open_placement(self):
        response = self.api(
            self.dave,
            "post",
            URL,
            {
                "date": "2027-05-12",
                "category": "lead",
                "content": "发现一条项目线索 ",
                "linked": "某公司",
            },
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["cadre"], body["placement"]), (self.wang.pk, self.p_wang.pk))
        self.assertEqual((body["content"], body["week"]), ("发现一条项目线索", "2027-W19"))
        self.assertFalse(body["locked"])

    def test_a_cadre_cannot_create_a_record_for_someone_else(self):
        response = self.api(
            self.dave,
            "post",
            URL,
            {"cadre": self.li.pk, "date": "2027-05-12", "category": "lead", "content": "代写"},
        )
        self.assertEqual(response.status_code, 403)
        self.assertIn("本人", response.json()["detail"])
        self.assertEqual(DailyRecord.objects.filter(cadre=self.li).count(), 1)
        self.assertFalse(DailyRecord.objects.filter(content="代写").exists())

    def test_naming_himself_is_allowed(self):
        response = self.api(
            self.dave,
            "post",
            URL,
            {"cadre": self.wang.pk, "date": "2027-05-12", "category": "study", "content": "学习"},
        )
        self.assertEqual(response.status_code, 201, response.content)

    def test_a_team_leader_or_officer_cannot_write_records(self):
        data = {"date": "2027-05-12", "category": "lead", "content": "代写"}
        for user in (self.tina, self.bob, self.alice):
            with self.subTest(user=user.username):
                response = self.api(user, "post", URL, data)
                self.assertEqual(response.status_code, 403)
                self.assertIn("在岗的挂职干部本人", response.json()["detail"])

    def test_a_cadre_whose_placement_ended_cannot_write(self):
        self.p_wang.status = "finished"
        self.p_wang.actual_end = date(2027, 5, 1)
        self.p_wang.save()
        data = {"date": "2027-04-30", "category": "lead", "content": "补记"}
        self.assertEqual(self.api(self.dave, "post", URL, data).status_code, 403)

    def test_values_the_service_refuses_are_chinese_field_errors(self):
        response = self.api(
            self.dave, "post", URL, {"date": "2027-05-13", "category": "lead", "content": "明天"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("日期不能晚于今天", response.json()["date"][0])
        response = self.api(
            self.dave, "post", URL, {"date": "2027-02-01", "category": "lead", "content": "到岗前"}
        )
        self.assertIn("不能早于到岗日期", response.json()["date"][0])
        response = self.api(self.dave, "post", URL, {"date": "2027-05-12", "category": "x"})
        body = response.json()
        self.assertEqual(body["category"], ["请从列表中选择类别"])
        self.assertEqual(body["content"], ["请填写工作内容"])

    def test_the_cadre_changes_and_deletes_his_record_until_it_is_marked(self):
        url = f"{URL}{self.r_wang.pk}/"
        response = self.api(self.dave, "patch", url, {"content": "改写后的内容"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["content"], "改写后的内容")
        self.assertEqual(response.json()["category"], Category.ENTERPRISE_VISIT)
        DailyRecord.objects.filter(pk=self.r_wang.pk).update(evidence=Evidence.POSITIVE)
        response = self.api(self.dave, "patch", url, {"content": "再改"})
        self.assertEqual(response.status_code, 403)
        self.assertIn("正面实绩", response.json()["detail"])
        self.assertIn("不能再修改或删除", response.json()["detail"])
        self.assertEqual(self.api(self.dave, "delete", url).status_code, 403)
        self.assertTrue(DailyRecord.objects.filter(pk=self.r_wang.pk).exists())

    def test_a_full_update_and_a_delete_by_the_cadre(self):
        url = f"{URL}{self.r_wang.pk}/"
        data = {"date": "2027-05-10", "category": "study", "content": "学习调研", "linked": ""}
        response = self.api(self.dave, "put", url, data)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            (response.json()["date"], response.json()["category"]), ("2027-05-10", "study")
        )
        self.assertEqual(self.api(self.dave, "delete", url).status_code, 204)
        self.assertFalse(DailyRecord.objects.filter(pk=self.r_wang.pk).exists())

    def test_a_record_cannot_move_to_another_cadre(self):
        response = self.api(self.dave, "patch", f"{URL}{self.r_wang.pk}/", {"cadre": self.li.pk})
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能改到其他干部", response.json()["cadre"][0])

    def test_another_cadre_cannot_change_or_delete_a_record_he_does_not_see(self):
        url = f"{URL}{self.r_wang.pk}/"
        self.assertEqual(self.api(self.lily, "patch", url, {"content": "改"}).status_code, 404)
        self.assertEqual(self.api(self.lily, "delete", url).status_code, 404)

    def test_the_leader_sees_the_record_but_cannot_change_it(self):
        url = f"{URL}{self.r_wang.pk}/"
        response = self.api(self.tina, "patch", url, {"content": "队长改"})
        self.assertEqual(response.status_code, 403)
        self.assertIn("只有本人", response.json()["detail"])

    def test_a_cadre_cannot_comment_on_his_own_record(self):
        response = self.api(
            self.dave, "post", f"{URL}{self.r_wang.pk}/comment/", {"evidence": "positive"}
        )
        self.assertEqual(response.status_code, 403)


class CommentTests(RecordApiCase):
    def test_the_leader_comments_and_marks_his_teams_record(self):
        response = self.api(
            self.tina,
            "post",
            f"{URL}{self.r_wang.pk}/comment/",
            {"comment": "走访扎实，线索有价值", "evidence": "positive"},
        )
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["evidence"], body["evidence_display"]), ("positive", "正面实绩"))
        self.assertEqual((body["commented_by"], body["commented_by_name"]), (self.tina.pk, "蒂娜"))
        self.assertTrue(body["locked"])
        self.r_wang.refresh_from_db()
        self.assertEqual(self.r_wang.leader_comment, "走访扎实，线索有价值")

    def test_another_teams_leader_gets_404(self):
        url = f"{URL}{self.r_wang.pk}/"
        self.assertEqual(self.api(self.tom, "get", url).status_code, 404)
        response = self.api(self.tom, "post", url + "comment/", {"evidence": "negative"})
        self.assertEqual(response.status_code, 404)
        self.r_wang.refresh_from_db()
        self.assertEqual(self.r_wang.evidence, "")

    def test_the_host_unit_reads_its_cadres_records_but_cannot_comment(self):
        self.assertEqual(self.contents(self.hugh), ["李浑南对接海淀科技园区"])
        response = self.api(self.hugh, "post", f"{URL}{self.r_li.pk}/comment/", {"comment": "好"})
        self.assertEqual(response.status_code, 403)
        self.assertIn("队长、副队长", response.json()["detail"])

    def test_an_empty_comment_is_a_chinese_field_error(self):
        response = self.api(self.tina, "post", f"{URL}{self.r_wang.pk}/comment/", {})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["comment"], ["请填写点评意见或选择实绩标记"])
        response = self.api(
            self.tina, "post", f"{URL}{self.r_wang.pk}/comment/", {"evidence": "great"}
        )
        self.assertEqual(response.json()["evidence"], ["请从列表中选择实绩标记"])

    def test_removing_the_mark_unlocks_the_record_for_the_cadre(self):
        DailyRecord.objects.filter(pk=self.r_wang.pk).update(evidence=Evidence.NEGATIVE)
        response = self.api(
            self.tina,
            "post",
            f"{URL}{self.r_wang.pk}/comment/",
            {"comment": "已更正", "evidence": ""},
        )
        self.assertEqual(response.status_code, 200)
        response = self.api(self.dave, "patch", f"{URL}{self.r_wang.pk}/", {"content": "更正"})
        self.assertEqual(response.status_code, 200)


class ScopeAndFilterTests(RecordApiCase):
    def test_a_district_officer_of_another_district_gets_404_on_a_record(self):
        self.assertEqual(self.api(self.eve, "get", f"{URL}{self.r_wang.pk}/").status_code, 404)
        self.assertEqual(self.api(self.bob, "get", f"{URL}{self.r_wang.pk}/").status_code, 200)
        self.assertEqual(self.contents(self.eve), ["李浑南对接海淀科技园区"])
        self.assertEqual(self.contents(self.bob), ["王晓明走访中关村企业"])

    def test_the_sending_side_reads_but_cannot_comment_or_change(self):
        url = f"{URL}{self.r_wang.pk}/"
        self.assertEqual(
            self.api(self.bob, "post", url + "comment/", {"comment": "好"}).status_code, 403
        )
        self.assertEqual(self.api(self.bob, "delete", url).status_code, 403)

    def test_the_list_filters_by_cadre_dates_category_and_week(self):
        self.write(self.p_wang, date(2027, 5, 3), "上周学习", category=Category.STUDY)
        self.write(self.p_wang, date(2027, 4, 20), "四月走访")
        self.assertEqual(
            self.contents(self.tina, f"?cadre={self.wang.pk}"),
            ["王晓明走访中关村企业", "上周学习", "四月走访"],
        )
        self.assertEqual(self.contents(self.tina, "?week=2027-W18"), ["上周学习"])
        self.assertEqual(
            self.contents(self.tina, "?date_from=2027-05-01&date_to=2027-05-10"), ["上周学习"]
        )
        self.assertEqual(
            self.contents(self.tina, f"?cadre={self.wang.pk}&category=visit&date_to=2027-05-01"),
            ["四月走访"],
        )

    def test_a_malformed_week_is_a_chinese_field_error(self):
        response = self.api(self.tina, "get", URL + "?week=2027-19")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["week"], ["周次格式应为 2027-W19"])

    def test_the_list_query_count_does_not_grow_with_the_records(self):
        serial = itertools.count()
        post = Post.objects.create(
            batch=self.batch, title="岗位", host_unit=self.haidian, capacity=20
        )

        def grow(n):
            for _ in range(n):
                i = next(serial)
                cadre = make_cadre(self.heping_fgj if i % 2 else self.hunnan_kjj, f"干部{i}")
                user = make_user(f"cadre{i}", cadre.unit, "cadre")
                Cadre.objects.filter(pk=cadre.pk).update(user=user)
                placement = programme_services.placement_create(cadre=cadre, post=post)
                record = self.write(placement, date(2027, 5, 1) + timedelta(days=i % 10))
                if i % 3 == 0:
                    record.leader_comment = "好"
                    record.evidence = Evidence.POSITIVE
                    record.commented_by = self.tina
                    record.save()

        def count(user):
            with CaptureQueriesContext(connection) as ctx:
                response = self.api(user, "get", URL)
            self.assertEqual(response.status_code, 200)
            return len(response.json()["results"]), len(ctx)

        for user in (self.tina, self.alice):
            count(user)  # warm up: the token and the per-user caches
        small = {user.pk: count(user) for user in (self.tina, self.alice)}
        grow(12)
        for user in (self.tina, self.alice):
            with self.subTest(user=user.username):
                rows, queries = count(user)
                self.assertEqual(rows, small[user.pk][0] + 12)
                self.assertEqual(queries, small[user.pk][1])


class CursorPaginationTests(RecordApiCase):
    """The list pages by cursor, newest first (core/pagination.py): no count to compute over a
    million records, and no record skipped or repeated while new ones arrive."""

    def walk(self, user, url):
        seen, pages = [], 0
        while url:
            body = self.api(user, "get", url).json()
            self.assertNotIn("count", body)
            seen += [(r["date"], r["id"]) for r in body["results"]]
            url, pages = body["next"], pages + 1
        return seen, pages

    def test_following_next_lists_every_record_once_newest_first(self):
        for i in range(6):  # three on one day: ties are ordered by id
            self.write(self.p_wang, date(2027, 5, 1 + i % 2), f"纪实{i}")
        expected = sorted(
            ((r.date.isoformat(), r.pk) for r in DailyRecord.objects.all()), reverse=True
        )
        seen, pages = self.walk(self.tina, URL + "?page_size=3")
        self.assertEqual(seen, expected)
        self.assertEqual(pages, 3)

    def test_a_record_written_while_paging_does_not_shift_the_next_page(self):
        for i in range(4):
            self.write(self.p_wang, date(2027, 5, 1 + i), f"纪实{i}")
        first = self.api(self.tina, "get", URL + "?page_size=3").json()
        self.write(self.p_wang, date(2027, 5, 11), "新写的纪实")  # newest: would shift page 2
        second = self.api(self.tina, "get", first["next"]).json()
        shown = [r["id"] for r in first["results"]] + [r["id"] for r in second["results"]]
        self.assertEqual(len(shown), len(set(shown)))
        self.assertEqual(len(shown), 6)  # the six before it, the new one on a fresh first page
        back = self.api(self.tina, "get", second["previous"]).json()
        self.assertEqual([r["id"] for r in back["results"]], [r["id"] for r in first["results"]])

    def test_a_made_up_cursor_is_a_chinese_404(self):
        response = self.api(self.tina, "get", URL + "?cursor=abc")
        self.assertEqual(response.status_code, 404)
        self.assertIn("游标无效", response.json()["detail"])
