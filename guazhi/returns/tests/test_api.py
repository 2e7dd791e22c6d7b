"""/api/v1/career-events/ and /api/v1/returns/: career events and return records belong to
the cadre's home unit — the district reads and records its own cadres', another district
finds nothing (404), a cadre reads his own and changes nothing (403); 提拔 and 重用 need a
document number, refused in Chinese on its field."""

from __future__ import annotations

import itertools
from datetime import date

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post

from ..models import CareerEvent
from .helpers import ReturnsTestCase

EVENTS = "/api/v1/career-events/"
RETURNS = "/api/v1/returns/"


@time_machine.travel("2028-06-10 10:00 +0800", tick=False)
class ReturnsApiCase(ReturnsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Cadre.objects.filter(pk=cls.wang.pk).update(user=cls.dave)
        cls.wang.refresh_from_db()

    def setUp(self):
        self.finish(self.wang_p)
        self.finish(self.li_p)

    def api(self, user, method, url, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )

    def event_data(self, **extra):
        data = {
            "cadre": self.wang.pk,
            "kind": "promoted",
            "date": "2028-06-01",
            "description": "提拔为发改局副局长",
            "document_number": "和委组〔2028〕8号",
        }
        data.update(extra)
        return data


class CareerEventWriteTests(ReturnsApiCase):
    def test_a_district_officer_records_a_promotion_of_his_cadre(self):
        response = self.api(self.bob, "post", EVENTS, self.event_data())
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["kind"], body["kind_display"]), ("promoted", "提拔"))
        self.assertEqual(body["placement"], self.wang_p.pk)  # his last ended placement
        self.assertEqual(body["created_by"], self.bob.pk)
        event = CareerEvent.objects.get()
        self.assertEqual((event.cadre, event.document_number), (self.wang, "和委组〔2028〕8号"))

    def test_a_promotion_without_a_document_number_is_a_chinese_field_error(self):
        for kind in ("promoted", "reused"):
            with self.subTest(kind=kind):
                response = self.api(
                    self.bob, "post", EVENTS, self.event_data(kind=kind, document_number=" ")
                )
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json()["document_number"], ["提拔、重用须填写文号"])
        self.assertFalse(CareerEvent.objects.exists())

    def test_an_honour_needs_no_document_number(self):
        data = self.event_data(kind="honoured", description="评为优秀挂职干部")
        del data["document_number"]
        response = self.api(self.bob, "post", EVENTS, data)
        self.assertEqual(response.status_code, 201, response.content)

    def test_another_districts_cadre_is_a_field_error_and_nothing_is_saved(self):
        response = self.api(self.eve, "post", EVENTS, self.event_data())
        self.assertEqual(response.status_code, 400)
        self.assertIn("不在您的范围内", response.json()["cadre"][0])
        self.assertFalse(CareerEvent.objects.exists())

    def test_a_cadre_cannot_record_his_own_career_event(self):
        response = self.api(self.dave, "post", EVENTS, self.event_data())
        self.assertEqual(response.status_code, 403)
        self.assertFalse(CareerEvent.objects.exists())

    def test_dates_and_placements_are_checked_on_their_fields(self):
        response = self.api(self.bob, "post", EVENTS, self.event_data(date="2028-06-11"))
        self.assertEqual(response.json()["date"], ["日期不能晚于今天"])
        response = self.api(self.alice, "post", EVENTS, self.event_data(placement=self.li_p.pk))
        self.assertEqual(response.json()["placement"], ["所选挂职经历不是该干部的"])
        response = self.api(self.bob, "post", EVENTS, self.event_data(placement=self.li_p.pk))
        self.assertIn("不在您的范围内", response.json()["placement"][0])

    def test_an_event_before_the_chosen_placement_is_refused_by_the_service(self):
        response = self.api(
            self.bob, "post", EVENTS, self.event_data(date="2026-06-01", placement=self.wang_p.pk)
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("早于所选挂职的到岗日期", response.json()["detail"])

    def test_the_district_changes_its_cadres_event(self):
        event = self.event(self.wang, by=self.bob)
        response = self.api(
            self.bob, "patch", f"{EVENTS}{event.pk}/", {"kind": "reused", "description": "重用"}
        )
        self.assertEqual(response.status_code, 200, response.content)
        event.refresh_from_db()
        self.assertEqual((event.kind, event.description), ("reused", "重用"))
        self.assertEqual(event.document_number, "沈委组〔2028〕12号")
        self.assertEqual(event.placement, self.wang_p)

    def test_clearing_the_document_number_of_a_promotion_is_refused_on_its_field(self):
        event = self.event(self.wang)
        response = self.api(self.bob, "patch", f"{EVENTS}{event.pk}/", {"document_number": ""})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["document_number"], ["提拔、重用须填写文号"])

    def test_a_full_update_keeps_the_cadre(self):
        event = self.event(self.wang)
        data = self.event_data(kind="transferred", description="交流到市发改委", document_number="")
        del data["cadre"]
        response = self.api(self.bob, "put", f"{EVENTS}{event.pk}/", data)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["cadre"], self.wang.pk)
        response = self.api(self.alice, "patch", f"{EVENTS}{event.pk}/", {"cadre": self.li.pk})
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能改到其他干部", response.json()["cadre"][0])

    def test_a_district_officer_of_another_district_gets_404_on_a_career_event(self):
        event = self.event(self.wang)
        url = f"{EVENTS}{event.pk}/"
        self.assertEqual(self.api(self.eve, "get", url).status_code, 404)
        self.assertEqual(self.api(self.eve, "patch", url, {"description": "改"}).status_code, 404)
        self.assertEqual(self.api(self.bob, "get", url).status_code, 200)

    def test_a_cadre_reads_his_own_events_but_cannot_change_them(self):
        mine = self.event(self.wang)
        self.event(self.li)
        response = self.api(self.dave, "get", EVENTS)
        self.assertEqual([e["id"] for e in response.json()["results"]], [mine.pk])
        response = self.api(self.dave, "patch", f"{EVENTS}{mine.pk}/", {"description": "改"})
        self.assertEqual(response.status_code, 403)


