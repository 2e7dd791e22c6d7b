"""Home cards (本周纪实 for a cadre, 待点评纪实 for a team leader) and the 工作纪实 section on the
cadre profile, shown only to viewers who may see that cadre's records."""

from __future__ import annotations

from datetime import date

import time_machine
from django.utils import timezone

from .. import views
from .helpers import Evidence, RecordsTestCase


@time_machine.travel("2027-05-12 10:00 +0800", tick=False)
class HomeCardTests(RecordsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.write(cls.p_wang, date(2027, 5, 9))  # last week
        cls.write(cls.p_wang, date(2027, 5, 10))
        cls.write(cls.p_wang, date(2027, 5, 12), evidence=Evidence.POSITIVE)
        cls.write(cls.p_li, date(2027, 5, 11))

    def cards(self, user):
        return {c["label"]: c for c in views.home_cards(user)}

    def test_a_cadre_sees_how_many_records_he_wrote_this_week(self):
        card = self.cards(self.dave)["本周纪实"]
        self.assertEqual(card["value"], 2)
        self.assertEqual(card["url"], "/records/?week=2027-W19")
        self.assertNotIn("待点评纪实", self.cards(self.dave))

    def test_a_leader_sees_how_many_records_wait_for_his_comment(self):
        card = self.cards(self.tina)["待点评纪实"]
        self.assertEqual(card["value"], 4)
        from ..models import DailyRecord

        DailyRecord.objects.filter(cadre=self.li).update(commented_at=timezone.now())
        self.assertEqual(self.cards(self.tina)["待点评纪实"]["value"], 3)
        self.assertEqual(self.cards(self.tom)["待点评纪实"]["value"], 0)

    def test_others_get_no_record_cards(self):
        for user in (self.bob, self.hank, self.alice, self.sam):
            self.assertEqual(self.cards(user), {})

    def test_the_home_page_shows_the_card(self):
        self.login(self.dave)
        self.assertContains(self.client.get("/"), "本周纪实")


@time_machine.travel("2027-05-12 10:00 +0800", tick=False)
class ProfileSectionTests(RecordsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.write(cls.p_wang, date(2027, 3, 2))
        cls.write(cls.p_wang, date(2027, 5, 10), evidence=Evidence.POSITIVE)

    def test_the_profile_shows_the_records_count_and_links(self):
        self.login(self.bob)
        response = self.client.get(f"/cadres/{self.wang.pk}/")
        self.assertContains(response, "共 2 条，近 30 天 1 条，最近一条 2027-05-10")
        self.assertContains(response, "/records/?q=%E7%8E%8B%E6%99%93%E6%98%8E")
        self.assertContains(response, f"/records/weekly/?cadre={self.wang.pk}")

    def test_the_cadre_sees_the_section_on_his_own_profile(self):
        self.login(self.dave)
        response = self.client.get(f"/cadres/{self.wang.pk}/")
        self.assertContains(response, 'href="/records/weekly/"')

    def test_no_section_for_a_viewer_who_cannot_see_the_records(self):
        from django.test import RequestFactory

        request = RequestFactory().get("/")
        for user in (self.eve, self.hugh, self.tom, self.sam):
            request.user = user
            self.assertIsNone(views.profile_section(request, self.wang), user.username)
        request.user = self.tina
        self.assertIsNotNone(views.profile_section(request, self.wang))
