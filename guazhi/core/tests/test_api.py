"""API skeleton: token authentication, OpenAPI document, docs page, the same data scope."""

from rest_framework.authtoken.models import Token

from guazhi.testing import PASSWORD, BaseTestCase


class TokenTests(BaseTestCase):
    def test_password_exchange_gives_a_working_token(self):
        response = self.client.post(
            "/api/v1/auth/token/", {"username": "bob", "password": PASSWORD}
        )
        self.assertEqual(response.status_code, 200)
        token = response.json()["token"]
        me = self.client.get("/api/v1/users/me/", headers={"Authorization": f"Token {token}"})
        self.assertEqual(me.json()["username"], "bob")

    def test_wrong_password_gives_no_token_and_counts_toward_lockout(self):
        response = self.client.post("/api/v1/auth/token/", {"username": "bob", "password": "x"})
        self.assertIn(response.status_code, (401, 403))
        self.assertIn("用户名或密码错误", response.json()["detail"])
        self.bob.refresh_from_db()
        self.assertEqual(self.bob.failed_login_count, 1)

    def test_missing_fields_get_a_field_level_message(self):
        response = self.client.post("/api/v1/auth/token/", {"username": "bob"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("password", response.json())

    def test_anonymous_requests_are_refused(self):
        self.assertIn(self.client.get("/api/v1/users/").status_code, (401, 403))

    def test_a_revoked_token_stops_working(self):
        token = Token.objects.create(user=self.bob)
        self.login(self.bob)
        self.client.post("/me/token/revoke/")
        self.client.logout()
        response = self.client.get(
            "/api/v1/users/", headers={"Authorization": f"Token {token.key}"}
        )
        self.assertIn(response.status_code, (401, 403))

    def test_profile_shows_a_new_token_once(self):
        self.login(self.bob)
        self.client.post("/me/token/")
        key = Token.objects.get(user=self.bob).key
        self.assertContains(self.client.get("/me/"), key)
        self.assertNotContains(self.client.get("/me/"), key)


class ScopeThroughTokenTests(BaseTestCase):
    def get(self, user, url):
        token = Token.objects.create(user=user)
        return self.client.get(url, headers={"Authorization": f"Token {token.key}"})

    def test_district_officer_reads_units_of_own_district(self):
        response = self.get(self.bob, "/api/v1/org-units/")
        names = {u["name"] for u in response.json()["results"]}
        self.assertEqual(names, {self.heping.name, self.heping_fgj.name})

    def test_district_officer_gets_404_for_a_unit_of_another_district(self):
        self.assertEqual(
            self.get(self.bob, f"/api/v1/org-units/{self.hunnan.pk}/").status_code, 404
        )

    def test_user_list_filters_within_scope_only(self):
        response = self.get(self.eve, f"/api/v1/users/?unit={self.heping_fgj.pk}")
        self.assertEqual(response.json()["count"], 0)

    def test_list_is_paginated(self):
        response = self.get(self.alice, "/api/v1/users/?page_size=2")
        body = response.json()
        self.assertEqual(len(body["results"]), 2)
        self.assertIsNotNone(body["next"])


class SchemaTests(BaseTestCase):
    def test_openapi_document_describes_the_endpoints(self):
        response = self.client.get("/api/v1/schema/", headers={"Accept": "application/json"})
        self.assertEqual(response.status_code, 200)
        import json

        doc = json.loads(response.content)
        self.assertIn("/api/v1/users/", doc["paths"])
        self.assertIn("/api/v1/org-units/{id}/", doc["paths"])
        self.assertIn("tokenAuth", json.dumps(doc["components"]["securitySchemes"]))

    def test_interactive_docs_are_served_locally(self):
        html = self.client.get("/api/v1/docs/").content.decode()
        self.assertIn("swagger", html.lower())
        self.assertNotRegex(html, r'(src|href)="https?://')
        self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)[^>]*>")
