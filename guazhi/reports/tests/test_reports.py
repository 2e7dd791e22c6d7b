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
                headers = [c.header for c in report.cols({})]
                self.assertEqual([c.value for c in sheet[1]], headers)
                self.assertEqual(lines[0], headers)
                self.assertEqual(sheet.max_row - 1, count)
                self.assertEqual(len(lines) - 1, count)
                self.assertEqual(sheet.freeze_panes, "A2")
                self.assertTrue(sheet[1][0].font.b)
                self.assertEqual(sheet.column_dimensions["A"].width, report.cols({})[0].width)

    def test_the_placement_ledger_filters_by_batch_in_all_three_forms(self):
        from guazhi.programmes.models import Batch

        self.as_user("zzb")
        batch = Batch.objects.get(number=4, programme__name__contains="京沈")
        count, sheet, lines = self.three_ways("placements", f"batch={batch.pk}")
        self.assertEqual((count, sheet.max_row - 1, len(lines) - 1), (18, 18, 18))
        self.assertEqual({row[1] for row in lines[1:]}, {"4"})
        self.assertEqual(sheet.cell(2, 9).number_format, "yyyy-mm-dd")  # 到岗日期

    def test_the_project_ledger_keeps_amounts_as_numbers_with_a_money_format(self):
        from decimal import Decimal

        from guazhi.projects.models import Project

        self.as_user("zzb")
        count, sheet, lines = self.three_ways("projects", "stage=落地")
        self.assertEqual(count, Project.objects.filter(stage__name="落地").count())
        landed = [c.value for c in sheet["I"][1:]]
        self.assertTrue(all(isinstance(v, int | float) for v in landed))
        self.assertEqual(sheet["I"][1].number_format, "#,##0.00")
        total = sum(Decimal(row[8]) for row in lines[1:])
        expected = sum(
            Project.objects.filter(stage__name="落地").values_list("landed_amount", flat=True)
        )
        self.assertEqual(total, expected)

    def test_assessment_results_by_round(self):
        from guazhi.assessment.models import Entry, Round

        self.as_user("zzb")
        round_ = Round.objects.order_by("pk").first()
        count, sheet, lines = self.three_ways("results", f"round={round_.pk}")
        self.assertEqual(count, Entry.objects.filter(round=round_).count())
        self.assertEqual({row[0] for row in lines[1:]}, {str(round_)})

    def test_batch_composition_shows_the_seeds_batches(self):
        """第3批 17 cadres all young; 第4批 18 cadres, 15 born in the 1980s (83.3%)."""
        from guazhi.programmes.models import Programme

        self.as_user("zzb")
        programme = Programme.objects.get(name__contains="京沈")
        count, sheet, lines = self.three_ways("composition", f"programme={programme.pk}")
        self.assertEqual(count, 4)
        header = lines[0]
        rows = {row[1]: dict(zip(header, row, strict=True)) for row in lines[1:]}
        self.assertEqual([rows[n]["选派人数"] for n in "1234"], ["20", "18", "17", "18"])
        self.assertEqual((rows["3"]["年轻干部"], rows["3"]["年轻干部占比"]), ("17", "100.0%"))
        self.assertEqual(rows["4"]["80后"], "15")
        for row in rows.values():
            self.assertEqual(int(row["男"]) + int(row["女"]), int(row["选派人数"]))
        self.assertEqual(sheet.cell(2, 3).value, 20)  # a number in Excel, not text

    def test_batch_composition_counts_only_the_district_officers_cadres(self):
        from guazhi.programmes.models import Placement

        self.as_user("heping")
        _count, _sheet, lines = self.three_ways("composition")
        heping = OrgUnit.objects.get(code="HP")
        mine = Placement.objects.filter(cadre__unit__path__startswith=heping.path).count()
        self.assertEqual(sum(int(row[2]) for row in lines[1:]), mine)
        self.assertLess(mine, Placement.objects.count())

    def test_the_outcome_report_counts_22_promoted_or_reused_in_the_programme_total(self):
        self.as_user("zzb")
        _count, sheet, lines = self.three_ways("outcomes")
        header = lines[0]
        total = next(
            dict(zip(header, row, strict=True))
            for row in lines[1:]
            if "京沈" in row[0] and row[1] == "合计"
        )
        self.assertEqual(total["提拔或重用"], "22")
        self.assertEqual(total["选派人数"], "73")
        self.assertIn("合计", [c.value for c in sheet["B"]])

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

    def test_every_report_gives_a_district_officer_a_part_of_the_citys_rows(self):
        """Data scope on every report, in the page and both files: 和平区's officer gets some of
        the city officer's rows, never a row the city officer does not have, never all."""
        for slug in REPORTS:
            with self.subTest(slug=slug):
                self.as_user("zzb")
                _n, _sheet, city = self.three_ways(slug)
                self.as_user("heping")
                count, sheet, district = self.three_ways(slug)
                rows = [tuple(r) for r in district[1:]]
                self.assertEqual((count, sheet.max_row - 1), (len(rows), len(rows)))
                if slug in ("composition", "outcomes"):  # one row per batch: fewer cadres
                    sent = city[0].index("选派人数")
                    self.assertLess(
                        sum(int(r[sent]) for r in rows if r[1] != "合计"),
                        sum(int(r[sent]) for r in city[1:] if r[1] != "合计"),
                    )
                    continue
                self.assertTrue(set(rows) <= {tuple(r) for r in city[1:]})
                self.assertLess(len(rows), len(city) - 1)

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

    def test_control_characters_a_sheet_cannot_hold_do_not_break_the_excel_file(self):
        deed = Deed.objects.first()
        Deed.objects.filter(pk=deed.pk).update(location="文萃小区\x07东门")
        self.as_user("zzb")
        _count, sheet, _lines = self.three_ways("deeds")
        cells = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
        self.assertIn("文萃小区东门", cells)

    def test_reports_without_the_permission_are_refused(self):
        User.objects.create_user("norole", password="x", unit=OrgUnit.objects.first())
        self.as_user("norole")
        self.assertEqual(self.client.get("/reports/").status_code, 403)
        self.assertEqual(self.client.get("/reports/placements/").status_code, 403)
        self.assertEqual(self.client.get("/reports/placements/export.csv").status_code, 403)
        self.as_user("lingdao")
        self.assertEqual(self.client.get("/reports/placements/").status_code, 200)
        self.assertEqual(self.client.get("/reports/nope/").status_code, 404)


