"""Cadre pages: data scope on list, profile, export and reveal; the form's validation; the
reserve pool with history."""

from datetime import date

from guazhi.cadres.models import Cadre, ExpertiseTag, PoolMembership
from guazhi.core.models import AuditEntry
from guazhi.testing import BaseTestCase

from .factories import id_number, make_cadre


class CadreScopeTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wang = make_cadre(cls.heping_fgj, "王晓明", birth=date(1986, 5, 1))
        cls.li = make_cadre(cls.hunnan_kjj, "李浑南", birth=date(1991, 2, 1), male=False)

    def test_city_officer_lists_every_cadre(self):
        self.login(self.alice)
        page = self.client.get("/cadres/").content.decode()
        self.assertIn("王晓明", page)
        self.assertIn("李浑南", page)

    def test_district_officer_lists_only_own_district(self):
        self.login(self.bob)
        page = self.client.get("/cadres/").content.decode()
        self.assertIn("王晓明", page)
        self.assertNotIn("李浑南", page)

    def test_officer_of_another_district_gets_404_for_the_profile(self):
        self.login(self.eve)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/cadres/{self.li.pk}/").status_code, 200)

    def test_sending_unit_sees_its_own_cadres(self):
        self.login(self.carol)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/cadres/{self.li.pk}/").status_code, 404)

    def test_cadre_sees_only_the_record_linked_to_the_account(self):
        Cadre.objects.filter(pk=self.wang.pk).update(user=self.dave)
        self.login(self.dave)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/").status_code, 200)
        page = self.client.get("/cadres/").content.decode()
        self.assertIn("王晓明", page)
        self.assertNotIn("李浑南", page)

    def test_host_unit_sees_no_cadre_until_one_is_placed_with_it(self):
        # Placements widen the host unit's view: guazhi/programmes/tests/test_placements.py.
        self.login(self.hank)
        page = self.client.get("/cadres/").content.decode()
        self.assertNotIn("王晓明", page)
        self.assertNotIn("李浑南", page)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/").status_code, 404)

    def test_administrators_do_not_read_cadres(self):
        for admin in (self.sam, self.sid, self.aud):
            self.login(admin)
            self.assertEqual(self.client.get("/cadres/").status_code, 403, admin.username)
            self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/").status_code, 404)

    def test_export_contains_only_cadres_in_scope_and_is_audited(self):
        self.login(self.bob)
        response = self.client.get("/cadres/export.csv")
        body = b"".join(response.streaming_content).decode()
        self.assertIn("王晓明", body)
        self.assertNotIn("李浑南", body)
        self.assertNotIn(self.wang.id_number, body)
        self.assertIn(self.wang.id_masked, body)
        self.assertTrue(AuditEntry.objects.filter(action="export", actor_username="bob").exists())

    def test_export_with_full_id_numbers_needs_the_reveal_permission(self):
        self.login(self.carol)
        self.assertEqual(self.client.get("/cadres/export.csv?reveal=1").status_code, 403)
        self.login(self.bob)
        body = b"".join(self.client.get("/cadres/export.csv?reveal=1").streaming_content)
        self.assertIn(self.wang.id_number, body.decode())

    def test_unknown_export_format_is_404(self):
        self.login(self.bob)
        self.assertEqual(self.client.get("/cadres/export.pdf").status_code, 404)


class MaskingAndRevealTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wang = make_cadre(cls.heping_fgj, "王晓明", mobile="13912345678")

    def test_id_number_is_encrypted_at_rest(self):
        from django.db import connection

        with connection.cursor() as c:
            c.execute(
                "SELECT id_number_encrypted, id_masked FROM cadres_cadre WHERE id=%s",
                [self.wang.pk],
            )
            stored, masked = c.fetchone()
        self.assertNotIn(self.wang.id_number, stored)
        self.assertEqual(masked, self.wang.id_number[:4] + "*" * 10 + self.wang.id_number[-4:])

    def test_profile_and_list_show_only_masked_values(self):
        self.login(self.bob)
        for url in (f"/cadres/{self.wang.pk}/", "/cadres/"):
            page = self.client.get(url).content.decode()
            self.assertNotIn(self.wang.id_number, page)
            self.assertNotIn("13912345678", page)
        self.assertIn("139****5678", self.client.get(f"/cadres/{self.wang.pk}/").content.decode())

    def test_officer_reveals_the_id_number_and_it_is_audited(self):
        self.login(self.bob)
        response = self.client.post(
            f"/cadres/{self.wang.pk}/reveal/id_number/", headers={"HX-Request": "true"}
        )
        self.assertEqual(response.content.decode(), self.wang.id_number)
        entry = AuditEntry.objects.filter(action="reveal").latest("seq")
        self.assertEqual((entry.actor_username, entry.object_id), ("bob", str(self.wang.pk)))

    def test_sending_unit_may_not_reveal(self):
        self.login(self.carol)
        response = self.client.post(f"/cadres/{self.wang.pk}/reveal/id_number/")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(AuditEntry.objects.filter(action="reveal").exists())

    def test_officer_of_another_district_may_not_reveal(self):
        self.login(self.eve)
        self.assertEqual(
            self.client.post(f"/cadres/{self.wang.pk}/reveal/mobile/").status_code, 404
        )


