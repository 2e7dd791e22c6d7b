"""The internal deed pages, persona by persona (allowed and forbidden side by side):
alice (市委组织部, all), bob (和平区, subtree), carol (和平区发改局, unit), dave (a cadre, self),
eve (浑南区), hank (a host unit, no deed permissions)."""

from __future__ import annotations

from datetime import date, timedelta

import time_machine
from django.utils import timezone

from guazhi.cadres.models import Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.core.models import AuditEntry

from .. import services
from ..models import Appeal, Deed, Level, LookBack, Rating, Rectification
from .helpers import DeedsTestCase

NOW = date(2027, 6, 1)


@time_machine.travel(NOW, tick=False)
class DeedPageTests(DeedsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            cls.dave_cadre = make_cadre(cls.heping_fgj, "戴夫")
            Cadre.objects.filter(pk=cls.dave_cadre.pk).update(user=cls.dave)
            cls.pipes = cls.deed(cadre=cls.dave_cadre)
            cls.hunnan_deed = cls.deed("浑南区实事", unit=cls.hunnan_kjj, by=cls.eve)
            cls.rating = Rating.objects.create(
                deed=cls.pipes,
                level=Level.BAD,
                first_level=Level.BAD,
                comment="阀门还在漏",
                channel="public",
                rater_key="secret-key-of-the-rater",
                mobile_encrypted=services.crypto.encrypt("13912345678"),
            )
            cls.rect = Rectification.objects.create(
                rating=cls.rating,
                deed=cls.pipes,
                unit=cls.heping_fgj,
                opened_on=NOW,
                deadline=NOW + timedelta(days=7),
                rerate_token="tok",
            )

    def setUp(self):
        traveller = time_machine.travel(
            timezone.make_aware(timezone.datetime(2027, 6, 1, 9)), tick=False
        )
        traveller.start()
        self.addCleanup(traveller.stop)

    def get(self, user, url):
        self.login(user)
        return self.client.get(url)

    def test_an_officer_registers_a_deed_records_progress_and_finishes_it(self):
        self.login(self.alice)
        response = self.client.post(
            "/deeds/new/",
            {
                "title": "集团化办学",
                "content": "组建紧密型教育集团",
                "source": "assigned",
                "category": "education",
                "urgent": "on",
                "location": "本溪市",
                "unit": self.heping_fgj.pk,
                "opened_on": "2027-05-01",
                "promised_on": "2027-05-31",
            },
        )
        deed = Deed.objects.get(title="集团化办学")
        self.assertRedirects(response, f"/deeds/{deed.pk}/")
        self.client.post(
            f"/deeds/{deed.pk}/targets/",
            {"name": "组建紧密型教育集团", "unit_label": "个", "planned": "22"},
        )
        target = deed.targets.get()
        self.client.post(
            f"/deeds/{deed.pk}/progress/",
            {"day": "2027-05-20", "note": "已组建 16 个", "target": target.pk, "value": "16"},
        )
        target.refresh_from_db()
        self.assertEqual(target.achieved, 16)
        done = next(s for s in services.statuses() if s.kind == "done")
        # Unfinished target without a note: refused with the target named, nothing changed.
        response = self.client.post(
            f"/deeds/{deed.pk}/status/", {"to_status": done.pk, "day": "2027-05-31"}, follow=True
        )
        self.assertContains(response, "组建紧密型教育集团")
        self.assertEqual(Deed.objects.get(pk=deed.pk).status.kind, "open")
        self.client.post(
            f"/deeds/{deed.pk}/status/",
            {"to_status": done.pk, "day": "2027-05-31", "note": "其余 6 个明年组建"},
        )
        deed.refresh_from_db()
        self.assertEqual((deed.status.kind, deed.done_on), ("done", date(2027, 5, 31)))
        lookback = LookBack.objects.get(deed=deed)
        self.assertEqual(lookback.due_on, date(2027, 6, 28))
        page = self.client.get(f"/deeds/{deed.pk}/")
        self.assertContains(page, "已组建 16 个")
        self.assertContains(page, "进行回头看")

    def test_a_bad_form_says_what_and_where(self):
        self.login(self.alice)
        response = self.client.post(
            "/deeds/new/",
            {
                "title": "x",
                "content": "y",
                "source": "visit",
                "category": "housing",
                "location": "某小区",
                "unit": self.heping_fgj.pk,
                "opened_on": "2027-05-01",
                "promised_on": "2027-04-01",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "承诺办结日期不能早于登记日期", str(response.context["form"].errors["promised_on"])
        )
        self.assertFalse(Deed.objects.filter(title="x").exists())

    def test_who_sees_the_deed_and_who_gets_404_or_403(self):
        url = f"/deeds/{self.pipes.pk}/"
        for user in (self.alice, self.bob, self.carol, self.dave):
            self.assertEqual(self.get(user, url).status_code, 200, user.username)
        self.assertEqual(self.get(self.eve, url).status_code, 404)  # another district
        self.assertEqual(self.get(self.hank, "/deeds/").status_code, 403)  # no deed role
        # The list: bob sees 和平区's, not 浑南区's.
        response = self.get(self.bob, "/deeds/")
        self.assertContains(response, self.pipes.title)
        self.assertNotContains(response, "浑南区实事")

    def test_a_cadre_changes_his_own_deed_but_not_anothers(self):
        self.login(self.dave)
        self.client.post(
            f"/deeds/{self.pipes.pk}/progress/", {"day": "2027-05-20", "note": "已换阀门"}
        )
        self.assertTrue(self.pipes.evidence.filter(note="已换阀门").exists())
        other = self.deed("别人的实事", by=self.alice)
        self.assertEqual(self.client.get(f"/deeds/{other.pk}/").status_code, 404)
        response = self.client.post(
            f"/deeds/{other.pk}/progress/", {"day": "2027-05-20", "note": "x"}
        )
        self.assertEqual(response.status_code, 404)

    def test_the_unit_sees_ratings_without_the_raters_identity(self):
        response = self.get(self.carol, f"/deeds/{self.pipes.pk}/")
        self.assertContains(response, "阀门还在漏")
        self.assertNotContains(response, "13912345678")
        self.assertNotContains(response, "139****5678")
        self.assertNotContains(response, "secret-key-of-the-rater")
        response = self.get(self.carol, f"/deeds/rectifications/{self.rect.pk}/")
        self.assertNotContains(response, "13912345678")
        self.assertNotContains(response, "查看手机号用于回访")

    def test_revealing_the_raters_phone_for_the_callback_is_allowed_to_the_department_and_audited(
        self,
    ):
        self.login(self.carol)
        response = self.client.post(f"/deeds/rectifications/{self.rect.pk}/reveal/")
        self.assertEqual(response.status_code, 403)
        self.login(self.bob)
        response = self.client.post(
            f"/deeds/rectifications/{self.rect.pk}/reveal/", HTTP_HX_REQUEST="true"
        )
        self.assertEqual(response.content.decode(), "13912345678")
        self.assertTrue(
            AuditEntry.objects.filter(action="reveal", object_type="deeds.rating").exists()
        )

    def test_the_unit_rectifies_and_calls_back_another_unit_may_not(self):
        self.login(self.eve)
        self.assertEqual(self.client.get(f"/deeds/rectifications/{self.rect.pk}/").status_code, 404)
        self.login(self.carol)
        url = f"/deeds/rectifications/{self.rect.pk}/"
        response = self.client.post(url, {"step": "done", "done-action": ""})
        self.assertEqual(response.status_code, 200)  # the form with its error
        self.client.post(url, {"step": "done", "done-action": "更换阀门并试压"})
        self.client.post(url, {"step": "callback", "cb-day": "2027-06-01", "cb-note": "居民满意"})
        self.rect.refresh_from_db()
        self.assertEqual((self.rect.status, self.rect.callback_note), ("done", "居民满意"))
        # The re-rating link is for the callback staff, not for the rated unit.
        self.assertNotContains(self.client.get(url), "/public/rerate/")
        self.login(self.bob)
        self.assertContains(self.client.get(url), "/public/rerate/")

    def test_the_unit_appeals_and_only_someone_else_with_the_right_decides(self):
        self.login(self.carol)
        url = f"/deeds/rectifications/{self.rect.pk}/"
        self.client.post(url, {"step": "appeal", "ap-reason": "评价人并非本小区居民"})
        appeal = Appeal.objects.get()
        self.assertEqual(self.client.get("/deeds/appeals/").status_code, 403)
        self.assertEqual(self.client.get(f"/deeds/appeals/{appeal.pk}/").status_code, 403)
        self.login(self.alice)
        self.assertContains(self.client.get("/deeds/appeals/"), self.pipes.title)
        self.client.post(
            f"/deeds/appeals/{appeal.pk}/", {"decision": "upheld", "note": "核实为误评"}
        )
        self.rating.refresh_from_db()
        self.assertTrue(self.rating.excluded)

    def test_the_look_back_is_for_the_departments_not_the_unit(self):
        done = next(s for s in services.statuses() if s.kind == "done")
        services.status_change(deed=self.pipes, to_status=done, by=self.alice, day=date(2027, 5, 1))
        lookback = LookBack.objects.get(deed=self.pipes)
        url = f"/deeds/lookbacks/{lookback.pk}/"
        self.assertEqual(self.get(self.carol, url).status_code, 403)
        self.assertEqual(self.get(self.eve, url).status_code, 404)
        self.login(self.bob)
        response = self.client.post(
            url,
            {
                "real_need": "1",
                "real_note": "管网老化是居民反映最多的问题",
                "lasting": "1",
                "mechanism": "1",
                "lasting_note": "建立巡检机制",
                "conclusion": "pass",
            },
        )
        self.assertRedirects(response, f"/deeds/{self.pipes.pk}/")
        self.assertEqual(LookBack.objects.get(pk=lookback.pk).conclusion, "pass")

    def test_every_page_answers_for_the_officer(self):
        self.login(self.alice)
        for url in (
            "/deeds/",
            "/deeds/?kind=open&urgent=on&overdue=on",
            "/deeds/new/",
            f"/deeds/{self.pipes.pk}/",
            f"/deeds/{self.pipes.pk}/edit/",
            "/deeds/lookbacks/",
            "/deeds/lookbacks/?show=all",
            "/deeds/rectifications/",
            f"/deeds/rectifications/{self.rect.pk}/",
            "/deeds/appeals/",
            "/deeds/figures/",
            "/deeds/panel/",
        ):
            self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_the_figures_page_shows_the_units_rates(self):
        response = self.get(self.bob, "/deeds/figures/")
        self.assertContains(response, "和平区发改局")
        self.assertNotContains(response, "浑南区科技局")

    def test_the_home_page_counts_what_waits_for_each_persona(self):
        response = self.get(self.carol, "/")
        self.assertContains(response, "差评待整改")
        self.assertNotContains(response, "实事待回头看")  # the unit does not review
        response = self.get(self.bob, "/")
        self.assertContains(response, "实事待回头看")
        response = self.get(self.hank, "/")
        self.assertNotContains(response, "差评待整改")

    def test_the_ledger_exports_to_excel_for_the_department_not_the_unit_and_is_audited(self):
        from io import BytesIO

        from openpyxl import load_workbook

        self.login(self.carol)
        self.assertEqual(self.client.get("/deeds/export.xlsx").status_code, 403)
        self.assertNotContains(self.client.get("/deeds/"), "导出台账")
        self.login(self.bob)
        response = self.client.get("/deeds/export.xlsx")
        self.assertEqual(response.status_code, 200)
        rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
        self.assertEqual(rows[0][1], "实事名称")
        titles = [r[1] for r in rows[1:] if r and isinstance(r[0], int)]
        self.assertEqual(titles, [self.pipes.title])  # 浑南区's deed is outside his scope
        text = repr(rows)
        self.assertNotIn("13912345678", text)
        self.assertNotIn("secret-key-of-the-rater", text)
        self.assertTrue(
            AuditEntry.objects.filter(action="export", object_type="deeds.deed").exists()
        )