class CareerEventReadTests(ReturnsApiCase):
    def test_the_list_filters_by_cadre_and_kind(self):
        self.event(self.wang, kind="promoted")
        self.event(self.wang, kind="honoured", on=date(2028, 5, 1))
        self.event(self.li, kind="reused")

        def kinds(user, query=""):
            response = self.api(user, "get", EVENTS + query)
            self.assertEqual(response.status_code, 200, response.content)
            return [(e["cadre_name"], e["kind"]) for e in response.json()["results"]]

        self.assertEqual(
            kinds(self.alice),
            [("李浑南", "reused"), ("王晓明", "promoted"), ("王晓明", "honoured")],
        )
        self.assertEqual(
            kinds(self.alice, f"?cadre={self.wang.pk}&kind=honoured"), [("王晓明", "honoured")]
        )
        self.assertEqual(kinds(self.eve), [("李浑南", "reused")])
        self.assertEqual(kinds(self.eve, f"?cadre={self.wang.pk}"), [])

    def test_the_list_query_count_does_not_grow_with_the_events(self):
        serial = itertools.count()
        post = Post.objects.create(
            batch=self.batch, title="岗位", host_unit=self.chaoyang, capacity=9
        )

        def count():
            with CaptureQueriesContext(connection) as ctx:
                response = self.api(self.bob, "get", EVENTS)
            self.assertEqual(response.status_code, 200)
            return len(response.json()["results"]), len(ctx)

        self.event(self.wang)
        count()
        rows, queries = count()
        for _ in range(4):
            cadre = make_cadre(self.heping_fgj, f"干部{next(serial)}")
            placement = programme_services.placement_create(cadre=cadre, post=post)
            self.finish(placement)
            self.event(cadre)
        self.assertEqual(count(), (rows + 4, queries))


class ReturnRecordTests(ReturnsApiCase):
    def test_a_return_record_shows_its_follow_ups(self):
        record = self.record_return(self.wang_p)
        response = self.api(self.bob, "get", f"{RETURNS}{record.pk}/")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["cadre_name"], body["home_post"]), ("王晓明", "发改局副局长"))
        self.assertEqual(body["tasks"], "牵头京沈合作项目对接")
        self.assertEqual([f["months"] for f in body["follow_ups"]], [6, 12])
        self.assertEqual(body["follow_ups"][0]["due_on"], "2028-09-10")

    def test_another_district_gets_404_and_the_cadre_reads_only_his_own(self):
        mine = self.record_return(self.wang_p)
        other = self.record_return(self.li_p)
        self.assertEqual(self.api(self.eve, "get", f"{RETURNS}{mine.pk}/").status_code, 404)
        response = self.api(self.dave, "get", RETURNS)
        self.assertEqual([r["id"] for r in response.json()["results"]], [mine.pk])
        self.assertEqual(self.api(self.dave, "get", f"{RETURNS}{other.pk}/").status_code, 404)
        ids = {r["id"] for r in self.api(self.alice, "get", RETURNS).json()["results"]}
        self.assertEqual(ids, {mine.pk, other.pk})

    def test_return_records_are_read_only(self):
        response = self.api(self.alice, "post", RETURNS, {"placement": self.wang_p.pk})
        self.assertEqual(response.status_code, 405)