class CadreFormTests(BaseTestCase):
    def post(self, **overrides):
        data = {
            "name": "赵新",
            "gender": "男",
            "birth": "1988年7月",
            "ethnicity": "汉族",
            "unit": self.heping_fgj.pk,
            "id_number": id_number(date(1988, 7, 1)),
            "mobile": "+86 138 0000 1111",
            "resume_text": "2010.07--  和平区发改局科员",
            "annual_text": "2023 优秀\n2024 称职",
            "political_status": "中共党员",
            "health": "健康",
        }
        data.update(overrides)
        return self.client.post("/cadres/new/", data)

    def test_officer_creates_a_cadre_with_normalised_values(self):
        self.login(self.bob)
        response = self.post()
        self.assertEqual(response.status_code, 302)
        cadre = Cadre.objects.get(name="赵新")
        self.assertEqual(cadre.birth, date(1988, 7, 1))
        self.assertEqual(cadre.mobile, "13800001111")
        self.assertEqual(cadre.resume.get().content, "和平区发改局科员")
        self.assertEqual(
            list(cadre.annual_results.values_list("year", "result")),
            [(2024, "称职"), (2023, "优秀")],
        )

    def test_it_refuses_a_bad_check_digit(self):
        self.login(self.bob)
        good = id_number(date(1988, 7, 1))
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        response = self.post(id_number=bad)
        self.assertContains(response, "校验位错误")
        self.assertFalse(Cadre.objects.exists())

    def test_it_refuses_a_birth_month_that_contradicts_the_id(self):
        self.login(self.bob)
        response = self.post(birth="1989.07")
        self.assertContains(response, "与身份证号中的 1988.07 不一致")

    def test_it_refuses_a_gender_that_contradicts_the_id(self):
        self.login(self.bob)
        response = self.post(gender="女")
        self.assertContains(response, "不一致")

    def test_it_refuses_a_bad_resume_line_naming_it(self):
        self.login(self.bob)
        response = self.post(resume_text="2010.07--2012.01  科员\n2012.13--  商务局科员")
        self.assertContains(response, "简历第 2 行")

    def test_it_refuses_a_duplicate_id_number(self):
        ident = id_number(date(1988, 7, 1))
        make_cadre(self.heping_fgj, "已存在", birth=date(1988, 7, 1), id_number=ident)
        self.login(self.bob)
        self.assertContains(self.post(id_number=ident), "已存在")

    def test_district_officer_cannot_create_in_another_district(self):
        self.login(self.bob)
        response = self.post(unit=self.hunnan_kjj.pk)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Cadre.objects.exists())

    def test_editing_keeps_the_stored_id_when_the_mask_is_left_as_is(self):
        cadre = make_cadre(self.heping_fgj, "王晓明")
        self.login(self.bob)
        response = self.client.post(
            f"/cadres/{cadre.pk}/edit/",
            {
                "name": "王晓明",
                "gender": "男",
                "birth": "1985.03",
                "ethnicity": "汉族",
                "unit": self.heping_fgj.pk,
                "id_number": cadre.id_masked,
                "mobile": cadre.mobile_masked,
                "current_post": "副局长",
            },
        )
        self.assertEqual(response.status_code, 302)
        cadre.refresh_from_db()
        self.assertEqual(cadre.current_post, "副局长")
        self.assertEqual(cadre.mobile, "13812345678")
        entry = AuditEntry.objects.filter(action="update", object_type="cadres.cadre").latest("seq")
        self.assertEqual(entry.changes["current_post"], ["", "副局长"])

    def test_sending_unit_cannot_edit_a_cadre_of_another_unit(self):
        cadre = make_cadre(self.hunnan_kjj, "李浑南")
        self.login(self.carol)
        self.assertEqual(self.client.get(f"/cadres/{cadre.pk}/edit/").status_code, 404)


class ListFilterTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.a = make_cadre(cls.heping_fgj, "王晓明", birth=date(1986, 5, 1))
        cls.b = make_cadre(cls.heping_fgj, "刘芳", birth=date(1992, 1, 1), male=False)
        cls.tag = ExpertiseTag.objects.create(name="招商引资")
        cls.a.tags.add(cls.tag)

    def names(self, **params):
        self.login(self.alice)
        return [c.name for c in self.client.get("/cadres/", params).context["page"]]

    def test_search_by_pinyin_initials(self):
        self.assertEqual(self.names(q="wxm"), ["王晓明"])

    def test_filter_by_age_cohort(self):
        self.assertEqual(self.names(cohort="1990"), ["刘芳"])

    def test_filter_by_gender_and_tag(self):
        self.assertEqual(self.names(gender="女"), ["刘芳"])
        self.assertEqual(self.names(tag=self.tag.pk), ["王晓明"])

    def test_filter_by_pool_membership(self):
        PoolMembership.objects.create(
            cadre=self.b, level="city", joined_on=date(2024, 1, 1), recommending_unit=self.city
        )
        self.assertEqual(self.names(pool="any"), ["刘芳"])
        self.assertEqual(self.names(pool="no"), ["王晓明"])

    def test_sort_by_age(self):
        self.assertEqual(self.names(sort="-birth"), ["刘芳", "王晓明"])
        self.assertEqual(self.names(sort="birth"), ["王晓明", "刘芳"])


class PoolTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wang = make_cadre(cls.heping_fgj, "王晓明", birth=date(1990, 5, 1))

    def test_officer_adds_a_cadre_and_it_leaves_and_rejoins_with_history(self):
        self.login(self.bob)
        join = {
            "level": "district",
            "joined_on": "2024-03-01",
            "recommending_unit": self.heping_fgj.pk,
        }
        self.assertEqual(
            self.client.post(f"/cadres/{self.wang.pk}/pool/join/", join).status_code, 302
        )
        again = self.client.post(f"/cadres/{self.wang.pk}/pool/join/", join)
        self.assertContains(again, "已在储备库中")
        no_reason = self.client.post(
            f"/cadres/{self.wang.pk}/pool/leave/", {"left_on": "2025-01-01", "left_reason": " "}
        )
        self.assertEqual(no_reason.status_code, 200)
        self.client.post(
            f"/cadres/{self.wang.pk}/pool/leave/", {"left_on": "2025-01-01", "left_reason": "提拔"}
        )
        self.client.post(
            f"/cadres/{self.wang.pk}/pool/join/",
            {**join, "level": "city", "joined_on": "2025-06-01"},
        )
        stays = list(self.wang.pool_memberships.order_by("joined_on"))
        self.assertEqual(len(stays), 2)
        self.assertEqual(stays[0].left_reason, "提拔")
        self.assertIsNone(stays[1].left_on)
        page = self.client.get("/cadres/pool/").content.decode()
        self.assertIn("王晓明", page)

    def test_sending_unit_cannot_manage_the_pool(self):
        self.login(self.carol)
        response = self.client.post(
            f"/cadres/{self.wang.pk}/pool/join/",
            {"level": "city", "joined_on": "2024-01-01", "recommending_unit": self.heping_fgj.pk},
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(PoolMembership.objects.exists())


class DefaultOrderTests(BaseTestCase):
    def test_the_sort_box_shows_the_order_the_list_is_in(self):
        make_cadre(self.heping_fgj, "王晓明")
        self.login(self.alice)
        response = self.client.get("/cadres/")
        # With nothing chosen a browser shows the first option: it must be the list's order.
        self.assertRegex(
            response.content.decode(), r'<select name="sort"[^>]*>\s*<option value="unit">'
        )
        names = [c.name for c in response.context["page"]]
        self.assertEqual(names, ["王晓明"])


class LrmxDownloadTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wang = make_cadre(cls.heping_fgj, "王晓明")

    def test_officer_downloads_the_form_and_it_is_audited(self):
        self.login(self.bob)
        response = self.client.get(f"/cadres/{self.wang.pk}/lrmx/")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.wang.id_number, response.content.decode())
        self.assertTrue(
            AuditEntry.objects.filter(action="export", object_id=str(self.wang.pk)).exists()
        )

    def test_sending_unit_without_reveal_permission_may_not_download_it(self):
        self.login(self.carol)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/lrmx/").status_code, 403)

    def test_officer_of_another_district_gets_404(self):
        self.login(self.eve)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/lrmx/").status_code, 404)


class TagVocabularyTests(BaseTestCase):
    def test_officer_adds_a_tag(self):
        self.login(self.bob)
        self.client.post(
            "/cadres/tags/", {"name": "招商引资", "category": "经济", "is_active": "on"}
        )
        self.assertTrue(ExpertiseTag.objects.filter(name="招商引资").exists())

    def test_a_duplicate_tag_is_refused_with_a_message(self):
        ExpertiseTag.objects.create(name="招商引资")
        self.login(self.bob)
        response = self.client.post("/cadres/tags/", {"name": "招商引资", "is_active": "on"})
        self.assertContains(response, "已存在")
        self.assertEqual(ExpertiseTag.objects.filter(name="招商引资").count(), 1)

    def test_sending_unit_cannot_manage_the_vocabulary(self):
        self.login(self.carol)
        self.assertEqual(self.client.get("/cadres/tags/").status_code, 403)
        self.client.post("/cadres/tags/", {"name": "金融", "is_active": "on"})
        self.assertFalse(ExpertiseTag.objects.filter(name="金融").exists())
