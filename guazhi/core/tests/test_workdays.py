"""The working-day calendar (工作日历): Monday–Friday work unless a calendar day says otherwise;
deadlines counted in working days; the system administrator's pages and the bulk form.

The schedules below are made up for the tests (dates chosen for their weekdays); no official
holiday schedule is built into the application."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.core import services
from guazhi.core.models import AuditEntry, CalendarDay
from guazhi.core.workdays import (
    add_working_days,
    is_working_day,
    working_days_between,
    working_days_in_year,
)
from guazhi.testing import BaseTestCase

D = date.fromisoformat
H, W = CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.WORKDAY


class CalendarTestCase(BaseTestCase):
    def mark(self, day: str, kind: str, name: str = "测试") -> CalendarDay:
        return CalendarDay.objects.create(
            date=D(day), kind=kind, name=name, created_by=self.sam, updated_by=self.sam
        )

    def national_day_week(self):
        """A 国庆-style week: Thursday 10-01 to Thursday 10-08 off (its weekend included),
        Sunday 09-27 and Saturday 10-10 worked instead."""
        for n in range(1, 9):
            self.mark(f"2026-10-0{n}", H, "国庆节")
        self.mark("2026-09-27", W, "国庆节调休上班")
        self.mark("2026-10-10", W, "国庆节调休上班")


def reference_is_working(day: date, exceptions: dict[date, str]) -> bool:
    kind = exceptions.get(day)
    return kind == W if kind else day.weekday() < 5


def reference_between(start: date, end: date, exceptions: dict[date, str]) -> int:
    """The rule day by day, to check the arithmetic against."""
    days = (end - start).days
    return sum(
        reference_is_working(start + timedelta(days=i), exceptions) for i in range(1, days + 1)
    )


class WorkingDayRuleTests(CalendarTestCase):
    def test_weekdays_work_and_weekends_rest_when_nothing_is_entered(self):
        self.assertTrue(is_working_day(D("2026-09-25")))  # Friday
        self.assertFalse(is_working_day(D("2026-09-26")))  # Saturday
        self.assertFalse(is_working_day(D("2026-09-27")))  # Sunday
        self.assertTrue(is_working_day(D("2026-09-28")))  # Monday

    def test_a_holiday_on_a_weekday_is_a_day_off_and_other_weekdays_still_work(self):
        self.mark("2026-10-01", H, "国庆节")  # Thursday
        self.assertFalse(is_working_day(D("2026-10-01")))
        self.assertTrue(is_working_day(D("2026-09-30")))
        self.assertEqual(working_days_between(D("2026-09-28"), D("2026-10-02")), 3)

    def test_a_make_up_saturday_is_a_working_day_and_other_saturdays_still_rest(self):
        self.mark("2026-10-10", W, "国庆节调休上班")
        self.assertTrue(is_working_day(D("2026-10-10")))
        self.assertFalse(is_working_day(D("2026-10-17")))
        # Friday 10-09 + 1 working day is that Saturday, not the Monday.
        self.assertEqual(add_working_days(D("2026-10-09"), 1), D("2026-10-10"))

    def test_a_holiday_entered_on_a_weekend_changes_no_count(self):
        self.mark("2026-10-03", H, "国庆节")  # Saturday
        self.assertEqual(working_days_between(D("2026-09-30"), D("2026-10-07")), 5)
        self.assertEqual(working_days_in_year(2026), 261)


class DeadlineTests(CalendarTestCase):
    def test_five_working_days_from_a_tuesday_is_the_next_tuesday(self):
        self.assertEqual(add_working_days(D("2027-06-01"), 5), D("2027-06-08"))
        self.assertEqual(working_days_between(D("2027-06-01"), D("2027-06-08")), 5)

    def test_five_working_days_across_the_national_day_week_skip_it_and_count_the_make_up_day(
        self,
    ):
        self.assertEqual(add_working_days(D("2026-09-30"), 5), D("2026-10-07"))  # no calendar
        self.national_day_week()
        # Wed 09-30: holidays 10-01..10-08, then Fri 10-09, Sat 10-10 (make-up), Mon 12,
        # Tue 13, Wed 14.
        self.assertEqual(add_working_days(D("2026-09-30"), 5), D("2026-10-14"))
        # Fri 09-25: Sun 27 (make-up), Mon 28, Tue 29, Wed 30, then Fri 10-09.
        self.assertEqual(add_working_days(D("2026-09-25"), 5), D("2026-10-09"))
        # A deadline starting inside the holiday counts from the first day back.
        self.assertEqual(add_working_days(D("2026-10-03"), 5), D("2026-10-14"))
        self.assertEqual(working_days_between(D("2026-09-30"), D("2026-10-14")), 5)
        self.assertEqual(working_days_in_year(2026), 261 - 6 + 2)

    def test_start_is_not_counted_and_n_zero_is_start_or_the_next_working_day(self):
        self.national_day_week()
        self.assertEqual(add_working_days(D("2026-09-30"), 0), D("2026-09-30"))  # working
        self.assertEqual(add_working_days(D("2026-10-02"), 0), D("2026-10-09"))  # holiday
        self.assertEqual(add_working_days(D("2026-10-11"), 0), D("2026-10-12"))  # Sunday
        self.assertEqual(add_working_days(D("2026-10-10"), 0), D("2026-10-10"))  # make-up
        # From a day off, n = 0 and n = 1 give the same date.
        self.assertEqual(add_working_days(D("2026-10-02"), 1), D("2026-10-09"))

    def test_between_is_zero_when_the_end_is_not_after_the_start(self):
        self.assertEqual(working_days_between(D("2026-10-09"), D("2026-10-09")), 0)
        self.assertEqual(working_days_between(D("2026-10-09"), D("2026-10-01")), 0)

    def test_it_refuses_a_negative_count_and_a_datetime(self):
        with self.assertRaises(ValueError):
            add_working_days(D("2026-10-09"), -1)
        with self.assertRaises(TypeError):
            is_working_day(datetime(2026, 10, 9, 12))
        with self.assertRaises(TypeError):
            working_days_between(datetime(2026, 10, 9), D("2026-10-12"))


class YearBoundaryTests(CalendarTestCase):
    def test_a_deadline_crosses_new_year_skipping_the_holiday(self):
        self.mark("2027-01-01", H, "元旦")  # Friday
        # Wed 2026-12-30: Thu 31, (Fri 1 off, weekend), Mon 4, Tue 5.
        self.assertEqual(add_working_days(D("2026-12-30"), 3), D("2027-01-05"))
        self.assertEqual(working_days_between(D("2026-12-30"), D("2027-01-05")), 3)

    def test_spans_of_years_match_the_rule_applied_day_by_day(self):
        rng = random.Random(2026)
        exceptions: dict[date, str] = {}
        for _ in range(120):
            day = D("2025-01-01") + timedelta(days=rng.randrange(4 * 366))
            if day in exceptions:
                continue
            kind = W if day.weekday() >= 5 and rng.random() < 0.5 else H
            exceptions[day] = kind
            self.mark(f"{day:%Y-%m-%d}", kind)
        for start, end in [
            (D("2025-03-15"), D("2026-03-15")),
            (D("2025-12-31"), D("2027-01-01")),
            (D("2024-12-31"), D("2028-12-31")),
            (D("2026-06-06"), D("2026-06-07")),
        ]:
            with self.subTest(start=start, end=end):
                expected = reference_between(start, end, exceptions)
                self.assertEqual(working_days_between(start, end), expected)
                if expected:
                    deadline = add_working_days(start, expected)
                    self.assertTrue(reference_is_working(deadline, exceptions))
                    self.assertEqual(reference_between(start, deadline, exceptions), expected)
        for year in (2025, 2026, 2027, 2028):
            with self.subTest(year=year):
                self.assertEqual(
                    working_days_in_year(year),
                    reference_between(date(year - 1, 12, 31), date(year, 12, 31), exceptions),
                )


class OneQueryTests(CalendarTestCase):
    def test_each_function_reads_the_calendar_once_however_long_the_span(self):
        self.national_day_week()
        self.mark("2027-01-01", H, "元旦")
        self.mark("2028-02-05", W, "春节调休上班")
        with self.assertNumQueries(1):
            self.assertEqual(is_working_day(D("2026-10-10")), True)
        with self.assertNumQueries(1):
            working_days_between(D("2026-01-01"), D("2028-12-31"))
        with self.assertNumQueries(1):
            self.assertGreater(add_working_days(D("2026-09-01"), 600), D("2028-12-01"))
        with self.assertNumQueries(1):
            add_working_days(D("2026-10-03"), 0)
        with self.assertNumQueries(0):
            working_days_between(D("2026-10-03"), D("2026-10-01"))


URL = "/settings/calendar/"


class CalendarPageAccessTests(CalendarTestCase):
    def test_the_system_administrator_sees_the_year_and_officers_and_cadres_are_refused(self):
        self.national_day_week()
        self.login(self.sam)
        response = self.client.get(URL + "?year=2026")
        self.assertContains(response, "2026 年工作日历")
        self.assertContains(response, '<div class="fs-4 fw-bold" id="working-days">257</div>')
        self.assertContains(response, "国庆节调休上班")
        self.assertContains(response, "星期六")
        for user in (self.alice, self.dave):
            with self.subTest(user=user.username):
                self.login(user)
                for url in (
                    URL + "?year=2026",
                    URL + "new/",
                    URL + "bulk/",
                    f"{URL}{CalendarDay.objects.first().pk}/edit/",
                    f"{URL}{CalendarDay.objects.first().pk}/delete/",
                ):
                    self.assertEqual(self.client.get(url).status_code, 403, url)

    def test_officers_cannot_write_by_posting_either(self):
        day = self.mark("2026-10-01", H, "国庆节")
        self.login(self.alice)
        self.assertEqual(self.client.post(f"{URL}{day.pk}/delete/").status_code, 403)
        self.assertEqual(
            self.client.post(URL + "bulk/", {"lines": "2026-10-02 休 国庆节"}).status_code, 403
        )
        self.assertEqual(CalendarDay.objects.count(), 1)

    def test_the_menu_shows_the_calendar_to_the_system_administrator_only(self):
        self.login(self.sam)
        self.assertContains(self.client.get("/"), f'href="{URL}"')
        self.login(self.alice)
        self.assertNotContains(self.client.get("/"), f'href="{URL}"')

    def test_a_year_shows_only_its_own_days_and_a_bad_year_says_so(self):
        self.mark("2026-10-01", H, "国庆节")
        self.mark("2027-01-01", H, "元旦")
        self.login(self.sam)
        response = self.client.get(URL + "?year=2027")
        self.assertContains(response, "元旦")
        self.assertNotContains(response, "国庆节")
        response = self.client.get(URL + "?year=abc")
        self.assertContains(response, "年份“abc”无效")

    def test_the_list_page_reads_a_fixed_number_of_queries_however_many_days(self):
        self.login(self.sam)
        self.mark("2026-05-01", H, "劳动节")

        def count():
            with CaptureQueriesContext(connection) as ctx:
                self.assertEqual(self.client.get(URL + "?year=2026").status_code, 200)
            return len(ctx.captured_queries)

        count()  # warm the per-process settings cache
        few = count()
        self.national_day_week()
        self.assertEqual(count(), few)


class CalendarDayFormTests(CalendarTestCase):
    def setUp(self):
        self.login(self.sam)

    def test_a_day_is_added_with_who_and_is_audited(self):
        response = self.client.post(
            URL + "new/", {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"}
        )
        self.assertRedirects(response, URL + "?year=2026")
        day = CalendarDay.objects.get(date=D("2026-10-01"))
        self.assertEqual(
            (day.kind, day.name, day.created_by, day.updated_by), (H, "国庆节", self.sam, self.sam)
        )
        entry = AuditEntry.objects.filter(object_type="core.calendarday").first()
        self.assertEqual((entry.action, entry.actor_username), ("create", "sam"))

    def test_a_make_up_day_on_a_weekday_is_refused_and_on_a_saturday_allowed(self):
        response = self.client.post(
            URL + "new/", {"date": "2026-10-12", "kind": "workday", "name": "调休"}
        )
        self.assertContains(response, "2026-10-12 是星期一，本来就是工作日")
        self.assertFalse(CalendarDay.objects.exists())
        response = self.client.post(
            URL + "new/", {"date": "2026-10-10", "kind": "workday", "name": "国庆节调休上班"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertTrue(CalendarDay.objects.filter(date=D("2026-10-10")).exists())

    def test_a_date_already_entered_is_refused_naming_the_entry(self):
        self.mark("2026-10-01", H, "国庆节")
        response = self.client.post(
            URL + "new/", {"date": "2026-10-01", "kind": "holiday", "name": "中秋节"}
        )
        self.assertContains(response, "2026-10-01 已登记为“国庆节”（法定节假日）")
        self.assertEqual(CalendarDay.objects.get().name, "国庆节")

    def test_a_day_is_edited_and_records_who_changed_it(self):
        day = self.mark("2026-10-01", H, "国庆")
        self.client.post(
            f"{URL}{day.pk}/edit/", {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"}
        )
        day.refresh_from_db()
        self.assertEqual((day.name, day.updated_by), ("国庆节", self.sam))

    def test_delete_asks_first_and_deletes_only_when_confirmed(self):
        day = self.mark("2026-10-01", H, "国庆节")
        response = self.client.get(f"{URL}{day.pk}/delete/")
        self.assertContains(response, "确定删除 2026-10-01（星期四）的“国庆节”（法定节假日）吗？")
        self.assertTrue(CalendarDay.objects.filter(pk=day.pk).exists())
        response = self.client.post(f"{URL}{day.pk}/delete/")
        self.assertRedirects(response, URL + "?year=2026")
        self.assertFalse(CalendarDay.objects.filter(pk=day.pk).exists())
        self.assertTrue(is_working_day(D("2026-10-01")))

    def test_an_unknown_day_is_not_found(self):
        self.assertEqual(self.client.get(f"{URL}999999/edit/").status_code, 404)


class BulkFormTests(CalendarTestCase):
    def setUp(self):
        self.login(self.sam)

    def test_pasted_lines_are_all_entered_with_english_or_chinese_kinds(self):
        self.mark("2026-10-01", H, "国庆")
        text = (
            "# 2026 国庆\n"
            "2026-10-01 holiday 国庆节\n"
            "2026-10-02\t休\t国庆节\n"
            "\n"
            "2026/10/03，休，国庆节\n"
            "2026-10-10 workday 国庆节调休上班\n"
            "2026-10-11 班 国庆节调休上班\n"
        )
        response = self.client.post(URL + "bulk/", {"lines": text}, follow=True)
        self.assertContains(response, "已录入：新增 4 天，更新 1 天，未变 0 天。")
        self.assertEqual(
            list(CalendarDay.objects.values_list("date", "kind", "name")),
            [
                (D("2026-10-01"), H, "国庆节"),
                (D("2026-10-02"), H, "国庆节"),
                (D("2026-10-03"), H, "国庆节"),
                (D("2026-10-10"), W, "国庆节调休上班"),
                (D("2026-10-11"), W, "国庆节调休上班"),
            ],
        )
        self.assertEqual(response.redirect_chain[-1][0], URL + "?year=2026")

    def test_one_wrong_line_writes_nothing_and_names_the_line_and_the_fault(self):
        text = (
            "2026-10-01 holiday 国庆节\n"
            "2026-10-02 休 国庆节\n"
            "2026-10-12 班 国庆节调休上班\n"
            "2026-02-30 休 春节\n"
            "2026-10-05 放羊 国庆节\n"
            "2026-10-06 休\n"
            "2026-10-02 休 国庆节\n"
        )
        response = self.client.post(URL + "bulk/", {"lines": text})
        self.assertEqual(response.status_code, 200)
        self.assertFalse(CalendarDay.objects.exists())
        self.assertContains(response, "有 5 处错误，没有录入任何一行")
        self.assertContains(response, "第 3 行“2026-10-12 班 国庆节调休上班”：2026-10-12 是星期一")
        self.assertContains(response, "第 4 行“2026-02-30 休 春节”：日期“2026-02-30”不存在")
        self.assertContains(response, "第 5 行“2026-10-05 放羊 国庆节”：类型“放羊”无法识别")
        self.assertContains(response, "第 6 行“2026-10-06 休”：应有日期、类型和名称三项")
        self.assertContains(response, "第 7 行：日期 2026-10-02 与第 2 行重复")
        self.assertNotContains(response, "第 1 行")

    def test_a_wrong_line_also_keeps_existing_days_unchanged(self):
        self.mark("2026-10-01", H, "国庆")
        self.client.post(URL + "bulk/", {"lines": "2026-10-01 休 国庆节\n10-02 休 国庆节"})
        self.assertEqual(CalendarDay.objects.get().name, "国庆")

    def test_the_parser_reports_a_bad_date_format_and_an_empty_paste(self):
        with self.assertRaises(services.CalendarLinesError) as caught:
            services.calendar_lines_parse("2026-1O-01 休 国庆节")
        self.assertEqual(
            caught.exception.errors,
            ["第 1 行“2026-1O-01 休 国庆节”：日期“2026-1O-01”格式不对，应写成 2026-10-01"],
        )
        with self.assertRaises(services.CalendarLinesError) as caught:
            services.calendar_lines_parse("2206-10-01 休 国庆节")
        self.assertEqual(
            caught.exception.errors,
            ["第 1 行“2206-10-01 休 国庆节”：2206-10-01 的年份应在 2000 到 2100 之间"],
        )
        with self.assertRaises(services.CalendarLinesError) as caught:
            services.calendar_lines_parse("\n# 只有注释\n")
        self.assertIn("没有可录入的行", caught.exception.errors[0])
