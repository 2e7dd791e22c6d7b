"""Daily records (工作纪实): writing, changing and deleting one's own records, the team
leader's comment and evidence mark, ISO-week summaries and the weekly reminders.

`weekly_summary` and `evidence_counts` are what the assessment reads: both take cadre ids or
a cadre and a date range and cost one query (two for `evidence_counts`, which also reads the
placements to know which weeks were due).

A week is an ISO week, Monday to Sunday. A cadre is *due* a record for a week when he was on
post on at least one working day (Monday–Friday) of it: his placement started by the Friday
and had not ended before the Monday.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guazhi.cadres.models import Cadre
from guazhi.core.models import User
from guazhi.programmes.models import Placement

from .models import DailyRecord

CONTENT_MAX = 4000
COMMENT_MAX = 2000


class RecordError(Exception):
    """A rule of the records was broken; the message is shown to the user. `field` names the
    form field it belongs to, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- weeks -----------------------------------------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_code(monday: date) -> str:
    """ "2027-W19", the value of an <input type="week"> and of `?week=`."""
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(value: str | None) -> date | None:
    """The Monday of an ISO week written as "2027-W19" (or "2027W19"), None when not one."""
    value = (value or "").strip().upper().replace("W", "-W").replace("--", "-")
    try:
        year, week = value.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return None


def week_range_label(monday: date) -> str:
    """ "05-03–05-09": how the notices and pages name a week."""
    return f"{monday:%m-%d}–{monday + timedelta(days=6):%m-%d}"


def placement_end(placement: Placement) -> date:
    return placement.actual_end or placement.planned_end


def on_post_q(monday: date, prefix: str = "") -> Q:
    """Placements on post on at least one working day of the week starting `monday`."""
    return Q(**{f"{prefix}start__lte": monday + timedelta(days=4)}) & (
        Q(**{f"{prefix}actual_end__gte": monday})
        | Q(**{f"{prefix}actual_end__isnull": True, f"{prefix}planned_end__gte": monday})
    )


def weeks_on_post(placements: Iterable[Placement], start: date, end: date) -> list[date]:
    """Mondays of the weeks between `start` and `end` in which one of the placements was on
    post on a working day, oldest first."""
    windows = [(p.start, placement_end(p)) for p in placements]
    mondays = []
    monday = week_start(start)
    while monday <= end:
        if any(s <= monday + timedelta(days=4) and e >= monday for s, e in windows):
            mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


# --- summaries -------------------------------------------------------------------------------


@dataclass
class WeekSummary:
    cadre_id: int
    week_start: date
    total: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    positive: int = 0
    negative: int = 0
    commented: int = 0
    entries: list[DailyRecord] = field(default_factory=list)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def code(self) -> str:
        return week_code(self.week_start)

    @property
    def label(self) -> str:
        return week_range_label(self.week_start)

    @property
    def uncommented(self) -> int:
        return self.total - self.commented

    @property
    def categories(self) -> list[tuple[str, int]]:
        """(label, count) in the order of the category list."""
        return [
            (label, self.by_category[value])
            for value, label in DailyRecord.Category.choices
            if self.by_category.get(value)
        ]


def weekly_summary(
    cadre_ids: Iterable[int],
    start: date,
    end: date,
    *,
    records: QuerySet[DailyRecord] | None = None,
) -> dict[int, dict[date, WeekSummary]]:
    """For each cadre, each ISO week touching [start, end] (keyed by its Monday, oldest first,
    weeks without records included with zeros): the number of records dated inside the range,
    counts by category, how many are marked positive or negative, how many are commented,
    and the records themselves (oldest first). One query.

    `records` limits what is read (pass `access.records_for(user)` for a page); by default
    all records are read — for services such as the assessment."""
    ids = list(dict.fromkeys(cadre_ids))
    mondays = []
    monday = week_start(start)
    while monday <= end:
        mondays.append(monday)
        monday += timedelta(days=7)
    result = {
        cadre_id: {m: WeekSummary(cadre_id=cadre_id, week_start=m) for m in mondays}
        for cadre_id in ids
    }
    if not ids or start > end:
        return result
    base = DailyRecord.objects.all() if records is None else records
    rows = base.filter(cadre_id__in=ids, date__gte=start, date__lte=end).order_by(
        "cadre_id", "date", "id"
    )
    for record in rows:
        summary = result[record.cadre_id][week_start(record.date)]
        summary.total += 1
        summary.by_category[record.category] = summary.by_category.get(record.category, 0) + 1
        if record.evidence == DailyRecord.Evidence.POSITIVE:
            summary.positive += 1
        elif record.evidence == DailyRecord.Evidence.NEGATIVE:
            summary.negative += 1
        if record.commented_at is not None:
            summary.commented += 1
        summary.entries.append(record)
    return result


