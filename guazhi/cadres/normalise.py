"""Normalisation and validation of the messy values real rosters contain.

Every function takes what a person typed (or what a spreadsheet cell holds) and returns the
clean value, or raises `Invalid` with a Chinese reason that names no row or column (the
caller adds where).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache

from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from . import codes


class Invalid(ValueError):
    """A value that cannot be normalised; str(exc) is the reason in Chinese."""


# One translation table: zero-width characters vanish; odd spaces (no-break, ideographic,
# line separators) become plain spaces; full-width letters, digits and the separators of
# dates (．－／～) become half-width. Chinese punctuation （），：；、 is left alone: it
# belongs in Chinese text.
_CLEAN = str.maketrans(
    {
        **{
            ord(c) + 0xFEE0: c
            for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-/~+@#&*"
        },
        **dict.fromkeys([*range(0x200B, 0x2010), *range(0x202A, 0x202F), 0x2060, 0xFEFF]),
        **dict.fromkeys([0xA0, 0x2028, 0x2029, 0x202F, 0x3000], " "),
    }
)


def clean_text(value) -> str:
    """Full-width letters and digits to half-width, invisible characters and surrounding
    spaces removed. None → ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if type(value) is str else str(value)
    if not text.isascii():  # (most cells are; they need no more than the strip)
        text = text.translate(_CLEAN)
    return text.strip()


def folded(value) -> str:
    """clean_text, then every compatibility character folded (NFKC: ：→:, （→(, ①→1):
    for values that are codes or numbers rather than prose."""
    text = clean_text(value)
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=8192)
def pinyin_initials(name: str) -> str:
    """王晓明 → wxm (for search by initials)."""
    # Imported here: pypinyin's dictionary takes about 55 MB, which every web worker would
    # carry from its start; only a worker that saves a cadre needs it (docs/benchmarks.md).
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="ignore")
    return "".join(letters).lower()[:30]


# --- dates -------------------------------------------------------------------------------------

_YM_PATTERNS = [
    # 1985.03 / 1985-3 / 1985/03 / 1985年3月 / 1985.03.15 / 1985年3月15日 / 1985-03-15 00:00:00
    re.compile(
        r"^(?P<y>\d{4})\s*[.\-/年。]\s*(?P<m>\d{1,2})\s*"
        r"(?:[.\-/月。]\s*(?P<d>\d{1,2})\s*日?)?\s*月?"
        r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
    ),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?$"),  # 198503 / 19850315
]
EXCEL_EPOCH = date(1899, 12, 30)


