"""The projects app's data sources for the assessment's quantitative indicators
(`guazhi.assessment.sources`): leads found, projects signed and amount landed, computed from
the credits (项目贡献) of each placement's cadre.

A fact counts for a placement when its date falls inside both the period asked for and the
placement (start to actual or planned end), so a cadre sent twice is not credited twice:
- projects_leads: projects credited to him as 发现线索, by the date the lead was found;
- projects_signed: projects credited to him (any role), by their signing date;
- amount_landed: the landed amount (万元) of those projects, by their landing date.

Each costs two queries however many placements are asked for (one for the placements'
dates, one per 5,000 cadres for the credits)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from guazhi.assessment.sources import CHUNK, _listed, _period

from .models import Credit


def _placements(placements) -> list[tuple[int, int, date, date]]:
    """(id, cadre_id, start, end) of each placement."""
    from guazhi.programmes.models import Placement

    if isinstance(placements, QuerySet):
        qs = Placement.objects.filter(pk__in=placements.values("pk"))
    else:
        ids = [p if isinstance(p, int) else p.pk for p in placements]
        qs = Placement.objects.filter(pk__in=ids)
    return [
        (pk, cadre_id, start, actual or planned)
        for pk, cadre_id, start, actual, planned in qs.values_list(
            "pk", "cadre_id", "start", "actual_end", "planned_end"
        )
    ]


def _facts(cadre_ids: list[int], date_field: str, start: date, end: date, roles=None):
    """(cadre_id, project_id, title, fact date, landed amount) of the credited projects whose
    `date_field` falls in [start, end]; one row per cadre and project."""
    base = Credit.objects.filter(
        **{f"project__{date_field}__gte": start, f"project__{date_field}__lte": end}
    )
    if roles:
        base = base.filter(role__in=roles)
    seen = set()
    for i in range(0, len(cadre_ids), CHUNK):
        rows = (
            base.filter(cadre_id__in=cadre_ids[i : i + CHUNK])
            .order_by(f"project__{date_field}", "project_id")
            .values_list(
                "cadre_id",
                "project_id",
                "project__title",
                f"project__{date_field}",
                "project__landed_amount",
            )
        )
        for row in rows:
            if (row[0], row[1]) not in seen:
                seen.add((row[0], row[1]))
                yield row


def _num(value: Decimal) -> str:
    """5000, 3000.5 — amounts come from the database with two decimals, which `:g` keeps."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _compute(date_field: str, what: str, unit: str, roles=None, amount: bool = False):
    def compute(placements, start: date, end: date):
        rows = _placements(placements)
        by_cadre: dict[int, list[tuple[int, date, date]]] = defaultdict(list)
        for pid, cadre_id, p_start, p_end in rows:
            by_cadre[cadre_id].append((pid, p_start, p_end))
        found: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
        for cadre_id, _project_id, title, day, landed in _facts(
            sorted(by_cadre), date_field, start, end, roles
        ):
            for pid, p_start, p_end in by_cadre[cadre_id]:
                if p_start <= day <= p_end:
                    found[pid].append((f"{day:%m-%d} {title}", landed or Decimal(0)))
        period = _period(start, end)
        result = {}
        for pid, *_rest in rows:
            items = found.get(pid, [])
            if amount:
                value = sum((a for _t, a in items), Decimal(0))
                listed = [f"{t} {_num(a)} 万元" for t, a in items]
            else:
                value = Decimal(len(items))
                listed = [t for t, _a in items]
            if items:
                text = f"{period} {what} {_num(value)} {unit}：{_listed(listed)}"
            else:
                text = f"{period} 项目库中无{what}记录"
            result[pid] = (value, text)
        return result

    return compute


def register() -> None:
    from guazhi.assessment.sources import PLANNED
    from guazhi.assessment.sources import register as add

    for code, compute in (
        ("projects_leads", _compute("found_on", "发现项目线索", "条", roles=[Credit.Role.FOUND])),
        ("projects_signed", _compute("signed_on", "推动签约项目", "个")),
        ("amount_landed", _compute("landed_on", "到位资金", "万元", amount=True)),
    ):
        label, unit = PLANNED[code]
        add(code, label, unit, compute)
