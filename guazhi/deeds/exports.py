"""The deed ledger (实事台账) as Excel: one row per deed with its status, targets, dates, the
rating figures and rectifications — never who rated. Write-only streaming, figures for all
deeds in three queries."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import timezone

from guazhi.core import xlsx

from . import services
from .models import Rating

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


def ledger_xlsx(qs: QuerySet) -> bytes:
    from openpyxl import Workbook

    ids = list(qs.values_list("pk", flat=True))
    # The figures' own definitions (services.rating_figures_by): valid ratings, 满意率 with
    # the policy's weight, bad ratings and those rectified — two queries for all the deeds.
    figures = services.rating_figures_by(
        Rating.objects.filter(deed__in=qs.values("pk")), "deed_id", ids
    )
    wb = Workbook(write_only=True)
    ws = xlsx.sheet(wb, "实事台账", HEADERS, freeze="C2")
    qs = qs.select_related("unit", "cadre", "status").prefetch_related("targets")
    for n, d in enumerate(qs.iterator(chunk_size=1000), start=1):
        f = figures[d.pk]
        targets = "；".join(
            f"{t.name} {_num(t.achieved)}/{_num(t.planned)}{t.unit_label}" for t in d.targets.all()
        )
        ws.append(
            [
                n,
                xlsx.text(d.title),
                d.get_category_display(),
                d.get_source_display(),
                "是" if d.urgent else "",
                xlsx.text(d.location),
                d.unit.short_name or d.unit.name,
                d.cadre.name if d.cadre_id else "",
                d.opened_on,
                d.promised_on,
                d.status.name,
                d.done_on,
                d.reworks,
                xlsx.text(targets),
                f.valid,
                float(f.satisfaction) if f.satisfaction is not None else "",
                f.bad,
                f.rectified,
            ]
        )
    ws.append([])
    ws.append([f"实事台账，导出于 {timezone.localtime():%Y-%m-%d %H:%M}；评价人信息不导出"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
