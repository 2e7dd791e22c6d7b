"""The deed ledger (实事台账) as Excel: one row per deed with its status, targets, dates, the
rating figures and rectifications — never who rated. Write-only streaming, figures for all
deeds in three queries."""

from __future__ import annotations

import io
from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from . import services
from .models import Level, Rating, Rectification

HEADERS = [
    ("序号", 6),
    ("实事名称", 30),
    ("类别", 12),
    ("来源", 10),
    ("急难愁盼", 8),
    ("地点", 24),
    ("责任单位", 18),
    ("责任干部", 10),
    ("登记日期", 11),
    ("承诺办结", 11),
    ("状态", 8),
    ("办结日期", 11),
    ("回炉返工次数", 8),
    ("量化目标", 36),
    ("有效评价", 8),
    ("满意率（%）", 10),
    ("差评", 6),
    ("已整改", 6),
]


def _num(value) -> str:
    """16, 8.2 — not the database's 16.00."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _safe(value):
    """Neutralise spreadsheet formulas in text typed by users."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def ledger_xlsx(qs: QuerySet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    weight = services.policy().basic_weight
    ids = qs.values("pk")
    counts: dict[int, dict[int, int]] = defaultdict(lambda: dict.fromkeys(Level.values, 0))
    for deed_id, level, n in (
        Rating.objects.filter(deed__in=ids, excluded=False)
        .values_list("deed_id", "level")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[deed_id][level] += n
    bad = {
        row["deed_id"]: row
        for row in Rating.objects.filter(deed__in=ids, excluded=False, first_level__lte=Level.BAD)
        .values("deed_id")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(rectification__status=Rectification.Status.DONE)),
        )
        .order_by()
    }
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("实事台账")
    for i, (_h, width) in enumerate(HEADERS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "C2"
    bold = Font(bold=True)
    header = []
    for title, _w in HEADERS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    qs = qs.select_related("unit", "cadre", "status").prefetch_related("targets")
    for n, d in enumerate(qs.iterator(chunk_size=1000), start=1):
        c = counts.get(d.pk) or dict.fromkeys(Level.values, 0)
        valid = sum(c.values())
        happy = c[Level.VERY_GOOD] + c[Level.GOOD] + weight * c[Level.FAIR]
        targets = "；".join(
            f"{t.name} {_num(t.achieved)}/{_num(t.planned)}{t.unit_label}" for t in d.targets.all()
        )
        b = bad.get(d.pk, {})
        ws.append(
            [
                n,
                _safe(d.title),
                d.get_category_display(),
                d.get_source_display(),
                "是" if d.urgent else "",
                _safe(d.location),
                d.unit.short_name or d.unit.name,
                d.cadre.name if d.cadre_id else "",
                d.opened_on,
                d.promised_on,
                d.status.name,
                d.done_on,
                d.reworks,
                _safe(targets),
                valid,
                round(float(100 * happy / valid), 1) if valid else "",
                b.get("n", 0),
                b.get("done", 0),
            ]
        )
    ws.append([])
    ws.append([f"实事台账，导出于 {timezone.localtime():%Y-%m-%d %H:%M}；评价人信息不导出"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
