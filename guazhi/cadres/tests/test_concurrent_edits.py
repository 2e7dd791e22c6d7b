"""Two people changing the same cadre profile: the edit form and PUT/PATCH carry the version
(lock_version) they were loaded with; the second of two saves from the same version is
refused with who changed the profile and when, and the profile keeps the first one's values —
also when only the résumé changed, and for a form opened before a roster import changed the
cadre. Without a version the API writes as before (documented)."""

from __future__ import annotations

import re
from datetime import date

from django.test import Client
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import Cadre
from guazhi.core.versioning import StaleEdit
from guazhi.testing import BaseTestCase

from ..services import CadreData, cadre_save
from .factories import make_cadre
from .test_roster import RosterTestCase, make_id, row, xlsx


def shown_version(response) -> str:
    found = re.search(r'name="lock_version" value="(\d+)"', response.content.decode())
    assert found, "the form carries no lock_version"
    return found.group(1)


class CadreFormTests(BaseTestCase):
    def setUp(self):
        self.cadre = make_cadre(self.heping_fgj, "王晓明")
        self.alice_client = self.login(self.alice, Client())
        self.bob_client = self.login(self.bob, Client())
        self.url = f"/cadres/{self.cadre.pk}/edit/"

    def form(self, version, **changes):
        data = {
            "name": "王晓明",
            "gender": "男",
            "birth": "1985.03",
            "ethnicity": "汉族",
            "unit": self.heping_fgj.pk,
            "id_number": self.cadre.id_masked,
            "mobile": self.cadre.mobile_masked,
            "lock_version": version,
        }
        return {**data, **changes}

    def test_two_officers_edit_the_same_profile_and_the_second_save_is_refused(self):
        loaded = shown_version(self.alice_client.get(self.url))
        self.assertEqual(loaded, shown_version(self.bob_client.get(self.url)))
        first = self.alice_client.post(self.url, self.form(loaded, current_post="副局长"))
        self.assertEqual(first.status_code, 302)
        second = self.bob_client.post(self.url, self.form(loaded, current_post="局长助理"))
        self.assertEqual(second.status_code, 200)
        self.assertContains(second, "已被 艾丽丝 于")
        self.assertContains(second, "您的修改未保存")
        self.assertContains(second, 'value="局长助理"')  # bob's input is kept
        self.assertEqual(Cadre.objects.get(pk=self.cadre.pk).current_post, "副局长")

    def test_a_stale_form_that_only_changes_the_resume_is_refused_too(self):
        loaded = shown_version(self.bob_client.get(self.url))
        self.alice_client.post(self.url, self.form(loaded, current_post="副局长"))
        stale = self.bob_client.post(
            self.url,
            self.form(loaded, current_post="副局长", resume_text="2010.07--  沈阳市发改委"),
        )
        self.assertContains(stale, "您的修改未保存")
        self.assertFalse(Cadre.objects.get(pk=self.cadre.pk).resume.exists())

    def test_a_resume_change_alone_raises_the_version(self):
        before = Cadre.objects.get(pk=self.cadre.pk).lock_version
        loaded = shown_version(self.alice_client.get(self.url))
        self.alice_client.post(self.url, self.form(loaded, resume_text="2010.07--  沈阳市发改委"))
        self.assertGreater(Cadre.objects.get(pk=self.cadre.pk).lock_version, before)

    def test_the_new_cadre_form_has_no_version(self):
        response = self.alice_client.get("/cadres/new/")
        self.assertNotContains(response, 'name="lock_version"')


class CadreImportVersionTests(RosterTestCase):
    def test_a_profile_form_opened_before_a_roster_import_is_refused(self):
        ident = make_id()
        cadre = make_cadre(self.heping_fgj, "张三", birth=date(1985, 3, 1), id_number=ident)
        client = self.login(self.bob, Client())
        loaded = shown_version(client.get(f"/cadres/{cadre.pk}/edit/"))
        self.import_file(xlsx([row(ident=ident, rank="副处级")]))
        stale = client.post(
            f"/cadres/{cadre.pk}/edit/",
            {
                "name": "张三",
                "gender": "男",
                "birth": "1985.03",
                "ethnicity": "汉族",
                "unit": self.heping_fgj.pk,
                "id_number": cadre.id_masked,
                "mobile": cadre.mobile_masked,
                "current_post": "科长",
                "lock_version": loaded,
            },
        )
        self.assertContains(stale, "您的修改未保存")
        cadre = Cadre.objects.get(pk=cadre.pk)
        self.assertEqual((str(cadre.rank), cadre.current_post), ("副处级", ""))

    def test_an_import_that_changes_nothing_keeps_the_version(self):
        ident = make_id()
        cadre = make_cadre(self.heping_fgj, "张三", birth=date(1985, 3, 1), id_number=ident)
        self.import_file(xlsx([row(ident=ident, rank="副处级")]))
        after_first = Cadre.objects.get(pk=cadre.pk).lock_version
        self.import_file(xlsx([row(ident=ident, rank="副处级")]))
        self.assertEqual(Cadre.objects.get(pk=cadre.pk).lock_version, after_first)


class CadreApiVersionTests(BaseTestCase):
    def setUp(self):
        self.cadre = make_cadre(self.heping_fgj, "王晓明")
        self.url = f"/api/v1/cadres/{self.cadre.pk}/"

    def api(self, user, method, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            self.url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )

    def test_a_stale_patch_is_409_and_the_profile_keeps_the_first_values(self):
        loaded = self.api(self.alice, "get").json()["lock_version"]
        first = self.api(self.alice, "patch", {"current_post": "副局长", "lock_version": loaded})
        self.assertEqual(first.status_code, 200, first.content)
        self.assertGreater(first.json()["lock_version"], loaded)
        stale = self.api(self.bob, "patch", {"current_post": "局长助理", "lock_version": loaded})
        self.assertEqual(stale.status_code, 409)
        self.assertIn("您的修改未保存", stale.json()["detail"])
        self.assertEqual(Cadre.objects.get(pk=self.cadre.pk).current_post, "副局长")

    def test_a_patch_with_the_current_version_or_none_saves(self):
        loaded = self.api(self.bob, "get").json()["lock_version"]
        ok = self.api(self.bob, "patch", {"current_post": "副局长", "lock_version": loaded})
        self.assertEqual(ok.status_code, 200)
        unchecked = self.api(self.bob, "patch", {"current_post": "局长"})
        self.assertEqual(unchecked.status_code, 200)
        self.assertEqual(Cadre.objects.get(pk=self.cadre.pk).current_post, "局长")

    def test_the_service_refuses_a_stale_version(self):
        loaded = Cadre.objects.get(pk=self.cadre.pk).lock_version
        data = CadreData(
            id_number=self.cadre.id_number,
            unit=self.heping_fgj,
            values={
                "name": "王晓明",
                "gender": "男",
                "birth": date(1985, 3, 1),
                "current_post": "甲",
            },
        )
        cadre_save(data=data, by=self.alice, cadre=self.cadre, lock_version=loaded)
        data.values["current_post"] = "乙"
        with self.assertRaises(StaleEdit):
            cadre_save(
                data=data,
                by=self.bob,
                cadre=Cadre.objects.get(pk=self.cadre.pk),
                lock_version=loaded,
            )
        self.assertEqual(Cadre.objects.get(pk=self.cadre.pk).current_post, "甲")
