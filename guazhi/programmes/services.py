"""Placement workflows (create, finish, extension and early end with approval) and batch
composition statistics."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from guazhi.cadres.models import Cadre
from guazhi.core.models import User

from . import access
from .models import Batch, Placement, PlacementChange, Post


class PlacementError(Exception):
    """A refused placement action; the message is shown to the user as it is."""


def refresh_cadre_status(cadre: Cadre) -> None:
    """The cadre's 挂职状态 follows his placements and active nominations."""
    current = cadre.placements.current().order_by("-start").first()
    if current is not None:
        status = current.status
    elif cadre.nominations.filter(
        Q(status="pending") | Q(status="approved", placement__isnull=True)
    ).exists():
        # An approved nomination that already led to a placement is history, not 推荐中.
        status = Cadre.PlacementStatus.NOMINATED
    else:
        last = cadre.placements.order_by("-start").first()
        status = last.status if last is not None else Cadre.PlacementStatus.NONE
    if cadre.placement_status != status:
        cadre.placement_status = status
        cadre.save(update_fields=["placement_status", "updated_at"])


@transaction.atomic
def placement_create(*, cadre: Cadre, post: Post, start: date | None = None) -> Placement:
    batch = post.batch
    if Placement.objects.current().filter(cadre=cadre).exists():
        raise PlacementError(f"{cadre.name} 目前仍在挂职岗位上，不能同时任职两个岗位")
    if post.placements.count() >= post.capacity:
        raise PlacementError(f"岗位“{post}”已满（{post.capacity} 人）")
    placement = Placement.objects.create(
        cadre=cadre,
        batch=batch,
        post=post,
        host_unit=post.host_unit,
        start=start or batch.start,
        planned_end=batch.end,
    )
    refresh_cadre_status(cadre)
    return placement


@transaction.atomic
def placement_finish(*, placement: Placement, by: User, end: date, note: str = "") -> Placement:
    """期满: the placement ends on (or after) its planned end."""
    if not access.can_placement(by, "programmes.change_placement", placement):
        raise PlacementError("无权办理该任职记录")
    if not placement.is_open:
        raise PlacementError("该任职已结束")
    if end < placement.start:
        raise PlacementError("结束日期不能早于到岗日期")
    if end < placement.planned_end:
        raise PlacementError(
            f"计划结束日期是 {placement.planned_end:%Y-%m-%d}；更早结束请申请“提前结束”并经审批"
        )
    placement.status = Placement.Status.FINISHED
    placement.actual_end = end
    placement.note = note[:200]
    placement.save()
    refresh_cadre_status(placement.cadre)
    return placement


@transaction.atomic
def change_request(
    *, placement: Placement, by: User, kind: str, new_end: date, reason: str
) -> PlacementChange:
    if not access.can_placement(by, "programmes.change_placement", placement):
        raise PlacementError("无权为该任职记录提出申请")
    if not placement.is_open:
        raise PlacementError("该任职已结束，不能再申请延期或提前结束")
    if not reason.strip():
        raise PlacementError("请填写申请理由")
    if placement.changes.filter(status=PlacementChange.Status.PENDING).exists():
        raise PlacementError("该任职已有待审批的申请，请等审批后再提")
    if kind == PlacementChange.Kind.EXTEND and new_end <= placement.planned_end:
        raise PlacementError(
            f"延期后的结束日期须晚于当前计划结束日期 {placement.planned_end:%Y-%m-%d}"
        )
    if kind == PlacementChange.Kind.END_EARLY and not (
        placement.start <= new_end < placement.planned_end
    ):
        raise PlacementError(
            f"提前结束日期须在到岗日期 {placement.start:%Y-%m-%d} 与计划结束日期 "
            f"{placement.planned_end:%Y-%m-%d} 之间"
        )
    if kind not in PlacementChange.Kind.values:
        raise PlacementError("未知的申请类型")
    return PlacementChange.objects.create(
        placement=placement, kind=kind, new_end=new_end, reason=reason.strip(), requested_by=by
    )


