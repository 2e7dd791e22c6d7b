"""The Excel roster (花名册): the template, reading .xlsx and .xls files, checking every cell,
a bulk import, and export to .xlsx and .csv in the same columns.

    template_workbook()                      the .xlsx users fill in
    read_rows(fileobj, filename)             headers and non-empty rows (real row numbers)
    check(fileobj, filename, by=, default_unit=)   → importing.Report, every problem in words
    run_import(report, by=, valid_only=)     → importing.Summary (importing.apply, in bulk)
    export_xlsx(queryset, reveal=) / export_csv(queryset, reveal=)

The import writes in bulk (one query per batch rather than several per row) but keeps the
meaning of `services.cadre_save`: one transaction, a cadre found by ID number is updated,
nothing is written (and nothing audited) for a cadre whose values did not change, and every
created or changed cadre gets one audit entry with before and after.
"""

from __future__ import annotations

import csv
import gc
import io
import logging
import re
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from itertools import islice
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from openpyxl.utils.datetime import from_excel, from_ISO8601

from guazhi.core import audit, versioning
from guazhi.core.access import scope_for
from guazhi.core.models import AuditEntry, OrgUnit, User

from . import codes, normalise
from .importing import ImportRefused, Report, RowResult, Summary
from .models import AnnualAssessment, Cadre, ExpertiseTag, Rank, ResumeEntry
from .normalise import Invalid
from .services import SCALAR_FIELDS, CadreData, validate

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 16_384  # Excel's own limits: a file claiming more is broken or hostile
MAX_SHEET_ROWS = 1_048_576
HEADER_SCAN_ROWS = 10
SHEET_NAME = "花名册"


