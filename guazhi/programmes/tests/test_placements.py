"""Placements: who sees them (both the sending and the host side), finishing, and extension or
early end only with a second person's approval; the host unit sees the cadres placed with it;
batch composition statistics and their export."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook

from guazhi.cadres.tests.factories import make_cadre
from guazhi.core.models import AuditEntry
from guazhi.programmes import services
from guazhi.programmes.models import Placement, PlacementChange
from guazhi.selection.tests.helpers import SelectionTestCase
from guazhi.testing import make_user


class PlacementTestCase(SelectionTestCase):
    def setUp(self):
        self.placement = services.placement_create(cadre=self.wang, post=self.post_invest)


class PlacementScopeTests(PlacementTestCase):
    def test_the_host_unit_sees_the_cadre_placed_with_it(self):
        self.login(self.hank)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/").status_code, 200)
        self.assertIn("王晓明", self.client.get("/cadres/").content.decode())
        self.assertEqual(self.client.get(f"/cadres/{self.li.pk}/").status_code, 404)

    def test_a_cadre_placed_twice_with_the_host_unit_is_listed_once(self):
        from guazhi.cadres import access as cadre_access

        services.placement_finish(
            placement=self.placement, by=self.alice, end=self.placement.planned_end
        )
        from guazhi.programmes.models import Batch, Post

        second = Batch.objects.get(pk=self.batch.pk)
        second.pk, second.number = None, self.batch.number + 1
        second.save()
        post = Post.objects.create(batch=second, title="商务局副局长", host_unit=self.chaoyang)
        services.placement_create(cadre=self.wang, post=post)  # again with the same host unit
        ids = list(cadre_access.cadres_for(self.hank).values_list("pk", flat=True))
        self.assertEqual(ids, [self.wang.pk])

    def test_the_host_unit_cannot_edit_the_hosted_cadre(self):
        self.login(self.hank)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/edit/").status_code, 403)

    def test_both_sides_see_the_placement_and_another_district_does_not(self):
        for user in (self.hank, self.bob, self.carol, self.alice):
            self.login(user)
            response = self.client.get(f"/programmes/placements/{self.placement.pk}/")
            self.assertEqual(response.status_code, 200, user.username)
            self.assertIn("王晓明", self.client.get("/programmes/placements/").content.decode())
        self.login(self.eve)
        self.assertEqual(
            self.client.get(f"/programmes/placements/{self.placement.pk}/").status_code, 404
        )
        self.assertNotIn("王晓明", self.client.get("/programmes/placements/").content.decode())

    def test_the_profile_shows_the_placement(self):
        self.login(self.alice)
        page = self.client.get(f"/cadres/{self.wang.pk}/").content.decode()
        self.assertIn("挂职经历", page)
        self.assertIn("投资促进局副局长", page)

    def test_a_cadre_cannot_hold_two_open_placements(self):
        with self.assertRaisesMessage(services.PlacementError, "仍在挂职"):
            services.placement_create(cadre=self.wang, post=self.post_tech)


class PlacementChangeTests(PlacementTestCase):
    def test_an_extension_needs_a_second_persons_approval(self):
        change = services.change_request(
            placement=self.placement,
            by=self.alice,
            kind="extend",
            new_end=date(2028, 9, 1),
            reason="项目收尾需要",
        )
        with self.assertRaisesMessage(services.PlacementError, "申请人不能审批"):
            services.change_decide(change=change, by=self.alice, approve=True)
        second = make_user("amy", self.city, "org_officer")
        services.change_decide(change=change, by=second, approve=True, note="同意")
        self.placement.refresh_from_db()
        self.assertEqual(self.placement.status, Placement.Status.EXTENDED)
        self.assertEqual(self.placement.planned_end, date(2028, 9, 1))
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.placement_status, "extended")

    def test_a_district_officer_requests_but_cannot_approve(self):
        change = services.change_request(
            placement=self.placement,
            by=self.bob,
            kind="end_early",
            new_end=date(2027, 9, 1),
            reason="工作需要提前召回",
        )
        with self.assertRaisesMessage(services.PlacementError, "无权审批"):
            services.change_decide(change=change, by=self.bob, approve=True)
        services.change_decide(change=change, by=self.alice, approve=True)
        self.placement.refresh_from_db()
        self.assertEqual(
            (self.placement.status, self.placement.actual_end),
            (Placement.Status.ENDED_EARLY, date(2027, 9, 1)),
        )

    def test_another_district_cannot_request(self):
        with self.assertRaisesMessage(services.PlacementError, "无权"):
            services.change_request(
                placement=self.placement,
                by=self.eve,
                kind="extend",
                new_end=date(2028, 9, 1),
                reason="x",
            )

    def test_bad_dates_and_a_missing_reason_are_refused(self):
        for kind, end, reason, message in [
            ("extend", date(2027, 6, 1), "理由", "须晚于"),
            ("end_early", date(2029, 1, 1), "理由", "之间"),
            ("extend", date(2028, 9, 1), " ", "理由"),
        ]:
            with self.assertRaisesMessage(services.PlacementError, message):
                services.change_request(
                    placement=self.placement, by=self.alice, kind=kind, new_end=end, reason=reason
                )
        self.assertFalse(PlacementChange.objects.exists())

    def test_a_rejection_needs_a_reason_and_leaves_the_placement(self):
        change = services.change_request(
            placement=self.placement,
            by=self.bob,
            kind="extend",
            new_end=date(2028, 9, 1),
            reason="项目收尾",
        )
        with self.assertRaisesMessage(services.PlacementError, "理由"):
            services.change_decide(change=change, by=self.alice, approve=False)
        services.change_decide(change=change, by=self.alice, approve=False, note="按期轮换")
        self.placement.refresh_from_db()
        self.assertEqual(self.placement.status, Placement.Status.ON_POST)

    def test_finishing_before_the_planned_end_is_refused(self):
        with self.assertRaisesMessage(services.PlacementError, "提前结束"):
            services.placement_finish(placement=self.placement, by=self.alice, end=date(2027, 5, 1))
        services.placement_finish(placement=self.placement, by=self.alice, end=date(2028, 3, 1))
        self.placement.refresh_from_db()
        self.assertEqual(self.placement.status, Placement.Status.FINISHED)
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.placement_status, "finished")

    def test_the_page_flow_request_then_approve(self):
        self.login(self.bob)
        self.client.post(
            f"/programmes/placements/{self.placement.pk}/change/",
            {"kind": "extend", "new_end": "2028-09-01", "reason": "项目收尾"},
        )
        change = PlacementChange.objects.get()
        self.login(self.alice)
        page = self.client.get(f"/programmes/placements/{self.placement.pk}/").content.decode()
        self.assertIn("审批申请", page)
        self.client.post(
            f"/programmes/placements/{self.placement.pk}/change/{change.pk}/decide/",
            {"approve": "1", "note": "同意"},
        )
        self.placement.refresh_from_db()
        self.assertEqual(self.placement.status, Placement.Status.EXTENDED)


class CompositionTests(PlacementTestCase):
    def test_composition_counts_cohorts_and_young_cadres(self):
        young = make_cadre(self.heping_fgj, "赵青年", birth=date(1990, 1, 1), male=False)
        services.placement_create(cadre=young, post=self.post_tech)
        comp = services.batch_composition(self.batch)
        self.assertEqual(comp.total, 2)
        self.assertEqual(comp.cohorts["80后"], 1)
        self.assertEqual(comp.cohorts["90后"], 1)
        self.assertEqual(comp.young, 2)  # 40 or younger on 2027-03-01
        self.assertEqual(comp.share(comp.cohorts["80后"]), "50.0%")

    def test_the_composition_exports_as_excel_and_is_audited(self):
        self.login(self.alice)
        response = self.client.get(f"/programmes/batches/{self.batch.pk}/composition.xlsx")
        self.assertEqual(response.status_code, 200)
        import io

        sheet = load_workbook(io.BytesIO(response.content)).active
        values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
        self.assertIn("80后", values)
        self.assertTrue(
            AuditEntry.objects.filter(action="export", object_type="programmes.batch").exists()
        )

    def test_the_batch_page_shows_composition_within_the_viewers_scope(self):
        self.login(self.eve)
        page = self.client.get(f"/programmes/batches/{self.batch.pk}/").content.decode()
        self.assertNotIn("王晓明", page)
        self.login(self.bob)
        page = self.client.get(f"/programmes/batches/{self.batch.pk}/").content.decode()
        self.assertIn("王晓明", page)


class ProgrammeManagementTests(SelectionTestCase):
    def test_only_the_city_officer_creates_batches_and_posts(self):
        for user in (self.bob, self.carol):
            self.login(user)
            self.assertEqual(
                self.client.get(f"/programmes/{self.programme.pk}/batches/new/").status_code,
                403,
                user.username,
            )
            self.assertEqual(
                self.client.get(f"/programmes/batches/{self.batch.pk}/posts/new/").status_code, 403
            )
        self.login(self.alice)
        response = self.client.post(
            f"/programmes/{self.programme.pk}/batches/new/",
            {
                "number": 6,
                "direction": "outbound",
                "start": "2028-03-01",
                "end": "2027-03-01",
                "quota": 10,
                "status": "planning",
            },
        )
        self.assertContains(response, "计划结束日期必须晚于开始日期")
        self.assertFalse(self.programme.batches.filter(number=6).exists())

    def test_a_post_with_requirements_is_saved_with_its_formset(self):
        self.login(self.alice)
        response = self.client.post(
            f"/programmes/batches/{self.batch.pk}/posts/new/",
            {
                "title": "通州区发改委副主任",
                "host_unit": self.chaoyang.pk,
                "capacity": 2,
                "rank_mandatory": "on",
                "age_mandatory": "on",
                "age_max": 40,
                "experience_keywords": "发改、规划",
                "req-TOTAL_FORMS": 2,
                "req-INITIAL_FORMS": 0,
                "req-0-tag": self.zhaoshang.pk,
                "req-0-weight": 3,
                "req-0-mandatory": "on",
                "req-1-tag": "",
                "req-1-weight": 1,
            },
        )
        self.assertEqual(response.status_code, 302, response.content.decode()[:500])
        post = self.batch.posts.get(title="通州区发改委副主任")
        self.assertEqual(
            list(post.requirements.values_list("tag__name", "weight", "mandatory")),
            [("招商引资", 3, True)],
        )
        self.assertEqual(post.keywords, ["发改", "规划"])

    def test_a_new_programme_starts_with_the_default_levels(self):
        self.login(self.alice)
        self.client.post(
            "/programmes/new/",
            {
                "name": "沈抚对口协作",
                "owner_unit": self.city.pk,
                "young_age_max": 40,
                "is_active": "on",
            },
        )
        from guazhi.programmes.models import Programme

        programme = Programme.objects.get(name="沈抚对口协作")
        self.assertEqual(
            list(programme.levels.values_list("name", flat=True)),
            ["区委组织部审核", "市委组织部综合比选", "市委审批", "报中组部备案"],
        )


class CadreStatusTests(SelectionTestCase):
    def test_a_finished_placement_shows_as_finished_not_nominated(self):
        nomination = self.pass_level(self.nominate(), self.bob)
        from guazhi.selection import services as selection_services

        selection_services.assign_posts(
            batch=self.batch, pairs=[(nomination.pk, self.post_invest.pk)], scores={}, by=self.alice
        )
        nomination = self.pass_level(nomination, self.alice)
        nomination = self.pass_level(nomination, self.alice)
        nomination = self.pass_level(
            nomination, self.alice, document_number="文1号", document_date=date(2027, 1, 5)
        )
        services.placement_finish(
            placement=nomination.placement, by=self.alice, end=date(2028, 3, 1)
        )
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.placement_status, "finished")
