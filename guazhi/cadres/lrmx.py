"""干部任免审批表 electronic files (.lrmx, version 3.x): a strict writer and a lenient reader.

The format (see docs ../shared/formats/lrmx.md) is UTF-8 XML with the root ``<Person>`` and
flat child elements named by the pinyin of the form's labels. The writer produces exactly the
documented elements; the reader ignores unknown elements, accepts missing ones, trims spaces
and invisible characters, accepts yyyyMM, yyyyMMdd and yyyy.MM dates, a UTF-8 byte order mark
and GBK-encoded files that declare their encoding.

guazhi's extension elements
---------------------------
The paper form lacks a few things guazhi keeps; the writer adds them as extra root children so
a file exported from guazhi imports back as the same record. Other readers ignore unknown
elements, and the reader here uses them only when present:

``<ShouJiHao>``          手机号 (the decrypted mobile number; empty when none).
``<ZhengZhiMianMao>``    政治面貌 (the form only shows it through 入党时间).
``<ZhiJi>``              职级 (a ``Rank`` name; empty when none).
``<NianDuKaoHeMingXi>``  the structured annual results, written as ``2021年年度考核为优秀；
                         2022、2023年年度考核均为称职。`` (``normalise.parse_annual_results``
                         reads it back); when present it is the source of the results.
``<NianDuKaoHeYuanWen>`` the original 年度考核结果 text (``Cadre.assessment_text``, empty when
                         none); when present it is taken as ``assessment_text`` verbatim.
                         ``<NianDuKaoHeJieGuo>`` itself holds this text, or the generated one
                         when there is none.

Reading rules worth knowing
---------------------------
- An element that is missing leaves the field as it is (for a new cadre: the model default);
  an element that is present but empty clears it. A missing or empty 性别 or 出生年月 is
  taken from the ID number.
- 入党时间 may hold a party name (民盟, 九三学社 …) or "1998.07 民盟": the name goes to 政治
  面貌. Without ``<ZhengZhiMianMao>`` and without any 入党时间, a new cadre's 政治面貌 is left
  blank rather than defaulting to 中共党员.
- 简历 is read by ``normalise.parse_resume`` (lines that do not start with a year continue the
  entry above: the form wraps long entries and puts "（其间：…）" on its own line).
- 呈报单位 is matched against the names and short names of the units the importing user may
  add cadres in; no match means the default unit chosen by the user.
- 年度考核结果 replaces the stored per-year results only when its text yields some (free
  wording the parser cannot read is kept as text only). ``<ZhiJi>`` missing keeps an
  existing cadre's rank. Photos (``<ZhaoPian>``) and family
  members are not stored and are ignored.

Uploads are a single .lrmx file or a .zip of them (folders allowed). Zip bombs and path tricks
are refused; nothing is ever extracted to disk.
"""

from __future__ import annotations

import contextlib
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsing guarded, see _parse_xml
import zipfile
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from guazhi.core.access import scope_for, units_for
from guazhi.core.models import OrgUnit

from . import importing, normalise
from .models import Cadre, Rank
from .services import SCALAR_FIELDS, CadreData, validate

VERSION = "3.2.1.6"

MAX_MEMBERS = 500
MAX_MEMBER_SIZE = 5 * 1024 * 1024
MAX_TOTAL_SIZE = 50 * 1024 * 1024
_CHUNK = 64 * 1024

# Party statuses whose 入党时间 is a date; the form shows other statuses in that cell.
_CPC = {"中共党员", "中共预备党员"}
_NOT_SHOWN_IN_PARTY_CELL = _CPC | {"群众", "共青团员"}