@contextmanager
def _gc_paused():
    """Checking and importing allocate hundreds of thousands of small objects that all stay
    alive until the end; the cyclic collector would rescan them again and again (a third of
    an import's time). Reference counting still frees everything else."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- the columns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # a services.SCALAR_FIELDS name, or unit/rank/id_number/mobile/tags/resume/annual
    header: str  # the template's header (without the * of required columns)
    kind: str = "text"  # text, name, date, gender, ethnicity, political, unit, rank, id, …
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 12
    help: str = ""

    @property
    def title(self) -> str:
        """The header cell of the template: required columns carry a *."""
        return f"{self.header}*" if self.required else self.header


_DATE_HELP = "写年月即可：1985.03、1985.3、1985-3、1985/03、1985年3月、198503 或 Excel 日期均可"

COLUMNS: list[Column] = [
    Column("name", "姓名", "name", True, ("名字",), 10, "必填。两个字的姓名中间的空格会被去掉"),
    Column("gender", "性别", "gender", True, (), 6, "必填。男 或 女，须与身份证号一致"),
    Column(
        "birth",
        "出生年月",
        "date",
        True,
        ("出生日期", "出生年月日", "生日", "出生时间"),
        11,
        "必填。须与身份证号中的出生年月一致。" + _DATE_HELP,
    ),
    Column(
        "ethnicity",
        "民族",
        "ethnicity",
        False,
        (),
        9,
        "按 GB/T 3304 填写，如 汉族、满族（“汉”“01”也可识别）；不填视为汉族",
    ),
    Column("native_place", "籍贯", aliases=(), width=12, help="如 辽宁沈阳"),
    Column("birthplace", "出生地", width=12, help="如 辽宁沈阳"),
    Column(
        "political_status",
        "政治面貌",
        "political",
        False,
        ("党派",),
        12,
        "如 中共党员、中共预备党员、共青团员、民主党派、无党派人士、群众",
    ),
    Column("party_join", "入党时间", "date", False, ("入党日期", "入党年月"), 11, _DATE_HELP),
    Column(
        "work_start",
        "参加工作时间",
        "date",
        False,
        ("参加工作日期", "参加工作年月", "工作时间"),
        13,
        _DATE_HELP,
    ),
    Column("health", "健康状况", aliases=("健康状态",), width=9, help="如 健康"),
    Column(
        "fulltime_education",
        "全日制学历",
        aliases=("全日制教育学历",),
        width=12,
        help="如 大学、研究生",
    ),
    Column(
        "fulltime_degree", "全日制学位", aliases=("全日制教育学位",), width=10, help="如 学士、硕士"
    ),
    Column(
        "fulltime_school",
        "全日制毕业院校系及专业",
        aliases=(
            "全日制毕业院校及专业",
            "全日制毕业院校",
            "全日制教育毕业院校系及专业",
            "全日制毕业院校系",
        ),
        width=24,
        help="如 东北大学经济学专业",
    ),
    Column("inservice_education", "在职学历", aliases=("在职教育学历",), width=12),
    Column("inservice_degree", "在职学位", aliases=("在职教育学位",), width=10),
    Column(
        "inservice_school",
        "在职毕业院校系及专业",
        aliases=(
            "在职毕业院校及专业",
            "在职毕业院校",
            "在职教育毕业院校系及专业",
            "在职毕业院校系",
        ),
        width=24,
    ),
    Column("professional_title", "专业技术职务", aliases=("职称",), width=14),
    Column(
        "specialty", "熟悉专业有何专长", aliases=("熟悉专业", "专长", "熟悉专业及专长"), width=18
    ),
    Column(
        "unit",
        "所在单位",
        "unit",
        False,
        ("单位", "工作单位", "派出单位", "所在单位(派出单位)", "单位名称"),
        20,
        "填写系统中的单位全称、简称或单位代码；不填则新增的干部归入导入时选择的默认单位，"
        "已有的干部留在原单位",
    ),
    Column("current_post", "现任职务", aliases=("职务", "现职务", "现任职务职级"), width=20),
    Column(
        "rank",
        "职级",
        "rank",
        False,
        ("职务职级", "职务层次", "职级层次"),
        12,
        "从下拉列表中选择（系统中的职级名称）",
    ),
    Column(
        "id_number",
        "身份证号",
        "id",
        True,
        ("身份证号码", "公民身份号码", "公民身份证号码", "身份证", "证件号码"),
        21,
        "必填。18 位，末位 X 大小写均可。身份证号是识别干部的依据：再次导入时按身份证号"
        "更新已有干部，不会重复新增。请把该列设为文本格式，否则 Excel 会丢失末几位",
    ),
    Column(
        "mobile",
        "手机号",
        "mobile",
        False,
        ("手机", "手机号码", "联系电话", "联系方式"),
        13,
        "11 位手机号；请设为文本格式",
    ),
    Column(
        "tags",
        "专长标签",
        "tags",
        False,
        ("标签",),
        16,
        "系统中已启用的专长标签，多个用 、 , ， ; ； 或空格分隔，如 招商引资、金融",
    ),
    Column(
        "resume",
        "简历",
        "resume",
        False,
        ("工作简历", "个人简历", "学习工作经历"),
        40,
        "每段一行（单元格内换行用 Alt+Enter），如“1990.09--1994.07  东北大学经济学专业学习”；"
        "至今的一段截止年月留空或写“至今”；不以年份开头的行接在上一段后面",
    ),
    Column(
        "annual",
        "年度考核结果",
        "annual",
        False,
        ("年度考核", "考核结果", "近三年年度考核结果", "近三年考核结果"),
        18,
        "每年一行，如“2023 优秀”；也可写“2021、2022、2023年年度考核均为称职”。"
        "结果为 优秀、称职、基本称职、不称职、不定等次",
    ),
    Column("rewards", "奖惩情况", aliases=("奖惩",), width=20),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
assert {c.key for c in COLUMNS} >= set(SCALAR_FIELDS) - {"assessment_text"}

_TEXT_LIMITS = {
    f.name: f.max_length
    for f in Cadre._meta.concrete_fields
    if f.name in SCALAR_FIELDS and getattr(f, "max_length", None)
}


def _header_key(text) -> str:
    """A header as typed → the key it is looked up by: no spaces or line breaks, no *."""
    key = re.sub(r"\s", "", normalise.folded(text))
    return key.strip("*").replace("(必填)", "").replace("(选填)", "")


_HEADER_INDEX: dict[str, Column] = {}
for _c in COLUMNS:
    for _name in (_c.header, *_c.aliases):
        _HEADER_INDEX[_header_key(_name)] = _c


def column_for(header) -> Column | None:
    """The column a header names (aliases, full-width brackets and notes in brackets
    allowed), or None."""
    key = _header_key(header)
    if not key:
        return None
    found = _HEADER_INDEX.get(key)
    if found is None:
        bare = re.sub(r"\(.*?\)", "", key)  # 出生年月(格式:1985.03)
        found = _HEADER_INDEX.get(bare) if bare != key else None
    return found


# --- the template ------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """The empty roster: a 花名册 sheet with drop-downs and a 填写说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=col.title)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if col.required:
            cell.fill = required_fill
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = col.width
        # Text format, so Excel keeps 18-digit ID numbers, leading zeros and 1985.10 intact.
        ws.column_dimensions[letter].number_format = "@"
    ws.freeze_panes = "A2"

    # Drop-down lists live on a hidden sheet (a list typed into the rule is limited to 255
    # characters, too few for 56 民族).
    lists = wb.create_sheet("选项")
    options = {
        "gender": codes.GENDERS,
        "ethnicity": codes.ETHNIC_GROUPS,
        "rank": list(Rank.objects.values_list("name", flat=True)),
        "fulltime_education": codes.EDUCATION_LEVELS,
        "inservice_education": codes.EDUCATION_LEVELS,
        "fulltime_degree": codes.DEGREES,
        "inservice_degree": codes.DEGREES,
        "political_status": codes.POLITICAL_STATUS,
        "health": codes.HEALTH,
    }
    keys = [c.key for c in COLUMNS]
    last_row = 20001
    for list_index, (key, values) in enumerate(options.items(), start=1):
        if not values:
            continue
        list_letter = get_column_letter(list_index)
        lists.cell(row=1, column=list_index, value=COLUMN_BY_KEY[key].header)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=list_index, value=value)
        strict = key in {"gender", "ethnicity", "rank"}
        rule = DataValidation(
            type="list",
            formula1=f"'选项'!${list_letter}$2:${list_letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=strict,  # 学历/学位/政治面貌 may hold other wording
            errorTitle="不在可选值中",
            error=f"{COLUMN_BY_KEY[key].header}请从下拉列表中选择",
        )
        letter = get_column_letter(keys.index(key) + 1)
        rule.add(f"{letter}2:{letter}{last_row}")
        ws.add_data_validation(rule)
    lists.sheet_state = "hidden"

    guide = wb.create_sheet("填写说明")
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 8
    guide.column_dimensions["C"].width = 90
    intro = [
        "干部花名册填写说明",
        "1. 在“花名册”工作表第 2 行起每行填写一名干部，不要改动第 1 行的列名（列的顺序可以调整，"
        "不需要的选填列可以删除）。带 * 的列必须填写。",
        "2. 身份证号是识别干部的依据：再次导入同一身份证号会更新该干部的信息（只更新有变化的"
        "内容，并记入审计日志），不会重复新增。",
        "3. 日期只需写到年月，下列写法都可以：1985.03、1985.3、1985-3、1985/03、1985年3月、"
        "198503，也可以是 Excel 日期单元格。",
        "4. 全角数字和字母、首尾空格、身份证号末位的小写 x 会自动规范。",
        "5. 导入前系统会逐行检查并列出每个有问题的单元格（第几行第几列、什么问题）；"
        "全部无误才会导入，或由您确认“仅导入无误的行”。",
        f"6. 文件须为 .xlsx 或 .xls 格式，不超过 20 MB、{MAX_ROWS} 行。",
    ]
    for row, text in enumerate(intro, start=1):
        guide.cell(row=row, column=1, value=text).font = Font(
            bold=row == 1, size=14 if row == 1 else 11
        )
    start = len(intro) + 2
    for index, text in enumerate(["列名", "必填", "说明"]):
        guide.cell(row=start, column=index + 1, value=text).font = bold
    for offset, col in enumerate(COLUMNS, start=1):
        guide.cell(row=start + offset, column=1, value=col.header)
        guide.cell(row=start + offset, column=2, value="是" if col.required else "")
        note = col.help
        if col.aliases:
            note = (
                f"{note}（列名也可写作：{'、'.join(col.aliases)}）"
                if note
                else (f"列名也可写作：{'、'.join(col.aliases)}")
            )
        cell = guide.cell(row=start + offset, column=3, value=note)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    example_row = start + len(COLUMNS) + 2
    guide.cell(row=example_row, column=1, value="示例（仅供参考，请勿复制到花名册）").font = bold
    example = _example_values()
    for offset, col in enumerate(COLUMNS, start=1):
        guide.cell(row=example_row + offset, column=1, value=col.header)
        guide.cell(row=example_row + offset, column=3, value=example.get(col.key, ""))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _example_values() -> dict[str, str]:
    return {
        "name": "王晓明",
        "gender": "男",
        "birth": "1985.03",
        "ethnicity": "汉族",
        "native_place": "辽宁沈阳",
        "birthplace": "辽宁沈阳",
        "political_status": "中共党员",
        "party_join": "2006.06",
        "work_start": "2008.07",
        "health": "健康",
        "fulltime_education": "大学",
        "fulltime_degree": "学士",
        "fulltime_school": "东北大学经济学专业",
        "unit": "和平区发改局",
        "current_post": "副局长",
        "rank": "副处级",
        "id_number": "（18 位身份证号）",
        "mobile": "13800000000",
        "tags": "招商引资、金融",
        "resume": "2004.09--2008.07  东北大学经济学专业学习\n2008.07--  和平区发改局科员、副局长",
        "annual": "2022 优秀\n2023 称职",
    }


# --- reading -----------------------------------------------------------------------------------


class RosterFileError(ValueError):
    """The file as a whole cannot be used; str(exc) says why, in Chinese."""


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")


