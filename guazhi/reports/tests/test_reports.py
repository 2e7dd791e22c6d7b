"""Every report is one query shown three ways — page, Excel, CSV — with the same rows, only
the viewer's records, and an audit entry for each download. On the demo dataset."""

from __future__ import annotations

import csv
import io

from django.core.management import call_command
from django.test import TestCase
from openpyxl import load_workbook

from guazhi.core.models import AuditEntry, OrgUnit, User
from guazhi.deeds.models import Deed

from ..reports import REPORTS


class ReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115

    def as_user(self, username):
        self.client.force_login(User.objects.get(username=username))

    def three_ways(self, slug, query=""):
        page = self.client.get(f"/reports/{slug}/?{query}")
        self.assertEqual(page.status_code, 200)
        xlsx = self.client.get(f"/reports/{slug}/export.xlsx?{query}")
        self.assertEqual(xlsx.status_code, 200)
        sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
        text = b"".join(self.client.get(f"/reports/{slug}/export.csv?{query}").streaming_content)
        lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
        return page.context["page"].paginator.count, sheet, lines

    def test_each_report_has_the_same_rows_on_the_page_in_excel_and_in_csv(self):
        self.as_user("zzb")
        for slug, report in REPORTS.items():
            with self.subTest(slug=slug):
                count, sheet, lines = self.three_ways(slug)
                self.assertGreater(count, 0)
                headers = [c.header for c in report.columns]
                self.assertEqual([c.value for c in sheet[1]], headers)
                self.assertEqual(lines[0], headers)
                self.assertEqual(sheet.max_row - 1, count)
                self.assertEqual(len(lines) - 1, count)
                self.assertEqual(sheet.freeze_panes, "A2")
                self.assertTrue(sheet[1][0].font.b)
                self.assertEqual(sheet.column_dimensions["A"].width, report.columns[0].width)

    def test_the_placement_ledger_filters_by_batch_in_all_three_forms(self):
        from guazhi.programmes.models import Batch

        self.as_user("zzb")
        batch = Batch.objects.get(number=4, programme__name__contains="京沈")
        count, sheet, lines = self.three_ways("placements", f"batch={batch.pk}")
        self.assertEqual((count, sheet.max_row - 1, len(lines) - 1), (18, 18, 18))
        self.assertEqual({row[1] for row in lines[1:]}, {"4"})
        self.assertEqual(sheet.cell(2, 9).number_format, "yyyy-mm-dd")  # 到岗日期

    def test_a_district_officer_gets_only_his_districts_rows(self):
        self.as_user("zzb")
        city, _, _ = self.three_ways("deeds")
        self.as_user("heping")
        district, sheet, lines = self.three_ways("deeds")
        self.assertLess(district, city)
        heping = OrgUnit.objects.get(code="HP")
        mine = Deed.objects.filter(unit__path__startswith=heping.path).count()
        self.assertEqual((district, len(lines) - 1), (mine, mine))
        self.assertTrue(
            all("和平" in row[3] or row[3].startswith("沈阳市和平") for row in lines[1:])
        )

    def test_every_download_is_audited_with_its_report_count_and_filters(self):
        self.as_user("heping")
        before = AuditEntry.objects.filter(action="export").count()
        self.client.get("/reports/deeds/export.csv?category=education")
        self.client.get("/reports/placements/export.xlsx")
        entries = AuditEntry.objects.filter(action="export").order_by("-seq")[:2]
        self.assertEqual(AuditEntry.objects.filter(action="export").count(), before + 2)
        self.assertEqual(entries[0].object_type, "reports.placements")
        self.assertEqual(entries[1].object_type, "reports.deeds")
        self.assertIn("category=education", entries[1].message)
        self.assertEqual(entries[1].actor_username, "heping")

    def test_text_that_would_start_a_formula_stays_text(self):
        deed = Deed.objects.first()
        Deed.objects.filter(pk=deed.pk).update(location='=HYPERLINK("http://x")')
        self.as_user("zzb")
        _count, sheet, lines = self.three_ways("deeds")
        cells = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
        self.assertIn('\'=HYPERLINK("http://x")', cells)
        self.assertIn('\'=HYPERLINK("http://x")', [row[2] for row in lines[1:]])

    def test_reports_without_the_permission_are_refused(self):
        User.objects.create_user("norole", password="x", unit=OrgUnit.objects.first())
        self.as_user("norole")
        self.assertEqual(self.client.get("/reports/").status_code, 403)
        self.assertEqual(self.client.get("/reports/placements/").status_code, 403)
        self.assertEqual(self.client.get("/reports/placements/export.csv").status_code, 403)
        self.as_user("lingdao")
        self.assertEqual(self.client.get("/reports/placements/").status_code, 200)
        self.assertEqual(self.client.get("/reports/nope/").status_code, 404)