# (element, label, model field) for the plain text fields, in the form's order.
_TEXT_FIELDS = [
    ("XingMing", "姓名", "name"),
    ("JiGuan", "籍贯", "native_place"),
    ("ChuShengDi", "出生地", "birthplace"),
    ("JianKangZhuangKuang", "健康状况", "health"),
    ("ZhuanYeJiShuZhiWu", "专业技术职务", "professional_title"),
    ("ShuXiZhuanYeYouHeZhuanChang", "熟悉专业有何专长", "specialty"),
    ("QuanRiZhiJiaoYu_XueLi", "全日制学历", "fulltime_education"),
    ("QuanRiZhiJiaoYu_XueWei", "全日制学位", "fulltime_degree"),
    ("ZaiZhiJiaoYu_XueLi", "在职学历", "inservice_education"),
    ("ZaiZhiJiaoYu_XueWei", "在职学位", "inservice_degree"),
    ("XianRenZhiWu", "现任职务", "current_post"),
    ("JiangChengQingKuang", "奖惩情况", "rewards"),
]
# 毕业院校系及专业: guazhi keeps one per kind of education; files may fill either line.
_SCHOOL_FIELDS = [
    (
        "QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi",
        "QuanRiZhiJiaoYu_XueWei_BiYeYuanXiaoXi",
        "全日制毕业院校系及专业",
        "fulltime_school",
    ),
    (
        "ZaiZhiJiaoYu_XueLi_BiYeYuanXiaoXi",
        "ZaiZhiJiaoYu_XueWei_BiYeYuanXiaoXi",
        "在职毕业院校系及专业",
        "inservice_school",
    ),
]
_MULTILINE = {"rewards", "specialty"}

# Where services.validate() field names point in the file (for error messages).
_FIELD_ELEMENT = {
    "name": ("姓名", "XingMing"),
    "gender": ("性别", "XingBie"),
    "birth": ("出生年月", "ChuShengNianYue"),
    "party_join": ("入党时间", "RuDangShiJian"),
    "work_start": ("参加工作时间", "CanJiaGongZuoShiJian"),
    "resume": ("简历", "JianLi"),
    "id_number": ("身份证号", "ShenFenZheng"),
}


class UploadRefused(ValueError):
    """The upload as a whole cannot be used; str(exc) says why in Chinese."""


# --- writing -----------------------------------------------------------------------------------

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean_out(value) -> str:
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _XML_INVALID.sub("", text)


def _ym(value: date | None) -> str:
    return value.strftime("%Y%m") if value else ""


def format_annual_results(results) -> str:
    """[(2021, 优秀), (2022, 称职), (2023, 称职)] → '2021年年度考核为优秀；2022、2023年年度考核均为
    称职。' — the 任免审批表 wording, in a form normalise.parse_annual_results reads back."""
    by_result: dict[str, list[int]] = {}
    for year, result in sorted(results):
        by_result.setdefault(result, []).append(year)
    parts = []
    for result, years in by_result.items():
        if len(years) > 1:
            parts.append(f"{'、'.join(str(y) for y in years)}年年度考核均为{result}")
        else:
            parts.append(f"{years[0]}年年度考核为{result}")
    return "；".join(parts) + "。" if parts else ""