@transaction.atomic
def change_decide(
    *, change: PlacementChange, by: User, approve: bool, note: str = ""
) -> PlacementChange:
    change = PlacementChange.objects.select_for_update().get(pk=change.pk)
    placement = change.placement
    if not access.can_placement(by, "programmes.approve_placement_change", placement):
        raise PlacementError("无权审批该申请")
    if change.status != PlacementChange.Status.PENDING:
        raise PlacementError("该申请已处理")
    if change.requested_by_id == by.pk:
        raise PlacementError("申请人不能审批自己的申请，请由另一位有审批权限的同志办理")
    if not approve and not note.strip():
        raise PlacementError("不批准时请填写理由")
    change.status = PlacementChange.Status.APPROVED if approve else PlacementChange.Status.REJECTED
    change.decided_by = by
    change.decided_at = timezone.now()
    change.decision_note = note.strip()[:300]
    change.save()
    if approve:
        if change.kind == PlacementChange.Kind.EXTEND:
            placement.planned_end = change.new_end
            placement.status = Placement.Status.EXTENDED
        else:
            placement.actual_end = change.new_end
            placement.status = Placement.Status.ENDED_EARLY
        placement.save()
        refresh_cadre_status(placement.cadre)
    return change


@transaction.atomic
def change_cancel(*, change: PlacementChange, by: User) -> PlacementChange:
    if change.requested_by_id != by.pk:
        raise PlacementError("只有申请人可以撤回申请")
    if change.status != PlacementChange.Status.PENDING:
        raise PlacementError("该申请已处理")
    change.status = PlacementChange.Status.CANCELLED
    change.save()
    return change


# --- batch composition ----------------------------------------------------------------------


@dataclass
class Composition:
    """Who a batch sent: counts by gender, birth decade, rank and sending unit."""

    total: int = 0
    young: int = 0
    gender: Counter = field(default_factory=Counter)
    cohorts: Counter = field(default_factory=Counter)
    ranks: Counter = field(default_factory=Counter)
    units: Counter = field(default_factory=Counter)
    education: Counter = field(default_factory=Counter)

    @property
    def share_young(self) -> str:
        return self.share(self.young)

    def share(self, count: int) -> str:
        return f"{count * 100 / self.total:.1f}%" if self.total else "—"

    def rows(self, counter: Counter) -> list[tuple[str, int, str]]:
        return [(k, v, self.share(v)) for k, v in counter.most_common()]

    def sections(self) -> list[tuple[str, list[tuple[str, int, str]]]]:
        order = sorted(self.cohorts.items(), key=lambda kv: kv[0])
        return [
            ("性别", self.rows(self.gender)),
            ("年龄段", [(k, v, self.share(v)) for k, v in order]),
            ("职级", self.rows(self.ranks)),
            ("学历", self.rows(self.education)),
            ("派出单位", self.rows(self.units)),
        ]


def batch_composition(batch: Batch, placements=None) -> Composition:
    """From the batch's placements (the cadres actually sent)."""
    if placements is None:
        placements = batch.placements.all()
    return compositions(placements.filter(batch=batch)).get(batch.pk, Composition())


def compositions(placements) -> dict[int, Composition]:
    """Batch id → the composition of the given placements of that batch, in one query."""
    result: dict[int, Composition] = {}
    rows = placements.select_related("batch__programme", "cadre__unit", "cadre__rank")
    for p in rows.order_by():
        cadre, comp = p.cadre, result.setdefault(p.batch_id, Composition())
        comp.total += 1
        comp.young += p.batch.is_young(cadre)
        comp.gender[cadre.gender] += 1
        comp.cohorts[cadre.cohort] += 1
        comp.ranks[cadre.rank.name if cadre.rank else "未填写"] += 1
        comp.units[cadre.unit.short_name or cadre.unit.name] += 1
        comp.education[cadre.fulltime_education or "未填写"] += 1
    return result


def composition_xlsx(batch: Batch, comp: Composition) -> bytes:
    """The composition as an Excel sheet: one block per dimension."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from guazhi.core import xlsx

    wb = Workbook()
    ws = wb.active
    ws.title = "批次构成"
    ws.append([f"{batch} 选派干部构成"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"共 {comp.total} 人；年轻干部 {comp.young} 人（{comp.share(comp.young)}）"])
    for title, rows in comp.sections():
        ws.append([])
        ws.append([title, "人数", "占比"])
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for label, count, share in rows:
            ws.append([xlsx.text(label), count, share])  # a unit's name stays text
            ws.cell(ws.max_row, 3).alignment = Alignment(horizontal="right")
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 10
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
