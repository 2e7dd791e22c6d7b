"""Working days (工作日) counted with the working-day calendar.

The rule: Monday to Friday are working days and Saturday and Sunday are not, unless a
`CalendarDay` row says otherwise for that date — `holiday` (法定节假日) makes any day a day
off, `workday` (调休上班日) makes a weekend day a working day. The system administrator enters
each year's schedule under 系统管理 → 工作日历; nothing is built in, so a year nobody has
entered is counted by the weekly rule alone.

Each function reads the exceptions it needs in one query, however long the span (never one
query per day), so a span of years costs the same single query as a week.
Dates are `datetime.date`; a `datetime` is refused because its calendar day depends on the
time zone — pass `timezone.localdate(...)`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .models import CalendarDay

WEEK = 7
WORKDAYS_PER_WEEK = 5


def _check(day: date, name: str) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"{name} 应为 datetime.date（不含时间），实际为 {type(day).__name__}")
    return day


def _default_working(day: date) -> bool:
    return day.weekday() < 5


def _is_working(day: date, kind: str | None) -> bool:
    if kind == CalendarDay.Kind.HOLIDAY:
        return False
    if kind == CalendarDay.Kind.WORKDAY:
        return True
    return _default_working(day)


def _weekdays_after(start: date, end: date) -> int:
    """Monday–Friday dates in (start, end], by arithmetic."""
    days = (end - start).days
    if days <= 0:
        return 0
    weeks, rest = divmod(days, WEEK)
    count = weeks * WORKDAYS_PER_WEEK
    weekday = start.weekday()
    for _offset in range(rest):
        weekday = (weekday + 1) % WEEK
        if weekday < 5:
            count += 1
    return count


def _exceptions(**date_filter) -> dict[date, str]:
    return dict(CalendarDay.objects.filter(**date_filter).values_list("date", "kind"))


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day (one query)."""
    _check(day, "day")
    kind = CalendarDay.objects.filter(date=day).values_list("kind", flat=True).first()
    return _is_working(day, kind)


def working_days_between(start: date, end: date) -> int:
    """How many working days lie after `start` up to and including `end`; 0 when `end` is
    not after `start` (without a query). `start` itself is never counted, so
    ``working_days_between(d, add_working_days(d, n)) == n`` for every n ≥ 1.
    One query reads the exceptions in (start, end]."""
    _check(start, "start")
    _check(end, "end")
    if end <= start:
        return 0
    count = _weekdays_after(start, end)
    for day, kind in _exceptions(date__gt=start, date__lte=end).items():
        # Only an exception that changes the weekly rule changes the count (a holiday entered
        # on a Saturday, as part of a festival's span, does not).
        count += int(_is_working(day, kind)) - int(_default_working(day))
    return count


def add_working_days(start: date, n: int) -> date:
    """The date that is `n` working days after `start`, `start` itself not counted: the n-th
    working day after it. A deadline of "5 working days" from a rating given on Tuesday
    2027-06-01 is Tuesday 2027-06-08; from a Saturday it is the Friday after.

    `n = 0` means "no working days allowed": `start` when it is a working day, otherwise
    the next working day (a deadline never falls on a day off). So for a non-working `start`,
    n = 0 and n = 1 give the same date.

    A negative `n` raises ValueError. One query reads every exception after `start` (a
    calendar holds a few dozen rows a year, so this stays small for any span).
    """
    _check(start, "start")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n 应为整数，实际为 {type(n).__name__}")
    if n < 0:
        raise ValueError(f"工作日天数不能为负数：{n}")
    exceptions = _exceptions(date__gte=start)
    if n == 0:
        day = start
        while not _is_working(day, exceptions.get(day)):
            day += timedelta(days=1)
        return day
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if _is_working(day, exceptions.get(day)):
            remaining -= 1
    return day


def working_days_in_year(year: int) -> int:
    """Working days from 1 January to 31 December of `year` (one query)."""
    return working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