def export_lrmx(cadre: Cadre) -> bytes:
    """The cadre as a .lrmx v3 file (UTF-8 XML). Contains the full ID number and mobile:
    callers check the export permission and audit the export."""
    annual = [(a.year, a.result) for a in cadre.annual_results.all()]
    generated = format_annual_results(annual)
    resume = [(e.start, e.end, e.content) for e in cadre.resume.all()]
    status = cadre.political_status or ""
    if cadre.party_join:
        party_cell = _ym(cadre.party_join)
    elif status not in _NOT_SHOWN_IN_PARTY_CELL:
        party_cell = status
    else:
        party_cell = ""
    today = timezone.localdate()

    elements = [
        ("XingMing", cadre.name),
        ("XingBie", cadre.gender),
        ("ChuShengNianYue", _ym(cadre.birth)),
        ("MinZu", cadre.ethnicity),
        ("JiGuan", cadre.native_place),
        ("ChuShengDi", cadre.birthplace),
        ("RuDangShiJian", party_cell),
        ("CanJiaGongZuoShiJian", _ym(cadre.work_start)),
        ("JianKangZhuangKuang", cadre.health),
        ("ZhuanYeJiShuZhiWu", cadre.professional_title),
        ("ShuXiZhuanYeYouHeZhuanChang", cadre.specialty),
        ("QuanRiZhiJiaoYu_XueLi", cadre.fulltime_education),
        ("QuanRiZhiJiaoYu_XueWei", cadre.fulltime_degree),
        ("QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi", cadre.fulltime_school),
        ("QuanRiZhiJiaoYu_XueWei_BiYeYuanXiaoXi", ""),
        ("ZaiZhiJiaoYu_XueLi", cadre.inservice_education),
        ("ZaiZhiJiaoYu_XueWei", cadre.inservice_degree),
        ("ZaiZhiJiaoYu_XueLi_BiYeYuanXiaoXi", cadre.inservice_school),
        ("ZaiZhiJiaoYu_XueWei_BiYeYuanXiaoXi", ""),
        ("XianRenZhiWu", cadre.current_post),
        ("NiRenZhiWu", ""),
        ("NiMianZhiWu", ""),
        ("JianLi", normalise.format_resume(resume)),
        ("JiangChengQingKuang", cadre.rewards),
        ("NianDuKaoHeJieGuo", cadre.assessment_text or generated),
        ("RenMianLiYou", ""),
        ("JiaTingChengYuan", ""),
        ("ChengBaoDanWei", cadre.unit.name),
        ("JiSuanNianLingShiJian", today.strftime("%Y%m%d")),
        ("TianBiaoShiJian", today.strftime("%Y%m%d")),
        ("TianBiaoRen", ""),
        ("ShenFenZheng", cadre.id_number),
        ("Version", VERSION),
        # guazhi's extension elements (see the module docstring)
        ("ShouJiHao", cadre.mobile),
        ("ZhengZhiMianMao", status),
        ("ZhiJi", cadre.rank.name if cadre.rank_id else ""),
        ("NianDuKaoHeMingXi", generated),
        ("NianDuKaoHeYuanWen", cadre.assessment_text),
    ]
    root = ET.Element("Person")
    for tag, value in elements:
        ET.SubElement(root, tag).text = _clean_out(value)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def export_filename(cadre: Cadre) -> str:
    return f"{cadre.name}.lrmx"


# --- reading one file -----------------------------------------------------------------------------

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202f\u2060\ufeff\xa0\u3000\t]")
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "utf-16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "big5": "big5",
}


class _FileError(Exception):
    pass


