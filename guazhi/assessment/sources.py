"""Where quantitative indicators get their completed values from (数据来源).

A source turns recorded facts into a value per placement over a period, with the evidence
text that lists what was counted:

    SOURCES["records_visit"].compute(placements, date(2027, 3, 1), date(2027, 12, 31))
    → {placement_id: (Decimal("12"), "走访企业 12 次：03-05 北京某科技有限公司；…")}

`compute` works in bulk: one or two queries for all the placements however many there are
(`placements` is a queryset — used as a subquery — or a list of placements).

The records and teams sources are registered here. The projects app registers its own
(`projects_leads`, `projects_signed`, `amount_landed`, see guazhi/projects/sources.py) with
`register()` from its hooks.connect(). A code in `PLANNED` that no app has registered is not
offered as a source and its values are entered by hand like any manual indicator."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet

Result = dict[int, tuple[Decimal, str]]
Compute = Callable[[object, date, date], Result]

LISTED = 10  # items named in an evidence text before "等"
CHUNK = 5000  # ids per IN (...) when placements come as a list


@dataclass(frozen=True)
class Source:
    code: str
    label: str  # 数据来源 as shown next to an indicator, e.g. 走访企业次数（工作纪实）
    unit: str
    compute: Compute


SOURCES: dict[str, Source] = {}

# Declared for the projects app: code → (label, unit). Offered once registered.
PLANNED: dict[str, tuple[str, str]] = {
    "projects_leads": ("发现项目线索数（项目库）", "条"),
    "projects_signed": ("推动签约项目数（项目库）", "个"),
    "amount_landed": ("到位资金（项目库）", "万元"),
}


def register(code: str, label: str, unit: str, compute: Compute) -> Source:
    source = Source(code, label, unit, compute)
    SOURCES[code] = source
    return source


def available(code: str) -> bool:
    return code in SOURCES


def choices() -> list[tuple[str, str]]:
    """The sources an indicator may use now (for forms): registered ones only."""
    return [("", "人工填报")] + [(s.code, s.label) for s in SOURCES.values()]


def label(code: str) -> str:
    """A source's label, also for planned and unknown ones (shown on existing indicators)."""
    if not code:
        return "人工填报"
    if code in SOURCES:
        return SOURCES[code].label
    if code in PLANNED:
        return f"{PLANNED[code][0]}（待项目库上线，暂由人工填报）"
    return f"{code}（未知来源，暂由人工填报）"


# --- helpers --------------------------------------------------------------------------------


def restrict(qs: QuerySet, field: str, placements) -> Iterator[QuerySet]:
    """For sources (also the projects app's): `qs` filtered to the placements: one query with a subquery for a queryset, one per
    CHUNK ids for a list."""
    if isinstance(placements, QuerySet):
        yield qs.filter(**{f"{field}__in": placements.values("pk")})
        return
    ids = [p if isinstance(p, int) else p.pk for p in placements]
    for i in range(0, len(ids), CHUNK):
        yield qs.filter(**{f"{field}__in": ids[i : i + CHUNK]})


def placement_rows(placements) -> list[tuple[int, int, int]]:
    """(id, cadre_id, batch_id) of each placement: every source returns a value for each."""
    from guazhi.programmes.models import Placement

    if isinstance(placements, QuerySet):
        return list(placements.values_list("pk", "cadre_id", "batch_id"))
    items = list(placements)
    if items and all(isinstance(p, Placement) for p in items):
        return [(p.pk, p.cadre_id, p.batch_id) for p in items]
    rows = []
    for part in restrict(Placement.objects.all(), "pk", items):
        rows += part.values_list("pk", "cadre_id", "batch_id")
    return rows


def _period(start: date, end: date) -> str:
    return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"


def _listed(items: list[str]) -> str:
    if len(items) > LISTED:
        return "；".join(items[:LISTED]) + f"；等 {len(items)} 项"
    return "；".join(items)


# --- daily records ----------------------------------------------------------------------------


