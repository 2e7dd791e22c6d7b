"""Who sees, changes and comments on whose daily records: the cadre only his own, the team
leader his team, the sending side its cadres (read-only), the host unit the cadres placed with
it, the administrators nothing. Outside the scope a record is missing (404); inside but not
allowed, refused (403)."""

from __future__ import annotations

from datetime import date

import time_machine

from .helpers import Evidence, RecordsTestCase


@time_machine.travel("2027-05-12 10:00 +0800", tick=False)
class RecordAccessTests(RecordsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.r_wang = cls.write(cls.p_wang, date(2027, 5, 11), "王晓明走访中关村企业")
        cls.r_li = cls.write(cls.p_li, date(2027, 5, 11), "李浑南对接海淀科技园区")

    def listed(self, user):
        self.login(user)
        response = self.client.get("/records/")
        self.assertEqual(response.status_code, 200)
        return {n for n in ("王晓明走访", "李浑南对接") if n in response.content.decode()}

    def status(self, user, url, method="get", data=None):
        self.login(user)
        return getattr(self.client, method)(url, data or {}).status_code

    # --- the cadre ---------------------------------------------------------------------------

    def test_a_cadre_sees_only_his_own_records(self):
        self.assertEqual(self.listed(self.dave), {"王晓明走访"})
        self.assertEqual(self.status(self.dave, f"/records/{self.r_wang.pk}/"), 200)
        self.assertEqual(self.status(self.dave, f"/records/{self.r_li.pk}/"), 404)

    def test_a_cadre_edits_his_own_record_but_not_another_cadres(self):
        self.assertEqual(self.status(self.dave, f"/records/{self.r_wang.pk}/edit/"), 200)
        self.assertEqual(self.status(self.dave, f"/records/{self.r_li.pk}/edit/"), 404)
        self.assertEqual(self.status(self.dave, f"/records/{self.r_li.pk}/delete/", "post"), 404)

    def test_a_cadre_cannot_comment_even_on_his_own_record(self):
        status = self.status(
            self.dave, f"/records/{self.r_wang.pk}/comment/", "post", {"evidence": "positive"}
        )
        self.assertEqual(status, 403)
        self.r_wang.refresh_from_db()
        self.assertEqual(self.r_wang.evidence, "")

    def test_once_the_leader_has_marked_it_the_cadre_can_no_longer_edit_or_delete(self):
        self.r_wang.evidence = Evidence.POSITIVE
        self.r_wang.save()
        self.login(self.dave)
        response = self.client.get(f"/records/{self.r_wang.pk}/edit/")
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "正面实绩", status_code=403)
        self.assertContains(response, "不能再修改", status_code=403)
        response = self.client.post(
            f"/records/{self.r_wang.pk}/edit/",
            {"date": "2027-05-11", "category": "visit", "content": "改写"},
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.post(f"/records/{self.r_wang.pk}/delete/").status_code, 403)
        self.r_wang.refresh_from_db()
        self.assertEqual(self.r_wang.content, "王晓明走访中关村企业")
        page = self.client.get(f"/records/{self.r_wang.pk}/").content.decode()
        self.assertNotIn(f"/records/{self.r_wang.pk}/edit/", page)

    # --- the team leader ---------------------------------------------------------------------

    def test_the_team_leader_sees_his_teams_records_and_may_comment(self):
        self.assertEqual(self.listed(self.tina), {"王晓明走访", "李浑南对接"})
        response = self.client.get(f"/records/{self.r_li.pk}/")
        self.assertContains(response, f"/records/{self.r_li.pk}/comment/")
        self.assertNotContains(response, f"/records/{self.r_li.pk}/edit/")

    def test_the_team_leader_cannot_edit_a_cadres_record(self):
        self.assertEqual(self.status(self.tina, f"/records/{self.r_wang.pk}/edit/"), 403)
        self.assertEqual(self.status(self.tina, f"/records/{self.r_wang.pk}/delete/", "post"), 403)

    def test_a_deputy_comments_like_the_leader(self):
        from guazhi.testing import make_user

        deputy = make_user("dora", self.team_unit, "team_leader")
        self.team.deputies.add(deputy)
        status = self.status(
            deputy, f"/records/{self.r_wang.pk}/comment/", "post", {"comment": "很好"}
        )
        self.assertEqual(status, 302)
        self.r_wang.refresh_from_db()
        self.assertEqual(self.r_wang.commented_by, deputy)

    def test_a_leader_of_another_team_gets_404(self):
        self.assertEqual(self.listed(self.tom), set())
        self.assertEqual(self.status(self.tom, f"/records/{self.r_wang.pk}/"), 404)
        self.assertEqual(
            self.status(self.tom, f"/records/{self.r_wang.pk}/comment/", "post", {"comment": "x"}),
            404,
        )

    # --- the sending side --------------------------------------------------------------------

    def test_a_district_officer_sees_only_his_districts_cadres_records(self):
        self.assertEqual(self.listed(self.bob), {"王晓明走访"})
        self.assertEqual(self.status(self.bob, f"/records/{self.r_li.pk}/"), 404)
        self.assertEqual(self.listed(self.eve), {"李浑南对接"})
        self.assertEqual(self.status(self.eve, f"/records/{self.r_wang.pk}/"), 404)

    def test_the_district_officer_reads_but_neither_edits_nor_comments(self):
        self.login(self.bob)
        page = self.client.get(f"/records/{self.r_wang.pk}/")
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, f"/records/{self.r_wang.pk}/edit/")
        self.assertNotContains(page, f"/records/{self.r_wang.pk}/comment/")
        self.assertEqual(self.client.get(f"/records/{self.r_wang.pk}/edit/").status_code, 403)
        response = self.client.post(f"/records/{self.r_wang.pk}/comment/", {"evidence": "negative"})
        self.assertEqual(response.status_code, 403)
        self.r_wang.refresh_from_db()
        self.assertEqual(self.r_wang.evidence, "")

    def test_the_sending_unit_sees_its_own_cadres_records(self):
        self.assertEqual(self.listed(self.carol), {"王晓明走访"})
        self.assertEqual(self.status(self.carol, f"/records/{self.r_wang.pk}/edit/"), 403)

    def test_the_district_officer_cannot_write_records(self):
        self.assertEqual(self.status(self.bob, "/records/new/"), 403)

    # --- the host unit -----------------------------------------------------------------------

    def test_the_host_unit_sees_the_cadres_placed_with_it_and_not_others(self):
        self.assertEqual(self.listed(self.hank), {"王晓明走访"})
        self.assertEqual(self.status(self.hank, f"/records/{self.r_li.pk}/"), 404)
        self.assertEqual(self.listed(self.hugh), {"李浑南对接"})
        self.assertEqual(self.status(self.hugh, f"/records/{self.r_wang.pk}/"), 404)
        self.assertEqual(
            self.status(self.hank, f"/records/{self.r_wang.pk}/comment/", "post", {"comment": "x"}),
            403,
        )

    # --- the administrators ------------------------------------------------------------------

    def test_administrators_see_nothing(self):
        # (one login each: a second factor's code is good once)
        for admin in (self.sam, self.sid, self.aud):
            with self.subTest(admin=admin.username):
                self.login(admin)
                self.assertEqual(self.client.get("/records/").status_code, 403)
                self.assertEqual(self.client.get("/records/weekly/").status_code, 403)
                self.assertEqual(self.client.get(f"/records/{self.r_wang.pk}/").status_code, 404)

    def test_the_city_officer_sees_all_and_comments_through_the_all_scope(self):
        self.assertEqual(self.listed(self.alice), {"王晓明走访", "李浑南对接"})
        self.assertEqual(
            self.status(self.alice, f"/records/{self.r_li.pk}/comment/", "post", {"comment": "好"}),
            302,
        )