def read_rows(fileobj, filename: str) -> tuple[list[str], list[tuple[int, list]]]:
    """Headers (one per spreadsheet column from A; a two-row header is combined) and the
    non-empty rows below the header row, each with its real row number. Raises
    RosterFileError for anything that is not a readable roster."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in {".xlsx", ".xlsm", ".xls"}:
        raise RosterFileError(
            f"不支持“{suffix or '无扩展名'}”文件：请上传 Excel 花名册（.xlsx 或 .xls）。"
            "CSV、Word 等文件请先在 Excel 中另存为 .xlsx"
        )
    data = fileobj.read(MAX_BYTES + 1)
    if isinstance(data, str):
        raise RosterFileError("文件应以二进制方式读取")
    if len(data) > MAX_BYTES:
        raise RosterFileError("文件超过 20 MB，请删去无关的工作表、图片后重试，或分成几个文件导入")
    if not data:
        raise RosterFileError("文件是空的")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read
        try:
            if data[:4] == b"PK\x03\x04":
                sheets = _xlsx_sheets(data)
            elif data[:8] == _OLE_MAGIC:
                if _ENCRYPTED_OOXML in data:
                    raise RosterFileError("文件设置了打开密码，请在 Excel 中取消密码后再上传")
                sheets = _xls_sheets(data)
            else:
                raise RosterFileError(
                    "文件内容不是 Excel 工作簿（可能是改了扩展名的其他文件），请上传 .xlsx 或 .xls 文件"
                )
            return _read_table(sheets)
        except RosterFileError:
            raise
        except Exception as exc:  # whatever a damaged file makes a parser raise
            logger.info("roster %r unreadable: %r", filename, exc)
            raise RosterFileError(
                "文件已损坏或不是有效的 Excel 工作簿，无法读取；请在 Excel 中打开后另存为 .xlsx 再上传"
            ) from exc


def _xlsx_sheets(data: bytes) -> Iterator[tuple[str, Iterator[tuple[int, list]]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise RosterFileError(
            "文件不是有效的 Excel 工作簿（可能是改了扩展名的 Word 或压缩文件），请上传 .xlsx 或 .xls 文件"
        ) from exc
    for ws in wb.worksheets:
        if getattr(ws, "sheet_state", "visible") != "visible":
            continue

        yield ws.title, _sheet_rows(ws)


def _sheet_rows(ws) -> Iterator[tuple[int, list]]:
    """(row number, values) of a read-only worksheet, the values exactly as openpyxl's
    iter_rows(values_only=True) gives them (dates as datetime, numbers as int or float)."""
    wb = ws.parent
    try:
        source = ws._get_source()
        shared, dates, deltas = wb.shared_strings, wb._date_formats, wb._timedelta_formats
    except AttributeError:  # another openpyxl: its own, slower path
        ws.reset_dimensions()  # some writers record wrong dimensions; read every row
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(values)
        return
    with source:
        yield from _SheetParser(shared, dates, deltas, wb.epoch).rows(source)


class _SheetParser:
    """A lean reader of a worksheet's XML (<row r><c r t s><v>…</v></c>…</row>), for
    openpyxl's read-only workbook: the same values as ReadOnlyWorksheet.iter_rows in less
    than half the time, which is most of a roster check (openpyxl builds several objects
    per cell). Workbook-level parts (shared strings, date styles, the 1900/1904 epoch) come
    from openpyxl."""

    _LOCAL = ("row", "c", "v", "t", "is", "rPh")
    _NAMESPACES = (
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main",
    )

    def __init__(self, shared, dates, deltas, epoch):
        self.shared, self.dates, self.deltas, self.epoch = shared, dates, deltas, epoch
        self.tags = {f"{ns}}}{local}": local for ns in self._NAMESPACES for local in self._LOCAL}
        self.columns: dict[str, int] = {}
        self.done: list[tuple[int, list]] = []
        self.number = 0
        self.values: list = []
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.raw: str | None = None
        self.text: list[str] | None = None
        self.inline: list[str] | None = None
        self.phonetic = 0

    def rows(self, source) -> Iterator[tuple[int, list]]:
        from xml.parsers import expat

        parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.chars
        while chunk := source.read(1 << 16):
            parser.Parse(chunk, False)
            yield from self.done
            self.done.clear()
        parser.Parse(b"", True)
        yield from self.done

    def start(self, name: str, attrs: dict) -> None:
        tag = self.tags.get(name)
        if tag is None:
            return
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                column = self.columns.get(letters)
                if column is None:
                    column = 0
                    for char in letters:
                        column = column * 26 + ord(char) - 64
                    self.columns[letters] = column
                self.column = column
            else:
                self.column += 1
            self.kind = attrs.get("t", "n")
            self.style = int(attrs.get("s") or 0)
            self.raw = self.inline = None
        elif tag == "v" or (tag == "t" and not self.phonetic):
            self.text = []
        elif tag == "is":
            self.inline = []
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "row":
            r = attrs.get("r")
            self.number = int(float(r)) if r else self.number + 1
            self.values = []
            self.column = 0

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def end(self, name: str) -> None:
        tag = self.tags.get(name)
        if tag is None:
            return
        if tag == "v":
            self.raw = "".join(self.text)
            self.text = None
        elif tag == "t":
            if self.text is not None and self.inline is not None:
                self.inline.append("".join(self.text))
            self.text = None
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "c":
            values = self.values
            if not 0 < self.column <= MAX_COLUMNS:
                return
            if len(values) < self.column:
                values.extend([None] * (self.column - len(values)))
            values[self.column - 1] = self.value()
        elif tag == "row":
            self.done.append((self.number, self.values))

    def value(self):
        kind, raw = self.kind, self.raw
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline is not None else None
        if not raw:
            return None
        if kind == "n":
            number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            if self.style in self.dates:
                try:
                    return from_excel(number, self.epoch, timedelta=self.style in self.deltas)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.shared[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # str (a formula's cached text), e (an error such as #N/A)


def _xls_sheets(data: bytes) -> Iterator[tuple[str, Iterator[tuple[int, list]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise RosterFileError("文件设置了打开密码，请在 Excel 中取消密码后再上传") from exc
        raise
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        if getattr(sheet, "visibility", 0):
            continue

        def rows(sheet=sheet):
            for r in range(sheet.nrows):
                yield r + 1, [_xls_value(cell, book.datemode) for cell in sheet.row(r)]

        yield sheet.name, rows()


def _xls_value(cell, datemode: int):
    import xlrd

    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return cell.value
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#错误")
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    return cell.value


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_table(sheets) -> tuple[list[str], list[tuple[int, list]]]:
    best = None  # (score, is_roster_sheet, headers, header_row_number, row iterator)
    for title, rows in sheets:
        head: list[tuple[int, list]] = []
        for item in rows:
            head.append(item)
            if len(head) >= HEADER_SCAN_ROWS:
                break
        found = _find_header(head)
        if found is None:
            continue
        score, position, headers = found
        rank = (score, title.strip() == SHEET_NAME)
        if best is None or rank > best[0]:
            best = (rank, headers, head[position + 1 :], rows)
        if title.strip() == SHEET_NAME and score >= 3:
            break
    if best is None or best[0][0] < 2:
        raise RosterFileError(
            f"前 {HEADER_SCAN_ROWS} 行中找不到表头（应有“姓名”“身份证号”等列名），"
            "请使用系统提供的花名册模板"
        )
    _rank, headers, buffered, rows = best
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    data_rows: list[tuple[int, list]] = []
    for number, values in _chain(buffered, rows):
        if number > MAX_SHEET_ROWS:
            raise RosterFileError("文件中的行数超出 Excel 的上限，文件可能已损坏")
        values = values[:width]
        filled = [v for v in values if v is not None]
        if not filled or all(type(v) is str and not v.strip() for v in filled):
            continue
        if len(values) < width:
            values = values + [None] * (width - len(values))
        data_rows.append((number, values))
        if len(data_rows) > MAX_ROWS:
            raise RosterFileError(f"数据超过 {MAX_ROWS} 行，请分成几个文件导入")
    return headers, data_rows


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def _header_text(value) -> str:
    if value is None or isinstance(value, datetime | date | bool):
        return ""
    return re.sub(r"\s", "", normalise.clean_text(value)).strip("*＊")


def _score(headers: list[str]) -> int:
    return len({c.key for c in map(column_for, headers) if c is not None})


def _find_header(head: list[tuple[int, list]]) -> tuple[int, int, list[str]] | None:
    """(score, position in `head`, headers) of the best header: a single row or a row
    combined with the group titles of the row above it."""
    best = None
    for position, (_number, values) in enumerate(head):
        candidates = [[_header_text(v) for v in values]]
        if position:
            candidates.append(_combine(head[position - 1][1], values))
        for headers in candidates:
            score = _score(headers)
            if score and (best is None or score > best[0]):
                best = (score, position, headers)
    return best


def _combine(top: list, bottom: list) -> list[str]:
    """A two-row header: group titles merged across the row above ("全日制教育" over 学历,
    学位, 毕业院校系及专业) and single headers merged down (姓名 over an empty cell)."""
    names = []
    group = ""
    for index in range(max(len(top), len(bottom))):
        upper = _header_text(top[index]) if index < len(top) else ""
        lower = _header_text(bottom[index]) if index < len(bottom) else ""
        if not lower:
            group = ""
            names.append(upper)
            continue
        if upper:
            group = upper
        names.append(_join_header(group, lower) if group else lower)
    return names


def _join_header(group: str, sub: str) -> str:
    stem = re.sub(r"(教育|情况|信息)$", "", group)
    for candidate in (group + sub, stem + sub):
        col = column_for(candidate)
        if col is not None:
            return col.header
    return sub


# --- checking ----------------------------------------------------------------------------------


@dataclass
class _Layout:
    """Where each known column sits in the file: key → (1-based column number, header)."""

    where: dict[str, tuple[int, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _layout(headers: list[str]) -> _Layout:
    layout = _Layout()
    for number, header in enumerate(headers, start=1):
        col = column_for(header)
        if col is None:
            continue
        if col.key in layout.where:
            first = layout.where[col.key][0]
            layout.problems.append(
                f"第{number}列“{header}”与第{first}列“{layout.where[col.key][1]}”是同一项，"
                "请删去其中一列"
            )
            continue
        layout.where[col.key] = (number, header)
    missing = [c.header for c in COLUMNS if c.required and c.key not in layout.where]
    if missing:
        layout.problems.append(f"缺少必填列：{'、'.join(missing)}")
    return layout


def _fold_key(text) -> str:
    return re.sub(r"\s", "", normalise.folded(text))


class _Context:
    """What checking a row needs from the database, loaded once per file."""

    def __init__(self, by: User | None, default_unit: OrgUnit | None):
        self.by = by
        self.default_unit = default_unit
        self.add_scope = scope_for(by, "cadres.add_cadre") if by is not None else None
        self.change_scope = scope_for(by, "cadres.change_cadre") if by is not None else None
        self.units: dict[str, list[OrgUnit]] = defaultdict(list)
        self.unit_by_pk: dict[int, OrgUnit] = {}
        for unit in OrgUnit.objects.all():
            self.unit_by_pk[unit.pk] = unit
            for key in {_fold_key(unit.name), _fold_key(unit.short_name), _fold_key(unit.code)}:
                if key:
                    self.units[key].append(unit)
        self.rank_by_pk = {r.pk: r for r in Rank.objects.all()}
        self.ranks = {_fold_key(r.name): r for r in self.rank_by_pk.values()}
        self.tags = {_fold_key(t.name): t for t in ExpertiseTag.objects.all()}
        self._unit_cache: dict[str, OrgUnit] = {}

    def may_add(self, unit: OrgUnit) -> bool:
        return self.add_scope is None or self.add_scope.covers_unit(unit)

    def may_change(self, unit: OrgUnit) -> bool:
        return self.change_scope is None or self.change_scope.covers_unit(unit)

    def unit(self, value) -> OrgUnit:
        text = normalise.clean_text(value)
        key = _fold_key(text)
        cached = self._unit_cache.get(key)
        if cached is not None:
            return cached
        found = self.units.get(key, [])
        if not found:
            raise Invalid(f"所在单位“{text}”在系统中不存在，请填写单位全称、简称或单位代码")
        if len(found) > 1:
            mine = [u for u in found if self.may_add(u) or self.may_change(u)]
            found = mine if mine else found
        if len(found) > 1:
            raise Invalid(f"所在单位“{text}”对应多个单位，请改填单位代码")
        unit = found[0]
        if not unit.is_active:
            raise Invalid(f"所在单位“{text}”已停用")
        self._unit_cache[key] = unit
        return unit

    def rank(self, value) -> Rank | None:
        text = normalise.clean_text(value)
        if not text:
            return None
        rank = self.ranks.get(_fold_key(text))
        if rank is None:
            raise Invalid(f"职级“{text}”不在系统的职级列表中")
        return rank

    def tag_list(self, value) -> list[ExpertiseTag]:
        text = normalise.clean_text(value)
        names = [n for n in re.split(r"[、,，;；\s]+", text) if n]
        tags, unknown, inactive = [], [], []
        for name in dict.fromkeys(names):
            tag = self.tags.get(_fold_key(name))
            if tag is None:
                unknown.append(name)
            elif not tag.is_active:
                inactive.append(name)
            else:
                tags.append(tag)
        if unknown:
            raise Invalid(f"专长标签“{'、'.join(unknown)}”不在系统的标签列表中")
        if inactive:
            raise Invalid(f"专长标签“{'、'.join(inactive)}”已停用")
        return tags


_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_POLITICAL = {
    "党员": "中共党员",
    "中共": "中共党员",
    "共产党员": "中共党员",
    "中国共产党党员": "中共党员",
    "预备党员": "中共预备党员",
    "团员": "共青团员",
    "共青团": "共青团员",
    "无党派": "无党派人士",
}


def _text(value) -> str:
    text = normalise.clean_text(value)
    # Our own export writes a leading apostrophe before = + - @ (formula neutralisation).
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def _limited(key: str, label: str) -> Callable:
    limit = _TEXT_LIMITS.get(key)

    def convert(value):
        text = _text(value)
        if limit and len(text) > limit:
            raise Invalid(f"{label}不能超过 {limit} 个字（现为 {len(text)} 个字）")
        return text

    return convert


_MISSING = object()


def _memoised(convert: Callable) -> Callable:
    """Rosters repeat most values (性别, 民族, 单位, 职级, many dates): convert each distinct
    cell value once. Lists are copied so rows never share one."""
    cache: dict = {}

    def cached(value):
        key = (type(value), value)
        hit = cache.get(key, _MISSING)
        if hit is _MISSING:
            try:
                hit = (True, convert(value))
            except Invalid as exc:
                hit = (False, str(exc))
            cache[key] = hit
        ok, result = hit
        if not ok:
            raise Invalid(result)
        return list(result) if type(result) is list else result

    return cached


def _converter(col: Column, ctx: _Context) -> Callable:
    """value → normalised value (or Invalid) for one column; memoised unless the column's
    values are unique to a person."""
    convert = _plain_converter(col, ctx)
    return convert if col.kind in {"name", "id", "mobile"} else _memoised(convert)


def _plain_converter(col: Column, ctx: _Context) -> Callable:
    label = col.header
    if col.kind == "name":
        limited = _limited("name", label)

        def name(value):
            text = limited(_CJK_GAP.sub("", _text(value)))
            if not text:
                raise Invalid("姓名不能为空")
            return text

        return name
    if col.kind == "date":
        if col.required:

            def required_date(value):
                parsed = normalise.parse_year_month(value, field=label)
                if parsed is None:
                    raise Invalid(f"{label}不能为空")
                return parsed

            return required_date
        return lambda value: normalise.parse_year_month(value, field=label)
    if col.kind == "gender":
        return normalise.normalise_gender
    if col.kind == "ethnicity":
        return normalise.normalise_ethnicity
    if col.kind == "political":
        limited = _limited(col.key, label)

        def political(value):
            text = limited(value)
            return _POLITICAL.get(text, text)

        return political
    if col.kind == "id":
        return normalise.normalise_id_number
    if col.kind == "mobile":
        return normalise.normalise_mobile
    if col.kind == "unit":
        return lambda value: ctx.unit(value) if not _blank(value) else None
    if col.kind == "rank":
        return ctx.rank
    if col.kind == "tags":
        return ctx.tag_list
    if col.kind == "resume":
        return lambda value: normalise.parse_resume(_text(value))
    if col.kind == "annual":
        return lambda value: normalise.parse_annual_results(_text(value), strict=True)
    return _limited(col.key, label)


# services.validate's field names → the roster column that holds them
_FIELD_COLUMN = {
    "name": "name",
    "gender": "gender",
    "birth": "birth",
    "work_start": "work_start",
    "party_join": "party_join",
    "resume": "resume",
    "id_number": "id_number",
}


@dataclass
class _Checked:
    result: RowResult
    number: int
    id_number: str = ""
    id_hash: str = ""
    unit_given: bool = False


def check(fileobj, filename: str, *, by: User | None, default_unit: OrgUnit | None) -> Report:
    """Read and check a roster; nothing is written. Every problem is one sentence naming the
    row and column as the spreadsheet shows them: "第5行 第3列(出生年月): …"."""
    with _gc_paused():
        return _check(fileobj, filename, by=by, default_unit=default_unit)


def _check(fileobj, filename: str, *, by: User | None, default_unit: OrgUnit | None) -> Report:
    report = Report()
    try:
        headers, rows = read_rows(fileobj, filename)
    except RosterFileError as exc:
        report.file_errors.append(str(exc))
        return report
    layout = _layout(headers)
    if layout.problems:
        report.file_errors.extend(layout.problems)
        return report
    if not rows:
        report.file_errors.append("表头下面没有数据行")
        return report
    if "unit" not in layout.where and default_unit is None:
        report.file_errors.append("文件中没有“所在单位”列，也没有选择默认单位")
        return report
    ctx = _Context(by, default_unit)
    plan = [
        (
            COLUMN_BY_KEY[key],
            number - 1,
            f"第{number}列({header})",
            _converter(COLUMN_BY_KEY[key], ctx),
        )
        for key, (number, header) in layout.where.items()
    ]
    checked = [_check_row(number, cells, plan, layout, ctx) for number, cells in rows]
    _check_duplicates(checked, layout)
    _check_existing(checked, layout, ctx)
    for item in checked:
        if item.result.errors:
            item.result.errors.sort(key=_column_number)
            item.result.data = None
        else:
            item.result._validated = True  # run_import need not repeat services.validate
    report.rows = [item.result for item in checked]
    return report


def _check_row(number: int, cells: list, plan, layout: _Layout, ctx: _Context) -> _Checked:
    where = f"第{number}行"
    errors: list[str] = []
    failed: set[str] = set()
    got: dict = {}
    for col, index, place, convert in plan:
        try:
            got[col.key] = convert(cells[index])
        except Invalid as exc:
            errors.append(f"{where} {place}: {exc}")
            failed.add(col.key)
    item = _Checked(
        RowResult(where=where, data=None, errors=errors, name=str(got.get("name") or "")), number
    )
    if "id_number" not in failed:
        item.id_number = got["id_number"]
        item.id_hash = Cadre.hash_id_number(item.id_number)
    unit = got.get("unit")
    item.unit_given = unit is not None
    if unit is None and "unit" not in failed:
        unit = ctx.default_unit
        if unit is None:
            place = _place(layout, "unit")
            errors.append(f"{where} {place}: 所在单位不能为空（导入时也没有选择默认单位）")
            failed.add("unit")
    values = {key: got[key] for key in SCALAR_FIELDS if key in got}
    if "annual" in layout.where and "annual" not in failed:
        # The wording is kept (the 任免审批表 prints it) unless it is just the results in
        # the export's own layout.
        text = _text(cells[layout.where["annual"][0] - 1])
        canonical = normalise.format_annual_results(got["annual"])
        values["assessment_text"] = "" if text == canonical else text[:200]
    data = CadreData(
        id_number=item.id_number,
        unit=unit,
        values=values,
        rank=got.get("rank"),
        mobile=got.get("mobile") if "mobile" in layout.where else None,
        tags=got.get("tags") if "tags" in layout.where else None,
        resume=got.get("resume") if "resume" in layout.where else None,
        annual=got.get("annual") if "annual" in layout.where else None,
    )
    for problem_field, reason in validate(data):
        key = _FIELD_COLUMN.get(problem_field, "id_number")
        if key in failed:
            continue
        failed.add(key)
        errors.append(f"{where} {_place(layout, key)}: {reason}")
    item.result.data = data
    return item


def _column_number(error: str) -> int:
    """Problems of one row are listed from left to right."""
    found = re.search(r" 第(\d+)列", error)
    return int(found.group(1)) if found else 0


def _place(layout: _Layout, key: str) -> str:
    if key in layout.where:
        number, header = layout.where[key]
        return f"第{number}列({header})"
    return f"({COLUMN_BY_KEY[key].header})"


def _check_duplicates(checked: list[_Checked], layout: _Layout) -> None:
    first: dict[str, int] = {}
    place = _place(layout, "id_number")
    for item in checked:
        if not item.id_hash:
            continue
        if item.id_hash in first:
            item.result.errors.append(
                f"{item.result.where} {place}: 身份证号与第{first[item.id_hash]}行重复"
            )
        else:
            first[item.id_hash] = item.number


def _check_existing(checked: list[_Checked], layout: _Layout, ctx: _Context) -> None:
    """Rows whose ID number is already in the system update that cadre: the importer needs
    the change permission over its unit (and over the new unit)."""
    wanted = [item for item in checked if item.id_hash and item.result.data is not None]
    existing: dict[str, tuple[OrgUnit, Rank | None]] = {}
    for batch in _batches([item.id_hash for item in wanted], 500):
        for key, unit_id, rank_id in Cadre.objects.filter(id_number_hash__in=batch).values_list(
            "id_number_hash", "unit_id", "rank_id"
        ):
            existing[key] = (ctx.unit_by_pk[unit_id], ctx.rank_by_pk.get(rank_id))
    for item in wanted:
        data = item.result.data
        where = item.result.where
        found = existing.get(item.id_hash)
        if found is None:
            if data.unit is not None and not ctx.may_add(data.unit):
                item.result.errors.append(
                    f"{where} {_place(layout, 'unit')}: 无权在“{data.unit.name}”新增干部"
                    "（不在您的管理范围内）"
                )
            continue
        unit, rank = found
        if not ctx.may_change(unit):
            item.result.errors.append(
                f"{where} {_place(layout, 'id_number')}: 无权修改该身份证号对应的干部"
                "（其所在单位不在您的管理范围内）"
            )
            continue
        # A blank 所在单位 keeps an existing cadre where he is (the default unit is for new
        # cadres); a file without 职级 leaves the rank alone.
        if not item.unit_given:
            data.unit = unit
        if "rank" not in layout.where:
            data.rank = rank
        if data.unit is not None and not ctx.may_change(data.unit):
            item.result.errors.append(
                f"{where} {_place(layout, 'unit')}: 无权把干部调入“{data.unit.name}”"
                "（不在您的管理范围内）"
            )


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- importing ---------------------------------------------------------------------------------


def _refuse_if_unusable(report: Report, valid_only: bool) -> None:
    if report.file_errors:
        raise ImportRefused("文件无法读取，未导入任何数据：" + "；".join(report.file_errors))
    if not report.is_valid and not valid_only:
        raise ImportRefused(
            f"文件中有 {len(report.invalid_rows)} 行存在错误，未导入任何数据。"
            "请修改后重新上传，或确认“仅导入无误的行”。"
        )
    if not report.valid_rows:
        raise ImportRefused("没有可以导入的行。")


_CADRE_FIELDS = [f for f in Cadre._meta.concrete_fields if not f.primary_key]


def _tracked_spec():
    # The masking rules the app registered with audit.track(Cadre): bulk writes bypass the
    # model signals, so their audit entries are built here with the same rules.
    return audit._tracked[Cadre]


def _shown(value, name: str, masked: frozenset):
    """What audit._display writes for a cadre field, without its general-purpose cost."""
    if name in masked:
        return audit.MASKED if value not in (None, "") else value
    if value is None or type(value) in (str, int, bool):
        return value
    return audit._jsonable(value)


def _adapter(field) -> Callable | None:
    """value → database value for raw INSERT/UPDATE statements; None where the value
    passes as it is (text, integers, keys)."""
    internal = field.get_internal_type()
    if internal in {
        "CharField",
        "TextField",
        "ForeignKey",
        "OneToOneField",
        "PositiveSmallIntegerField",
        "PositiveIntegerField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "AutoField",
        "BigAutoField",
    }:
        return None
    if internal == "DateField":
        return connection.ops.adapt_datefield_value
    return partial(field.get_db_prep_save, connection=connection)


def _prepared(fields: list, rows: Iterable[tuple]) -> list[tuple]:
    adapters = [_adapter(f) for f in fields]
    if not any(adapters):
        return list(rows)
    pairs = list(enumerate(adapters))
    return [
        tuple(a(row[i]) if a is not None and row[i] is not None else row[i] for i, a in pairs)
        for row in rows
    ]


def _insert(model, names: list[str], rows: list[tuple]) -> None:
    """INSERT many rows without building a model instance per row (the import's costliest
    part otherwise). `names` are field names; rows hold Python values. PostgreSQL takes them
    through COPY; elsewhere (SQLite) one prepared statement runs over all rows."""
    if not rows:
        return
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in names]
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    prepared = _prepared(fields, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
            prepared,
        )


def _update(model, names: list[str], rows: list[tuple]) -> None:
    """UPDATE many rows by primary key; each row is (value, …, pk). PostgreSQL copies the
    rows into a temporary table and updates from it in one statement; elsewhere one
    prepared statement runs over all rows."""
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in names]
    pk = ops.quote_name(model._meta.pk.column)
    prepared = _prepared([*fields, model._meta.pk], rows)
    quoted = [ops.quote_name(f.column) for f in fields]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{c} = %s" for c in quoted)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", prepared)  # noqa: S608
            return
        scratch = ops.quote_name("roster_update")
        columns = ", ".join([*quoted, pk])
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {scratch} ({columns}) FROM STDIN") as copy:
            for row in prepared:
                copy.write_row(row)
        sets = ", ".join(f"{c} = s.{c}" for c in quoted)
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM {scratch} s WHERE {table}.{pk} = s.{pk}"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {scratch}")


class _Holder:
    """Takes the values Cadre's id_number and mobile setters compute (cipher text, blind
    index, masked copy) without building a model instance."""


class _Writer:
    """Collects the bulk writes of one import."""

    def __init__(self, by: User | None):
        self.by = by
        self.now = timezone.now()
        self.new: list[tuple[dict, CadreData]] = []
        self.changed: dict[tuple[str, ...], list[Cadre]] = defaultdict(list)
        self.replace_resume: dict[int, list] = {}
        self.replace_annual: dict[int, list] = {}
        self.replace_tags: dict[int, list[ExpertiseTag]] = {}
        self.entries: list[dict] = []
        self.masked = _tracked_spec().masked
        self.defaults = {f.attname: f.get_default() for f in _CADRE_FIELDS}


def _current_related(cadre_ids: list[int], rows: list[RowResult]):
    resume: dict[int, list] = defaultdict(list)
    annual: dict[int, list] = defaultdict(list)
    tags: dict[int, set[int]] = defaultdict(set)
    need_resume = any(r.data.resume is not None for r in rows)
    need_annual = any(r.data.annual is not None for r in rows)
    need_tags = any(r.data.tags is not None for r in rows)
    through = Cadre.tags.through
    for batch in _batches(cadre_ids, 500):
        if need_resume:
            for cadre_id, start, end, content in (
                ResumeEntry.objects.filter(cadre_id__in=batch)
                .order_by("cadre_id", "sort", "start", "pk")
                .values_list("cadre_id", "start", "end", "content")
            ):
                resume[cadre_id].append((start, end, content))
        if need_annual:
            for cadre_id, year, result in AnnualAssessment.objects.filter(
                cadre_id__in=batch
            ).values_list("cadre_id", "year", "result"):
                annual[cadre_id].append((year, result))
        if need_tags:
            for cadre_id, tag_id in through.objects.filter(cadre_id__in=batch).values_list(
                "cadre_id", "expertisetag_id"
            ):
                tags[cadre_id].add(tag_id)
    return resume, annual, tags


def run_import(
    report: Report, *, by: User | None, valid_only: bool = False, dry_run: bool = False
) -> Summary:
    """Write a checked report: `importing.apply` in bulk. Without `valid_only` a report with
    any bad row writes nothing. With `dry_run` the summary is computed and nothing written.
    `by=None` is a trusted system caller."""
    _refuse_if_unusable(report, valid_only)
    try:
        with _gc_paused(), transaction.atomic():
            return _run(report, by=by, dry_run=dry_run)
    except IntegrityError as exc:  # someone saved one of these ID numbers meanwhile
        raise ImportRefused("导入期间数据被他人修改，未导入任何数据，请重新检查后再导入。") from exc


def _run(report: Report, *, by: User | None, dry_run: bool) -> Summary:
    rows = report.valid_rows
    summary = Summary(skipped=len(report.invalid_rows))
    add_scope = scope_for(by, "cadres.add_cadre") if by is not None else None
    change_scope = scope_for(by, "cadres.change_cadre") if by is not None else None

    hashes: dict[str, RowResult] = {}
    for row in rows:
        problems = [] if getattr(row, "_validated", False) else validate(row.data)
        if problems:  # a report assembled elsewhere, or rules changed since the check
            raise ImportRefused(f"{row.where}：" + "；".join(reason for _f, reason in problems))
        key = Cadre.hash_id_number(row.data.id_number)
        if key in hashes:
            raise ImportRefused(f"{row.where}：身份证号与{hashes[key].where}重复")
        hashes[key] = row
    existing: dict[str, Cadre] = {}
    for batch in _batches(list(hashes), 500):
        qs = Cadre.objects.filter(id_number_hash__in=batch).select_related("unit")
        if not dry_run:
            qs = qs.select_for_update(of=("self",))
        existing.update((c.id_number_hash, c) for c in qs)
    resume_now, annual_now, tags_now = _current_related(
        [c.pk for c in existing.values()], [hashes[h] for h in existing]
    )
    tag_names = dict(ExpertiseTag.objects.values_list("pk", "name"))
    writer = _Writer(by)

    for key, row in hashes.items():
        data = row.data
        cadre = existing.get(key)
        if cadre is None:
            if add_scope is not None and not add_scope.covers_unit(data.unit):
                raise ImportRefused(f"{row.where}：无权在“{data.unit.name}”新增干部")
            summary.created += 1
            if not dry_run:
                writer.new.append((_new_values(data, writer), data))
            continue
        if change_scope is not None and not (
            change_scope.covers_unit(cadre.unit) and change_scope.covers_unit(data.unit)
        ):
            raise ImportRefused(f"{row.where}：无权修改该干部所在单位的记录")
        changed = _apply_changes(cadre, data, writer, resume_now, annual_now, tags_now, tag_names)
        if changed:
            summary.updated += 1
        else:
            summary.unchanged += 1
    if not dry_run:
        _write(writer)
    return summary


def _new_values(data: CadreData, writer: _Writer) -> dict:
    """A new cadre's column values by attribute name (what Cadre.save() would store)."""
    values = dict(writer.defaults)
    for name in SCALAR_FIELDS:
        if name in data.values:
            values[name] = data.values[name]
    values["name_initials"] = normalise.pinyin_initials(values["name"])
    values["unit_id"] = data.unit.pk
    values["rank_id"] = data.rank.pk if data.rank else None
    holder = _Holder()
    Cadre.id_number.fset(holder, data.id_number)
    if data.mobile is not None:
        Cadre.mobile.fset(holder, data.mobile)
    values.update(vars(holder))
    values["created_at"] = values["updated_at"] = writer.now
    return values


