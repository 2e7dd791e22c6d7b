"""Normalisation of the messy values real rosters contain: properties over random input
(hypothesis) and examples."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import SimpleTestCase
from stdnum.cn import ric

from guazhi.cadres import normalise
from guazhi.cadres.normalise import Invalid

# Real county codes, including 沈阳市和平区 (210102, assigned in 1983) and 浑南区 (210112).
REGIONS = ["110101", "210102", "210112", "310104", "440305", "510107", "650102", "820000"]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")  # stdnum ignores the last character


valid_ids = st.builds(
    lambda region, born, seq: with_check_digit(f"{region}{born:%Y%m%d}{seq:03d}"),
    st.sampled_from(REGIONS),
    st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
spaces = st.sampled_from(["", " ", "  ", "\u3000", "\t", "\xa0", " \u3000 "])
year_months = st.tuples(st.integers(1940, 2010), st.integers(1, 12))

SETTINGS = settings(deadline=None, max_examples=150)


class IdNumberProperties(SimpleTestCase):
    @SETTINGS
    @given(valid_ids, spaces, spaces)
    def test_a_valid_id_is_accepted_upper_or_lower_case_with_spaces_around(
        self, ident, left, right
    ):
        self.assertEqual(normalise.normalise_id_number(f"{left}{ident}{right}"), ident)
        self.assertEqual(normalise.normalise_id_number(f"{left}{ident.lower()}{right}"), ident)

    @SETTINGS
    @given(valid_ids, spaces)
    def test_a_valid_id_in_full_width_characters_is_accepted(self, ident, around):
        for typed in (full_width(ident), full_width(ident.lower())):
            self.assertEqual(normalise.normalise_id_number(around + typed + around), ident)

    @SETTINGS
    @given(valid_ids, st.integers(min_value=0, max_value=17), st.data())
    def test_changing_any_single_character_of_a_valid_id_is_refused(self, ident, position, data):
        choices = "0123456789X" if position == 17 else "0123456789"
        replacement = data.draw(st.sampled_from([c for c in choices if c != ident[position]]))
        changed = ident[:position] + replacement + ident[position + 1 :]
        with self.assertRaises(Invalid) as refused:
            normalise.normalise_id_number(changed)
        self.assertIn("身份证号", str(refused.exception))

    @SETTINGS
    @given(valid_ids)
    def test_birth_and_gender_read_from_a_valid_id_agree_with_it(self, ident):
        born = normalise.birth_from_id(ident)
        self.assertEqual(f"{born:%Y%m%d}", ident[6:14])
        gender = normalise.gender_from_id(ident)
        self.assertEqual(
            normalise.cross_check_id(ident, date(born.year, born.month, 1), gender), []
        )


class YearMonthProperties(SimpleTestCase):
    @staticmethod
    def written_forms(year: int, month: int) -> list:
        texts = [
            f"{year}.{month:02d}",
            f"{year}.{month}",
            f"{year}-{month}",
            f"{year}-{month:02d}",
            f"{year}/{month:02d}",
            f"{year}/{month}",
            f"{year}年{month}月",
            f"{year}年{month:02d}月",
            f"{year}{month:02d}",
            f"{year}.{month:02d}.15",
            f"{year}年{month}月1日",
            f"{year}-{month:02d}-01 00:00:00",
        ]
        serial = (date(year, month, 15) - date(1899, 12, 30)).days
        return [
            *texts,
            *(full_width(t) for t in texts),
            *(f" {t}\u3000" for t in texts),
            datetime(year, month, 28, 13, 45),
            date(year, month, 1),
            serial,  # an Excel date cell read without its format
            serial + 0.5,
            round(year + month / 100, 2),  # 1985.03 typed into a number cell
            year * 100 + month,  # 198503 as a number
        ]

    @SETTINGS
    @given(year_months)
    def test_every_written_form_of_a_year_and_month_parses_to_its_first_day(self, ym):
        year, month = ym
        for form in self.written_forms(year, month):
            self.assertEqual(
                normalise.parse_year_month(form, field="出生年月"), date(year, month, 1), repr(form)
            )

    @SETTINGS
    @given(st.integers(1940, 2010), st.sampled_from([0, 13, 14, 20, 31, 99]))
    def test_an_impossible_month_is_refused_with_a_chinese_reason(self, year, month):
        forms = [
            f"{year}.{month:02d}",
            f"{year}-{month}",
            f"{year}年{month}月",
            f"{year}{month:02d}",
            full_width(f"{year}.{month:02d}"),
            year * 100 + month,
        ]
        if month >= 13:
            forms.append(round(year + month / 100, 2))
        for form in forms:
            with self.assertRaises(Invalid, msg=repr(form)) as refused:
                normalise.parse_year_month(form, field="出生年月")
            self.assertIn("月份应在 1 到 12 之间", str(refused.exception))
            self.assertTrue(str(refused.exception).startswith("出生年月“"))


class DateExamples(SimpleTestCase):
    def test_empty_values_are_no_date(self):
        for value in (None, "", "  ", "\u3000"):
            self.assertIsNone(normalise.parse_year_month(value))

    def test_the_month_of_a_number_cell_follows_its_decimals(self):
        self.assertEqual(normalise.parse_year_month(1985.1), date(1985, 10, 1))  # 1985.10
        self.assertEqual(normalise.parse_year_month(1985.03), date(1985, 3, 1))

    def test_a_year_without_a_month_is_refused_with_a_hint(self):
        for value in ("1985", 1985, 1985.0, "1985年"):
            with self.assertRaises(Invalid) as refused:
                normalise.parse_year_month(value, field="入党时间")
            self.assertTrue(str(refused.exception).startswith("入党时间“1985"))
            self.assertIn("”缺少月份，请写成 1985.01 这样的年月", str(refused.exception))

    def test_an_impossible_day_and_an_unreadable_value_are_refused(self):
        with self.assertRaises(Invalid) as refused:
            normalise.parse_year_month("1985.02.30", field="出生年月")
        self.assertEqual(str(refused.exception), "出生年月“1985.02.30”不是有效日期")
        with self.assertRaises(Invalid) as refused:
            normalise.parse_year_month("八五年三月", field="出生年月")
        self.assertIn("无法识别", str(refused.exception))

    def test_format_year_month(self):
        self.assertEqual(normalise.format_year_month(date(1985, 3, 1)), "1985.03")
        self.assertEqual(normalise.format_year_month(None), "")


class IdNumberExamples(SimpleTestCase):
    def test_a_heping_district_id_of_someone_born_before_1983_is_valid(self):
        # python-stdnum alone refuses it: the county code 210102 dates from 1983.
        ident = with_check_digit("21010219750315123")
        self.assertEqual(normalise.normalise_id_number(ident), ident)

    def test_it_explains_what_is_wrong(self):
        cases = {
            "": "身份证号不能为空",
            "21010219850315123": "应为 18 位（现为 17 位）",
            "21010219850315123A": "格式不正确",
            with_check_digit("99010219850315123"): "省级行政区划代码",
            with_check_digit("21010219850230123"): "出生日期无效",
        }
        for value, words in cases.items():
            with self.assertRaises(Invalid, msg=value) as refused:
                normalise.normalise_id_number(value)
            self.assertIn(words, str(refused.exception))

    def test_an_id_that_excel_stored_as_a_number_is_refused_with_advice(self):
        with self.assertRaises(Invalid) as refused:
            normalise.normalise_id_number(2.10102198503151e17)
        self.assertIn("文本格式", str(refused.exception))


class OtherFieldExamples(SimpleTestCase):
    def test_ethnicity_accepts_name_short_name_and_code(self):
        for value in ("汉", "汉族", "01", "1", " 汉族 ", "０１"):
            self.assertEqual(normalise.normalise_ethnicity(value), "汉族", value)
        self.assertEqual(normalise.normalise_ethnicity("满"), "满族")
        self.assertEqual(normalise.normalise_ethnicity("56"), "基诺族")
        self.assertEqual(normalise.normalise_ethnicity(""), "汉族")

    def test_ethnicity_outside_gb_3304_is_refused(self):
        for value in ("火星族", "57", "穿青人"):
            with self.assertRaises(Invalid) as refused:
                normalise.normalise_ethnicity(value)
            self.assertIn("不在 GB/T 3304 民族名称中", str(refused.exception))

    def test_mobile_numbers_lose_spaces_dashes_and_country_code(self):
        for value in (
            "13812345678",
            " 138 1234 5678 ",
            "138-1234-5678",
            "+86 13812345678",
            "0086-138-1234-5678",
            "１３８１２３４５６７８",
            13812345678,
            13812345678.0,
            "(+86)13812345678",
        ):
            self.assertEqual(normalise.normalise_mobile(value), "13812345678", repr(value))
        self.assertEqual(normalise.normalise_mobile(""), "")
        self.assertEqual(normalise.normalise_mobile(None), "")

    def test_a_landline_or_short_number_is_not_a_mobile(self):
        for value in ("024-23456789", "1381234567", "23812345678"):
            with self.assertRaises(Invalid):
                normalise.normalise_mobile(value)

    def test_gender(self):
        for value, gender in (
            ("男", "男"),
            (" 女 ", "女"),
            ("1", "男"),
            (2, "女"),
            ("Ｍ", "男"),
            ("f", "女"),
            ("男性", "男"),
        ):
            self.assertEqual(normalise.normalise_gender(value), gender)
        with self.assertRaises(Invalid) as refused:
            normalise.normalise_gender("")
        self.assertEqual(str(refused.exception), "性别不能为空")
        with self.assertRaises(Invalid):
            normalise.normalise_gender("未知")

    def test_clean_text_folds_full_width_letters_but_keeps_chinese_punctuation(self):
        self.assertEqual(
            normalise.clean_text("\u3000ＡＢＣ１２３\u200b（其间：在职学习）\xa0"),
            "ABC123（其间：在职学习）",
        )
        self.assertEqual(normalise.clean_text(1985.0), "1985")
        self.assertEqual(normalise.clean_text(None), "")

    def test_pinyin_initials(self):
        self.assertEqual(normalise.pinyin_initials("王晓明"), "wxm")


class ResumeExamples(SimpleTestCase):
    def test_it_reads_dated_lines_with_any_dash_and_an_open_end(self):
        text = (
            "1990.09--1994.07  东北大学经济学专业学习\n"
            "1994.07—1998.12 沈阳市和平区科员\n"
            "1998.12~2005.03　和平区发改局副主任科员\n"
            "２００５．０３－－至今 和平区发改局副局长\n"
            "\n"
            "2019年7月--  挂职"
        )
        self.assertEqual(
            normalise.parse_resume(text),
            [
                (date(1990, 9, 1), date(1994, 7, 1), "东北大学经济学专业学习"),
                (date(1994, 7, 1), date(1998, 12, 1), "沈阳市和平区科员"),
                (date(1998, 12, 1), date(2005, 3, 1), "和平区发改局副主任科员"),
                (date(2005, 3, 1), None, "和平区发改局副局长"),
                (date(2019, 7, 1), None, "挂职"),
            ],
        )

    def test_a_line_without_a_date_continues_the_entry_above(self):
        text = (
            "2005.03--2010.01 和平区发改局\n"
            "          副局长\n"
            "  （其间：2006.09--2009.07 在职研究生学习）"
        )
        self.assertEqual(
            normalise.parse_resume(text),
            [
                (
                    date(2005, 3, 1),
                    date(2010, 1, 1),
                    "和平区发改局副局长（其间：2006.09--2009.07 在职研究生学习）",
                ),
            ],
        )

    def test_format_and_parse_round_trip(self):
        entries = [(date(1990, 9, 1), date(1994, 7, 1), "学习"), (date(1994, 7, 1), None, "科员")]
        self.assertEqual(normalise.parse_resume(normalise.format_resume(entries)), entries)

    def test_bad_lines_are_named(self):
        cases = {
            "东北大学学习": "简历第 1 行“东北大学学习”应以“起始年月--截止年月”开头",
            "1990.09--1994.07 学习\n1994.13--  科员": "简历第 2 行的起始年月“1994.13”的月份应在 1 到 12 之间",
            "1994.07--1990.09 科员": "简历第 1 行的截止年月早于起始年月",
            "1994.07--1995.09": "简历第 1 行缺少单位及职务",
        }
        for text, reason in cases.items():
            with self.assertRaises(Invalid, msg=text) as refused:
                normalise.parse_resume(text)
            self.assertEqual(str(refused.exception).split("，如")[0], reason)


class AnnualResultExamples(SimpleTestCase):
    def test_one_line_per_year_in_several_wordings(self):
        text = "2021 优秀\n2022年：称职\n2023年度考核结果为基本称职\n2020年度考核不定等次"
        self.assertEqual(
            normalise.parse_annual_results(text),
            [(2020, "不定等次"), (2021, "优秀"), (2022, "称职"), (2023, "基本称职")],
        )

    def test_the_approval_form_wording_for_several_years(self):
        self.assertEqual(
            normalise.parse_annual_results("2021、2022、2023年年度考核均为称职。"),
            [(2021, "称职"), (2022, "称职"), (2023, "称职")],
        )
        self.assertEqual(
            normalise.parse_annual_results("2019-2021年年度考核均为称职，2022年度考核优秀"),
            [(2019, "称职"), (2020, "称职"), (2021, "称职"), (2022, "优秀")],
        )

    def test_format_and_parse_round_trip(self):
        results = [(2022, "称职"), (2023, "优秀")]
        self.assertEqual(
            normalise.parse_annual_results(normalise.format_annual_results(results)), results
        )

    def test_unknown_results_are_skipped_or_refused_in_strict_mode(self):
        self.assertEqual(normalise.parse_annual_results("2022 良好\n2023 优秀"), [(2023, "优秀")])
        with self.assertRaises(Invalid) as refused:
            normalise.parse_annual_results("2022 良好\n2023 优秀", strict=True)
        self.assertIn("无法识别", str(refused.exception))
        with self.assertRaises(Invalid):
            normalise.parse_annual_results("表现良好", strict=True)
        self.assertEqual(normalise.parse_annual_results("", strict=True), [])
