"""Return workflows: recording the return (with its follow-up schedule), follow-up
evaluations, career events; programme outcome statistics and their Excel export; the
reminder provider for `guazhi remind`."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.core.access import Scope, scope_for
from guazhi.core.models import Role, User
from guazhi.core.notices import Due
from guazhi.programmes.models import Batch, Placement, Programme

from . import access
from .access import ENDED_STATUSES
from .models import CareerEvent, FollowUp, ReturnRecord

# A follow-up evaluation may be recorded from this many days before it is due.
EARLY_DAYS = 30
# Reminders: follow-ups due within this many days (or overdue); returns not recorded this many
# days after the placement ended.
FOLLOW_UP_NOTICE_DAYS = 14
MISSING_RETURN_DAYS = 30


class ReturnError(Exception):
    """A refused return action; the message is shown to the user as it is."""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Aug + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ended_on(placement: Placement) -> date:
    return placement.actual_end or placement.planned_end


def earliest_evaluation(follow_up: FollowUp) -> date:
    return follow_up.due_on - timedelta(days=EARLY_DAYS)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


# --- the return ---------------------------------------------------------------------------


def _check_return(placement: Placement, returned_on: date, home_post: str, today: date) -> None:
    end = ended_on(placement)
    if returned_on < end:
        raise ReturnError(f"返岗日期不能早于挂职结束日期 {end:%Y-%m-%d}")
    if returned_on > today:
        raise ReturnError("返岗日期不能晚于今天")
    if not home_post.strip():
        raise ReturnError("请填写返岗后职务")


@transaction.atomic
def return_record(
    *,
    placement: Placement,
    by: User,
    returned_on: date,
    home_post: str,
    tasks: str = "",
    platforms: str = "",
    today: date | None = None,
) -> ReturnRecord:
    """返岗: the cadre is back at his home unit; follow-ups are scheduled from the programme's
    `follow_up_schedule` (one per month number, due that many months after the return)."""
    placement = (
        Placement.objects.select_for_update()
        .select_related("cadre__unit", "batch__programme")
        .get(pk=placement.pk)
    )
    cadre = placement.cadre
    if not access.covers(by, "returns.add_returnrecord", cadre):
        raise ReturnError("无权为该干部登记返岗")
    if placement.status not in ENDED_STATUSES:
        raise ReturnError(
            f"{cadre.name} 的挂职尚未结束（{placement.get_status_display()}），"
            "期满或提前结束后才能登记返岗"
        )
    if ReturnRecord.objects.filter(placement=placement).exists():
        raise ReturnError("该次挂职已登记返岗，不能重复登记；如需更正请修改原记录")
    _check_return(placement, returned_on, home_post, _today(today))
    try:
        with transaction.atomic():
            record = ReturnRecord.objects.create(
                placement=placement,
                returned_on=returned_on,
                home_post=home_post.strip(),
                tasks=tasks.strip(),
                platforms=platforms.strip(),
                created_by=by,
            )
    except IntegrityError as exc:  # a concurrent request recorded it first
        raise ReturnError("该次挂职已登记返岗，不能重复登记；如需更正请修改原记录") from exc
    # One by one (not bulk) so each follow-up is in the audit log.
    for months in placement.batch.programme.follow_up_schedule:
        FollowUp.objects.create(
            return_record=record, months=months, due_on=add_months(returned_on, months)
        )
    return record


@transaction.atomic
def return_update(
    *,
    record: ReturnRecord,
    by: User,
    returned_on: date,
    home_post: str,
    tasks: str = "",
    platforms: str = "",
    today: date | None = None,
) -> ReturnRecord:
    """Correct a return record; follow-ups not yet done move with a changed return date."""
    record = (
        ReturnRecord.objects.select_for_update()
        .select_related("placement__cadre__unit")
        .get(pk=record.pk)
    )
    placement = record.placement
    if not access.covers(by, "returns.change_returnrecord", placement.cadre):
        raise ReturnError("无权修改该返岗记录")
    _check_return(placement, returned_on, home_post, _today(today))
    moved = returned_on != record.returned_on
    record.returned_on = returned_on
    record.home_post = home_post.strip()
    record.tasks = tasks.strip()
    record.platforms = platforms.strip()
    record.save()
    if moved:
        for follow_up in record.follow_ups.filter(done_on__isnull=True):
            follow_up.due_on = add_months(returned_on, follow_up.months)
            follow_up.save(update_fields=["due_on"])
    return record


# --- follow-up evaluations ------------------------------------------------------------------


@transaction.atomic
def follow_up_evaluate(
    *,
    follow_up: FollowUp,
    by: User,
    done_on: date,
    result: str,
    evaluation: str,
    today: date | None = None,
) -> FollowUp:
    """Record (or correct) a follow-up evaluation; not earlier than EARLY_DAYS before due."""
    follow_up = (
        FollowUp.objects.select_for_update()
        .select_related("return_record__placement__cadre__unit")
        .get(pk=follow_up.pk)
    )
    record = follow_up.return_record
    if not access.covers(by, "returns.change_followup", record.placement.cadre):
        raise ReturnError("无权评价该干部")
    if result not in FollowUp.Result.values:
        raise ReturnError("请选择评价结果")
    if not evaluation.strip():
        raise ReturnError("请填写评价意见")
    earliest = earliest_evaluation(follow_up)
    if done_on < earliest:
        raise ReturnError(
            f"返岗{follow_up.months}个月跟踪评价应于 {follow_up.due_on:%Y-%m-%d} 进行，"
            f"最早可于 {earliest:%Y-%m-%d} 起评价"
        )
    if done_on < record.returned_on:
        raise ReturnError(f"评价日期不能早于返岗日期 {record.returned_on:%Y-%m-%d}")
    if done_on > _today(today):
        raise ReturnError("评价日期不能晚于今天")
    follow_up.done_on = done_on
    follow_up.result = result
    follow_up.evaluation = evaluation.strip()
    follow_up.evaluated_by = by
    follow_up.save()
    return follow_up


# --- career events --------------------------------------------------------------------------


def default_placement(cadre: Cadre, on: date) -> Placement | None:
    """The placement an event follows unless said otherwise: the cadre's last ended placement
    that had started by the event's date."""
    return (
        cadre.placements.filter(status__in=ENDED_STATUSES, start__lte=on).order_by("-start").first()
    )


