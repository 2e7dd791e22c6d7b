"""Career events: a document number for promotions and reuse, the placement they follow (by
default the cadre's last ended one), and who may add or change them."""

from __future__ import annotations

from datetime import date

import time_machine

from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Batch, Post

from .. import services
from ..models import CareerEvent
from .helpers import ReturnsTestCase


class CareerEventRuleTests(ReturnsTestCase):
    def save(self, **values):
        data = {
            "by": self.bob,
            "cadre": self.wang,
            "kind": "promoted",
            "on": date(2028, 6, 1),
            "description": "提拔为发改局副局长",
            "document_number": "和组〔2028〕5号",
            "today": date(2028, 12, 31),
        }
        data.update(values)
        return services.career_event_save(**data)

    def test_promotion_and_reuse_need_a_document_number_the_others_do_not(self):
        self.finish(self.wang_p)
        for kind in ("promoted", "reused"):
            with self.assertRaisesMessage(services.ReturnError, "提拔、重用须填写文号"):
                self.save(kind=kind, document_number=" ")
        for kind in ("transferred", "honoured"):
            self.assertEqual(self.save(kind=kind, document_number="").kind, kind)

    def test_by_default_the_event_follows_the_last_ended_placement(self):
        self.assertIsNone(self.save().placement)  # still on post: nothing ended yet
        self.finish(self.wang_p)
        self.assertEqual(self.save().placement, self.wang_p)
        later = Batch.objects.create(
            programme=self.programme,
            number=6,
            start=date(2028, 4, 1),
            end=date(2029, 4, 1),
            quota=1,
        )
        post = Post.objects.create(batch=later, title="园区副主任", host_unit=self.chaoyang)
        second = programme_services.placement_create(cadre=self.wang, post=post)
        self.finish(second, end=date(2029, 4, 1))
        self.assertEqual(self.save(on=date(2028, 5, 1)).placement, second)
        self.assertEqual(self.save(on=date(2028, 3, 20)).placement, self.wang_p)

    def test_an_event_cannot_follow_another_cadres_placement_or_precede_its_own(self):
        with self.assertRaisesMessage(services.ReturnError, "所选挂职经历不是该干部的"):
            self.save(placement=self.li_p, by=self.alice)
        with self.assertRaisesMessage(services.ReturnError, "日期早于所选挂职的到岗日期"):
            self.save(placement=self.wang_p, on=date(2027, 1, 1))

    def test_only_officers_covering_the_home_unit_add_or_change_events(self):
        for user in (self.eve, self.carol, self.dave, self.hank):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.ReturnError, "无权"),
            ):
                self.save(by=user)
        event = self.save()
        with self.assertRaisesMessage(services.ReturnError, "无权"):
            self.save(by=self.eve, cadre=self.li, event=event)  # moving bob's event to hunnan


@time_machine.travel("2028-06-10")
class CareerEventPageTests(ReturnsTestCase):
    def setUp(self):
        self.finish(self.wang_p)
        self.post = {
            "cadre": self.wang.pk,
            "kind": "reused",
            "date": "2028-06-01",
            "description": "重用为重点项目专班负责人",
            "document_number": "和组〔2028〕7号",
            "placement": "",
        }

    def test_the_district_officer_adds_an_event_for_his_cadre(self):
        self.login(self.bob)
        response = self.client.get(f"/returns/events/new/?cadre={self.wang.pk}")
        self.assertEqual(response.status_code, 200)
        response = self.client.post("/returns/events/new/", self.post)
        self.assertRedirects(response, f"/returns/placement/{self.wang_p.pk}/")
        event = CareerEvent.objects.get()
        self.assertEqual(
            (event.cadre, event.placement, event.created_by), (self.wang, self.wang_p, self.bob)
        )

    def test_another_district_cannot_add_events_for_a_cadre_outside_its_scope(self):
        self.login(self.eve)
        self.assertEqual(
            self.client.get(f"/returns/events/new/?cadre={self.wang.pk}").status_code, 404
        )
        response = self.client.post("/returns/events/new/", self.post)
        self.assertEqual(response.status_code, 200)
        self.assertIn("cadre", response.context["form"].errors)
        self.assertFalse(CareerEvent.objects.exists())
        # …and his own district's cadre is fine.
        self.finish(self.li_p)
        response = self.client.post("/returns/events/new/", {**self.post, "cadre": self.li.pk})
        self.assertEqual(response.status_code, 302)

    def test_a_missing_document_number_is_shown_on_the_form(self):
        self.login(self.bob)
        response = self.client.post("/returns/events/new/", {**self.post, "document_number": ""})
        self.assertContains(response, "提拔、重用须填写文号")
        self.assertFalse(CareerEvent.objects.exists())

    def test_the_sending_unit_reads_events_but_cannot_add_or_change_them(self):
        event = self.event(self.wang, on=date(2028, 6, 1))
        self.login(self.carol)
        page = self.client.get(f"/returns/placement/{self.wang_p.pk}/").content.decode()
        self.assertIn("提拔为副局长", page)
        self.assertNotIn(f"/returns/events/{event.pk}/edit/", page)
        self.assertEqual(self.client.get("/returns/events/new/").status_code, 403)
        self.assertEqual(self.client.get(f"/returns/events/{event.pk}/edit/").status_code, 403)
        self.assertEqual(self.client.post("/returns/events/new/", self.post).status_code, 403)

    def test_the_officer_corrects_an_event_and_another_district_gets_404(self):
        event = self.event(self.wang, on=date(2028, 6, 1))
        self.login(self.eve)
        self.assertEqual(self.client.get(f"/returns/events/{event.pk}/edit/").status_code, 404)
        self.login(self.bob)
        response = self.client.post(
            f"/returns/events/{event.pk}/edit/",
            {**self.post, "cadre": self.li.pk, "kind": "promoted"},
        )
        self.assertEqual(response.status_code, 302)
        event.refresh_from_db()
        self.assertEqual((event.cadre, event.kind), (self.wang, "promoted"))  # cadre is fixed