def _apply_changes(cadre, data, writer, resume_now, annual_now, tags_now, tag_names) -> bool:
    """Set what differs on `cadre` and queue its writes and audit entry; False when the row
    changes nothing (the same comparisons as services.cadre_save)."""
    changes: dict = {}
    fields: list[str] = []
    masked = writer.masked

    def put(name: str, attname: str, value) -> None:
        old = getattr(cadre, attname)
        if old != value:
            setattr(cadre, attname, value)
            changes[name] = [_shown(old, name, masked), _shown(value, name, masked)]
            fields.append(name)

    for name in SCALAR_FIELDS:
        if name in data.values:
            put(name, name, data.values[name])
    if "name" in fields:
        put("name_initials", "name_initials", normalise.pinyin_initials(cadre.name))
    put("unit", "unit_id", data.unit.pk)
    put("rank", "rank_id", data.rank.pk if data.rank else None)
    if data.mobile is not None and cadre.mobile != data.mobile:
        before = (cadre.mobile_encrypted, cadre.mobile_masked)
        cadre.mobile = data.mobile
        for name, old in zip(("mobile_encrypted", "mobile_masked"), before, strict=True):
            if old != getattr(cadre, name):
                changes[name] = [
                    _shown(old, name, masked),
                    _shown(getattr(cadre, name), name, masked),
                ]
                fields.append(name)
    if fields:
        changes["updated_at"] = [
            _shown(cadre.updated_at, "updated_at", masked),
            _shown(writer.now, "updated_at", masked),
        ]
        cadre.updated_at = writer.now
        fields.append("updated_at")
        writer.changed[tuple(fields)].append(cadre)

    if data.tags is not None:
        current = tags_now.get(cadre.pk, set())
        wanted = {t.pk for t in data.tags}
        if current != wanted:
            writer.replace_tags[cadre.pk] = data.tags
            changes["tags"] = [
                sorted(tag_names.get(pk, str(pk)) for pk in current),
                sorted(t.name for t in data.tags),
            ]
    if data.resume is not None:
        current = resume_now.get(cadre.pk, [])
        if current != list(data.resume):
            writer.replace_resume[cadre.pk] = list(data.resume)
            changes["resume"] = [
                normalise.format_resume(current),
                normalise.format_resume(data.resume),
            ]
    if data.annual is not None:
        current = sorted(annual_now.get(cadre.pk, []))
        if current != sorted(data.annual):
            writer.replace_annual[cadre.pk] = list(data.annual)
            changes["annual_results"] = [dict(current), dict(sorted(data.annual))]
    if not changes:
        return False
    writer.entries.append(
        {"action": AuditEntry.Action.UPDATE, "obj": cadre, "changes": changes, "actor": writer.by}
    )
    return True