@transaction.atomic
def career_event_save(
    *,
    by: User,
    cadre: Cadre,
    kind: str,
    on: date,
    description: str,
    document_number: str = "",
    placement: Placement | None = None,
    event: CareerEvent | None = None,
    today: date | None = None,
) -> CareerEvent:
    """Add (event=None) or change a career event. Without `placement` the event follows the
    cadre's last ended placement (see default_placement)."""
    perm = "returns.change_careerevent" if event else "returns.add_careerevent"
    if not access.covers(by, perm, cadre) or (
        event is not None and not access.covers(by, perm, event.cadre)
    ):
        raise ReturnError("无权为该干部登记职业发展情况")
    if kind not in CareerEvent.Kind.values:
        raise ReturnError("请选择类型")
    if not description.strip():
        raise ReturnError("请填写内容")
    if kind in CareerEvent.OUTCOME_KINDS and not document_number.strip():
        raise ReturnError("提拔、重用须填写文号")
    if on > _today(today):
        raise ReturnError("日期不能晚于今天")
    if placement is not None:
        if placement.cadre_id != cadre.pk:
            raise ReturnError("所选挂职经历不是该干部的")
        if on < placement.start:
            raise ReturnError(f"日期早于所选挂职的到岗日期 {placement.start:%Y-%m-%d}")
    else:
        placement = default_placement(cadre, on)
    event = event or CareerEvent(created_by=by)
    event.cadre = cadre
    event.kind = kind
    event.date = on
    event.description = description.strip()
    event.document_number = document_number.strip()
    event.placement = placement
    event.save()
    return event


# --- programme outcome statistics -----------------------------------------------------------


