"""The ledger and the return page obey the data scope: the district sees its cadres, another
district gets 404, the sending unit reads but cannot record, a cadre sees only his own; the
return recorded through the page; filters; the cadre profile's card."""

from __future__ import annotations

from datetime import date

import time_machine

from guazhi.cadres.models import Cadre
from guazhi.testing import make_user

from ..models import ReturnRecord
from .helpers import ReturnsTestCase


@time_machine.travel("2028-03-20")
class LedgerTests(ReturnsTestCase):
    def setUp(self):
        self.finish(self.wang_p)
        self.finish(self.li_p)
        Cadre.objects.filter(pk=self.wang.pk).update(user=self.dave)

    def ledger(self, user, query=""):
        self.login(user)
        response = self.client.get(f"/returns/{query}")
        self.assertEqual(response.status_code, 200, user.username)
        return response.content.decode()

    def test_each_district_lists_its_own_cadres_and_the_city_all(self):
        page = self.ledger(self.bob)
        self.assertIn("王晓明", page)
        self.assertNotIn("李浑南", page)
        page = self.ledger(self.eve)
        self.assertNotIn("王晓明", page)
        self.assertIn("李浑南", page)
        page = self.ledger(self.alice)
        self.assertIn("王晓明", page)
        self.assertIn("李浑南", page)

    def test_returns_not_recorded_are_waiting_for_officers_who_can_add(self):
        self.assertIn("待登记返岗", self.ledger(self.bob))
        page = self.ledger(self.carol)
        self.assertIn("王晓明", page)
        self.assertNotIn("待登记返岗", page)
        self.assertIn("未登记返岗", page)

    def test_a_cadre_sees_only_his_own(self):
        page = self.ledger(self.dave)
        self.assertIn("王晓明", page)
        self.assertNotIn("李浑南", page)
        self.assertEqual(self.client.get(f"/returns/placement/{self.wang_p.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/returns/placement/{self.li_p.pk}/").status_code, 404)
        self.assertEqual(self.client.get("/returns/outcomes/").status_code, 403)

    def test_the_host_unit_and_administrators_have_no_ledger(self):
        for user in (self.hank, self.sam):
            self.login(user)
            self.assertEqual(self.client.get("/returns/").status_code, 403, user.username)
            response = self.client.get(f"/returns/placement/{self.wang_p.pk}/")
            self.assertEqual(response.status_code, 404, user.username)

    def test_a_team_leader_has_no_ledger(self):
        tina = make_user("tina", self.heping, "team_leader")
        self.login(tina)
        self.assertEqual(self.client.get("/returns/").status_code, 403)

    def test_filters_returned_or_not_and_follow_ups_overdue(self):
        self.record_return(self.wang_p)
        page = self.ledger(self.alice, "?returned=no")
        self.assertNotIn("王晓明", page)
        self.assertIn("李浑南", page)
        page = self.ledger(self.alice, "?returned=yes")
        self.assertIn("王晓明", page)
        self.assertNotIn("李浑南", page)
        self.assertNotIn("王晓明", self.ledger(self.alice, "?follow_up=due"))
        with time_machine.travel("2028-09-01"):  # the 6-month follow-up is due on 2028-09-10
            self.assertIn("王晓明", self.ledger(self.alice, "?follow_up=due"))
            self.assertNotIn("王晓明", self.ledger(self.alice, "?follow_up=overdue"))
        with time_machine.travel("2028-09-11"):
            page = self.ledger(self.alice, "?follow_up=overdue")
            self.assertIn("王晓明", page)
            self.assertIn("已逾期", page)
        page = self.ledger(self.alice, f"?batch={self.batch.pk}&q=李")
        self.assertIn("李浑南", page)
        self.assertNotIn("王晓明", page)

    def test_an_htmx_request_gets_only_the_results(self):
        self.login(self.alice)
        response = self.client.get("/returns/?returned=no", headers={"HX-Request": "true"})
        self.assertNotIn("<html", response.content.decode())
        self.assertIn("李浑南", response.content.decode())