def _write(writer: _Writer) -> None:
    masked = writer.masked
    # New cadres: raw INSERTs, then their keys read back by blind index.
    attnames = [f.attname for f in _CADRE_FIELDS]
    _insert(
        Cadre,
        [f.name for f in _CADRE_FIELDS],
        [tuple(values[a] for a in attnames) for values, _data in writer.new],
    )
    pks: dict[str, int] = {}
    for batch in _batches([values["id_number_hash"] for values, _data in writer.new], 500):
        pks.update(
            Cadre.objects.filter(id_number_hash__in=batch).values_list("id_number_hash", "pk")
        )
    exclude = _tracked_spec().exclude
    shown_fields = [(f.name, f.attname) for f in _CADRE_FIELDS if f.name not in exclude]
    created_entries = []
    for values, data in writer.new:
        pk = pks[values["id_number_hash"]]
        changes = {"id": [None, pk]}
        for name, attname in shown_fields:
            value = values[attname]
            if value not in (None, ""):
                changes[name] = [None, _shown(value, name, masked)]
        if data.tags:
            writer.replace_tags[pk] = data.tags
            changes["tags"] = [None, sorted(t.name for t in data.tags)]
        if data.resume:
            writer.replace_resume[pk] = list(data.resume)
            changes["resume"] = [None, normalise.format_resume(data.resume)]
        if data.annual:
            writer.replace_annual[pk] = list(data.annual)
            changes["annual_results"] = [None, dict(sorted(data.annual))]
        created_entries.append(
            {
                "action": AuditEntry.Action.CREATE,
                "object_type": "cadres.cadre",
                "object_id": pk,
                "object_repr": values["name"],
                "changes": changes,
                "actor": writer.by,
            }
        )
    new_ids = set(pks.values())

    # Changed cadres: one UPDATE statement per set of changed columns.
    for names, cadres in writer.changed.items():
        attrs = [Cadre._meta.get_field(n).attname for n in names]
        _update(Cadre, list(names), [(*(getattr(c, a) for a in attrs), c.pk) for c in cadres])
    # Every existing cadre the import changed gets a new version, so a profile form opened
    # before the import is refused rather than overwriting it (core/versioning.py).
    touched = {c.pk for cadres in writer.changed.values() for c in cadres}
    touched |= set(writer.replace_resume) | set(writer.replace_annual) | set(writer.replace_tags)
    for batch in _batches(sorted(touched - new_ids), 500):
        Cadre.objects.filter(pk__in=batch).update(**versioning.BUMP)

    # Related rows are replaced wholesale for the cadres whose lists changed. The old rows go
    # without per-row delete signals: the cadre's audit entry records before and after.
    for model, replace in (
        (ResumeEntry, writer.replace_resume),
        (AnnualAssessment, writer.replace_annual),
        (Cadre.tags.through, writer.replace_tags),
    ):
        stale = [pk for pk in replace if pk not in new_ids]
        for batch in _batches(stale, 500):
            qs = model.objects.filter(cadre_id__in=batch)
            qs._raw_delete(qs.db)
    _insert(
        ResumeEntry,
        ["cadre", "start", "end", "content", "sort"],
        [
            (pk, s, e, c, i)
            for pk, entries in writer.replace_resume.items()
            for i, (s, e, c) in enumerate(entries)
        ],
    )
    _insert(
        AnnualAssessment,
        ["cadre", "year", "result", "source"],
        [(pk, y, r, "录入") for pk, results in writer.replace_annual.items() for y, r in results],
    )
    _insert(
        Cadre.tags.through,
        ["cadre", "expertisetag"],
        [(pk, t.pk) for pk, tags in writer.replace_tags.items() for t in tags],
    )
    audit.record_many(created_entries + writer.entries)