@dataclass
class OutcomeRow:
    """Distinct cadres of a batch (or of a whole programme, batch=None)."""

    batch: Batch | None
    sent: set = field(default_factory=set)
    returned: set = field(default_factory=set)
    kinds: dict = field(default_factory=lambda: defaultdict(set))

    @property
    def label(self) -> str:
        return self.batch.label if self.batch else "合计"

    def count(self, kind: str) -> int:
        return len(self.kinds[kind])

    @property
    def promoted(self) -> int:
        return self.count(CareerEvent.Kind.PROMOTED)

    @property
    def reused(self) -> int:
        return self.count(CareerEvent.Kind.REUSED)

    @property
    def promoted_or_reused(self) -> int:
        return len(self.kinds[CareerEvent.Kind.PROMOTED] | self.kinds[CareerEvent.Kind.REUSED])

    @property
    def transferred(self) -> int:
        return self.count(CareerEvent.Kind.TRANSFERRED)

    @property
    def honoured(self) -> int:
        return self.count(CareerEvent.Kind.HONOURED)

    @property
    def share(self) -> str:
        return f"{self.promoted_or_reused * 100 / len(self.sent):.1f}%" if self.sent else "—"

    def values(self) -> list:
        return [
            len(self.sent),
            len(self.returned),
            self.promoted,
            self.reused,
            self.promoted_or_reused,
            self.share,
            self.transferred,
            self.honoured,
        ]

    def merge(self, other: OutcomeRow) -> None:
        self.sent |= other.sent
        self.returned |= other.returned
        for kind, cadres in other.kinds.items():
            self.kinds[kind] |= cadres


@dataclass
class ProgrammeOutcome:
    programme: Programme
    rows: list[OutcomeRow]
    total: OutcomeRow


OUTCOME_HEADERS = [
    _("选派人数"),
    _("已返岗"),
    _("提拔"),
    _("重用"),
    _("提拔或重用"),
    _("提拔或重用占比"),
    _("交流"),
    _("评先评优"),
]


def outcome_statistics(
    placements: QuerySet[Placement], events: QuerySet[CareerEvent]
) -> list[ProgrammeOutcome]:
    """Per programme and batch: cadres sent and returned, and the distinct cadres with each
    kind of career event dated on or after the placement's start (an event linked to another
    placement of the same cadre counts for that one only). Three queries."""
    rows = list(placements.values_list("pk", "cadre_id", "batch_id", "start", "return_record__pk"))
    by_cadre: dict[int, list[tuple]] = defaultdict(list)
    for cadre_id, placement_id, kind, on in events.filter(
        cadre_id__in={r[1] for r in rows}
    ).values_list("cadre_id", "placement_id", "kind", "date"):
        by_cadre[cadre_id].append((placement_id, kind, on))
    batches = {
        b.pk: b
        for b in Batch.objects.filter(pk__in={r[2] for r in rows}).select_related("programme")
    }
    per_batch: dict[int, OutcomeRow] = {}
    for pk, cadre_id, batch_id, start, return_pk in rows:
        row = per_batch.setdefault(batch_id, OutcomeRow(batches[batch_id]))
        row.sent.add(cadre_id)
        if return_pk is not None:
            row.returned.add(cadre_id)
        for placement_id, kind, on in by_cadre.get(cadre_id, ()):
            if on >= start and placement_id in (None, pk):
                row.kinds[kind].add(cadre_id)
    programmes: dict[int, ProgrammeOutcome] = {}
    for row in sorted(per_batch.values(), key=lambda r: (r.batch.programme.name, r.batch.number)):
        programme = row.batch.programme
        outcome = programmes.get(programme.pk)
        if outcome is None:
            outcome = programmes[programme.pk] = ProgrammeOutcome(programme, [], OutcomeRow(None))
        outcome.rows.append(row)
        outcome.total.merge(row)
    return list(programmes.values())


