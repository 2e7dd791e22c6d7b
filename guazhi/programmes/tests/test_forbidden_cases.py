"""The forbidden side of every programme page that changes something, beside the allowed one."""

from __future__ import annotations

from datetime import date

from guazhi.programmes import services
from guazhi.programmes.models import Placement, PlacementChange, Post
from guazhi.selection.models import Nomination
from guazhi.selection.tests.helpers import SelectionTestCase


class ProgrammeForbiddenCaseTests(SelectionTestCase):
    def setUp(self):
        self.placement = services.placement_create(cadre=self.wang, post=self.post_invest)

    def test_only_the_city_officer_edits_programmes_batches_and_posts(self):
        urls = [
            f"/programmes/{self.programme.pk}/edit/",
            f"/programmes/batches/{self.batch.pk}/edit/",
            f"/programmes/posts/{self.post_tech.pk}/edit/",
            f"/programmes/posts/{self.post_tech.pk}/delete/",
        ]
        for user in (self.bob, self.carol, self.hank):
            self.login(user)
            for url in urls:
                with self.subTest(user=user.username, url=url):
                    self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.alice)
        for url in urls:
            with self.subTest(user="alice", url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_a_post_is_deleted_only_by_the_city_officer_and_only_when_unused(self):
        self.login(self.bob)
        self.client.post(f"/programmes/posts/{self.post_tech.pk}/delete/")
        self.assertTrue(Post.objects.filter(pk=self.post_tech.pk).exists())
        self.login(self.alice)
        self.client.post(f"/programmes/posts/{self.post_invest.pk}/delete/")  # has a placement
        self.assertTrue(Post.objects.filter(pk=self.post_invest.pk).exists())
        self.client.post(f"/programmes/posts/{self.post_tech.pk}/delete/")
        self.assertFalse(Post.objects.filter(pk=self.post_tech.pk).exists())

    def test_finishing_is_refused_outside_the_change_scope(self):
        url = f"/programmes/placements/{self.placement.pk}/finish/"
        data = {"end": "2028-03-01"}
        self.login(self.eve)
        self.assertEqual(self.client.post(url, data).status_code, 404)
        self.login(self.carol)  # sees it, may not change it
        response = self.client.post(url, data, follow=True)
        self.assertContains(response, "无权办理该任职记录")
        self.placement.refresh_from_db()
        self.assertEqual(self.placement.status, Placement.Status.ON_POST)
        self.login(self.bob)
        self.client.post(url, data)
        self.placement.refresh_from_db()
        self.assertEqual(self.placement.status, Placement.Status.FINISHED)

    def test_only_the_requester_cancels_a_request(self):
        change = services.change_request(
            placement=self.placement,
            by=self.bob,
            kind="extend",
            new_end=date(2028, 9, 1),
            reason="项目收尾",
        )
        url = f"/programmes/placements/{self.placement.pk}/change/{change.pk}/cancel/"
        self.login(self.alice)
        response = self.client.post(url, follow=True)
        self.assertContains(response, "只有申请人可以撤回申请")
        change.refresh_from_db()
        self.assertEqual(change.status, PlacementChange.Status.PENDING)
        self.login(self.bob)
        self.client.post(url)
        change.refresh_from_db()
        self.assertEqual(change.status, PlacementChange.Status.CANCELLED)

    def test_administrators_get_no_composition_export(self):
        url = f"/programmes/batches/{self.batch.pk}/composition.xlsx"
        for user in (self.sam, self.aud):
            self.login(user)
            self.assertEqual(self.client.get(url).status_code, 404, user.username)
        self.login(self.bob)
        self.assertEqual(self.client.get(url).status_code, 200)


class SelectionForbiddenCaseTests(SelectionTestCase):
    def test_the_matching_levels_bulk_decision_is_the_city_officers(self):
        from guazhi.selection import services as selection_services

        nomination = selection_services.decide(
            nomination=self.nominate(), by=self.bob, approve=True, opinion="同意"
        )
        url = f"/selection/batches/{self.batch.pk}/match/decide/"
        self.login(self.bob)
        self.assertEqual(self.client.post(url, {"decline_unassigned": "1"}).status_code, 403)
        nomination.refresh_from_db()
        self.assertEqual(nomination.status, Nomination.Status.PENDING)
        self.login(self.alice)
        self.client.post(url, {"decline_unassigned": "1"})
        nomination.refresh_from_db()
        self.assertEqual(nomination.status, Nomination.Status.REJECTED)

    def test_another_district_cannot_withdraw_through_the_page(self):
        nomination = self.nominate()
        self.login(self.eve)
        response = self.client.post(f"/selection/{nomination.pk}/withdraw/", {"reason": "x"})
        self.assertEqual(response.status_code, 404)
        nomination.refresh_from_db()
        self.assertEqual(nomination.status, Nomination.Status.PENDING)