@dataclass
class EvidenceCounts:
    """What a cadre's records say about [start, end]."""

    total: int
    positive: int
    negative: int
    commented: int
    by_category: dict[str, int]
    weeks_due: int  # weeks in the range he was on post (see the module's docstring)
    weeks_with_records: int  # of those, weeks with at least one record
    missing_weeks: list[date]  # Mondays of the due weeks without a record

    @property
    def weeks_missing(self) -> int:
        return len(self.missing_weeks)


def evidence_counts(cadre: Cadre, start: date, end: date) -> EvidenceCounts:
    """Counts of a cadre's records dated in [start, end]: total, marked positive / negative,
    commented, by category, and how many of the weeks he was on post have a record. Two
    queries."""
    rows = list(
        DailyRecord.objects.filter(cadre=cadre, date__gte=start, date__lte=end).values_list(
            "date", "category", "evidence", "commented_at"
        )
    )
    by_category: dict[str, int] = {}
    for _day, category, _evidence, _at in rows:
        by_category[category] = by_category.get(category, 0) + 1
    written = {week_start(day) for day, *_rest in rows}
    due = weeks_on_post(cadre.placements.all(), start, end)
    return EvidenceCounts(
        total=len(rows),
        positive=sum(1 for r in rows if r[2] == DailyRecord.Evidence.POSITIVE),
        negative=sum(1 for r in rows if r[2] == DailyRecord.Evidence.NEGATIVE),
        commented=sum(1 for r in rows if r[3] is not None),
        by_category=by_category,
        weeks_due=len(due),
        weeks_with_records=sum(1 for m in due if m in written),
        missing_weeks=[m for m in due if m not in written],
    )


# --- writing ---------------------------------------------------------------------------------


def _check_values(*, placement: Placement, day: date, category: str, content: str) -> str:
    today = timezone.localdate()
    if day > today:
        raise RecordError(_("日期不能晚于今天（%(d)s）") % {"d": f"{today:%Y-%m-%d}"}, "date")
    if day < placement.start:
        raise RecordError(
            _("日期不能早于到岗日期（%(d)s）") % {"d": f"{placement.start:%Y-%m-%d}"}, "date"
        )
    if placement.actual_end and day > placement.actual_end:
        raise RecordError(
            _("日期不能晚于挂职结束日期（%(d)s）") % {"d": f"{placement.actual_end:%Y-%m-%d}"},
            "date",
        )
    if category not in DailyRecord.Category.values:
        raise RecordError(_("请从列表中选择类别"), "category")
    content = (content or "").strip()
    if not content:
        raise RecordError(_("请填写工作内容"), "content")
    if len(content) > CONTENT_MAX:
        raise RecordError(_("工作内容不能超过 %(n)s 字") % {"n": CONTENT_MAX}, "content")
    return content


def record_create(
    *,
    placement: Placement,
    by: User,
    date: date,
    category: str,
    content: str,
    linked: str = "",
) -> DailyRecord:
    """A cadre writes a record for his open placement."""
    if placement.cadre.user_id != by.pk or not placement.is_open:
        raise RecordError(_("只有在岗的挂职干部本人可以填写工作纪实"))
    content = _check_values(placement=placement, day=date, category=category, content=content)
    return DailyRecord.objects.create(
        cadre=placement.cadre,
        placement=placement,
        date=date,
        category=category,
        content=content,
        linked=(linked or "").strip(),
    )


def _check_owner(record: DailyRecord, by: User) -> None:
    if record.cadre.user_id != by.pk:
        raise RecordError(_("只有本人可以修改或删除自己的工作纪实"))
    if record.is_locked:
        raise RecordError(
            _("这条纪实已被队长标记为“%(mark)s”，不能再修改或删除；如需更正请联系队长。")
            % {"mark": record.get_evidence_display()}
        )