def outcomes_xlsx(outcomes: list[ProgrammeOutcome], scope_note: str) -> bytes:
    """One row per batch and a total per programme; frozen header row."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from guazhi.core import xlsx

    wb = Workbook()
    ws = wb.active
    ws.title = "返岗成效"
    ws.append(["选派项目", "批次", *(str(h) for h in OUTCOME_HEADERS)])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    ws.freeze_panes = "A2"
    for outcome in outcomes:
        for row in [*outcome.rows, outcome.total]:
            ws.append([xlsx.text(outcome.programme.name), xlsx.text(row.label), *row.values()])
            ws.cell(ws.max_row, 8).alignment = Alignment(horizontal="right")
            if row.batch is None:
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
    ws.append([])
    ws.append([f"统计范围：{scope_note}"])
    ws.append(["提拔、重用等按干部去重计数，只计到岗日期之后的职业发展记录。"])
    widths = [28, 10, 10, 10, 8, 8, 12, 16, 8, 10]
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def scope_note(scope: Scope) -> str:
    if scope.kind == Role.Scope.ALL:
        return "全部干部"
    unit = (scope.unit.short_name or scope.unit.name) if scope.unit else ""
    if scope.kind == Role.Scope.SUBTREE:
        return f"仅{unit}及下级单位的干部"
    if scope.kind == Role.Scope.UNIT:
        return f"仅{unit}的干部"
    return "仅本人"


# --- reminders ------------------------------------------------------------------------------


def _holders(perm: str) -> list[tuple[User, Scope]]:
    """Active users holding `perm` through a role, with their scope for it."""
    app_label, codename = perm.split(".")
    roles = Role.objects.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    )
    users = (
        User.objects.filter(is_active=True, roles__in=roles)
        .distinct()
        .select_related("unit")
        .order_by("pk")
    )
    holders = []
    for user in users:
        scope = scope_for(user, perm)
        if not scope.is_none:
            holders.append((user, scope))
    return holders


def _reaching(holders: list[tuple[User, Scope]], cadre: Cadre) -> Iterator[User]:
    for user, scope in holders:
        if access.scope_covers(scope, user, cadre):
            yield user


def reminders(today: date) -> Iterable[Due]:
    """Follow-ups due within FOLLOW_UP_NOTICE_DAYS or overdue and not done; placements ended
    more than MISSING_RETURN_DAYS ago without a return record. Each goes to the active users
    whose scope for the acting permission covers the cadre's home unit."""
    due = list(
        FollowUp.objects.filter(
            done_on__isnull=True, due_on__lte=today + timedelta(days=FOLLOW_UP_NOTICE_DAYS)
        ).select_related("return_record__placement__cadre__unit")
    )
    if due:
        holders = _holders("returns.change_followup")
        for fu in due:
            placement = fu.return_record.placement
            cadre = placement.cadre
            when = (
                f"已逾期（应于 {fu.due_on:%Y-%m-%d}）"
                if fu.due_on < today
                else f"将于 {fu.due_on:%Y-%m-%d} 到期"
            )
            text = f"{cadre.name} 返岗{fu.months}个月跟踪评价{when}"
            url = reverse("returns:placement", args=[placement.pk])
            for user in _reaching(holders, cadre):
                yield Due(
                    user_id=user.pk,
                    key=f"returns:followup:{fu.pk}",
                    kind="返岗跟踪评价",
                    text=text,
                    url=url,
                    due_on=fu.due_on,
                )
    missing = list(
        Placement.objects.filter(status__in=ENDED_STATUSES, return_record__isnull=True)
        .annotate(ended=Coalesce("actual_end", "planned_end"))
        .filter(ended__lt=today - timedelta(days=MISSING_RETURN_DAYS))
        .select_related("cadre__unit")
    )
    if missing:
        holders = _holders("returns.add_returnrecord")
        for placement in missing:
            cadre = placement.cadre
            for user in _reaching(holders, cadre):
                yield Due(
                    user_id=user.pk,
                    key=f"returns:missing:{placement.pk}",
                    kind="待登记返岗",
                    text=f"{cadre.name} 挂职已于 {placement.ended:%Y-%m-%d} 结束，尚未登记返岗",
                    url=reverse("returns:placement", args=[placement.pk]),
                    due_on=placement.ended + timedelta(days=MISSING_RETURN_DAYS),
                )


def open_follow_ups_q(today: date, *, overdue_only: bool = False) -> Q:
    """Follow-ups not done and due within FOLLOW_UP_NOTICE_DAYS (or, overdue_only, past due)."""
    limit = (
        today - timedelta(days=1) if overdue_only else today + timedelta(days=FOLLOW_UP_NOTICE_DAYS)
    )
    return Q(done_on__isnull=True, due_on__lte=limit)