def _records_listing(what: str, unit: str, **filters) -> Compute:
    """Count records matching `filters` and list each (date and linked enterprise/project)."""

    def compute(placements, start: date, end: date) -> Result:
        from guazhi.records.models import DailyRecord

        base = DailyRecord.objects.filter(date__gte=start, date__lte=end, **filters)
        found: dict[int, list[str]] = defaultdict(list)
        for part in restrict(base, "placement_id", placements):
            for pid, day, linked in part.order_by("placement_id", "date", "id").values_list(
                "placement_id", "date", "linked"
            ):
                found[pid].append(f"{day:%m-%d} {linked}".strip())
        result: Result = {}
        period = _period(start, end)
        for pid, *_rest in placement_rows(placements):
            items = found.get(pid, [])
            if items:
                text = f"{period} {what} {len(items)} {unit}：{_listed(items)}"
            else:
                text = f"{period} 工作纪实中无{what}记录"
            result[pid] = (Decimal(len(items)), text)
        return result

    return compute


def _records_total(placements, start: date, end: date) -> Result:
    """All records, with the count per category."""
    from guazhi.records.models import DailyRecord

    labels = {k: str(v) for k, v in DailyRecord.Category.choices}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    base = DailyRecord.objects.filter(date__gte=start, date__lte=end)
    for part in restrict(base, "placement_id", placements):
        rows = part.values("placement_id", "category").annotate(n=Count("id")).order_by()
        for row in rows:
            counts[row["placement_id"]][row["category"]] = row["n"]
    result: Result = {}
    period = _period(start, end)
    order = list(labels)
    for pid, *_rest in placement_rows(placements):
        by_category = counts.get(pid, {})
        total = sum(by_category.values())
        if total:
            parts = "、".join(
                f"{labels.get(c, c)} {by_category[c]}"
                for c in sorted(by_category, key=lambda c: order.index(c) if c in order else 99)
            )
            text = f"{period} 工作纪实 {total} 条：{parts}"
        else:
            text = f"{period} 无工作纪实"
        result[pid] = (Decimal(total), text)
    return result


# --- meetings -------------------------------------------------------------------------------


def _meetings_attended(placements, start: date, end: date) -> Result:
    """Meetings of the placement's own team (its batch's) the cadre attended, by type."""
    from guazhi.teams.models import Attendance, MeetingType

    labels = {k: str(v) for k, v in MeetingType.choices}
    rows = placement_rows(placements)
    by_cadre_batch = {(cadre_id, batch_id): pid for pid, cadre_id, batch_id in rows}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    base = Attendance.objects.filter(present=True, meeting__date__gte=start, meeting__date__lte=end)
    cadre_ids = sorted({cadre_id for _pid, cadre_id, _b in rows})
    for i in range(0, len(cadre_ids), CHUNK):
        part = (
            base.filter(cadre_id__in=cadre_ids[i : i + CHUNK])
            .values("cadre_id", "meeting__team__batch_id", "meeting__kind")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in part:
            pid = by_cadre_batch.get((row["cadre_id"], row["meeting__team__batch_id"]))
            if pid is not None:
                counts[pid][row["meeting__kind"]] = row["n"]
    result: Result = {}
    period = _period(start, end)
    order = list(labels)
    for pid, *_rest in rows:
        by_kind = counts.get(pid, {})
        total = sum(by_kind.values())
        if total:
            parts = "、".join(
                f"{labels.get(k, k)} {by_kind[k]}"
                for k in sorted(by_kind, key=lambda k: order.index(k) if k in order else 99)
            )
            text = f"{period} 参加工作队会议 {total} 次：{parts}"
        else:
            text = f"{period} 无参加工作队会议的记录"
        result[pid] = (Decimal(total), text)
    return result


register("records_total", "工作纪实条数（工作纪实）", "条", _records_total)
register(
    "records_visit",
    "走访企业次数（工作纪实）",
    "次",
    _records_listing("走访企业", "次", category="visit"),
)
register(
    "records_lead",
    "发现项目线索数（工作纪实）",
    "条",
    _records_listing("发现项目线索", "条", category="lead"),
)
register(
    "records_positive",
    "正面实绩条数（工作纪实）",
    "条",
    _records_listing("被标记为正面实绩的工作纪实", "条", evidence="positive"),
)
register("meetings_attended", "参加会议次数（工作队会议）", "次", _meetings_attended)


def compute_many(codes: Iterable[str], placements, start: date, end: date) -> dict[str, Result]:
    """Every available source among `codes` computed once for all the placements."""
    return {
        code: SOURCES[code].compute(placements, start, end)
        for code in dict.fromkeys(codes)
        if code in SOURCES
    }