@transaction.atomic
def record_update(
    *,
    record: DailyRecord,
    by: User,
    date: date,
    category: str,
    content: str,
    linked: str = "",
) -> DailyRecord:
    """The cadre changes his record, until the leader has marked it."""
    record = (
        DailyRecord.objects.select_for_update()
        .select_related("cadre", "placement")
        .get(pk=record.pk)
    )
    _check_owner(record, by)
    record.content = _check_values(
        placement=record.placement, day=date, category=category, content=content
    )
    record.date = date
    record.category = category
    record.linked = (linked or "").strip()
    record.save()
    return record


@transaction.atomic
def record_delete(*, record: DailyRecord, by: User) -> None:
    record = DailyRecord.objects.select_for_update().select_related("cadre").get(pk=record.pk)
    _check_owner(record, by)
    record.delete()


def record_comment(*, record: DailyRecord, by: User, comment: str, evidence: str) -> DailyRecord:
    """The leader's comment and evidence mark; a mark locks the record for the cadre, taking
    it off again unlocks it. Who may comment is `access.can_comment`."""
    if record.cadre.user_id == by.pk:
        raise RecordError(_("不能点评自己的工作纪实"))
    comment = (comment or "").strip()
    if evidence not in DailyRecord.Evidence.values:
        raise RecordError(_("请从列表中选择实绩标记"), "evidence")
    if not comment and not evidence:
        raise RecordError(_("请填写点评意见或选择实绩标记"), "comment")
    if len(comment) > COMMENT_MAX:
        raise RecordError(_("点评不能超过 %(n)s 字") % {"n": COMMENT_MAX}, "comment")
    record.leader_comment = comment
    record.evidence = evidence
    record.commented_by = by
    record.commented_at = timezone.now()
    record.save(
        update_fields=["leader_comment", "evidence", "commented_by", "commented_at", "updated_at"]
    )
    return record


# --- reminders -------------------------------------------------------------------------------


def previous_week(today: date) -> date:
    """The Monday of the last complete ISO week before `today`."""
    return week_start(today) - timedelta(days=7)


def weekly_reminders(today: date):
    """Reminder provider (`guazhi.core.notices.PROVIDERS`): for the previous complete week,
    each cadre on post (open placement, linked account, due that week) without a record, and
    the leader and deputies of each team with such cadres (one notice per team). Four
    queries."""
    from django.urls import reverse

    from guazhi.core.notices import Due
    from guazhi.teams.models import WorkTeam

    monday = previous_week(today)
    sunday = monday + timedelta(days=6)
    code = week_code(monday)
    label = week_range_label(monday)
    due = list(
        Placement.objects.filter(on_post_q(monday)).values(
            "cadre_id", "cadre__user_id", "batch_id", "status"
        )
    )
    if not due:
        return []
    written = set(
        DailyRecord.objects.filter(
            cadre_id__in={p["cadre_id"] for p in due}, date__gte=monday, date__lte=sunday
        )
        .values_list("cadre_id", flat=True)
        .distinct()
    )
    notices = []
    missing_by_batch: dict[int, set[int]] = {}
    new_url = reverse("records:create")
    for p in due:
        if p["cadre_id"] in written:
            continue
        missing_by_batch.setdefault(p["batch_id"], set()).add(p["cadre_id"])
        if p["cadre__user_id"] and p["status"] in Placement.OPEN_STATUSES:
            notices.append(
                Due(
                    user_id=p["cadre__user_id"],
                    key=f"records:week:{code}:cadre:{p['cadre_id']}",
                    kind=_("工作纪实"),
                    text=_("上周（%(week)s）没有工作纪实") % {"week": label},
                    url=new_url,
                )
            )
    weekly_url = reverse("records:weekly") + f"?week={code}"
    teams = WorkTeam.objects.filter(batch_id__in=missing_by_batch).prefetch_related("deputies")
    for team in teams:
        n = len(missing_by_batch[team.batch_id])
        text = _("上周（%(week)s）%(team)s有 %(n)s 名干部没有工作纪实") % {
            "week": label,
            "team": team.name,
            "n": n,
        }
        for user_id in {team.leader_id, *(d.pk for d in team.deputies.all())}:
            notices.append(
                Due(
                    user_id=user_id,
                    key=f"records:week:{code}:team:{team.pk}",
                    kind=_("工作纪实"),
                    text=text,
                    url=weekly_url,
                )
            )
    return notices