def parse_year_month(value, *, field: str = "日期") -> date | None:
    """1985.03 / 1985.3 / 1985-3 / 1985/03 / 1985年3月 / 198503 / 19850315 / an Excel date
    cell / an Excel serial number → date(1985, 3, 1). Empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_number(float(value), value, field)
    text = folded(value)
    if not text:
        return None
    for pattern in _YM_PATTERNS:
        match = pattern.match(text)
        if match:
            day = int(match.group("d")) if match.group("d") else None
            return _checked(int(match.group("y")), int(match.group("m")), field, text, day=day)
    if re.fullmatch(r"\d{4}\s*年?", text):
        raise Invalid(f"{field}“{text}”缺少月份，请写成 {text[:4]}.01 这样的年月")
    raise Invalid(f"{field}“{text}”无法识别，请写成 1985.03 或 1985年3月")


def _from_number(number: float, raw, field: str) -> date:
    """A number cell: 1985.03 (typed into a cell formatted as a number), 198503, 19850315,
    or an Excel serial date (days since 1899-12-30)."""
    shown = int(number) if number.is_integer() else raw
    if 1900 <= number < 2100:
        if number.is_integer():
            raise Invalid(f"{field}“{shown}”缺少月份，请写成 {shown}.01 这样的年月")
        # 1985.03 arrives as the float 1985.03; 1985.10 arrives as 1985.1 (October)
        month = round(number * 100) % 100
        if month == 0:
            raise Invalid(f"{field}“{raw}”无法识别，请写成 1985.03 或 1985年3月")
        return _checked(int(number), month, field, raw)
    if number.is_integer() and 190001 <= number <= 210012:
        return _checked(int(number) // 100, int(number) % 100, field, shown)
    if number.is_integer() and 19000101 <= number <= 21001231:
        n = int(number)
        return _checked(n // 10000, n // 100 % 100, field, shown, day=n % 100)
    if 1 <= number < 80000:  # an Excel serial date (a date cell read without its format)
        d = EXCEL_EPOCH + timedelta(days=int(number))
        return date(d.year, d.month, 1)
    raise Invalid(f"{field}“{shown}”无法识别，请写成 1985.03 或 1985年3月")


def _checked(year: int, month: int, field: str, raw, day: int | None = None) -> date:
    if not 1900 <= year <= 2100:
        raise Invalid(f"{field}“{raw}”的年份不合理")
    if not 1 <= month <= 12:
        raise Invalid(f"{field}“{raw}”的月份应在 1 到 12 之间")
    if day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise Invalid(f"{field}“{raw}”不是有效日期") from None
    return date(year, month, 1)


def format_year_month(value: date | None) -> str:
    return value.strftime("%Y.%m") if value else ""


# --- identity ------------------------------------------------------------------------------


# GB/T 2260 province-level codes (the first two digits of every 公民身份号码).
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


def normalise_id_number(value) -> str:
    """Validate a 公民身份号码 (GB 11643: 18 characters, the birth date, the check digit via
    python-stdnum); lower-case x, full-width characters and spaces are accepted.

    Only the province part of the region code is checked: python-stdnum's county check
    refuses real numbers whose county code was (re)assigned after the holder's birth year
    (e.g. 沈阳市和平区 210102 for anyone born before 1983)."""
    if isinstance(value, float) and value >= 1e15:
        raise Invalid("身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为文本格式后重新填写")
    text = re.sub(r"\s", "", folded(value)).upper()
    if not text:
        raise Invalid("身份证号不能为空")
    if len(text) != 18:
        raise Invalid(f"身份证号“{text}”应为 18 位（现为 {len(text)} 位）")
    if not (text[:17].isascii() and text[:17].isdigit()) or text[17] not in "0123456789X":
        raise Invalid(f"身份证号“{text}”格式不正确：前 17 位应为数字，末位为数字或 X")
    if text[17] != ric.calc_check_digit(text):
        raise Invalid(f"身份证号“{text}”校验位错误")
    try:
        born = birth_from_id(text)
    except InvalidComponent:
        raise Invalid(f"身份证号“{text}”中的出生日期无效") from None
    if born.year < 1900:
        raise Invalid(f"身份证号“{text}”中的出生日期无效")
    if text[:2] not in PROVINCE_CODES:
        raise Invalid(f"身份证号“{text}”的前两位不是有效的省级行政区划代码")
    return text


def birth_from_id(id_number: str) -> date:
    """The birth date in a valid ID number (python-stdnum's get_birth_date, without its
    slow clean-up of the input)."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        raise InvalidComponent() from None