def _decode(data: bytes) -> str:
    """Bytes to text without letting the XML parser choose the encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    match = _DECLARED.match(data[:200])
    declared = match.group(1).decode("ascii").lower() if match else "utf-8"
    encoding = _ENCODINGS.get(declared)
    if encoding is None:
        raise _FileError(f"不支持的文件编码“{declared}”，请保存为 UTF-8 或 GBK")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        pass
    # Mislabelled files are common: GBK content declared (or not declared) as UTF-8.
    for fallback in ("utf-8", "gb18030"):
        if fallback != encoding:
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
    raise _FileError("无法识别文件编码，请保存为 UTF-8 或 GBK")


def _parse_xml(data: bytes) -> ET.Element:
    text = _decode(data).lstrip("\ufeff")
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise _FileError("文件含有 DTD 或实体声明（<!DOCTYPE / <!ENTITY），出于安全原因拒绝读取")
    text = _DECLARATION.sub("", text, count=1)
    try:
        # Safe: the text was decoded above (the parser cannot pick another encoding) and
        # holds no DTD, so there are no entity declarations to expand or fetch.
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise _FileError(f"不是有效的 XML 文件（第 {line} 行附近格式错误）") from None
    if _local(root.tag).lower() != "person":
        raise _FileError(f"根元素应为 Person，实际为 {_local(root.tag)}，不是任免审批表文件")
    return root


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _elements(root: ET.Element) -> dict[str, str]:
    """Direct children of <Person> by lower-cased local name (first occurrence wins)."""
    found: dict[str, str] = {}
    for child in root:
        name = _local(child.tag).lower()
        if name and name not in found:
            found[name] = "".join(child.itertext())
    return found


def _trim(value: str, *, multiline: bool = False) -> str:
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub(" ", text)
    if multiline:
        return "\n".join(line.rstrip() for line in text.strip().split("\n"))
    return " ".join(text.split())


_CJK = re.compile(r"[\u3400-\u9fff]")


def _clean_name(value: str) -> str:
    """'张　三' (padded to line up with three-character names) → '张三'."""
    text = _trim(value)
    return re.sub(r"\s+", "", text) if _CJK.search(text) else text


_PARTY_WITH_DATE = re.compile(r"^(?P<date>\d{4}\s*[.\-/年]?\s*\d{1,2}\s*月?)\s*(?P<name>\D+)$")
_NO_PARTY = {"", "无", "/", "-", "—"}


@dataclass
class _Reader:
    where: str
    elements: dict[str, str]
    errors: list[str] = field(default_factory=list)

    def has(self, element: str) -> bool:
        return element.lower() in self.elements

    def raw(self, element: str) -> str:
        return self.elements.get(element.lower(), "")

    def error(self, label: str, element: str, reason: str) -> None:
        self.errors.append(f"{self.where} {label}({element}): {reason}")

    def date(self, element: str, label: str) -> date | None:
        try:
            return normalise.parse_year_month(_trim(self.raw(element)), field=label)
        except normalise.Invalid as exc:
            self.error(label, element, str(exc))
            return None


def _max_length(name: str) -> int | None:
    return Cadre._meta.get_field(name).max_length


def parse_lrmx(data: bytes, *, where: str, by, default_unit: OrgUnit | None) -> importing.RowResult:
    """Read one .lrmx file into a checked row. Errors are sentences naming the file and the
    element: "张三.lrmx 出生年月(ChuShengNianYue): …"."""
    try:
        root = _parse_xml(data)
    except _FileError as exc:
        return importing.RowResult(where=where, data=None, errors=[f"{where}: {exc}"])
    r = _Reader(where, _elements(root))
    values: dict = {}

    # identity first: the ID number fills in a missing gender or birth month
    id_number = ""
    if not _trim(r.raw("ShenFenZheng")):
        r.error("身份证号", "ShenFenZheng", "身份证号不能为空")
    else:
        try:
            id_number = normalise.normalise_id_number(r.raw("ShenFenZheng"))
        except normalise.Invalid as exc:
            r.error("身份证号", "ShenFenZheng", str(exc))

    for element, _label, name in _TEXT_FIELDS:
        if not r.has(element):
            continue
        if name == "name":
            text = _clean_name(r.raw(element))
        else:
            text = _trim(r.raw(element), multiline=name in _MULTILINE)
        values[name] = text
    for element, alternative, _label, name in _SCHOOL_FIELDS:
        if r.has(element) or r.has(alternative):
            values[name] = _trim(r.raw(element)) or _trim(r.raw(alternative))

    gender_text = _trim(r.raw("XingBie"))
    if gender_text:
        try:
            values["gender"] = normalise.normalise_gender(gender_text)
        except normalise.Invalid as exc:
            r.error("性别", "XingBie", str(exc))
    elif id_number:
        values["gender"] = normalise.gender_from_id(id_number)

    if r.has("MinZu"):
        try:
            values["ethnicity"] = normalise.normalise_ethnicity(r.raw("MinZu"))
        except normalise.Invalid as exc:
            r.error("民族", "MinZu", str(exc))

    if _trim(r.raw("ChuShengNianYue")):
        birth = r.date("ChuShengNianYue", "出生年月")
        if birth:
            values["birth"] = birth
    elif id_number:
        born = normalise.birth_from_id(id_number)
        values["birth"] = date(born.year, born.month, 1)
    if r.has("CanJiaGongZuoShiJian"):
        values["work_start"] = r.date("CanJiaGongZuoShiJian", "参加工作时间")

    party_name = _read_party_cell(r, values)
    if r.has("ZhengZhiMianMao"):
        values["political_status"] = _trim(r.raw("ZhengZhiMianMao"))
    elif party_name:
        values["political_status"] = party_name

    resume = None
    if r.has("JianLi"):
        try:
            resume = normalise.parse_resume(r.raw("JianLi").replace("\r\n", "\n"))
        except normalise.Invalid as exc:
            r.error("简历", "JianLi", str(exc))

    annual = None
    if r.has("NianDuKaoHeYuanWen"):
        values["assessment_text"] = _trim(r.raw("NianDuKaoHeYuanWen"), multiline=True)
    elif r.has("NianDuKaoHeJieGuo"):
        values["assessment_text"] = _trim(r.raw("NianDuKaoHeJieGuo"), multiline=True)
    if r.has("NianDuKaoHeMingXi"):
        annual = normalise.parse_annual_results(r.raw("NianDuKaoHeMingXi"))
    elif _trim(r.raw("NianDuKaoHeJieGuo")):
        # wording the parser cannot read leaves the stored results alone
        annual = normalise.parse_annual_results(r.raw("NianDuKaoHeJieGuo")) or None

    mobile = None
    if r.has("ShouJiHao"):
        try:
            mobile = normalise.normalise_mobile(r.raw("ShouJiHao"))
        except normalise.Invalid as exc:
            r.error("手机号", "ShouJiHao", str(exc))

    for name in list(values):
        limit = _max_length(name) if name in SCALAR_FIELDS else None
        if limit and isinstance(values[name], str) and len(values[name]) > limit:
            label, element = _label_of(name)
            r.error(label, element, f"内容超过 {limit} 个字")

    existing = None
    if id_number:
        existing = (
            Cadre.objects.select_related("unit", "rank")
            .filter(id_number_hash=Cadre.hash_id_number(id_number))
            .first()
        )

    rank = existing.rank if existing else None
    if r.has("ZhiJi"):
        rank_name = _trim(r.raw("ZhiJi"))
        rank = None
        if rank_name:
            rank = Rank.objects.filter(name=rank_name).first()
            if rank is None:
                r.error("职级", "ZhiJi", f"职级“{rank_name}”不在职级列表中")

    if existing is None and "political_status" not in values and not values.get("party_join"):
        values["political_status"] = ""  # unknown rather than the model's default 中共党员

    unit = _match_unit(r, by, default_unit)
    if (
        existing is not None
        and by is not None
        and not scope_for(by, "cadres.change_cadre").covers_unit(existing.unit)
    ):
        r.error("身份证号", "ShenFenZheng", "该身份证号的干部已登记在您无权修改的单位，不能导入")
        unit = None
    if unit is not None and by is not None:
        perm = "cadres.change_cadre" if existing else "cadres.add_cadre"
        if not scope_for(by, perm).covers_unit(unit):
            r.error("呈报单位", "ChengBaoDanWei", f"您无权在“{unit.name}”登记或修改干部")

    if existing is not None and "name" not in values:
        values["name"] = existing.name  # a missing 姓名 keeps the stored one
    name = values.get("name", "")
    if not id_number or unit is None:
        return importing.RowResult(where=where, data=None, errors=r.errors, name=name)

    cadre_data = CadreData(
        id_number=id_number,
        unit=unit,
        values=values,
        rank=rank,
        mobile=mobile,
        tags=None,
        resume=resume,
        annual=annual,
    )
    reported = {e.split(": ", 1)[0] for e in r.errors}
    for problem_field, reason in validate(cadre_data):
        label, element = _label_of(problem_field)
        prefix = f"{where} {label}({element})"
        if prefix not in reported:  # one message per element: the first says it
            r.error(label, element, reason)
    return importing.RowResult(where=where, data=cadre_data, errors=r.errors, name=name)


def _label_of(name: str) -> tuple[str, str]:
    if name in _FIELD_ELEMENT:
        return _FIELD_ELEMENT[name]
    for element, label, field_name in _TEXT_FIELDS:
        if field_name == name:
            return label, element
    for element, _alt, label, field_name in _SCHOOL_FIELDS:
        if field_name == name:
            return label, element
    if name == "political_status":
        return "政治面貌", "ZhengZhiMianMao"  # (or the party name written in RuDangShiJian)
    if name == "assessment_text":
        return "年度考核结果", "NianDuKaoHeJieGuo"
    if name == "ethnicity":
        return "民族", "MinZu"
    return name, name


def _read_party_cell(r: _Reader, values: dict) -> str:
    """入党时间: a year and month, a party name, or both. Returns the party name, if any."""
    if not r.has("RuDangShiJian"):
        return ""
    text = _trim(r.raw("RuDangShiJian"))
    if text in _NO_PARTY:
        values["party_join"] = None
        return ""
    if not re.search(r"\d", text):
        values["party_join"] = None
        return text
    match = _PARTY_WITH_DATE.match(text)
    if match:
        try:
            values["party_join"] = normalise.parse_year_month(match.group("date"), field="入党时间")
        except normalise.Invalid as exc:
            r.error("入党时间", "RuDangShiJian", str(exc))
        return match.group("name").strip()
    values["party_join"] = r.date("RuDangShiJian", "入党时间")
    return ""


def _match_unit(r: _Reader, by, default_unit: OrgUnit | None) -> OrgUnit | None:
    wanted = re.sub(r"\s+", "", _trim(r.raw("ChengBaoDanWei")))
    if wanted:
        units = OrgUnit.objects.all() if by is None else units_for(by, "cadres.add_cadre")
        matches = list(units.filter(is_active=True).filter(name=wanted)) or list(
            units.filter(is_active=True).filter(short_name=wanted)
        )
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            if default_unit is not None and default_unit in matches:
                return default_unit
            r.error("呈报单位", "ChengBaoDanWei", f"“{wanted}”对应多个单位，请在导入时选择单位")
            return None
    if default_unit is None:
        r.error(
            "呈报单位",
            "ChengBaoDanWei",
            f"未找到单位“{wanted}”，且未选择默认单位" if wanted else "未填写，且未选择默认单位",
        )
    return default_unit


# --- uploads ------------------------------------------------------------------------------------


class UploadFiles(list):
    """The .lrmx files of an upload as (name, bytes) pairs, plus what was left out:
    `ignored` (folders, other kinds of file: for information) and `refused` (unsafe member
    names: the upload should not be imported)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.ignored: list[str] = []
        self.refused: list[str] = []


