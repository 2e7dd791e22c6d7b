"""Normalisation and validation of the messy values real rosters contain.

Every function takes what a person typed (or what a spreadsheet cell holds) and returns the
clean value, or raises `Invalid` with a Chinese reason that names no row or column (the
caller adds where).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from . import codes


class Invalid(ValueError):
    """A value that cannot be normalised; str(exc) is the reason in Chinese."""


_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202f\u2060\ufeff\xa0\u3000]")


def clean_text(value) -> str:
    """Full-width letters and digits to half-width, invisible characters and surrounding
    spaces removed. None → ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = _INVISIBLE.sub(" ", text)
    return text.strip()


def pinyin_initials(name: str) -> str:
    """王晓明 → wxm (for search by initials)."""
    letters = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="ignore")
    return "".join(letters).lower()[:30]


# --- dates -------------------------------------------------------------------------------------

_YM_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})\s*[.\-/年]\s*(?P<m>\d{1,2})\s*(?:[.\-/月]\s*(?P<d>\d{1,2})\s*日?)?\s*月?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?$"),
]
EXCEL_EPOCH = date(1899, 12, 30)


def parse_year_month(value, *, field: str = "日期") -> date | None:
    """1985.03 / 1985.3 / 1985-3 / 1985/03 / 1985年3月 / 198503 / 19850315 / an Excel date
    cell / an Excel serial number → date(1985, 3, 1). Empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return date(value.year, value.month, 1)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if 1900 <= number < 2100 and number.is_integer():
            raise Invalid(f"{field}“{int(number)}”缺少月份，请写成 {int(number)}.01 这样的年月")
        # 1985.03 typed into a number cell arrives as the float 1985.03
        if 1900 <= number < 2100 and round(number * 100) % 100:
            year, month = int(number), round(number * 100) % 100
            return _checked(year, month, field, value)
        if 190001 <= number <= 210012 and number.is_integer():
            return _checked(int(number) // 100, int(number) % 100, field, value)
        if 19000101 <= number <= 21001231 and number.is_integer():
            n = int(number)
            return _checked(n // 10000, n // 100 % 100, field, value, day=n % 100)
        if 1 <= number < 80000:  # an Excel serial date
            from datetime import timedelta

            d = EXCEL_EPOCH + timedelta(days=int(number))
            return date(d.year, d.month, 1)
        raise Invalid(f"{field}“{value}”无法识别，请写成 1985.03 或 1985年3月")
    text = clean_text(value)
    if not text:
        return None
    for pattern in _YM_PATTERNS:
        match = pattern.match(text)
        if match:
            day = int(match.group("d")) if match.group("d") else None
            return _checked(int(match.group("y")), int(match.group("m")), field, text, day=day)
    raise Invalid(f"{field}“{text}”无法识别，请写成 1985.03 或 1985年3月")


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


def normalise_id_number(value) -> str:
    """Validate a 公民身份号码 (GB 11643 check digit via python-stdnum); lower-case x,
    full-width characters and spaces are accepted."""
    text = re.sub(r"\s", "", clean_text(value)).upper()
    if not text:
        raise Invalid("身份证号不能为空")
    try:
        return ric.validate(text)
    except InvalidChecksum:
        raise Invalid(f"身份证号“{text}”校验位错误") from None
    except InvalidLength:
        raise Invalid(f"身份证号“{text}”应为 18 位") from None
    except InvalidComponent:
        raise Invalid(f"身份证号“{text}”中的出生日期无效") from None
    except InvalidFormat:
        raise Invalid(f"身份证号“{text}”格式不正确：前 17 位应为数字，末位为数字或 X") from None


def birth_from_id(id_number: str) -> date:
    return ric.get_birth_date(id_number)


def gender_from_id(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def cross_check_id(id_number: str, birth: date | None, gender: str | None) -> list[tuple[str, str]]:
    """Birth month and gender must agree with the ID number. Returns (field, reason) pairs."""
    problems = []
    born = birth_from_id(id_number)
    if birth and (birth.year, birth.month) != (born.year, born.month):
        problems.append(
            ("birth", f"出生年月 {birth:%Y.%m} 与身份证号中的 {born:%Y.%m} 不一致")
        )
    if gender and gender != gender_from_id(id_number):
        problems.append(("gender", f"性别“{gender}”与身份证号（{gender_from_id(id_number)}）不一致"))
    return problems


def normalise_gender(value) -> str:
    text = clean_text(value)
    mapping = {"男": "男", "女": "女", "1": "男", "2": "女", "男性": "男", "女性": "女",
               "M": "男", "F": "女", "m": "男", "f": "女"}
    if text not in mapping:
        raise Invalid(f"性别“{text}”无法识别，应为 男 或 女")
    return mapping[text]


def normalise_ethnicity(value) -> str:
    text = clean_text(value)
    if not text:
        return "汉族"
    found = codes.ethnic_group(text)
    if found is None:
        raise Invalid(f"民族“{text}”不在 GB/T 3304 民族名称中")
    return found


def normalise_mobile(value) -> str:
    text = re.sub(r"[\s\-()（）]", "", clean_text(value))
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
    r"(?:--|—+|–+|-|~|～|至|到)\s*"
    r"(?P<end>\d{4}\s*[.\-/年]\s*\d{1,2}\s*月?|\d{6}|至今|今)?\s*"
    r"(?P<content>.*)$"
)


def parse_resume(text: str) -> list[tuple[date, date | None, str]]:
    """Lines like '1990.09--1994.07  东北大学经济学专业学习' (dashes vary; an open end is left
    blank or written 至今). Raises Invalid naming the line."""
    entries = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = clean_text(raw)
        if not line:
            continue
        match = _RESUME_LINE.match(line)
        if not match:
            raise Invalid(f"简历第 {number} 行“{line}”应以“起始年月--截止年月”开头，如 1990.09--1994.07")
        start = parse_year_month(match.group("start"), field=f"简历第 {number} 行的起始年月")
        end_raw = match.group("end")
        end = None
        if end_raw and end_raw not in {"至今", "今"}:
            end = parse_year_month(end_raw, field=f"简历第 {number} 行的截止年月")
        if end and start and end < start:
            raise Invalid(f"简历第 {number} 行的截止年月早于起始年月")
        content = match.group("content").strip()
        if not content:
            raise Invalid(f"简历第 {number} 行缺少单位及职务")
        entries.append((start, end, content[:200]))
    return entries


def format_resume(entries) -> str:
    lines = []
    for start, end, content in entries:
        lines.append(f"{format_year_month(start)}--{format_year_month(end)}  {content}")
    return "\n".join(lines)


_ANNUAL_LINE = re.compile(r"(?P<year>\d{4})\s*年?(?:度)?\s*[:：]?\s*(?P<result>优秀|基本称职|不称职|称职|不定等次)")
_ANNUAL_GROUP = re.compile(r"(?P<years>(?:\d{4}\s*[、,，和及]?\s*)+)年?年度考核(?:结果)?均为(?P<result>优秀|基本称职|不称职|称职)")


def parse_annual_results(text: str) -> list[tuple[int, str]]:
    """'2021 优秀' lines, or the 任免审批表's '2021、2022、2023年年度考核均为称职。'"""
    text = clean_text(text)
    results: dict[int, str] = {}
    for match in _ANNUAL_GROUP.finditer(text):
        for year in re.findall(r"\d{4}", match.group("years")):
            results[int(year)] = match.group("result")
    remaining = _ANNUAL_GROUP.sub("", text)
    for match in _ANNUAL_LINE.finditer(remaining):
        results[int(match.group("year"))] = match.group("result")
    return sorted(results.items())
