"""The Excel outputs: the 考核登记表 of one cadre (one printable sheet) and the round's results
table; both open with openpyxl, hold the cadre's name and grade, name no peer rater, and every
download is audited."""

from __future__ import annotations

import io

import time_machine
from openpyxl import load_workbook

from guazhi.core.models import AuditEntry

from .. import services
from ..models import Rating
from .helpers import AssessmentTestCase

NOW = "2028-01-10 10:00 +0800"


def cells(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


@time_machine.travel(NOW, tick=False)
class ExportTests(AssessmentTestCase):
    def setUp(self):
        super().setUp()
        self.round = self.open_round()
        self.e_wang = self.entry(self.round, self.p_wang)
        peer = Rating.objects.get(entry=self.e_wang, rater_kind="peer")  # lucy
        services.rating_submit(
            rating=peer,
            by=self.lucy,
            political=70,
            conduct=70,
            performance=70,
            integrity=70,
            comment="同伴的匿名意见",
        )
        self.rate(self.round, 84, kinds=["host", "leader", "org", "self"])
        services.self_summary_save(entry=self.e_wang, by=self.dave, text="走访企业四十家")
        services.round_compute(round=self.round)
        grades = {e.pk: "称职" for e in self.round.entries.all()}
        services.round_confirm(round=self.round, by=self.alice, grades=grades)

    def download(self, user, url):
        self.login(user)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        return load_workbook(io.BytesIO(response.content))

    def test_the_registration_form_is_one_printable_sheet_with_the_result(self):
        wb = self.download(self.alice, f"/assessment/entries/{self.e_wang.pk}/form.xlsx")
        self.assertEqual(wb.sheetnames, ["考核登记表"])
        ws = wb["考核登记表"]
        text = " ".join(cells(ws))
        for expected in (
            "挂职干部考核登记表",
            "王晓明",
            "和平区发改局",
            "朝阳区政府 投资促进局副局长",
            "走访企业次数",
            "工作作风",
            "民主测评（1/1）",
            "综合评价得分",
            "称职",
            "走访企业四十家",
        ):
            self.assertIn(expected, text)
        # Peers are anonymous: no name and no comment of theirs on the form.
        self.assertNotIn("露西", text)
        self.assertNotIn("同伴的匿名意见", text)
        self.assertEqual(int(ws.page_setup.paperSize), 9)  # A4
        self.assertEqual(ws.page_setup.fitToWidth, 1)
        self.assertTrue(ws.sheet_properties.pageSetUpPr.fitToPage)
        self.assertEqual(ws.freeze_panes, "A3")
        self.assertGreater(ws.column_dimensions["B"].width, 15)

    def test_the_results_table_lists_the_round_with_grades(self):
        wb = self.download(self.alice, f"/assessment/rounds/{self.round.pk}/results.xlsx")
        ws = wb["考核结果"]
        header = [c.value for c in ws[2]]
        self.assertEqual(header[:3], ["序号", "姓名", "性别"])
        self.assertIn("确定等次", header)
        names = [ws.cell(r, 2).value for r in range(3, ws.max_row + 1)]
        self.assertEqual(sorted(names), sorted(["王晓明", "李浑南", "周群众"]))
        grade_col = header.index("确定等次") + 1
        self.assertEqual({ws.cell(r, grade_col).value for r in range(3, ws.max_row + 1)}, {"称职"})
        self.assertEqual(ws.freeze_panes, "C3")
        self.assertEqual(ws.print_title_rows, "$2:$2")
        self.assertEqual(ws.page_setup.orientation, "landscape")
        dist = wb["等次分布"]
        self.assertIn(["称职", 3, "100.0%"], [[c.value for c in row] for row in dist.iter_rows()])

    def test_a_district_gets_only_its_own_cadres_in_the_results_table(self):
        wb = self.download(self.eve, f"/assessment/rounds/{self.round.pk}/results.xlsx")
        ws = wb["考核结果"]
        self.assertEqual([ws.cell(r, 2).value for r in range(3, ws.max_row + 1)], ["李浑南"])

    def test_a_cadre_downloads_his_own_form(self):
        wb = self.download(self.dave, f"/assessment/entries/{self.e_wang.pk}/form.xlsx")
        self.assertIn("王晓明", " ".join(cells(wb.active)))

    def test_every_export_is_audited(self):
        self.download(self.bob, f"/assessment/entries/{self.e_wang.pk}/form.xlsx")
        self.download(self.alice, f"/assessment/rounds/{self.round.pk}/results.xlsx")
        entries = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).order_by("seq")
        self.assertEqual(
            [(e.actor_username, e.object_type, e.object_id) for e in entries],
            [
                ("bob", "assessment.entry", str(self.e_wang.pk)),
                ("alice", "assessment.round", str(self.round.pk)),
            ],
        )
        self.assertIn("王晓明考核登记表", entries[0].message)
        self.assertIn("考核结果表（3 人）", entries[1].message)

    def test_no_export_outside_the_scope_and_nothing_audited(self):
        self.login(self.eve)
        self.assertEqual(
            self.client.get(f"/assessment/entries/{self.e_wang.pk}/form.xlsx").status_code, 404
        )
        self.login(self.lucy)  # a peer rater of wang
        self.assertEqual(
            self.client.get(f"/assessment/entries/{self.e_wang.pk}/form.xlsx").status_code, 404
        )
        self.login(self.tom)
        self.assertEqual(
            self.client.get(f"/assessment/rounds/{self.round.pk}/results.xlsx").status_code, 404
        )
        self.assertFalse(AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists())


@time_machine.travel(NOW, tick=False)
class OpenRoundExportTests(AssessmentTestCase):
    """While the round is open, the results are provisional: only the organisation department
    and the cadre himself get them in the exports."""

    def setUp(self):
        super().setUp()
        self.round = self.open_round()
        self.e_wang = self.entry(self.round, self.p_wang)
        self.rate(self.round, 84)
        services.round_compute(round=self.round)
        self.e_wang.refresh_from_db()

    def workbook(self, user, url):
        self.login(user)
        return load_workbook(io.BytesIO(self.client.get(url).content))

    def test_the_host_unit_gets_the_form_without_the_provisional_results(self):
        ws = self.workbook(self.hank, f"/assessment/entries/{self.e_wang.pk}/form.xlsx").active
        text = " ".join(cells(ws))
        self.assertIn("王晓明", text)
        self.assertIn("确认后填写", text)
        self.assertNotIn("84", text.replace("2027", ""))
        self.assertNotIn(self.e_wang.proposed_grade, text.replace("建议等次", ""))

    def test_the_organisation_department_and_the_cadre_get_them(self):
        for user in (self.alice, self.dave):
            ws = self.workbook(user, f"/assessment/entries/{self.e_wang.pk}/form.xlsx").active
            text = " ".join(cells(ws))
            self.assertNotIn("确认后填写", text)
            self.assertIn(self.e_wang.proposed_grade, text.replace("建议等次", ""))

    def test_the_results_table_hides_what_the_exporter_may_not_see_yet(self):
        ws = self.workbook(self.dave, f"/assessment/rounds/{self.round.pk}/results.xlsx").active
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
        self.assertEqual([r[1] for r in rows], ["王晓明"])
        self.assertEqual(rows[0][8], float(self.e_wang.final_score))
        ws = self.workbook(self.hank, f"/assessment/rounds/{self.round.pk}/results.xlsx").active
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
        self.assertEqual(len(rows), 3)
        self.assertEqual({r[8] for r in rows}, {"确认后公布"})