def _read_limited(fileobj, limit: int, what: str) -> bytes:
    if hasattr(fileobj, "seek"):
        with contextlib.suppress(OSError, ValueError):
            fileobj.seek(0)
    chunks, total = [], 0
    while True:
        chunk = fileobj.read(_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise UploadRefused(f"{what}超过 {limit // (1024 * 1024)} MB，未读取")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_lrmx(name: str) -> bool:
    return name.lower().endswith(".lrmx")


def _member_name(info: zipfile.ZipInfo) -> str:
    """Names written by Chinese Windows tools are GBK without the UTF-8 flag."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for encoding in ("utf-8", "gb18030"):  # some tools write UTF-8 without the flag
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode(encoding)
    return name


def _unsafe(name: str) -> bool:
    parts = re.split(r"[/\\]", name)
    return (
        name.startswith(("/", "\\"))
        or bool(re.match(r"^[A-Za-z]:", name))
        or ".." in parts
        or "\x00" in name
    )


def read_upload(fileobj, filename: str) -> UploadFiles:
    """A single .lrmx file, or a .zip of them (folders allowed), as [(name, bytes)].
    Raises UploadRefused (a ValueError) when the upload cannot be used at all."""
    base = re.split(r"[/\\]", filename or "")[-1]
    lower = base.lower()
    if _is_lrmx(lower):
        data = _read_limited(fileobj, MAX_MEMBER_SIZE, f"文件“{base}”")
        return UploadFiles([(base, data)])
    if not lower.endswith(".zip"):
        raise UploadRefused(f"“{base}”不是 .lrmx 文件或 .zip 压缩包，请上传任免审批表文件")
    raw = _read_limited(fileobj, MAX_TOTAL_SIZE, f"压缩包“{base}”")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise UploadRefused(f"“{base}”不是有效的 zip 压缩包") from None
    if len(infos) > MAX_MEMBERS:
        raise UploadRefused(
            f"压缩包中有 {len(infos)} 个文件，超过 {MAX_MEMBERS} 个的上限，请分批上传"
        )

    result = UploadFiles()
    wanted: list[tuple[zipfile.ZipInfo, str]] = []
    declared_total = 0
    for info in infos:
        name = _member_name(info)
        if _unsafe(name):
            result.refused.append(f"压缩包中的“{name}”使用了绝对路径或“..”，已拒绝")
            continue
        if info.is_dir():
            continue
        leaf = name.replace("\\", "/").rsplit("/", 1)[-1]
        if name.startswith("__MACOSX/") or leaf.startswith("._"):
            continue  # resource forks added by macOS
        if not _is_lrmx(leaf):
            result.ignored.append(f"压缩包中的“{name}”不是 .lrmx 文件，已忽略")
            continue
        if info.flag_bits & 0x1:
            raise UploadRefused(f"压缩包中的“{name}”已加密，无法读取，请上传未加密的压缩包")
        if info.file_size > MAX_MEMBER_SIZE:
            raise UploadRefused(
                f"压缩包中的“{name}”解压后超过 {MAX_MEMBER_SIZE // (1024 * 1024)} MB，"
                "不像任免审批表文件，已拒绝整个压缩包"
            )
        declared_total += info.file_size
        if declared_total > MAX_TOTAL_SIZE:
            raise UploadRefused(
                f"压缩包解压后超过 {MAX_TOTAL_SIZE // (1024 * 1024)} MB，已拒绝，请分批上传"
            )
        wanted.append((info, name))

    total = 0
    for info, name in wanted:
        chunks, size = [], 0
        try:
            with archive.open(info) as member:
                while True:
                    chunk = member.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    total += len(chunk)
                    if size > MAX_MEMBER_SIZE:
                        raise UploadRefused(
                            f"压缩包中的“{name}”解压后超过 "
                            f"{MAX_MEMBER_SIZE // (1024 * 1024)} MB，已拒绝整个压缩包"
                        )
                    if total > MAX_TOTAL_SIZE:
                        raise UploadRefused(
                            f"压缩包解压后超过 {MAX_TOTAL_SIZE // (1024 * 1024)} MB，已拒绝，"
                            "请分批上传"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
            raise UploadRefused(f"压缩包中的“{name}”已损坏或使用了不支持的压缩方式") from None
        result.append((name, b"".join(chunks)))
    return result


@dataclass
class LrmxReport(importing.Report):
    """importing.Report plus `notes`: members of the upload that were skipped (not errors)."""

    notes: list[str] = field(default_factory=list)


def check_upload(fileobj, filename: str, *, by, default_unit: OrgUnit | None) -> LrmxReport:
    """Check an upload without writing anything: one row per .lrmx file. Import it with
    importing.apply(report, by=…, valid_only=…)."""
    report = LrmxReport()
    try:
        files = read_upload(fileobj, filename)
    except UploadRefused as exc:
        report.file_errors.append(str(exc))
        return report
    report.file_errors.extend(files.refused)
    report.notes.extend(files.ignored)
    if not files:
        if not files.refused:
            report.file_errors.append("上传的文件中没有 .lrmx 任免审批表文件")
        return report
    seen: dict[str, str] = {}
    for name, data in files:
        row = parse_lrmx(data, where=name, by=by, default_unit=default_unit)
        if row.data is not None:
            first = seen.get(row.data.id_number)
            if first is None:
                seen[row.data.id_number] = name
            else:
                row.errors.append(
                    f"{name} 身份证号(ShenFenZheng): 与“{first}”中的身份证号相同，同一人只能导入一份"
                )
        report.rows.append(row)
    return report