@time_machine.travel("2028-03-20")
class ReturnPageTests(ReturnsTestCase):
    def setUp(self):
        self.url = f"/returns/placement/{self.wang_p.pk}/"
        self.data = {
            "returned_on": "2028-03-10",
            "home_post": "和平区发改局副局长",
            "tasks": "牵头对接北京企业",
            "platforms": "区招商专班",
        }

    def test_the_district_officer_records_the_return_through_the_page(self):
        self.finish(self.wang_p)
        self.login(self.bob)
        self.assertContains(self.client.get(self.url), "登记返岗")
        response = self.client.post(self.url, self.data)
        self.assertRedirects(response, self.url)
        record = ReturnRecord.objects.get(placement=self.wang_p)
        self.assertEqual(record.follow_ups.count(), 2)
        page = self.client.get(self.url).content.decode()
        self.assertIn("牵头对接北京企业", page)
        self.assertIn("2028-09-10", page)

    def test_an_open_placement_shows_no_form_and_its_return_is_refused(self):
        self.login(self.bob)
        self.assertContains(self.client.get(self.url), "挂职尚未结束")
        response = self.client.post(self.url, self.data)
        self.assertContains(response, "挂职尚未结束（在岗）")
        self.assertFalse(ReturnRecord.objects.exists())

    def test_a_second_return_is_refused_in_chinese(self):
        self.finish(self.wang_p)
        self.record_return(self.wang_p)
        self.login(self.bob)
        response = self.client.post(
            self.url, {**self.data, "returned_on": "2028-03-15"}, follow=True
        )
        self.assertContains(response, "该次挂职已登记返岗，不能重复登记")
        self.assertEqual(ReturnRecord.objects.count(), 1)

    def test_another_district_gets_404_for_the_return_page(self):
        self.finish(self.wang_p)
        self.login(self.eve)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, self.data).status_code, 404)
        self.assertEqual(self.client.get(f"{self.url}edit/").status_code, 404)
        self.assertFalse(ReturnRecord.objects.exists())

    def test_the_sending_unit_reads_but_cannot_record_or_correct(self):
        self.finish(self.wang_p)
        self.login(self.carol)
        page = self.client.get(self.url).content.decode()
        self.assertNotIn('name="home_post"', page)
        self.assertEqual(self.client.post(self.url, self.data).status_code, 403)
        self.record_return(self.wang_p)
        page = self.client.get(self.url).content.decode()
        self.assertIn("发改局副局长", page)
        self.assertNotIn(f"{self.url}edit/", page)
        self.assertEqual(self.client.get(f"{self.url}edit/").status_code, 403)

    def test_the_officer_corrects_the_return(self):
        self.finish(self.wang_p)
        self.record_return(self.wang_p)
        self.login(self.bob)
        response = self.client.post(f"{self.url}edit/", {**self.data, "returned_on": "2028-03-12"})
        self.assertRedirects(response, self.url)
        record = ReturnRecord.objects.get()
        self.assertEqual(record.returned_on, date(2028, 3, 12))
        self.assertEqual(record.follow_ups.first().due_on, date(2028, 9, 12))


@time_machine.travel("2028-07-01")
class ProfileSectionTests(ReturnsTestCase):
    def setUp(self):
        self.finish(self.wang_p)
        self.record_return(self.wang_p)
        self.event(self.wang)
        Cadre.objects.filter(pk=self.wang.pk).update(user=self.dave)

    def test_the_profile_lists_the_return_and_events_for_those_who_may_see_them(self):
        for user in (self.bob, self.carol, self.dave):
            self.login(user)
            page = self.client.get(f"/cadres/{self.wang.pk}/").content.decode()
            self.assertIn("返岗与职业发展", page, user.username)
            self.assertIn("提拔为副局长", page, user.username)

    def test_the_host_unit_sees_the_profile_without_the_return_card(self):
        self.login(self.hank)
        page = self.client.get(f"/cadres/{self.wang.pk}/").content.decode()
        self.assertNotIn("返岗与职业发展", page)