def gender_from_id(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def cross_check_id(id_number: str, birth: date | None, gender: str | None) -> list[tuple[str, str]]:
    """Birth month and gender must agree with the ID number. Returns (field, reason) pairs."""
    problems = []
    born = birth_from_id(id_number)
    if birth and (birth.year, birth.month) != (born.year, born.month):
        problems.append(("birth", f"出生年月 {birth:%Y.%m} 与身份证号中的 {born:%Y.%m} 不一致"))
    if gender and gender != gender_from_id(id_number):
        problems.append(
            ("gender", f"性别“{gender}”与身份证号（{gender_from_id(id_number)}）不一致")
        )
    return problems


def normalise_gender(value) -> str:
    text = folded(value)
    mapping = {
        "男": "男",
        "女": "女",
        "1": "男",
        "2": "女",
        "男性": "男",
        "女性": "女",
        "M": "男",
        "F": "女",
        "m": "男",
        "f": "女",
    }
    if not text:
        raise Invalid("性别不能为空")
    if text not in mapping:
        raise Invalid(f"性别“{text}”无法识别，应为 男 或 女")
    return mapping[text]


def normalise_ethnicity(value) -> str:
    text = re.sub(r"\s", "", folded(value))
    if not text:
        return "汉族"
    found = codes.ethnic_group(text)
    if found is None:
        raise Invalid(f"民族“{text}”不在 GB/T 3304 民族名称中")
    return found


def normalise_mobile(value) -> str:
    text = re.sub(r"[\s\-()]", "", folded(value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if text and not re.fullmatch(r"1[3-9]\d{9}", text):
        raise Invalid(f"手机号“{clean_text(value)}”格式不正确，应为 1 开头的 11 位数字")
    return text


def normalise_choice(value, choices: list[str], field: str, *, required: bool = False) -> str:
    text = clean_text(value)
    if not text:
        if required:
            raise Invalid(f"{field}不能为空")
        return ""
    if text not in choices:
        raise Invalid(f"{field}“{text}”不在可选值中（{'、'.join(choices)}）")
    return text


# --- résumé and annual results ---------------------------------------------------------------

_RESUME_LINE = re.compile(
    r"^\s*(?P<start>\d{4}\s*[.\-/年]\s*\d{1,2}\s*月?|\d{6})\s*"
    r"(?:--|—+|–+|―+|-|~|～|至|到)\s*"
    r"(?P<end>\d{4}\s*[.\-/年]\s*\d{1,2}\s*月?|\d{6}|至今|今)?\s*"
    r"(?P<content>.*)$"
)


def parse_resume(text: str) -> list[tuple[date, date | None, str]]:
    """Lines like '1990.09--1994.07  东北大学经济学专业学习' (dashes vary; an open end is left
    blank or written 至今). A line that does not begin with a year continues the entry above
    it (wrapped text, '（其间：…）'). Raises Invalid naming the line."""
    entries: list[list] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = clean_text(raw)
        if not line:
            continue
        match = _RESUME_LINE.match(line)
        if not match:
            if entries and not line[0].isdigit():
                entries[-1][2] += line
                continue
            raise Invalid(
                f"简历第 {number} 行“{line}”应以“起始年月--截止年月”开头，如 1990.09--1994.07"
            )
        start = parse_year_month(match.group("start"), field=f"简历第 {number} 行的起始年月")
        end_raw = match.group("end")
        end = None
        if end_raw and end_raw not in {"至今", "今"}:
            end = parse_year_month(end_raw, field=f"简历第 {number} 行的截止年月")
        if end and start and end < start:
            raise Invalid(f"简历第 {number} 行的截止年月早于起始年月")
        entries.append([start, end, match.group("content").strip(), number])
    for _start, _end, content, number in entries:
        if not content:
            raise Invalid(f"简历第 {number} 行缺少单位及职务")
    return [(start, end, content[:200]) for start, end, content, _n in entries]


def format_resume(entries) -> str:
    lines = []
    for start, end, content in entries:
        lines.append(f"{format_year_month(start)}--{format_year_month(end)}  {content}")
    return "\n".join(lines)


_RESULT = r"(?P<result>优秀|基本称职|不称职|称职|不定等次)"
# '2021 优秀', '2021年：称职', '2021年度考核优秀', '2021年年度考核结果为称职'
_ANNUAL_LINE = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*年?\s*度?\s*(?:年度)?\s*(?:考核)?\s*(?:结果)?\s*"
    r"(?:均为|为|是)?\s*[:：]?\s*" + _RESULT
)
# '2021、2022、2023年年度考核均为称职' (the 任免审批表 wording)
_ANNUAL_GROUP = re.compile(
    r"(?P<years>(?:(?:19|20)\d{2}\s*年?\s*[、,，和及至到~-]?\s*)+)年?\s*度?\s*(?:年度)?\s*"
    r"考核(?:结果)?\s*(?:均为|均是|都是|都为|均|为)\s*" + _RESULT
)


def _years(text: str) -> list[int]:
    """'2021、2022' → [2021, 2022]; '2021-2023' or '2021至2023' → [2021, 2022, 2023]."""
    years: list[int] = []
    for first, last in re.findall(r"(\d{4})(?:\s*年?\s*[至到~-]\s*(\d{4}))?", text):
        if last and 0 < int(last) - int(first) < 50:
            years.extend(range(int(first), int(last) + 1))
        else:
            years.append(int(first))
            if last:
                years.append(int(last))
    return years


def parse_annual_results(text: str, *, strict: bool = False) -> list[tuple[int, str]]:
    """'2021 优秀' lines, or the 任免审批表's '2021、2022、2023年年度考核均为称职。'

    With `strict`, text that names a year without a recognisable result (e.g. '2022 良好')
    raises Invalid instead of being skipped."""
    text = clean_text(text)
    results: dict[int, str] = {}
    for match in _ANNUAL_GROUP.finditer(text):
        for year in _years(match.group("years")):
            results[year] = match.group("result")
    remaining = _ANNUAL_GROUP.sub("", text)
    for match in _ANNUAL_LINE.finditer(remaining):
        results[int(match.group("year"))] = match.group("result")
    if strict:
        leftover = _ANNUAL_LINE.sub("", remaining)
        if re.search(r"(?:19|20)\d{2}", leftover) or (text and not results):
            raise Invalid(
                f"年度考核结果“{text[:40]}”无法识别，应写成“2023 优秀”（每年一行），"
                f"结果为{'、'.join(codes.ASSESSMENT_RESULTS)}之一"
            )
    return sorted(results.items())


def format_annual_results(results) -> str:
    """[(2022, '称职'), (2023, '优秀')] → '2022 称职\n2023 优秀' (read back by
    parse_annual_results)."""
    return "\n".join(f"{year} {result}" for year, result in sorted(results))
