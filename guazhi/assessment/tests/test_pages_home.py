"""What the assessment adds elsewhere: home cards (评价 still to give, plans to approve), the
考核 card on the cadre profile for those who see his assessment, and reminders; and the list
pages keep a fixed number of queries however many entries and ratings there are."""

from __future__ import annotations

from datetime import date

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guazhi.cadres.models import Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.core import notices
from guazhi.core.models import Notice
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post
from guazhi.testing import make_user

from .. import services, views
from ..models import Plan, Rating
from .helpers import STANDARD_ITEMS, AssessmentTestCase

NOW = "2028-01-10 10:00 +0800"


@time_machine.travel(NOW, tick=False)
class HomeCardTests(AssessmentTestCase):
    def cards(self, user):
        return {c["label"]: c for c in views.home_cards(user)}

    def test_raters_see_how_many_ratings_wait(self):
        round_ = self.open_round()
        self.assertEqual(self.cards(self.hank)["待完成的考核评价"]["value"], 3)
        self.assertEqual(
            self.cards(self.hank)["待完成的考核评价"]["url"], "/assessment/ratings/?status=pending"
        )
        self.rate(round_.entries.get(placement=self.p_wang), 80, kinds=["host"])
        self.assertEqual(self.cards(self.hank)["待完成的考核评价"]["value"], 2)
        self.assertNotIn("待完成的考核评价", self.cards(self.bob))

    def test_managers_see_plans_waiting_for_approval(self):
        Plan.objects.filter(pk=self.plan_wang.pk).update(status=Plan.Status.AGREED)
        self.assertEqual(self.cards(self.alice)["待审定的考核指标方案"]["value"], 1)
        self.assertNotIn("待审定的考核指标方案", self.cards(self.bob))

    def test_the_home_page_shows_the_card(self):
        self.open_round()
        self.login(self.hank)
        self.assertContains(self.client.get("/"), "待完成的考核评价")


@time_machine.travel(NOW, tick=False)
class ProfileSectionTests(AssessmentTestCase):
    def setUp(self):
        super().setUp()
        round_ = self.open_round()
        self.rate(round_, 80)
        services.round_compute(round=round_)
        grades = {e.pk: "称职" for e in round_.entries.all()}
        services.round_confirm(round=round_, by=self.alice, grades=grades)
        self.quarter(self.p_wang, 3, "好")

    def test_the_profile_shows_the_grades_to_those_who_see_the_assessment(self):
        for user in (self.alice, self.bob, self.dave):
            self.login(user)
            response = self.client.get(f"/cadres/{self.wang.pk}/")
            self.assertContains(response, "挂职考核", msg_prefix=user.username)
            self.assertContains(response, "2027年年度考核", msg_prefix=user.username)
            self.assertContains(response, "2027Q3", msg_prefix=user.username)

    def test_others_get_no_assessment_card(self):
        self.assertIsNone(views.profile_section(type("R", (), {"user": self.eve})(), self.wang))
        self.assertIsNone(views.profile_section(type("R", (), {"user": self.sam})(), self.wang))


class ReminderTests(AssessmentTestCase):
    def remind(self):
        notices.remind(timezone.localdate())
        return {
            (n.user.username, n.key): n
            for n in Notice.objects.filter(key__startswith="assessment:").select_related("user")
        }

    @time_machine.travel(NOW, tick=False)
    def test_raters_are_reminded_of_ratings_to_give_until_they_are_given(self):
        round_ = self.open_round()
        found = self.remind()
        key = f"assessment:round:{round_.pk}:ratings"
        self.assertEqual(
            {u for u, k in found if k == key}, {"hank", "tina", "alice", "dave", "lucy"}
        )
        self.assertIn("还有 3 份评价未提交", found[("hank", key)].text)
        self.rate(round_, 80)
        self.assertEqual(self.remind(), {})

    @time_machine.travel(NOW, tick=False)
    def test_a_cadre_is_reminded_of_a_plan_to_agree(self):
        plan = services.plan_save(
            plan=self.plan_wang,
            items=[(self.ind[n], w, t) for n, w, t in STANDARD_ITEMS],
            by=self.alice,
        )
        found = self.remind()
        self.assertIn(("dave", f"assessment:plan:{plan.pk}:agree"), found)
        self.assertEqual(
            found[("dave", f"assessment:plan:{plan.pk}:agree")].url,
            f"/assessment/placements/{self.p_wang.pk}/plan/",
        )
        services.plan_agree(plan=plan, by=self.dave)
        self.assertEqual(self.remind(), {})


@time_machine.travel(NOW, tick=False)
class QueryCountTests(AssessmentTestCase):
    serial = 0

    def grow(self, n):
        """n more placed cadres with accounts and approved plans in batch 5."""
        for _ in range(n):
            QueryCountTests.serial += 1
            i = QueryCountTests.serial
            user = make_user(f"c{i}", self.heping_fgj, "cadre")
            cadre = make_cadre(self.heping_fgj, f"干部{i}", birth=date(1985, 1, 1))
            Cadre.objects.filter(pk=cadre.pk).update(user=user)
            post = Post.objects.create(batch=self.batch, title=f"岗位{i}", host_unit=self.chaoyang)
            placement = programme_services.placement_create(cadre=cadre, post=post)
            self.approved_plan(placement)

    def count(self, url):
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(ctx.captured_queries)

    def pages(self, round_):
        return (
            "/assessment/",
            f"/assessment/batches/{self.batch.pk}/plans/",
            f"/assessment/rounds/{round_.pk}/",
            "/assessment/ratings/",
        )

    def measure(self, user, n_before, n_after):
        self.grow(n_before)
        round_ = self.open_round()
        self.rate(round_, 80)
        services.round_compute(round=round_)
        self.login(user)
        urls = self.pages(round_)
        for url in urls:
            self.count(url)
        small = {url: self.count(url) for url in urls}
        round_.delete()
        self.grow(n_after)
        round_ = self.open_round()
        self.rate(round_, 80)
        services.round_compute(round=round_)
        urls_after = self.pages(round_)
        for before, after in zip(urls, urls_after, strict=True):
            with self.subTest(url=after):
                self.assertEqual(self.count(after), small[before])

    def test_the_managers_pages(self):
        self.measure(self.alice, 1, 8)

    def test_a_cadres_pages(self):
        self.measure(self.dave, 1, 8)

    def test_the_ratings_page_of_a_rater_with_many_ratings(self):
        round_ = self.open_round()
        self.login(self.hank)
        self.count("/assessment/ratings/")
        small = self.count("/assessment/ratings/")
        Rating.objects.filter(rater=self.hank).delete()
        round_.delete()
        self.grow(10)
        self.open_round()
        self.assertEqual(self.count("/assessment/ratings/"), small)