class RosterTests(TestCase):
    """干部花名册: ID numbers masked unless the viewer may reveal them and asks; revealing is
    audited on the page and in the files; the by-unit variant puts the unit first."""

    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115

    def lines(self, query=""):
        text = b"".join(self.client.get(f"/reports/roster/export.csv?{query}").streaming_content)
        return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))

    def test_id_numbers_are_masked_by_default_and_full_when_revealed_with_the_permission(self):
        import re

        from guazhi.cadres.models import Cadre

        zzb = User.objects.get(username="zzb")
        self.assertTrue(zzb.has_perm("cadres.reveal_cadre_personal"))
        self.client.force_login(zzb)
        masked = self.lines()
        column = masked[0].index("身份证号")
        self.assertTrue(all(re.fullmatch(r"\d{4}\*{10}[\dX]{4}", r[column]) for r in masked[1:]))
        before = AuditEntry.objects.filter(action="reveal").count()
        page = self.client.get("/reports/roster/?reveal=1")
        self.assertEqual(AuditEntry.objects.filter(action="reveal").count(), before + 1)
        full = self.lines("reveal=1")
        ids = {c.id_number for c in Cadre.objects.all()}
        self.assertTrue(all(r[column] in ids for r in full[1:]))
        entry = AuditEntry.objects.filter(action="export").latest("seq")
        self.assertIn("含敏感信息", entry.message)
        self.assertContains(page, 'name="reveal"')

    def test_without_the_permission_reveal_is_not_offered_and_is_ignored(self):
        leader = User.objects.get(username="lingdao")
        self.assertFalse(leader.has_perm("cadres.reveal_cadre_personal"))
        self.client.force_login(leader)
        self.assertNotContains(self.client.get("/reports/roster/"), 'name="reveal"')
        lines = self.lines("reveal=1")
        column = lines[0].index("身份证号")
        self.assertTrue(all("*" in r[column] for r in lines[1:]))

    def test_the_by_unit_variant_puts_the_unit_first_and_keeps_each_unit_together(self):
        self.client.force_login(User.objects.get(username="zzb"))
        lines = self.lines("group=unit")
        self.assertEqual(lines[0][0], "单位")
        units = [r[0] for r in lines[1:]]
        seen = []
        for unit in units:
            if not seen or seen[-1] != unit:
                self.assertNotIn(unit, seen, "a unit's cadres are not together")
                seen.append(unit)
