"""/api/v1/cadres/: the page's validation and data scope through the API; key rotation."""

from datetime import date

from rest_framework.authtoken.models import Token

from guazhi.cadres.models import Cadre
from guazhi.testing import BaseTestCase

from .factories import id_number, make_cadre


class CadreApiTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wang = make_cadre(cls.heping_fgj, "王晓明")
        cls.li = make_cadre(cls.hunnan_kjj, "李浑南", male=False)

    def api(self, user, method, url, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )

    def test_list_is_limited_to_the_scope(self):
        names = {c["name"] for c in self.api(self.bob, "get", "/api/v1/cadres/").json()["results"]}
        self.assertEqual(names, {"王晓明"})

    def test_detail_outside_the_scope_is_404(self):
        self.assertEqual(
            self.api(self.bob, "get", f"/api/v1/cadres/{self.li.pk}/").status_code, 404
        )

    def test_detail_shows_only_masked_personal_data(self):
        body = self.api(self.bob, "get", f"/api/v1/cadres/{self.wang.pk}/").json()
        self.assertEqual(body["id_masked"], self.wang.id_masked)
        self.assertNotIn(self.wang.id_number, str(body))
        self.assertNotIn("id_number", body)

    def test_create_validates_like_the_form(self):
        payload = {
            "name": "赵新",
            "gender": "男",
            "birth": "1988.07",
            "unit": self.heping_fgj.pk,
            "id_number": id_number(date(1988, 7, 1)),
            "mobile": "13800001111",
            "resume": [{"start": "2010.07", "content": "和平区发改局科员"}],
        }
        response = self.api(self.bob, "post", "/api/v1/cadres/", payload)
        self.assertEqual(response.status_code, 201, response.content)
        cadre = Cadre.objects.get(name="赵新")
        self.assertEqual(cadre.resume.get().content, "和平区发改局科员")

    def test_create_reports_field_level_errors_in_chinese(self):
        payload = {
            "name": "赵新",
            "gender": "女",
            "birth": "1988.13",
            "unit": self.heping_fgj.pk,
            "id_number": "123",
        }
        body = self.api(self.bob, "post", "/api/v1/cadres/", payload).json()
        self.assertIn("月份", body["birth"][0])
        self.assertIn("18 位", body["id_number"][0])
        self.assertFalse(Cadre.objects.filter(name="赵新").exists())

    def test_create_refuses_a_gender_contradicting_the_id(self):
        payload = {
            "name": "赵新",
            "gender": "女",
            "birth": "1988.07",
            "unit": self.heping_fgj.pk,
            "id_number": id_number(date(1988, 7, 1), male=True),
        }
        response = self.api(self.bob, "post", "/api/v1/cadres/", payload)
        self.assertEqual(response.status_code, 400)
        self.assertIn("不一致", str(response.json()["gender"]))

    def test_create_in_a_unit_outside_the_scope_is_refused(self):
        payload = {
            "name": "赵新",
            "gender": "男",
            "birth": "1988.07",
            "unit": self.hunnan_kjj.pk,
            "id_number": id_number(date(1988, 7, 1)),
        }
        response = self.api(self.bob, "post", "/api/v1/cadres/", payload)
        self.assertEqual(response.status_code, 400)
        self.assertIn("unit", response.json())

    def test_update_changes_a_field(self):
        response = self.api(
            self.bob, "patch", f"/api/v1/cadres/{self.wang.pk}/", {"current_post": "副局长"}
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.current_post, "副局长")

    def test_update_outside_the_scope_is_404(self):
        response = self.api(
            self.eve, "patch", f"/api/v1/cadres/{self.wang.pk}/", {"current_post": "副局长"}
        )
        self.assertEqual(response.status_code, 404)

    def test_cadre_may_read_but_not_change_own_record(self):
        Cadre.objects.filter(pk=self.wang.pk).update(user=self.dave)
        self.assertEqual(
            self.api(self.dave, "get", f"/api/v1/cadres/{self.wang.pk}/").status_code, 200
        )
        response = self.api(
            self.dave, "patch", f"/api/v1/cadres/{self.wang.pk}/", {"current_post": "局长"}
        )
        self.assertEqual(response.status_code, 403)

    def test_cadres_are_in_the_openapi_document(self):
        doc = self.client.get("/api/v1/schema/", headers={"Accept": "application/json"}).json()
        self.assertIn("/api/v1/cadres/", doc["paths"])
        self.assertIn("/api/v1/cadres/import/", doc["paths"])


class KeyRotationTests(BaseTestCase):
    def test_rotation_reencrypts_with_the_new_key_and_values_survive(self):
        from cryptography.fernet import Fernet
        from django.core.management import call_command
        from django.test import override_settings

        from guazhi.core import crypto

        cadre = make_cadre(self.heping_fgj, "王晓明", mobile="13912345678")
        ident = cadre.id_number
        old_keys = list(__import__("django.conf").conf.settings.FIELD_ENCRYPTION_KEYS)
        new_key = Fernet.generate_key().decode()
        try:
            with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *old_keys]):
                crypto.reset_cache()
                call_command("rotate_keys", stdout=__import__("io").StringIO())
            with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
                crypto.reset_cache()
                cadre = Cadre.objects.get(pk=cadre.pk)
                self.assertEqual(cadre.id_number, ident)
                self.assertEqual(cadre.mobile, "13912345678")
        finally:
            crypto.reset_cache()
