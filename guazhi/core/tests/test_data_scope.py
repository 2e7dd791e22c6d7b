"""Data scope for each level, through the pages and the API: allowed and forbidden side by side."""

from guazhi.testing import BaseTestCase


class UnitScopeTests(BaseTestCase):
    def test_city_officer_with_scope_all_sees_every_unit(self):
        self.login(self.alice)
        page = self.client.get("/units/?page=1").content.decode()
        for unit in (self.heping, self.hunnan, self.chaoyang):
            self.assertIn(unit.name, page)

    def test_district_officer_sees_own_district_and_below(self):
        self.login(self.bob)
        self.assertEqual(self.client.get(f"/units/{self.heping_fgj.pk}/").status_code, 200)

    def test_district_officer_cannot_see_other_district(self):
        self.login(self.bob)
        self.assertEqual(self.client.get(f"/units/{self.hunnan_kjj.pk}/").status_code, 404)
        self.assertNotIn(self.hunnan_kjj.name, self.client.get("/units/").content.decode())

    def test_district_officer_cannot_see_parent_unit(self):
        self.login(self.bob)
        self.assertEqual(self.client.get(f"/units/{self.city.pk}/").status_code, 404)

    def test_unit_scope_sees_own_unit_only(self):
        self.login(self.carol)
        self.assertEqual(self.client.get(f"/units/{self.heping_fgj.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/units/{self.heping.pk}/").status_code, 404)

    def test_units_list_filters_by_name(self):
        self.login(self.alice)
        page = self.client.get("/units/", {"q": "浑南"}).content.decode()
        self.assertIn(self.hunnan.name, page)
        self.assertNotIn(self.heping_fgj.name, page)

    def test_units_list_answers_htmx_with_the_results_fragment(self):
        self.login(self.alice)
        response = self.client.get("/units/", {"q": "浑南"}, headers={"HX-Request": "true"})
        self.assertNotContains(response, "<html")
        self.assertContains(response, self.hunnan.name)


class UserScopeTests(BaseTestCase):
    def list_usernames(self):
        response = self.client.get("/api/v1/users/")
        self.assertEqual(response.status_code, 200)
        return {row["username"] for row in response.json()["results"]}

    def test_scope_all_lists_everyone(self):
        self.login(self.alice)
        self.assertTrue({"alice", "bob", "carol", "dave", "eve", "hank"} <= self.list_usernames())

    def test_subtree_scope_lists_own_district_only(self):
        self.login(self.bob)
        self.assertEqual(self.list_usernames(), {"bob", "carol", "dave"})

    def test_unit_scope_lists_own_unit_only(self):
        self.login(self.carol)
        self.assertEqual(self.list_usernames(), {"carol", "dave"})

    def test_self_scope_lists_only_self(self):
        self.login(self.dave)
        self.assertEqual(self.list_usernames(), {"dave"})

    def test_district_officer_opens_user_in_own_district(self):
        self.login(self.bob)
        self.assertEqual(self.client.get(f"/users/{self.dave.pk}/").status_code, 200)

    def test_officer_of_another_district_gets_404_for_that_user(self):
        self.login(self.eve)
        self.assertEqual(self.client.get(f"/users/{self.dave.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/api/v1/users/{self.dave.pk}/").status_code, 404)
        self.assertNotIn("dave", self.client.get("/users/").content.decode())

    def test_cadre_opens_own_account_but_not_a_colleague(self):
        self.login(self.dave)
        self.assertEqual(self.client.get(f"/users/{self.dave.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/users/{self.carol.pk}/").status_code, 404)

    def test_host_unit_has_no_user_list(self):
        self.login(self.hank)
        self.assertEqual(self.client.get("/users/").status_code, 403)
        self.assertEqual(self.list_usernames(), set())

    def test_user_list_filter_by_unit_includes_units_below(self):
        self.login(self.alice)
        page = self.client.get("/users/", {"unit": self.heping.pk}).content.decode()
        self.assertIn("卡罗", page)
        self.assertNotIn("伊芙", page)

    def test_user_list_filter_cannot_pick_a_unit_outside_scope(self):
        self.login(self.bob)
        response = self.client.get("/users/", {"unit": self.hunnan.pk})
        self.assertNotIn("伊芙", response.content.decode())
