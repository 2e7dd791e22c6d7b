"""Writing, changing, deleting and commenting on daily records through the pages, with the
rules the service keeps: a date not in the future and not before the placement, content
required and at most 4000 characters, a category from the list; a mark locks the record."""

from __future__ import annotations

from datetime import date

import time_machine
from django.contrib.messages import get_messages

from guazhi.cadres.tests.factories import make_cadre
from guazhi.testing import make_user

from ..models import DailyRecord
from .helpers import Category, Evidence, RecordsTestCase

TODAY = "2027-05-12 10:00 +0800"


def entry(**values):
    return {
        "date": "2027-05-12",
        "category": "visit",
        "content": "走访北京某新能源企业，介绍沈阳营商环境",
        "linked": "北京某新能源科技有限公司",
        **values,
    }


@time_machine.travel(TODAY, tick=False)
class WritingTests(RecordsTestCase):
    def test_the_cadres_list_has_the_quick_add_form_dated_today(self):
        self.login(self.dave)
        response = self.client.get("/records/")
        self.assertContains(response, "写纪实")
        self.assertContains(response, 'action="/records/new/"')
        self.assertContains(response, 'value="2027-05-12"')
        self.assertContains(response, 'max="2027-05-12"')
        self.assertContains(response, 'min="2027-03-01"')

    def test_a_cadre_on_post_writes_a_record(self):
        self.login(self.dave)
        response = self.client.post("/records/new/", entry())
        self.assertRedirects(response, "/records/")
        record = DailyRecord.objects.get()
        self.assertEqual(
            (record.cadre, record.placement, record.date, record.category, record.linked),
            (self.wang, self.p_wang, date(2027, 5, 12), "visit", "北京某新能源科技有限公司"),
        )
        self.assertIn("2027-05-12", [str(m) for m in get_messages(response.wsgi_request)][0])

    def test_a_future_date_is_refused_with_a_message(self):
        self.login(self.dave)
        response = self.client.post("/records/new/", entry(date="2027-05-13"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "日期不能晚于今天（2027-05-12）")
        self.assertFalse(DailyRecord.objects.exists())

    def test_a_date_before_the_placement_is_refused(self):
        self.login(self.dave)
        response = self.client.post("/records/new/", entry(date="2027-02-28"))
        self.assertContains(response, "日期不能早于到岗日期（2027-03-01）")
        self.assertFalse(DailyRecord.objects.exists())

    def test_content_is_required_and_at_most_4000_characters(self):
        self.login(self.dave)
        self.assertContains(self.client.post("/records/new/", entry(content="  ")), "必填")
        response = self.client.post("/records/new/", entry(content="字" * 4001))
        self.assertContains(response, "4000")
        self.client.post("/records/new/", entry(content="字" * 4000))
        self.assertEqual(DailyRecord.objects.count(), 1)

    def test_the_category_comes_from_the_list(self):
        self.login(self.dave)
        response = self.client.post("/records/new/", entry(category="gossip"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(DailyRecord.objects.exists())

    def test_a_cadre_without_an_open_placement_cannot_write(self):
        loner = make_user("lonny", self.heping_fgj, "cadre")
        cadre = make_cadre(self.heping_fgj, "未派出")
        cadre.__class__.objects.filter(pk=cadre.pk).update(user=loner)
        self.login(loner)
        response = self.client.get("/records/new/")
        self.assertContains(response, "没有在岗的挂职任职", status_code=403)
        self.assertEqual(self.client.post("/records/new/", entry()).status_code, 403)
        self.assertNotContains(self.client.get("/records/"), 'action="/records/new/"')
        self.assertFalse(DailyRecord.objects.exists())

    def test_after_the_placement_ends_the_cadre_can_no_longer_write(self):
        from guazhi.programmes.models import Placement

        Placement.objects.filter(pk=self.p_wang.pk).update(
            status=Placement.Status.FINISHED, actual_end=date(2027, 5, 1)
        )
        self.login(self.dave)
        self.assertEqual(self.client.post("/records/new/", entry()).status_code, 403)

    def test_the_cadre_changes_his_record(self):
        record = self.write(self.p_wang, date(2027, 5, 11))
        self.login(self.dave)
        response = self.client.post(
            f"/records/{record.pk}/edit/",
            entry(date="2027-05-10", category="lead", content="发现一条新能源项目线索"),
        )
        self.assertRedirects(response, f"/records/{record.pk}/")
        record.refresh_from_db()
        self.assertEqual(
            (record.date, record.category, record.content),
            (date(2027, 5, 10), "lead", "发现一条新能源项目线索"),
        )

    def test_changing_to_a_future_date_is_refused(self):
        record = self.write(self.p_wang, date(2027, 5, 11))
        self.login(self.dave)
        response = self.client.post(f"/records/{record.pk}/edit/", entry(date="2027-06-01"))
        self.assertContains(response, "日期不能晚于今天")
        record.refresh_from_db()
        self.assertEqual(record.date, date(2027, 5, 11))

    def test_the_cadre_deletes_his_record_after_confirming(self):
        record = self.write(self.p_wang, date(2027, 5, 11))
        self.login(self.dave)
        page = self.client.get(f"/records/{record.pk}/")
        self.assertContains(page, "data-confirm=")
        confirm = self.client.get(f"/records/{record.pk}/delete/")
        self.assertContains(confirm, "确定删除这条纪实吗")
        self.assertTrue(DailyRecord.objects.filter(pk=record.pk).exists())
        self.assertRedirects(self.client.post(f"/records/{record.pk}/delete/"), "/records/")
        self.assertFalse(DailyRecord.objects.filter(pk=record.pk).exists())


@time_machine.travel(TODAY, tick=False)
class CommentTests(RecordsTestCase):
    def setUp(self):
        self.record = self.write(self.p_wang, date(2027, 5, 11))

    def test_the_leader_comments_and_marks_positive_which_locks_the_record(self):
        self.login(self.tina)
        response = self.client.post(
            f"/records/{self.record.pk}/comment/",
            {"comment": "对接及时，线索质量高", "evidence": "positive"},
        )
        self.assertRedirects(response, f"/records/{self.record.pk}/")
        self.record.refresh_from_db()
        self.assertEqual(self.record.leader_comment, "对接及时，线索质量高")
        self.assertEqual(self.record.evidence, Evidence.POSITIVE)
        self.assertEqual(self.record.commented_by, self.tina)
        self.assertIsNotNone(self.record.commented_at)
        self.assertTrue(self.record.is_locked)
        self.login(self.dave)
        self.assertEqual(self.client.get(f"/records/{self.record.pk}/edit/").status_code, 403)
        self.assertContains(self.client.get(f"/records/{self.record.pk}/"), "对接及时")

    def test_the_comment_and_mark_are_audited(self):
        from guazhi.core.models import AuditEntry

        self.login(self.tina)
        self.client.post(f"/records/{self.record.pk}/comment/", {"evidence": "negative"})
        entry = AuditEntry.objects.filter(object_id=str(self.record.pk)).latest("pk")
        self.assertEqual(entry.actor_username, "tina")
        self.assertIn("evidence", entry.changes)

    def test_a_comment_without_a_mark_leaves_the_record_editable(self):
        self.login(self.tina)
        self.client.post(f"/records/{self.record.pk}/comment/", {"comment": "请写明成效"})
        self.record.refresh_from_db()
        self.assertFalse(self.record.is_locked)
        self.login(self.dave)
        self.assertEqual(self.client.get(f"/records/{self.record.pk}/edit/").status_code, 200)

    def test_taking_the_mark_off_unlocks_the_record(self):
        self.record.evidence = Evidence.NEGATIVE
        self.record.save()
        self.login(self.tina)
        self.client.post(
            f"/records/{self.record.pk}/comment/", {"comment": "已核实，撤销标记", "evidence": ""}
        )
        self.record.refresh_from_db()
        self.assertFalse(self.record.is_locked)

    def test_an_empty_comment_is_refused(self):
        self.login(self.tina)
        response = self.client.post(f"/records/{self.record.pk}/comment/", {"comment": " "})
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        self.assertIn("请填写点评意见或选择实绩标记", messages)
        self.record.refresh_from_db()
        self.assertIsNone(self.record.commented_at)

    def test_an_unknown_mark_is_refused(self):
        self.login(self.tina)
        self.client.post(f"/records/{self.record.pk}/comment/", {"evidence": "excellent"})
        self.record.refresh_from_db()
        self.assertEqual(self.record.evidence, "")

    def test_the_record_page_offers_the_next_record_waiting_for_a_comment(self):
        other = self.write(self.p_li, date(2027, 5, 10), category=Category.STUDY)
        self.login(self.tina)
        response = self.client.get(f"/records/{self.record.pk}/")
        self.assertContains(response, f'href="/records/{other.pk}/"')


@time_machine.travel(TODAY, tick=False)
class ListFilterTests(RecordsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.write(cls.p_wang, date(2027, 5, 9), "周日加班整理招商材料", category=Category.ROUTINE)
        cls.write(
            cls.p_wang,
            date(2027, 5, 10),
            "周一走访企业",
            evidence=Evidence.POSITIVE,
            leader_comment="好",
        )
        cls.write(cls.p_li, date(2027, 5, 11), "周二参加园区会议", category=Category.MEETING)
        from django.utils import timezone

        from ..models import DailyRecord as R

        R.objects.filter(evidence=Evidence.POSITIVE).update(commented_at=timezone.now())

    def texts(self, query):
        response = self.client.get("/records/" + query)
        body = response.content.decode()
        return {t for t in ("周日加班", "周一走访", "周二参加") if t in body}

    def test_the_leader_filters_by_name_category_week_mark_and_uncommented(self):
        self.login(self.tina)
        self.assertEqual(self.texts("?q=王晓"), {"周日加班", "周一走访"})
        self.assertEqual(self.texts("?category=meeting"), {"周二参加"})
        self.assertEqual(self.texts("?week=2027-W19"), {"周一走访", "周二参加"})
        self.assertEqual(self.texts("?week=2027-W18"), {"周日加班"})
        self.assertEqual(self.texts("?since=2027-05-10&until=2027-05-10"), {"周一走访"})
        self.assertEqual(self.texts("?evidence=positive"), {"周一走访"})
        self.assertEqual(self.texts("?evidence=none"), {"周日加班", "周二参加"})
        self.assertEqual(self.texts("?uncommented=true"), {"周日加班", "周二参加"})

    def test_a_malformed_week_is_ignored_not_an_error(self):
        self.login(self.tina)
        self.assertEqual(len(self.texts("?week=next-week")), 3)

    def test_htmx_gets_only_the_results(self):
        self.login(self.tina)
        response = self.client.get("/records/?category=meeting", headers={"HX-Request": "true"})
        body = response.content.decode()
        self.assertIn("周二参加", body)
        self.assertNotIn("<html", body)

    def test_the_cadres_list_has_no_name_filter(self):
        self.login(self.dave)
        response = self.client.get("/records/")
        self.assertNotContains(response, 'name="q"')
        self.assertContains(response, 'name="week"')
