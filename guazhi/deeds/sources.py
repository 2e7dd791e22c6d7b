"""The deeds app's data sources for the assessment's quantitative indicators
(`guazhi.assessment.sources`), over the deeds a placement's cadre is responsible for:

- deeds_done: deeds done (办结) inside both the period and the placement, listed by title;
- deeds_satisfaction: 满意率 (%) of the valid ratings given inside the period and the
  placement on his deeds, with the rating counts as evidence. With no rating the value is 0
  and the text says there was none, so the assessor can judge rather than read it as 0 %.

Each costs two queries however many placements are asked for."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from guazhi.assessment.sources import _listed, _period

from .models import Deed, Level, Rating


def _placements(placements) -> list[tuple[int, int, date, date]]:
    from guazhi.programmes.models import Placement

    if isinstance(placements, QuerySet):
        qs = Placement.objects.filter(pk__in=placements.values("pk"))
    else:
        qs = Placement.objects.filter(
            pk__in=[p if isinstance(p, int) else p.pk for p in placements]
        )
    return [
        (pk, cadre_id, start, actual or planned)
        for pk, cadre_id, start, actual, planned in qs.values_list(
            "pk", "cadre_id", "start", "actual_end", "planned_end"
        )
    ]


def deeds_done(placements, start: date, end: date):
    rows = _placements(placements)
    cadres = {cadre_id for _pk, cadre_id, *_ in rows}
    done = defaultdict(list)
    for cadre_id, day, title in (
        Deed.objects.filter(cadre_id__in=cadres, done_on__gte=start, done_on__lte=end)
        .order_by("done_on", "pk")
        .values_list("cadre_id", "done_on", "title")
    ):
        done[cadre_id].append((day, title))
    period = _period(start, end)
    result = {}
    for pk, cadre_id, p_start, p_end in rows:
        items = [f"{d:%m-%d} {t}" for d, t in done.get(cadre_id, []) if p_start <= d <= p_end]
        text = (
            f"{period} 办结实事 {len(items)} 件：{_listed(items)}"
            if items
            else f"{period} 无办结的实事"
        )
        result[pk] = (Decimal(len(items)), text)
    return result


def deeds_satisfaction(placements, start: date, end: date):
    from . import services

    rows = _placements(placements)
    cadres = {cadre_id for _pk, cadre_id, *_ in rows}
    ratings = defaultdict(list)
    for cadre_id, created, level in Rating.objects.filter(
        deed__cadre_id__in=cadres,
        excluded=False,
        created_at__date__gte=start,
        created_at__date__lte=end,
    ).values_list("deed__cadre_id", "created_at__date", "level"):
        ratings[cadre_id].append((created, level))
    weight = services.policy().basic_weight
    period = _period(start, end)
    result = {}
    for pk, cadre_id, p_start, p_end in rows:
        levels = [lv for d, lv in ratings.get(cadre_id, []) if p_start <= d <= p_end]
        if not levels:
            result[pk] = (Decimal(0), f"{period} 所负责实事无群众评价")
            continue
        counts = {lv: levels.count(lv) for lv in Level.values}
        happy = counts[Level.VERY_GOOD] + counts[Level.GOOD] + weight * counts[Level.FAIR]
        rate = (Decimal(100) * happy / len(levels)).quantize(Decimal("0.1"))
        detail = "，".join(f"{Level(lv).label} {n}" for lv, n in counts.items() if n)
        result[pk] = (rate, f"{period} 有效评价 {len(levels)} 条（{detail}），满意率 {rate}%")
    return result


def register() -> None:
    from guazhi.assessment.sources import register as add

    add("deeds_done", "办结实事件数（办实事）", "件", deeds_done)
    add("deeds_satisfaction", "实事满意率（好差评）", "%", deeds_satisfaction)
