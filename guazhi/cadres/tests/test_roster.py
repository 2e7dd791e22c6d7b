"""The Excel roster (花名册): template, reading, checking, bulk import, export, the command."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from unittest import mock

from django.core.management import call_command
from openpyxl import Workbook, load_workbook
from stdnum.cn import ric

from guazhi.cadres import importing, roster
from guazhi.cadres.importing import ImportRefused
from guazhi.cadres.models import Cadre, ExpertiseTag, Rank
from guazhi.cadres.services import CadreData, cadre_save
from guazhi.core import audit
from guazhi.core.models import AuditEntry
from guazhi.testing import BaseTestCase


def make_id(birth: str = "19850315", seq: str = "123", area: str = "210102") -> str:
    """A valid 18-character ID number; an odd last sequence digit is a man."""
    first = area + birth + seq
    return first + ric.calc_check_digit(first + "0")  # stdnum ignores the last character


ZHANG = make_id("19850315", "123")  # 男 1985.03
LI = make_id("19900704", "246")  # 女 1990.07
WANG = make_id("19880101", "135")  # 男 1988.01
ZHAO = make_id("19921130", "244")  # 女 1992.11

FULL_WIDTH = str.maketrans("0123456789Xx.", "０１２３４５６７８９Ｘｘ．")

HEADERS = ["姓名", "性别", "出生年月", "民族", "所在单位", "职级", "身份证号", "手机号"]


def xlsx(rows: list[list], headers: list | None = None, *, above: list[list] = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    for row in above:
        ws.append(row)
    ws.append(HEADERS if headers is None else headers)
    for values in rows:
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a user may type it
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(
    name="张三",
    gender="男",
    birth="1985.03",
    ethnicity="汉族",
    unit="和平区发改局",
    rank="正科级",
    ident=ZHANG,
    mobile="13812345678",
):
    return [name, gender, birth, ethnicity, unit, rank, ident, mobile]


class RosterTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.finance = ExpertiseTag.objects.create(name="金融", category="经济")
        cls.investment = ExpertiseTag.objects.create(name="招商引资", category="经济")
        ExpertiseTag.objects.create(name="旧标签", is_active=False)

    def check(self, data: bytes, filename="花名册.xlsx", *, by=None, unit=None):
        by = by or self.alice
        return roster.check(io.BytesIO(data), filename, by=by, default_unit=unit)

    def import_file(self, data: bytes, *, by=None, unit=None, valid_only=False):
        report = self.check(data, by=by, unit=unit)
        return report, roster.run_import(report, by=by or self.alice, valid_only=valid_only)

    def audit_count(self) -> int:
        return AuditEntry.objects.count()


class TemplateTests(RosterTestCase):
    def test_the_template_reads_back_with_every_column_in_chinese(self):
        headers, rows = roster.read_rows(io.BytesIO(roster.template_workbook()), "模板.xlsx")
        self.assertEqual(headers, [c.header for c in roster.COLUMNS])
        self.assertEqual(rows, [])
        self.assertIn("身份证号", headers)
        self.assertIn("全日制毕业院校系及专业", headers)

    def test_the_template_marks_required_columns_freezes_the_header_and_offers_drop_downs(self):
        wb = load_workbook(io.BytesIO(roster.template_workbook()))
        ws = wb["花名册"]
        first_row = [c.value for c in ws[1]]
        self.assertEqual(first_row[:3], ["姓名*", "性别*", "出生年月*"])
        self.assertTrue(ws["A1"].font.bold)
        self.assertEqual(ws.freeze_panes, "A2")
        self.assertGreater(ws.column_dimensions["A"].width, 5)
        validated = {
            str(dv.sqref).split(":")[0][0:1]: dv.formula1
            for dv in ws.data_validations.dataValidation
        }
        letters = {c.header: chr(ord("A") + i) for i, c in enumerate(roster.COLUMNS)}
        for header in ("性别", "民族", "职级", "全日制学历", "全日制学位"):
            self.assertIn(letters[header], validated, header)
        options = wb["选项"]
        self.assertEqual(options.sheet_state, "hidden")
        column_values = {
            col[0].value: [c.value for c in col[1:] if c.value] for col in options.iter_cols()
        }
        self.assertEqual(len(column_values["民族"]), 56)
        self.assertIn("副处级", column_values["职级"])
        self.assertEqual(column_values["性别"], ["男", "女"])

    def test_the_instructions_sheet_explains_each_column_dates_and_the_id_number(self):
        wb = load_workbook(io.BytesIO(roster.template_workbook()))
        text = "\n".join(str(c.value) for r in wb["填写说明"].iter_rows() for c in r if c.value)
        for column in roster.COLUMNS:
            self.assertIn(column.header, text)
        self.assertIn("1985年3月", text)
        self.assertIn("198503", text)
        self.assertIn("按身份证号", text)

    def test_a_filled_in_template_imports(self):
        wb = load_workbook(io.BytesIO(roster.template_workbook()))
        ws = wb["花名册"]
        values = {
            "姓名": "张三",
            "性别": "男",
            "出生年月": "1985.03",
            "身份证号": ZHANG,
            "所在单位": "和平区发改局",
        }
        for index, col in enumerate(roster.COLUMNS, start=1):
            ws.cell(row=2, column=index, value=values.get(col.header))
        out = io.BytesIO()
        wb.save(out)
        report, summary = self.import_file(out.getvalue())
        self.assertEqual(report.errors, [])
        self.assertEqual(summary.created, 1)


class ReadingTests(RosterTestCase):
    def test_it_finds_the_header_below_a_title_and_keeps_the_sheet_s_row_numbers(self):
        data = xlsx(
            [row(), [], row(ident=LI, name="李四", gender="女", birth="1990.07")],
            above=[["和平区干部花名册"], ["填报单位：和平区委组织部"]],
        )
        headers, rows = roster.read_rows(io.BytesIO(data), "a.xlsx")
        self.assertEqual(headers, HEADERS)
        self.assertEqual([number for number, _cells in rows], [4, 6])  # the empty row 5 skipped

    def test_it_combines_a_two_row_merged_header(self):
        wb = Workbook()
        ws = wb.active
        ws.append(
            [
                "姓名",
                "性别",
                "出生年月",
                "身份证号",
                "全日制教育",
                None,
                None,
                "在职教育",
                None,
                None,
            ]
        )
        ws.append(
            [
                None,
                None,
                None,
                None,
                "学历",
                "学位",
                "毕业院校系及专业",
                "学历",
                "学位",
                "毕业院校系及专业",
            ]
        )
        for col in range(1, 5):
            ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
        ws.merge_cells("E1:G1")
        ws.merge_cells("H1:J1")
        ws.append(
            [
                "张三",
                "男",
                "1985.03",
                ZHANG,
                "大学",
                "学士",
                "东北大学",
                "研究生",
                "硕士",
                "辽宁大学",
            ]
        )
        out = io.BytesIO()
        wb.save(out)
        headers, rows = roster.read_rows(io.BytesIO(out.getvalue()), "a.xlsx")
        self.assertEqual(
            headers,
            [
                "姓名",
                "性别",
                "出生年月",
                "身份证号",
                "全日制学历",
                "全日制学位",
                "全日制毕业院校系及专业",
                "在职学历",
                "在职学位",
                "在职毕业院校系及专业",
            ],
        )
        self.assertEqual(rows[0][0], 3)

    def sheet_values(self, data: bytes):
        """(fast reader rows, openpyxl's iter_rows rows), trailing empty cells dropped."""

        def trimmed(values):
            values = list(values)
            while values and values[-1] is None:
                values.pop()
            return values

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ours = [(n, trimmed(v)) for n, v in roster._sheet_rows(wb.worksheets[0]) if trimmed(v)]
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        theirs = [
            (n, trimmed(v))
            for n, v in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1)
        ]
        return ours, [(n, v) for n, v in theirs if v]

    def test_the_sheet_reader_gives_what_openpyxl_gives(self):
        from openpyxl.cell.rich_text import CellRichText, TextBlock
        from openpyxl.cell.text import InlineFont
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        for write_only, epoch in ((False, None), (True, None), (False, CALENDAR_MAC_1904)):
            wb = Workbook(write_only=write_only)
            ws = wb.create_sheet("花名册") if write_only else wb.active
            if epoch:
                wb.epoch = epoch
            rich = CellRichText(["王", TextBlock(InlineFont(b=True), "晓明")])
            rows = [
                ["文本", "  空格 ", "", None, "１２３"],
                [1, 2.5, 1985.03, -3, 10**12],
                [
                    datetime(1985, 3, 1),
                    date(1990, 7, 1),
                    datetime(2020, 1, 2, 3, 4, 5),
                    True,
                    False,
                ],
                [rich, "#N/A", "=1+1", "x\ny", "&<>\"'"],
                [],
                [None, None, "隔列"],
            ]
            for values in rows:
                ws.append(values)
            out = io.BytesIO()
            wb.save(out)
            ours, theirs = self.sheet_values(out.getvalue())
            self.assertEqual(ours, theirs, (write_only, epoch))
            self.assertEqual(ours[0][0], 1)
            self.assertEqual(ours[-1], (6, [None, None, "隔列"]))

    def test_the_sheet_reader_copes_without_cell_references(self):
        import re

        source = io.BytesIO(xlsx([row(), row(ident=LI, name="李四", gender="女", birth="1990.07")]))
        out = io.BytesIO()
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w") as zout:
            for item in zin.infolist():
                content = zin.read(item.filename)
                if item.filename.startswith("xl/worksheets/sheet"):
                    content = re.sub(rb'(<c[^>]*?) r="[A-Z]+[0-9]+"', rb"\1", content)
                    content = re.sub(rb'(<row[^>]*?) r="[0-9]+"', rb"\1", content)
                zout.writestr(item, content)
        ours, theirs = self.sheet_values(out.getvalue())
        self.assertEqual(ours, theirs)
        self.assertEqual(self.check(out.getvalue()).errors, [])

    def test_it_accepts_header_aliases_and_notes(self):
        data = xlsx(
            [["张三", "男", "1985.03", ZHANG, "和平区发改局"]],
            headers=["名字", "性别 *", "出生日期（格式：1985.03）", "公民身份号码", "单位"],
        )
        report = self.check(data)
        self.assertEqual(report.errors, [])
        self.assertEqual(report.rows[0].data.values["birth"], date(1985, 3, 1))

    def assertRefused(self, data: bytes, filename: str, words: str):
        before = Cadre.objects.count()
        report = self.check(data, filename)
        self.assertEqual(len(report.file_errors), 1, report.file_errors)
        self.assertIn(words, report.file_errors[0])
        self.assertFalse(report.is_valid)
        with self.assertRaises(ImportRefused):
            roster.run_import(report, by=self.alice, valid_only=True)
        self.assertEqual(Cadre.objects.count(), before)

    def test_it_refuses_a_csv_file(self):
        self.assertRefused("姓名,身份证号\n张三,x\n".encode(), "花名册.csv", "Excel")

    def test_it_refuses_a_word_file_renamed_to_xlsx(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<w:document/>")
        self.assertRefused(buffer.getvalue(), "花名册.xlsx", "不是有效的 Excel")

    def test_it_refuses_a_text_file_renamed_to_xlsx(self):
        self.assertRefused("姓名 身份证号".encode(), "花名册.xlsx", "不是 Excel 工作簿")

    def test_it_refuses_a_password_protected_workbook(self):
        # An encrypted .xlsx is an OLE compound file holding an EncryptedPackage stream.
        data = (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\0" * 500
            + "EncryptedPackage".encode("utf-16-le")
            + b"\0" * 500
        )
        self.assertRefused(data, "花名册.xlsx", "密码")

    def test_it_refuses_a_damaged_xls_file(self):
        self.assertRefused(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 1000, "花名册.xls", "无法读取"
        )

    def test_it_refuses_a_truncated_xlsx_file(self):
        self.assertRefused(xlsx([row()])[:2000], "花名册.xlsx", "Excel")

    def test_it_refuses_a_file_over_20_mb(self):
        with mock.patch.object(roster, "MAX_BYTES", 1000):
            self.assertRefused(xlsx([row()]), "花名册.xlsx", "20 MB")

    def test_it_refuses_more_than_the_row_limit(self):
        rows = [row(ident=make_id("19850315", f"{i:03d}")) for i in range(1, 6)]
        with mock.patch.object(roster, "MAX_ROWS", 4):
            self.assertRefused(xlsx(rows), "花名册.xlsx", "超过")

    def test_it_refuses_a_sheet_without_a_header(self):
        self.assertRefused(xlsx([["a", "b"]], headers=["甲", "乙"]), "花名册.xlsx", "表头")

    def test_it_names_required_columns_that_are_missing(self):
        self.assertRefused(
            xlsx([["张三", "男"]], headers=["姓名", "性别"]),
            "a.xlsx",
            "缺少必填列：出生年月、身份证号",
        )


class MessyRosterTests(RosterTestCase):
    """Common but messy input normalises and imports without a single error."""

    def messy_rows(self) -> list[list]:
        return [
            # full-width digits, spaces, lower-case x, padded two-character name
            [
                " 张　三 ",
                "男",
                "１９８５．０３",
                " 汉 ",
                " 和平区发改局 ",
                "正科级",
                f" {ZHANG.translate(FULL_WIDTH).lower()} ",
                "１３８ １２３４ ５６７８",
            ],
            ["李四", "女", "1990-7", "01", "T-HP-FGJ", "", LI.lower(), "+86 139-1234-5678"],
            ["王五", "Ｍ", "1988年1月", "汉族", "和平区发改局", "一级主任科员", WANG, ""],
            ["赵六", "2", 199211, "满", "", " 正科级 ", ZHAO, 13912345678],
            [
                "钱七",
                "男",
                datetime(1987, 5, 1),
                "回族",
                "和平区发改局",
                "",
                make_id("19870512", "111"),
                None,
            ],
            ["孙八", "男", 1986.10, "汉族", "和平区发改局", "", make_id("19861020", "333"), None],
            ["周九", "女", "1991/02", "汉族", "和平区发改局", "", make_id("19910201", "222"), None],
            ["吴十", "女", "199303", "汉族", "和平区发改局", "", make_id("19930301", "442"), None],
        ]

    def test_a_messy_roster_imports_every_row(self):
        before = self.audit_count()
        report, summary = self.import_file(xlsx(self.messy_rows()), unit=self.heping_fgj)
        self.assertEqual(report.errors, [])
        self.assertEqual(summary.created, 8)
        zhang = Cadre.objects.get(id_number_hash=Cadre.hash_id_number(ZHANG))
        self.assertEqual(zhang.name, "张三")
        self.assertEqual(zhang.birth, date(1985, 3, 1))
        self.assertEqual(zhang.ethnicity, "汉族")
        self.assertEqual(zhang.mobile, "13812345678")
        self.assertEqual(zhang.rank.name, "正科级")
        self.assertEqual(zhang.name_initials, "zs")
        li = Cadre.objects.get(id_number_hash=Cadre.hash_id_number(LI))
        self.assertEqual(li.id_number, LI)  # the lower-case x stored upper-case
        self.assertEqual(li.mobile, "13912345678")
        self.assertEqual(li.birth, date(1990, 7, 1))
        zhao = Cadre.objects.get(id_number_hash=Cadre.hash_id_number(ZHAO))
        self.assertEqual((zhao.gender, zhao.ethnicity, zhao.unit), ("女", "满族", self.heping_fgj))
        births = set(Cadre.objects.values_list("birth", flat=True))
        self.assertTrue(
            {date(1987, 5, 1), date(1986, 10, 1), date(1991, 2, 1), date(1993, 3, 1)} <= births
        )
        # one audit entry per new cadre, and the chain still verifies
        self.assertEqual(self.audit_count() - before, 8)
        self.assertTrue(audit.verify().ok)

    def test_a_two_row_header_roster_with_a_title_imports(self):
        wb = Workbook()
        ws = wb.active
        ws.append(["沈阳市挂职干部推荐人选花名册"])
        ws.merge_cells("A1:H1")
        ws.append(["姓名", "性别", "出生年月", "身份证号", "所在单位", "全日制教育", None, None])
        ws.append([None, None, None, None, None, "学历", "学位", "毕业院校系及专业"])
        ws.merge_cells("F2:H2")
        ws.append(
            [
                " 张三",
                "男",
                "1985年3月",
                ZHANG.lower(),
                "和平区发改局",
                "大学",
                "学士",
                "东北大学经济学专业",
            ]
        )
        out = io.BytesIO()
        wb.save(out)
        report, summary = self.import_file(out.getvalue())
        self.assertEqual(report.errors, [])
        self.assertEqual(summary.created, 1)
        zhang = Cadre.objects.get()
        self.assertEqual(
            (zhang.fulltime_education, zhang.fulltime_degree, zhang.fulltime_school),
            ("大学", "学士", "东北大学经济学专业"),
        )

    def test_the_xls_version_of_a_messy_roster_imports(self):
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("花名册")
        date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
        sheet.write(0, 0, "干部花名册")
        for col, header in enumerate(HEADERS):
            sheet.write(1, col, header)
        for r, values in enumerate(self.messy_rows(), start=2):
            for col, value in enumerate(values):
                if isinstance(value, datetime):
                    sheet.write(r, col, value, date_style)
                elif value is not None:
                    sheet.write(r, col, value)
        out = io.BytesIO()
        book.save(out)
        report = self.check(out.getvalue(), "花名册.xls", unit=self.heping_fgj)
        self.assertEqual(report.errors, [])
        self.assertEqual([r.where for r in report.rows][:2], ["第3行", "第4行"])
        summary = roster.run_import(report, by=self.alice)
        self.assertEqual(summary.created, 8)
        self.assertEqual(
            Cadre.objects.get(
                id_number_hash=Cadre.hash_id_number(make_id("19870512", "111"))
            ).birth,
            date(1987, 5, 1),
        )

    def test_resume_tags_and_annual_results_are_imported(self):
        headers = [
            "姓名",
            "性别",
            "出生年月",
            "身份证号",
            "所在单位",
            "专长标签",
            "简历",
            "年度考核结果",
            "奖惩情况",
        ]
        resume = (
            "2003.09--2007.07  东北大学经济学专业学习\n"
            "2007.07--  和平区发改局科员\n  （其间：2010.09--2013.07 在职研究生学习）"
        )
        data = xlsx(
            [
                [
                    "张三",
                    "男",
                    "1985.03",
                    ZHANG,
                    "和平区发改局",
                    "金融，招商引资",
                    resume,
                    "2021、2022年年度考核均为称职，2023年度考核优秀",
                    "=嘉奖",
                ]
            ],
            headers=headers,
        )
        report, summary = self.import_file(data)
        self.assertEqual(report.errors, [])
        zhang = Cadre.objects.get()
        self.assertEqual(set(zhang.tags.values_list("name", flat=True)), {"金融", "招商引资"})
        self.assertEqual(
            [(e.start, e.end) for e in zhang.resume.all()],
            [(date(2003, 9, 1), date(2007, 7, 1)), (date(2007, 7, 1), None)],
        )
        self.assertIn("（其间：2010.09--2013.07 在职研究生学习）", zhang.resume.all()[1].content)
        self.assertEqual(
            sorted(zhang.annual_results.values_list("year", "result")),
            [(2021, "称职"), (2022, "称职"), (2023, "优秀")],
        )
        self.assertEqual(zhang.rewards, "=嘉奖")
        entry = AuditEntry.objects.get(
            object_type="cadres.cadre", object_id=str(zhang.pk), action="create"
        )
        self.assertEqual(entry.changes["tags"], [None, ["招商引资", "金融"]])
        self.assertEqual(entry.changes["id_number_encrypted"], [None, audit.MASKED])
        self.assertEqual(entry.changes["id_masked"][1], zhang.id_masked)


class ErrorReportTests(RosterTestCase):
    def errors_for(self, *rows, headers=None) -> list[str]:
        return self.check(xlsx(list(rows), headers)).errors

    def test_it_reports_an_impossible_month_with_row_and_column(self):
        errors = self.errors_for(
            row(),
            row(ident=LI, gender="女", birth="1990.07"),
            row(ident=WANG, birth="1988.01"),
            row(ident=ZHAO, gender="女", birth="1985.13"),
        )
        self.assertEqual(
            errors, ["第5行 第3列(出生年月): 出生年月“1985.13”的月份应在 1 到 12 之间"]
        )

    def test_it_reports_a_bad_check_digit_with_row_and_column(self):
        wrong = ZHANG[:-1] + ("1" if ZHANG[-1] != "1" else "2")
        self.assertEqual(
            self.errors_for(row(ident=wrong)),
            [f"第2行 第7列(身份证号): 身份证号“{wrong}”校验位错误"],
        )

    def test_it_reports_an_unknown_ethnicity(self):
        self.assertEqual(
            self.errors_for(row(ethnicity="火星族")),
            ["第2行 第4列(民族): 民族“火星族”不在 GB/T 3304 民族名称中"],
        )

    def test_it_reports_missing_required_values(self):
        errors = self.errors_for(row(name="", gender="", birth=""))
        self.assertEqual(
            errors,
            [
                "第2行 第1列(姓名): 姓名不能为空",
                "第2行 第2列(性别): 性别不能为空",
                "第2行 第3列(出生年月): 出生年月不能为空",
            ],
        )
        self.assertEqual(
            self.errors_for(row(ident=" ")), ["第2行 第7列(身份证号): 身份证号不能为空"]
        )

    def test_it_reports_birth_and_gender_that_do_not_match_the_id_number(self):
        errors = self.errors_for(row(birth="1985.04", gender="女"))
        self.assertEqual(
            errors,
            [
                "第2行 第2列(性别): 性别“女”与身份证号（男）不一致",
                "第2行 第3列(出生年月): 出生年月 1985.04 与身份证号中的 1985.03 不一致",
            ],
        )

    def test_it_reports_an_unknown_unit_rank_and_tag(self):
        headers = [*HEADERS, "专长标签"]
        errors = self.errors_for(
            [*row(unit="火星局", rank="大元帅"), "金融、炼丹、旧标签"], headers=headers
        )
        self.assertEqual(
            errors,
            [
                "第2行 第5列(所在单位): 所在单位“火星局”在系统中不存在，请填写单位全称、简称或单位代码",
                "第2行 第6列(职级): 职级“大元帅”不在系统的职级列表中",
                "第2行 第9列(专长标签): 专长标签“炼丹”不在系统的标签列表中",
            ],
        )

    def test_it_reports_an_inactive_tag(self):
        errors = self.errors_for([*row(), "旧标签"], headers=[*HEADERS, "专长标签"])
        self.assertEqual(errors, ["第2行 第9列(专长标签): 专长标签“旧标签”已停用"])

    def test_it_reports_a_duplicate_id_number_naming_the_first_row(self):
        errors = self.errors_for(
            row(),
            row(ident=LI, gender="女", birth="1990.07"),
            row(name="张三丰", ident=ZHANG.lower()),
            row(ident=ZHANG),
        )
        self.assertEqual(
            errors,
            [
                "第4行 第7列(身份证号): 身份证号与第2行重复",
                "第5行 第7列(身份证号): 身份证号与第2行重复",
            ],
        )

    def test_it_reports_a_bad_resume_and_annual_result_in_their_columns(self):
        headers = ["姓名", "性别", "出生年月", "身份证号", "所在单位", "简历", "年度考核结果"]
        errors = self.errors_for(
            ["张三", "男", "1985.03", ZHANG, "和平区发改局", "2007.13--  科员", "2022 良好"],
            headers=headers,
        )
        self.assertEqual(len(errors), 2)
        self.assertTrue(errors[0].startswith("第2行 第6列(简历): 简历第 1 行的起始年月“2007.13”"))
        self.assertTrue(
            errors[1].startswith("第2行 第7列(年度考核结果): 年度考核结果“2022 良好”无法识别")
        )

    def test_every_problem_of_a_row_is_reported_left_to_right(self):
        errors = self.errors_for(row(name="", birth="1985.13", ethnicity="火星族", ident="123"))
        self.assertEqual(
            [e.split(":")[0] for e in errors],
            [
                "第2行 第1列(姓名)",
                "第2行 第3列(出生年月)",
                "第2行 第4列(民族)",
                "第2行 第7列(身份证号)",
            ],
        )

    def test_an_id_number_stored_as_an_excel_number_is_explained(self):
        errors = self.errors_for(row(ident=float(ZHANG[:-1] + "0")))
        self.assertEqual(len(errors), 1)
        self.assertIn("文本格式", errors[0])

    def test_a_roster_with_errors_writes_nothing(self):
        cadres, entries = Cadre.objects.count(), self.audit_count()
        report = self.check(xlsx([row(), row(ident=LI, gender="女", birth="1990.13")]))
        self.assertEqual(len(report.errors), 1)
        with self.assertRaises(ImportRefused) as refused:
            roster.run_import(report, by=self.alice, valid_only=False)
        self.assertIn("1 行存在错误", str(refused.exception))
        self.assertEqual(Cadre.objects.count(), cadres)
        self.assertEqual(self.audit_count(), entries)

    def test_valid_only_imports_exactly_the_good_rows(self):
        report = self.check(
            xlsx(
                [
                    row(),
                    row(ident=LI, gender="女", birth="1990.13"),
                    row(name="王五", ident=WANG, birth="1988.01"),
                ]
            )
        )
        summary = roster.run_import(report, by=self.alice, valid_only=True)
        self.assertEqual((summary.created, summary.skipped), (2, 1))
        self.assertEqual(set(Cadre.objects.values_list("name", flat=True)), {"张三", "王五"})

    def test_importing_apply_accepts_the_same_report(self):
        report = self.check(xlsx([row()]))
        self.assertEqual(importing.apply(report, by=self.alice).created, 1)


class ReimportTests(RosterTestCase):
    def test_reimporting_the_same_file_changes_nothing(self):
        headers = [*HEADERS, "专长标签", "简历", "年度考核结果"]
        data = xlsx(
            [
                [*row(), "金融", "2007.07--  和平区发改局科员", "2023 优秀"],
                [*row(name="李四", gender="女", birth="1990.07", ident=LI), "", "", ""],
            ],
            headers=headers,
        )
        self.import_file(data)
        entries = self.audit_count()
        stamps = list(Cadre.objects.values_list("updated_at", flat=True))
        report, summary = self.import_file(data)
        self.assertEqual((summary.created, summary.updated, summary.unchanged), (0, 0, 2))
        self.assertEqual(self.audit_count(), entries)
        self.assertEqual(list(Cadre.objects.values_list("updated_at", flat=True)), stamps)

    def test_a_changed_row_updates_the_cadre_and_the_audit_entry_shows_before_and_after(self):
        self.import_file(xlsx([row(), row(name="李四", gender="女", birth="1990.07", ident=LI)]))
        zhang = Cadre.objects.get(id_number_hash=Cadre.hash_id_number(ZHANG))
        headers = [*HEADERS, "简历"]
        data = xlsx(
            [
                [*row(rank="副处级", mobile="13900000000"), "2007.07--  和平区发改局副局长"],
                [*row(name="李四", gender="女", birth="1990.07", ident=LI), ""],
            ],
            headers=headers,
        )
        entries = self.audit_count()
        _report, summary = self.import_file(data)
        self.assertEqual((summary.created, summary.updated, summary.unchanged), (0, 1, 1))
        self.assertEqual(self.audit_count(), entries + 1)
        zhang.refresh_from_db()
        self.assertEqual(zhang.rank.name, "副处级")
        self.assertEqual(zhang.mobile, "13900000000")
        entry = AuditEntry.objects.order_by("-seq").first()
        self.assertEqual(
            (entry.action, entry.object_id, entry.actor_id),
            ("update", str(zhang.pk), self.alice.pk),
        )
        ranks = dict(Rank.objects.values_list("name", "pk"))
        self.assertEqual(entry.changes["rank"], [ranks["正科级"], ranks["副处级"]])
        self.assertEqual(entry.changes["mobile_masked"], ["138****5678", "139****0000"])
        self.assertEqual(entry.changes["mobile_encrypted"], [audit.MASKED, audit.MASKED])
        self.assertEqual(entry.changes["resume"], ["", "2007.07--  和平区发改局副局长"])
        self.assertNotIn("name", entry.changes)
        self.assertTrue(audit.verify().ok)

    def test_dates_and_blanks_are_updated_in_bulk(self):
        headers = [*HEADERS, "入党时间", "籍贯"]
        li = row(name="李四", gender="女", birth="1990.07", ident=LI)
        self.import_file(xlsx([[*row(), "2010.06", "辽宁沈阳"], [*li, "", ""]], headers=headers))
        _report, summary = self.import_file(
            xlsx([[*row(), "", ""], [*li, "2015.07", "辽宁大连"]], headers=headers)
        )
        self.assertEqual(summary.updated, 2)
        self.assertEqual(
            sorted(Cadre.objects.values_list("name", "party_join", "native_place")),
            [("张三", None, ""), ("李四", date(2015, 7, 1), "辽宁大连")],
        )
        self.assertTrue(audit.verify().ok)

    def test_it_updates_a_cadre_created_through_the_service(self):
        cadre, _ = cadre_save(
            data=CadreData(
                id_number=ZHANG,
                unit=self.heping_fgj,
                values={"name": "张三", "gender": "男", "birth": date(1985, 3, 1)},
            ),
            by=self.alice,
        )
        _report, summary = self.import_file(xlsx([row(name="张  三", rank="")]))
        self.assertEqual(summary.updated + summary.unchanged, 1)
        self.assertEqual(Cadre.objects.count(), 1)
        cadre.refresh_from_db()
        self.assertEqual(cadre.mobile, "13812345678")

    def test_a_blank_unit_puts_new_cadres_in_the_default_unit_and_leaves_existing_ones(self):
        self.import_file(xlsx([row(unit="浑南区科技局")]))
        data = xlsx(
            [row(unit=""), row(unit="", name="李四", gender="女", birth="1990.07", ident=LI)]
        )
        report, _summary = self.import_file(data, unit=self.heping_fgj)
        self.assertEqual(report.errors, [])
        self.assertEqual(Cadre.objects.get(name="张三").unit, self.hunnan_kjj)
        self.assertEqual(Cadre.objects.get(name="李四").unit, self.heping_fgj)

    def test_without_a_default_unit_a_blank_unit_is_an_error(self):
        report = self.check(xlsx([row(unit="")]))
        self.assertEqual(
            report.errors, ["第2行 第5列(所在单位): 所在单位不能为空（导入时也没有选择默认单位）"]
        )


class ScopeTests(RosterTestCase):
    def test_bob_cannot_import_into_a_hunnan_unit_but_alice_can(self):
        data = xlsx([row(unit="浑南区科技局")])
        report = self.check(data, by=self.bob)
        self.assertEqual(
            report.errors,
            ["第2行 第5列(所在单位): 无权在“浑南区科技局”新增干部（不在您的管理范围内）"],
        )
        with self.assertRaises(ImportRefused):
            roster.run_import(report, by=self.bob)
        self.assertFalse(Cadre.objects.exists())
        report = self.check(data, by=self.alice)
        self.assertEqual(report.errors, [])
        self.assertEqual(roster.run_import(report, by=self.alice).created, 1)

    def test_bob_can_import_into_his_district(self):
        _report, summary = self.import_file(xlsx([row(unit="和平区发改局")]), by=self.bob)
        self.assertEqual(summary.created, 1)
        self.assertEqual(AuditEntry.objects.order_by("-seq").first().actor_username, "bob")

    def test_bob_cannot_change_a_cadre_of_another_district_through_its_id_number(self):
        self.import_file(xlsx([row(unit="浑南区科技局")]))
        report = self.check(xlsx([row(unit="和平区发改局", name="改名")]), by=self.bob)
        self.assertEqual(len(report.errors), 1)
        self.assertTrue(report.errors[0].startswith("第2行 第7列(身份证号): 无权修改"))
        self.assertEqual(Cadre.objects.get().name, "张三")

    def test_carol_cannot_move_her_cadre_to_another_unit(self):
        self.import_file(xlsx([row()]))
        report = self.check(xlsx([row(unit="和平区委组织部")]), by=self.carol)
        self.assertEqual(len(report.errors), 1)
        self.assertIn("无权把干部调入“和平区委组织部”", report.errors[0])

    def test_the_import_rechecks_scope_at_write_time(self):
        report = self.check(xlsx([row(unit="浑南区科技局")]), by=self.alice)
        with self.assertRaises(ImportRefused):
            roster.run_import(report, by=self.bob)
        self.assertFalse(Cadre.objects.exists())


class ExportTests(RosterTestCase):
    def setUp(self):
        headers = [*HEADERS, "专长标签", "简历", "年度考核结果", "奖惩情况", "现任职务"]
        self.source = xlsx(
            [
                [
                    *row(),
                    "金融、招商引资",
                    "2003.09--2007.07  东北大学学习\n2007.07--  和平区发改局科员",
                    "2021、2022年年度考核均为称职",
                    "",
                    "科员",
                ],
                [
                    *row(name="李四", gender="女", birth="1990.07", ident=LI, mobile=""),
                    "",
                    "",
                    "",
                    '=HYPERLINK("http://x")',
                    "@SUM(A1)",
                ],
                [
                    *row(name="王五", birth="1988.01", ident=WANG, unit="浑南区科技局"),
                    "",
                    "",
                    "",
                    "",
                    "-1+2",
                ],
            ],
            headers=headers,
        )
        report, _summary = self.import_file(self.source)
        assert report.errors == [], report.errors

    def read_export(self, data: bytes) -> list[list]:
        ws = load_workbook(io.BytesIO(data))["花名册"]
        return [[c.value for c in r] for r in ws.iter_rows()]

    def test_export_masks_id_and_mobile_numbers_unless_revealed(self):
        qs = Cadre.objects.order_by("name")
        masked = self.read_export(roster.export_xlsx(qs, reveal=False))
        id_col = masked[0].index("身份证号*")
        mobile_col = masked[0].index("手机号")
        zhang = next(r for r in masked if r[0] == "张三")
        self.assertEqual(zhang[id_col], ZHANG[:4] + "*" * 10 + ZHANG[-4:])
        self.assertEqual(zhang[mobile_col], "138****5678")
        self.assertNotIn(ZHANG, str(masked))
        revealed = self.read_export(roster.export_xlsx(qs, reveal=True))
        zhang = next(r for r in revealed if r[0] == "张三")
        self.assertEqual((zhang[id_col], zhang[mobile_col]), (ZHANG, "13812345678"))

    def test_the_csv_export_has_a_bom_chinese_headers_and_masks(self):
        text = "".join(roster.export_csv(Cadre.objects.all(), reveal=False))
        self.assertTrue(text.startswith("\ufeff姓名*,性别*,出生年月*"))
        rows = list(csv.reader(io.StringIO(text[1:])))
        self.assertEqual(len(rows), 4)
        self.assertNotIn(ZHANG, text)
        self.assertIn(ZHANG, "".join(roster.export_csv(Cadre.objects.all(), reveal=True)))

    def test_the_export_has_the_template_s_columns_a_frozen_bold_header_and_widths(self):
        wb = load_workbook(io.BytesIO(roster.export_xlsx(Cadre.objects.all(), reveal=False)))
        ws = wb["花名册"]
        self.assertEqual([c.value for c in ws[1]], [c.title for c in roster.COLUMNS])
        self.assertEqual(ws.freeze_panes, "A2")
        self.assertTrue(ws["A1"].font.bold)
        unit_letter = chr(ord("A") + [c.key for c in roster.COLUMNS].index("unit"))
        self.assertEqual(ws.column_dimensions[unit_letter].width, 20)

    def test_formula_injection_is_neutralised(self):
        for data in (roster.export_xlsx(Cadre.objects.all(), reveal=False),):
            ws = load_workbook(io.BytesIO(data))["花名册"]
            cells = [c for r in ws.iter_rows(min_row=2) for c in r if c.value]
            self.assertFalse([c.coordinate for c in cells if c.data_type == "f"])
            values = {c.value for c in cells}
            self.assertIn('\'=HYPERLINK("http://x")', values)
            self.assertIn("'@SUM(A1)", values)
            self.assertIn("'-1+2", values)
        text = "".join(roster.export_csv(Cadre.objects.all(), reveal=False))
        self.assertIn("'=HYPERLINK", text)
        self.assertNotIn(",=", text)

    def test_an_export_imports_back_without_errors_or_changes(self):
        # one more cadre entered through the form's service, with every kind of value
        cadre_save(
            data=CadreData(
                id_number=ZHAO,
                unit=self.hunnan_kjj,
                values={
                    "name": "赵六",
                    "gender": "女",
                    "birth": date(1992, 11, 1),
                    "ethnicity": "满族",
                    "party_join": date(2015, 6, 1),
                    "work_start": date(2014, 7, 1),
                    "fulltime_school": "辽宁大学（法学院）",
                    "specialty": "+法律",
                    "political_status": "",
                },
                rank=Rank.objects.get(name="副处级"),
                mobile="13700001111",
                tags=[self.finance],
                resume=[
                    (date(2010, 9, 1), date(2014, 7, 1), "辽宁大学学习"),
                    (date(2014, 7, 1), None, "浑南区科技局科员"),
                ],
                annual=[(2022, "优秀"), (2023, "称职")],
            ),
            by=None,
        )
        entries = self.audit_count()
        exported = roster.export_xlsx(Cadre.objects.all(), reveal=True)
        report, summary = self.import_file(exported)
        self.assertEqual(report.errors, [])
        self.assertEqual((summary.created, summary.updated, summary.unchanged), (0, 0, 4))
        csv_text = "".join(roster.export_csv(Cadre.objects.all(), reveal=True))
        wb = Workbook()
        for values in csv.reader(io.StringIO(csv_text[1:])):
            wb.active.append(values)
        out = io.BytesIO()
        wb.save(out)
        report, summary = self.import_file(out.getvalue())
        self.assertEqual(report.errors, [])
        self.assertEqual(summary.unchanged, 4)
        self.assertEqual(self.audit_count(), entries)
        li = Cadre.objects.get(name="李四")
        self.assertEqual(li.rewards, '=HYPERLINK("http://x")')

    def test_a_masked_export_cannot_be_imported_by_mistake(self):
        report = self.check(roster.export_xlsx(Cadre.objects.all(), reveal=False))
        self.assertEqual(len(report.invalid_rows), 3)

    def test_the_export_reads_related_rows_in_a_fixed_number_of_queries(self):
        with self.assertNumQueries(4):  # cadres + tags + résumé + annual results
            roster.export_xlsx(Cadre.objects.all(), reveal=False)
        for i in range(5):
            ident = make_id("19850315", f"{200 + i * 2 + 1:03d}")
            cadre_save(
                data=CadreData(
                    id_number=ident,
                    unit=self.heping_fgj,
                    values={"name": f"新{i}", "gender": "男", "birth": date(1985, 3, 1)},
                    resume=[(date(2007, 7, 1), None, "科员")],
                ),
                by=None,
            )
        with self.assertNumQueries(4):
            roster.export_xlsx(Cadre.objects.all(), reveal=False)


class CommandTests(RosterTestCase):
    def run_command(self, data: bytes, *args: str, name: str = "花名册.xlsx"):
        with TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            out, err = io.StringIO(), io.StringIO()
            code = 0
            try:
                call_command("import_cadres", str(path), *args, stdout=out, stderr=err)
            except SystemExit as exc:
                code = exc.code
            return code, out.getvalue(), err.getvalue()

    def test_dry_run_writes_nothing(self):
        entries = self.audit_count()
        code, out, _err = self.run_command(xlsx([row()]), "--dry-run")
        self.assertEqual(code, 0)
        self.assertIn("试运行，未写入任何数据。若导入将：新增 1 人", out)
        self.assertFalse(Cadre.objects.exists())
        self.assertEqual(self.audit_count(), entries)

    def test_it_imports_as_cli_and_prints_the_summary(self):
        code, out, _err = self.run_command(xlsx([row(unit="")]), "--unit", "T-HP-FGJ")
        self.assertEqual(code, 0)
        self.assertIn("导入完成：新增 1 人，更新 0 人，无变化 0 人，跳过有错误的 0 行。", out)
        cadre = Cadre.objects.get()
        self.assertEqual(cadre.unit, self.heping_fgj)
        entry = AuditEntry.objects.order_by("-seq").first()
        self.assertEqual((entry.actor_username, entry.actor_id), ("cli", None))

    def test_a_bad_row_prints_every_error_and_exits_1_without_importing(self):
        data = xlsx(
            [row(birth="1985.13"), row(ident=LI, gender="女", birth="1990.07", ethnicity="火星族")]
        )
        code, out, err = self.run_command(data)
        self.assertEqual(code, 1)
        self.assertIn("第2行 第3列(出生年月): 出生年月“1985.13”的月份应在 1 到 12 之间", out)
        self.assertIn("第3行 第4列(民族): 民族“火星族”不在 GB/T 3304 民族名称中", out)
        self.assertIn("未导入任何数据", err)
        self.assertFalse(Cadre.objects.exists())

    def test_dry_run_of_a_bad_file_exits_1(self):
        code, _out, _err = self.run_command(xlsx([row(birth="1985.13")]), "--dry-run")
        self.assertEqual(code, 1)

    def test_valid_only_imports_the_good_rows(self):
        data = xlsx([row(birth="1985.13"), row(ident=LI, gender="女", birth="1990.07")])
        code, out, _err = self.run_command(data, "--valid-only")
        self.assertEqual(code, 0)
        self.assertIn("新增 1 人", out)
        self.assertIn("跳过有错误的 1 行", out)
        self.assertEqual(Cadre.objects.get().id_number, LI)

    def test_an_unreadable_file_exits_1(self):
        code, out, _err = self.run_command(b"name,id\n", name="花名册.csv")
        self.assertEqual(code, 1)
        self.assertIn("Excel", out)

    def test_an_unknown_unit_code_exits_2(self):
        code, _out, err = self.run_command(xlsx([row()]), "--unit", "NOPE")
        self.assertEqual(code, 2)
        self.assertIn("NOPE", err)


class BulkAuditTests(RosterTestCase):
    def test_record_many_continues_the_chain_as_record_would(self):
        audit.record(AuditEntry.Action.UPDATE, object_type="x.y", object_id="1", message="单条")
        head = AuditEntry.objects.order_by("-seq").first()
        entries = audit.record_many(
            [
                {
                    "action": AuditEntry.Action.CREATE,
                    "obj": self.heping_fgj,
                    "changes": {"birth": [None, date(1985, 3, 1)], "tags": (1, 2), 3: {"a"}},
                },
                {
                    "action": AuditEntry.Action.UPDATE,
                    "object_type": "cadres.cadre",
                    "object_id": 7,
                    "object_repr": "张三",
                    "changes": {"name": ["张三", "张三丰"]},
                    "actor": self.bob,
                },
            ]
        )
        self.assertEqual([e.seq for e in entries], [head.seq + 1, head.seq + 2])
        self.assertEqual(entries[0].prev_hash, head.hash)
        stored = list(AuditEntry.objects.filter(seq__gt=head.seq).order_by("seq"))
        self.assertEqual([e.hash for e in stored], [e.hash for e in entries])
        self.assertEqual(
            stored[0].changes, {"birth": [None, "1985-03-01"], "tags": [1, 2], "3": ["a"]}
        )
        self.assertEqual(
            (stored[0].object_type, stored[0].object_repr), ("core.orgunit", "和平区发改局")
        )
        self.assertEqual((stored[1].actor_username, stored[1].object_id), ("bob", "7"))
        audit.record(AuditEntry.Action.UPDATE, object_type="x.y", object_id="2")
        self.assertTrue(audit.verify().ok)
        self.assertEqual(audit.record_many([]), [])