# --- export ------------------------------------------------------------------------------------


def _annual_text(cadre: Cadre, results: list[tuple[int, str]]) -> str:
    results = sorted(results)
    if cadre.assessment_text and normalise.parse_annual_results(cadre.assessment_text) == results:
        return cadre.assessment_text  # the wording it was imported with
    return normalise.format_annual_results(results)


def _export_values(cadre: Cadre, reveal: bool, related: dict) -> list[str]:
    values = []
    for col in COLUMNS:
        key = col.key
        if key == "unit":
            value = cadre.unit.name
        elif key == "rank":
            value = cadre.rank.name if cadre.rank else ""
        elif key == "id_number":
            value = cadre.id_number if reveal else cadre.id_masked
        elif key == "mobile":
            value = cadre.mobile if reveal else cadre.mobile_masked
        elif key == "tags":
            value = "、".join(related["tags"].get(cadre.pk, ()))
        elif key == "resume":
            value = normalise.format_resume(related["resume"].get(cadre.pk, ()))
        elif key == "annual":
            value = _annual_text(cadre, related["annual"].get(cadre.pk, []))
        else:
            value = getattr(cadre, key)
            if isinstance(value, date):
                value = normalise.format_year_month(value)
        values.append(audit.csv_safe(value))
    return values


def _export_rows(queryset, reveal: bool) -> Iterator[list[str]]:
    """Cadres 1,000 at a time, with their tags, résumé and annual results read for each
    thousand in one query apiece (as plain tuples: the export needs no model instances)."""
    cadres = queryset.select_related("unit", "rank").iterator(chunk_size=1000)
    while chunk := list(islice(cadres, 1000)):
        ids = [c.pk for c in chunk]
        related: dict[str, dict[int, list]] = {"tags": {}, "resume": {}, "annual": {}}
        for cadre_id, name in (
            Cadre.tags.through.objects.filter(cadre_id__in=ids)
            .order_by("cadre_id", "expertisetag__category", "expertisetag__name")
            .values_list("cadre_id", "expertisetag__name")
        ):
            related["tags"].setdefault(cadre_id, []).append(name)
        for cadre_id, *entry in (
            ResumeEntry.objects.filter(cadre_id__in=ids)
            .order_by("cadre_id", "sort", "start", "pk")
            .values_list("cadre_id", "start", "end", "content")
        ):
            related["resume"].setdefault(cadre_id, []).append(tuple(entry))
        for cadre_id, *result in AnnualAssessment.objects.filter(cadre_id__in=ids).values_list(
            "cadre_id", "year", "result"
        ):
            related["annual"].setdefault(cadre_id, []).append(tuple(result))
        for cadre in chunk:
            yield _export_values(cadre, reveal, related)


def export_xlsx(queryset, *, reveal: bool) -> bytes:
    """The cadres in the roster's columns (an exported file imports back as it is when
    `reveal`); ID and mobile numbers masked unless `reveal`. Written row by row."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from guazhi.core import xlsx

    wb = Workbook(write_only=True)
    ws = xlsx.sheet(wb, SHEET_NAME, [(col.title, col.width) for col in COLUMNS])
    for values in _export_rows(queryset, reveal):
        # Empty cells are left out of the sheet (None), the rest cleared of the control
        # characters a worksheet cannot hold.
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if v else None for v in values])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv(queryset, *, reveal: bool) -> Iterator[str]:
    """The same columns as CSV (UTF-8 with a BOM, so Excel shows the Chinese), streamed."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([col.title for col in COLUMNS])
    for values in _export_rows(queryset, reveal):
        yield writer.writerow(values)
