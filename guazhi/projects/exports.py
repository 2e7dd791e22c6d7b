"""The project ledger (项目台账) as Excel: one row per project with its stage, light, source,
amounts, evidence dates, owner and the cadres credited; write-only streaming, so 20,000
projects export without holding the workbook's cells in memory."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import timezone

from guazhi.core import xlsx

from .models import Credit, Light, Project

HEADERS = [
    ("序号", 6),
    ("项目名称", 30),
    ("企业", 28),
    ("行业", 10),
    ("拟落地区县", 10),
    ("责任单位", 16),
    ("批次", 8),
    ("线索来源", 12),
    ("发现日期", 11),
    ("阶段", 8),
    ("状态", 8),
    ("红黄绿灯", 8),
    ("无进展天数", 10),
    ("计划投资（万元）", 14),
    ("签约金额（万元）", 14),
    ("签约日期", 11),
    ("签约活动", 20),
    ("到位资金（万元）", 14),
    ("落地日期", 11),
    ("投产日期", 11),
    ("责任人", 10),
    ("贡献干部", 30),
    ("终止原因", 16),
]


def ledger_xlsx(qs: QuerySet[Project], programme) -> bytes:
    from openpyxl import Workbook

    today = timezone.localdate()
    light_labels = dict(Light.choices)
    credits: dict[int, list[str]] = {}
    ids = list(qs.values_list("pk", flat=True))
    for i in range(0, len(ids), 5000):
        for pid, name, role in (
            Credit.objects.filter(project_id__in=ids[i : i + 5000])
            .order_by("project_id", "role", "pk")
            .values_list("project_id", "cadre__name", "role")
        ):
            credits.setdefault(pid, []).append(f"{name}（{Credit.Role(role).label}）")
    wb = Workbook(write_only=True)
    ws = xlsx.sheet(wb, "项目台账", HEADERS, freeze="C2")
    for n, p in enumerate(qs.iterator(chunk_size=2000), start=1):
        ws.append(
            [
                n,
                xlsx.text(p.title),
                xlsx.text(p.enterprise.name) if p.enterprise_id else "",
                p.get_sector_display(),
                xlsx.text(p.district),
                xlsx.text(p.unit.short_name or p.unit.name),
                p.batch.label if p.batch_id else "",
                p.get_channel_display(),
                p.found_on,
                p.stage.name,
                p.get_status_display(),
                str(light_labels.get(getattr(p, "light", ""), "")),
                (today - p.last_progress_on).days if p.is_active and not p.is_finished else "",
                float(p.planned_amount),
                float(p.signed_amount),
                p.signed_on,
                xlsx.text(p.signed_event.name) if p.signed_event_id else "",
                float(p.landed_amount),
                p.landed_on,
                p.production_on,
                xlsx.text(p.owner.full_name or p.owner.username),
                xlsx.text("、".join(credits.get(p.pk, []))),
                xlsx.text(p.terminated_reason),
            ]
        )
    ws.append([])
    ws.append(
        [f"{programme.name} 项目台账，导出于 {timezone.localtime():%Y-%m-%d %H:%M}；金额单位：万元"]
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
