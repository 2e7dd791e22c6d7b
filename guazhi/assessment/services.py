"""Assessment workflows: plans (versioned, agreed, approved), 平时考核 each quarter, rounds with
ratings, scores, grades and their rules, freezing and appeals.

Every function checks the acting user (`by`) itself, so the API and the pages can call it the
same way, and refuses with `AssessmentError` whose Chinese message names the rule and the
numbers. All scores are Decimal with two decimals, clamped to 0–100.

Scores of a round (`round_compute`), for each entry:

    item score       quantitative with a source: min(100, value ÷ target × 100), the value
                     computed from the records over the round's period (evidence lists them);
                     qualitative and manual ones: as set by the org department (missing = 0)
    indicator_score  Σ weight × item score ÷ 100  (weights sum to 100)
    review_score     Σ weight_kind × avg_kind ÷ Σ weight_kind, over the rater kinds (host,
                     leader, org, peer, self) with at least one submitted rating; avg_kind is
                     the mean over that kind's ratings of their four aspects' mean
    final_score      indicator_score × w ÷ 100 + review_score × (100 − w) ÷ 100, w =
                     policy.weight_indicators (only one part present: that part)
    proposed_grade   by the policy's bands (优秀 ≥ band_excellent, 称职 ≥ band_competent,
                     基本称职 ≥ band_basic, else 不称职)

Each stored figure is rounded (half up) to two decimals before it is used in the next one, so
the results can be checked by hand from what is shown."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from guazhi.cadres.models import AnnualAssessment
from guazhi.core import audit, versioning
from guazhi.core.models import AuditEntry, User
from guazhi.programmes.models import Batch, Placement
from guazhi.teams.models import WorkTeam

from . import sources
from .access import is_manager
from .models import (
    GRADES,
    Appeal,
    Dimension,
    Entry,
    Indicator,
    IndicatorScore,
    Plan,
    PlanItem,
    PlanTemplate,
    Policy,
    QuarterResult,
    Rating,
    Round,
    TemplateItem,
)

D = Decimal
CENT = D("0.01")
HUNDRED = D(100)
FROZEN = "考核结果已确认（冻结），如有异议请走申诉"
EXCELLENT = "优秀"
ANNUAL_SOURCE = "挂职考核"


class AssessmentError(Exception):
    """A refused assessment action; the message is shown to the user as it is."""


def q2(value) -> Decimal:
    return D(value).quantize(CENT, rounding=ROUND_HALF_UP)


def clamp(value: Decimal) -> Decimal:
    return max(D(0), min(HUNDRED, value))


def num(value) -> str:
    """A Decimal without trailing zeros: 95, 95.5, 33.33."""
    if value is None:
        return "—"
    value = D(value)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --- indicator library and policies --------------------------------------------------------

# (name, dimension, kind, unit, default target, source)
LIBRARY = [
    ("走访企业次数", Dimension.INVESTMENT, "quantitative", "次", D(40), "records_visit"),
    ("发现项目线索", Dimension.INVESTMENT, "quantitative", "条", D(10), "records_lead"),
    ("牵线搭桥服务企业", Dimension.INVESTMENT, "qualitative", "", None, ""),
    ("推动签约项目", Dimension.PROJECTS, "quantitative", "个", D(3), "projects_signed"),
    ("到位资金", Dimension.PROJECTS, "quantitative", "万元", D(5000), "amount_landed"),
    ("项目服务保障", Dimension.PROJECTS, "qualitative", "", None, ""),
    ("解放思想转变作风", Dimension.MINDSET, "qualitative", "", None, ""),
    ("学习借鉴先进经验", Dimension.MINDSET, "qualitative", "", None, ""),
    ("改革创新举措", Dimension.MINDSET, "quantitative", "项", D(2), ""),
    ("履职能力提升", Dimension.ABILITY, "qualitative", "", None, ""),
    ("专业素养", Dimension.ABILITY, "qualitative", "", None, ""),
    ("解决复杂问题", Dimension.ABILITY, "qualitative", "", None, ""),
    ("参加学习研讨调研", Dimension.RESEARCH, "quantitative", "次", D(20), "meetings_attended"),
    ("调研报告", Dimension.RESEARCH, "quantitative", "篇", D(2), ""),
    ("学习心得", Dimension.RESEARCH, "quantitative", "篇", D(4), ""),
    ("工作纪实", Dimension.ATTITUDE, "quantitative", "条", D(80), "records_total"),
    ("工作作风", Dimension.ATTITUDE, "qualitative", "", None, ""),
    ("遵守纪律", Dimension.ATTITUDE, "qualitative", "", None, ""),
]


def library_defaults() -> list[Indicator]:
    """The default indicator library, three per dimension (idempotent: indicators that exist
    by name are left as they are). Returns them in LIBRARY order."""
    existing = {i.name: i for i in Indicator.objects.filter(name__in=[r[0] for r in LIBRARY])}
    result = []
    for name, dimension, kind, unit, target, source in LIBRARY:
        indicator = existing.get(name)
        if indicator is None:
            indicator = Indicator.objects.create(
                name=name,
                dimension=dimension,
                kind=kind,
                unit=unit,
                default_target=target,
                source=source,
            )
        result.append(indicator)
    return result


# The generic plan template new plans start from when their post has none (a sensible
# spread over the six dimensions; each programme edits plans per cadre).
GENERIC_TEMPLATE = [
    ("走访企业次数", 25),
    ("发现项目线索", 20),
    ("解放思想转变作风", 10),
    ("履职能力提升", 15),
    ("参加学习研讨调研", 10),
    ("工作纪实", 20),
]


def template_defaults() -> PlanTemplate:
    """The generic template (通用模板), created once from the default library."""
    template = PlanTemplate.objects.filter(post__isnull=True).order_by("pk").first()
    if template is None:
        template = PlanTemplate.objects.create(name="通用模板")
    if not template.items.exists():
        by_name = {i.name: i for i in library_defaults()}
        TemplateItem.objects.bulk_create(
            [
                TemplateItem(
                    template=template,
                    indicator=by_name[name],
                    weight=Decimal(weight),
                    target=by_name[name].default_target,
                )
                for name, weight in GENERIC_TEMPLATE
                if name in by_name
            ]
        )
    return template


@transaction.atomic
def template_from_plan(*, plan: Plan, by: User) -> PlanTemplate:
    """Save a plan's items as its post's template, so the next cadres on that post start
    from it (对岗设标)."""
    _need(is_manager(by, "assessment.change_plan"), "只有组织部门可以保存岗位模板")
    _check_weights(plan)
    post = plan.placement.post
    template, _created = PlanTemplate.objects.get_or_create(
        post=post, defaults={"name": f"{post.title}模板"}
    )
    template.items.all().delete()
    TemplateItem.objects.bulk_create(
        [
            TemplateItem(
                template=template, indicator_id=i.indicator_id, weight=i.weight, target=i.target
            )
            for i in plan.items.all()
        ]
    )
    return template


def policy_for(programme) -> Policy:
    policy, _created = Policy.objects.get_or_create(programme=programme)
    return policy


def is_computed(indicator: Indicator) -> bool:
    """A quantitative indicator whose value the system computes (its source is available)."""
    return indicator.kind == Indicator.Kind.QUANTITATIVE and sources.available(indicator.source)


# --- who may do what -------------------------------------------------------------------------


def _uid(user) -> int | None:
    return getattr(user, "pk", None) if user is not None and user.is_authenticated else None


def is_own(user, placement: Placement) -> bool:
    uid = _uid(user)
    return uid is not None and placement.cadre.user_id == uid


def leads_batch(user, batch_id: int) -> bool:
    """Team leader or deputy of the batch's work team."""
    if _uid(user) is None:
        return False
    return (
        WorkTeam.objects.filter(batch_id=batch_id)
        .filter(Q(leader=user) | Q(deputies=user))
        .exists()
    )


def can_edit_plan(user, placement: Placement) -> bool:
    return is_manager(user, "assessment.change_plan") or is_own(user, placement)


def can_propose_quarter(user, placement: Placement) -> bool:
    return is_manager(user, "assessment.confirm_quarterresult") or leads_batch(
        user, placement.batch_id
    )


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise AssessmentError(message)


def _check_open(round_: Round) -> None:
    """Refuse any change to a confirmed round (read from the database, not the object)."""
    status = Round.objects.filter(pk=round_.pk).values_list("status", flat=True).first()
    if status == Round.Status.CONFIRMED or round_.is_frozen:
        raise AssessmentError(FROZEN)


# --- plans ---------------------------------------------------------------------------------


def plan_current(placement: Placement) -> Plan | None:
    return Plan.objects.filter(placement=placement).order_by("-version").first()


def plan_approved(placement: Placement) -> Plan | None:
    return (
        Plan.objects.filter(placement=placement, status=Plan.Status.APPROVED)
        .order_by("-version")
        .first()
    )


def _check_latest(plan: Plan) -> None:
    latest = plan_current(plan.placement)
    if latest is not None and latest.pk != plan.pk:
        raise AssessmentError(
            f"该方案是第 {plan.version} 版，已有第 {latest.version} 版，只能在最新版本上操作"
        )


def _check_weights(plan: Plan) -> None:
    items = list(plan.items.all())
    if not items:
        raise AssessmentError("方案中还没有指标")
    total = sum((i.weight for i in items), D(0))
    if total != HUNDRED:
        raise AssessmentError(f"指标权重合计须为 100，当前合计 {num(total)}")


@transaction.atomic
def plan_start(*, placement: Placement, by: User) -> Plan:
    """Version 1 (a draft) from the post's template, else the generic template, else empty.
    Returns the current plan if the placement has one."""
    _need(can_edit_plan(by, placement), "无权制定该干部的考核指标方案")
    current = plan_current(placement)
    if current is not None:
        return current
    template = PlanTemplate.objects.filter(post_id=placement.post_id).first() or template_defaults()
    plan = Plan.objects.create(placement=placement, version=1, created_by=by)
    if template is not None:
        PlanItem.objects.bulk_create(
            [
                PlanItem(plan=plan, indicator_id=t.indicator_id, weight=t.weight, target=t.target)
                for t in template.items.all()
            ]
        )
    return plan


def _clean_items(plan: Plan, items) -> list[tuple[Indicator, Decimal, Decimal | None]]:
    seen = set()
    current = set(plan.items.values_list("indicator_id", flat=True))
    cleaned = []
    for indicator, weight, target in items:
        if indicator.pk in seen:
            raise AssessmentError(f"指标“{indicator.name}”重复")
        seen.add(indicator.pk)
        if not indicator.is_active and indicator.pk not in current:
            raise AssessmentError(f"指标“{indicator.name}”已停用")
        try:
            weight = q2(weight)
            target = None if target in (None, "") else q2(target)
        except (InvalidOperation, TypeError, ValueError):
            raise AssessmentError(f"指标“{indicator.name}”的权重或目标值不是数字") from None
        if not D(0) <= weight <= HUNDRED:
            raise AssessmentError(f"权重须在 0–100 之间：指标“{indicator.name}”为 {num(weight)}")
        if indicator.kind == Indicator.Kind.QUANTITATIVE:
            if target is None or target <= 0:
                raise AssessmentError(f"定量指标“{indicator.name}”须填写大于 0 的目标值")
        else:
            target = None
        cleaned.append((indicator, weight, target))
    return cleaned


@transaction.atomic
def plan_save(
    *,
    plan: Plan,
    items: list[tuple[Indicator, Decimal, Decimal | None]],
    by: User,
    note: str = "",
    lock_version: int | None = None,
) -> Plan:
    """(indicator, weight, target) items. A draft is changed in place; an agreed or approved
    plan stays as it is and a new draft version (+1) is made with these items — it needs the
    cadre's agreement and the approval again. Weights need to sum to 100 only when agreeing
    and approving. `lock_version`: the version of `plan` the form or client loaded; a plan
    changed since (items, agreement, approval) is refused (versioning.StaleEdit). Two saves
    at once queue on the plan's row and the later is refused, never a second new version."""
    plan = Plan.objects.select_related("placement__cadre").get(pk=plan.pk)
    _need(can_edit_plan(by, plan.placement), "无权修改该干部的考核指标方案")
    _check_latest(plan)
    if plan.status == Plan.Status.SUPERSEDED:
        raise AssessmentError("该版本已被替代，不能修改")
    versioning.claim(plan, lock_version)
    cleaned = _clean_items(plan, items)
    note = (note or "").strip()[:200]
    before = (
        []
        if plan.status != Plan.Status.DRAFT
        else _items_text(plan.items.select_related("indicator"))
    )
    if plan.status != Plan.Status.DRAFT:
        plan = Plan.objects.create(
            placement=plan.placement,
            version=plan.version + 1,
            note=note,
            created_by=by,
        )
    else:
        plan.items.all().delete()
        if note:
            plan.note = note
            plan.save(update_fields=["note"])
    created = PlanItem.objects.bulk_create(
        [PlanItem(plan=plan, indicator=i, weight=w, target=t) for i, w, t in cleaned]
    )
    # The items are written in bulk (no per-row signal): one entry on the plan says who
    # changed them (the conflict message of a stale edit names this person, too).
    audit.record(
        AuditEntry.Action.UPDATE,
        obj=plan,
        actor=by,
        changes={"items": [before, _items_text(created)]},
    )
    return plan


def _items_text(items) -> list[str]:
    return [
        f"{i.indicator.name} {num(i.weight)}" + (f"（目标 {num(i.target)}）" if i.target else "")
        for i in items
    ]


@transaction.atomic
def plan_agree(*, plan: Plan, by: User, lock_version: int | None = None) -> Plan:
    """The cadre agrees to his plan (a cadre without an account: a manager records it).
    With `lock_version` (the plan as the page showed it), a plan changed since is refused:
    nobody agrees to items he has not seen."""
    plan = Plan.objects.select_related("placement__cadre").get(pk=plan.pk)
    cadre = plan.placement.cadre
    own = is_own(by, plan.placement)
    on_behalf = cadre.user_id is None and is_manager(by, "assessment.approve_plan")
    _need(own or on_behalf, "考核指标方案须由干部本人确认")
    _check_latest(plan)
    if plan.status == Plan.Status.AGREED:
        return plan
    if plan.status != Plan.Status.DRAFT:
        raise AssessmentError(f"该方案状态为“{plan.get_status_display()}”，不需要再确认")
    if lock_version is not None:
        versioning.claim(plan, lock_version)
    _check_weights(plan)
    plan.status = Plan.Status.AGREED
    plan.agreed_at = timezone.now()
    plan.save(update_fields=["status", "agreed_at"])
    return plan


@transaction.atomic
def plan_approve(*, plan: Plan, by: User, lock_version: int | None = None) -> Plan:
    """The organisation department approves an agreed plan; earlier versions are superseded
    and open rounds use the new version from now on. `lock_version` as for plan_agree."""
    _need(is_manager(by, "assessment.approve_plan"), "只有组织部门可以审定考核指标方案")
    plan = Plan.objects.select_related("placement__cadre").get(pk=plan.pk)
    _check_latest(plan)
    if plan.status == Plan.Status.DRAFT:
        raise AssessmentError("干部本人尚未确认该方案，不能审定")
    if plan.status != Plan.Status.AGREED:
        raise AssessmentError(f"该方案状态为“{plan.get_status_display()}”，不能再审定")
    if lock_version is not None:
        versioning.claim(plan, lock_version)
    _check_weights(plan)
    plan.status = Plan.Status.APPROVED
    plan.approved_by = by
    plan.approved_at = timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    for older in Plan.objects.filter(
        placement=plan.placement,
        version__lt=plan.version,
        status__in=[Plan.Status.APPROVED, Plan.Status.AGREED],
    ):
        older.status = Plan.Status.SUPERSEDED
        older.save(update_fields=["status"])
    _repoint_open_entries(plan)
    return plan


def _repoint_open_entries(plan: Plan) -> None:
    """Entries of open rounds follow the newly approved plan; scores set by hand move to the
    new plan's item for the same indicator (the others are dropped)."""
    entries = Entry.objects.filter(
        placement_id=plan.placement_id, round__status=Round.Status.OPEN
    ).exclude(plan=plan)
    new_items = {i.indicator_id: i for i in plan.items.all()}
    for entry in entries:
        for score in entry.indicator_scores.select_related("item"):
            target = new_items.get(score.item.indicator_id)
            if target is None:
                score.delete()
            else:
                score.item = target
                score.save(update_fields=["item"])
        entry.plan = plan
        entry.save(update_fields=["plan"])


# --- 平时考核 ----------------------------------------------------------------------------------


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end - timedelta(days=1)


def quarters_in(start: date, end: date) -> list[tuple[int, int]]:
    """(year, quarter) of every quarter overlapping [start, end]."""
    result = []
    year, quarter = start.year, (start.month - 1) // 3 + 1
    while quarter_bounds(year, quarter)[0] <= end:
        result.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return result


def _placement_end(placement: Placement) -> date:
    return placement.actual_end or placement.planned_end


def quarter_evidence(*, placement: Placement, year: int, quarter: int) -> dict:
    """What the team leader proposes a quarter's grade from (plain values, JSON-friendly
    except the model objects under "item", "plan" and "result"):

    year, quarter, start, end   the quarter within the placement
    records     the quarter's daily records (records.services.evidence_counts): {"total",
                "positive", "negative", "commented", "weeks_due", "weeks_with_records",
                "weeks_missing", "by_category": {label: n}}
    plan        the approved plan (or None)
    progress    per plan item, from the start of the year (or of the placement) to the end of
                the quarter: {"item", "indicator", "unit", "weight", "target", "value",
                "evidence", "percent"} — value and percent None for items the system does not
                compute
    result      the quarter's QuarterResult if any"""
    from guazhi.records.models import DailyRecord
    from guazhi.records.services import evidence_counts

    q_start, q_end = quarter_bounds(year, quarter)
    start = max(q_start, placement.start)
    end = min(q_end, _placement_end(placement))
    labels = dict(DailyRecord.Category.choices)
    records = {
        "total": 0,
        "positive": 0,
        "negative": 0,
        "commented": 0,
        "weeks_due": 0,
        "weeks_with_records": 0,
        "weeks_missing": 0,
        "by_category": {},
    }
    if start <= end:
        counts = evidence_counts(placement.cadre, start, end)
        records.update(
            total=counts.total,
            positive=counts.positive,
            negative=counts.negative,
            commented=counts.commented,
            weeks_due=counts.weeks_due,
            weeks_with_records=counts.weeks_with_records,
            weeks_missing=counts.weeks_missing,
            by_category={
                str(labels.get(c, c)): counts.by_category[c]
                for c in labels
                if c in counts.by_category
            },
        )
    plan = plan_approved(placement)
    progress = []
    if plan is not None:
        since = max(date(year, 1, 1), placement.start)
        items = list(plan.items.select_related("indicator"))
        codes = [i.indicator.source for i in items if is_computed(i.indicator)]
        computed = sources.compute_many(codes, [placement], since, max(since, min(q_end, end)))
        for item in items:
            value, evidence, percent = None, "", None
            if is_computed(item.indicator):
                value, evidence = computed[item.indicator.source].get(placement.pk, (D(0), ""))
                if item.target:
                    percent = q2(value / item.target * HUNDRED)
            progress.append(
                {
                    "item": item,
                    "indicator": item.indicator.name,
                    "unit": item.indicator.unit,
                    "weight": item.weight,
                    "target": item.target,
                    "value": value,
                    "evidence": evidence,
                    "percent": percent,
                }
            )
    result = QuarterResult.objects.filter(placement=placement, year=year, quarter=quarter).first()
    return {
        "year": year,
        "quarter": quarter,
        "start": start,
        "end": end,
        "records": records,
        "plan": plan,
        "progress": progress,
        "result": result,
    }


@transaction.atomic
def quarter_propose(
    *,
    placement: Placement,
    year: int,
    quarter: int,
    grade: str,
    note: str = "",
    by: User,
) -> QuarterResult:
    """The team leader (or a deputy, or the org department) proposes a quarter's grade; it can
    be changed until confirmed."""
    _need(
        can_propose_quarter(by, placement),
        "只有本批工作队队长、副队长或组织部门可以提出平时考核等次",
    )
    if grade not in QuarterResult.Grade.values:
        raise AssessmentError(f"平时考核等次须为 {'、'.join(QuarterResult.Grade.values)} 之一")
    if quarter not in (1, 2, 3, 4):
        raise AssessmentError("季度须为 1–4")
    q_start, q_end = quarter_bounds(year, quarter)
    if q_end < placement.start or q_start > _placement_end(placement):
        raise AssessmentError(
            f"{year}年第{quarter}季度不在挂职期内（{placement.start:%Y-%m-%d} 至 "
            f"{_placement_end(placement):%Y-%m-%d}）"
        )
    if q_start > timezone.localdate():
        raise AssessmentError(f"{year}年第{quarter}季度尚未开始")
    result = (
        QuarterResult.objects.select_for_update()
        .filter(placement=placement, year=year, quarter=quarter)
        .first()
    )
    if result is not None and result.status == QuarterResult.Status.CONFIRMED:
        raise AssessmentError(f"{year}年第{quarter}季度平时考核已确认，不能再修改")
    if result is None:
        result = QuarterResult(placement=placement, year=year, quarter=quarter)
    result.grade = grade
    result.note = (note or "").strip()[:2000]
    result.proposed_by = by
    result.save()
    return result


@transaction.atomic
def quarter_confirm(*, results: list[QuarterResult], by: User) -> list[QuarterResult]:
    """The org department confirms proposed results (already confirmed ones are left out of
    the returned list). With a cap on 好 (policy.quarter_good_cap) the batch-quarter may have at
    most floor(n × cap ÷ 100) confirmed 好, n = the batch's placements with a confirmed result
    for that quarter after this call; all or none of the results are confirmed."""
    _need(is_manager(by, "assessment.confirm_quarterresult"), "只有组织部门可以确认平时考核")
    pks = [r.pk for r in results]
    todo = list(
        QuarterResult.objects.select_for_update()
        .filter(pk__in=pks, status=QuarterResult.Status.PROPOSED)
        .select_related("placement__batch__programme")
    )
    groups: dict[tuple[int, int, int], list[QuarterResult]] = defaultdict(list)
    for r in todo:
        groups[(r.placement.batch_id, r.year, r.quarter)].append(r)
    for (batch_id, year, quarter), group in groups.items():
        batch = group[0].placement.batch
        cap = policy_for(batch.programme).quarter_good_cap
        if cap is None:
            continue
        confirmed = QuarterResult.objects.filter(
            placement__batch_id=batch_id,
            year=year,
            quarter=quarter,
            status=QuarterResult.Status.CONFIRMED,
        ).aggregate(n=Count("id"), good=Count("id", filter=Q(grade=QuarterResult.Grade.GOOD)))
        n = confirmed["n"] + len(group)
        good = confirmed["good"] + sum(1 for r in group if r.grade == QuarterResult.Grade.GOOD)
        allowed = n * cap // 100
        if good > allowed:
            raise AssessmentError(
                f"“好”等次不超过 {cap}%：{batch.label} {year}年第{quarter}季度 {n} 人中最多 "
                f"{allowed} 人，本次确认后将有 {good} 人"
            )
    now = timezone.now()
    for r in todo:
        r.status = QuarterResult.Status.CONFIRMED
        r.confirmed_by = by
        r.confirmed_at = now
        r.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return todo


# --- rounds -------------------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *,
    batch: Batch,
    kind: str,
    year: int,
    period_start: date,
    period_end: date,
    by: User,
) -> Round:
    """A round with an entry per placement of the batch overlapping the period (with its
    approved plan) and empty ratings for the raters: the host unit's users, the team leader,
    the creating org officer, every other team member with an account (民主测评) and the
    cadre himself."""
    _need(is_manager(by, "assessment.add_round"), "只有组织部门可以发起考核")
    if kind not in Round.Kind.values:
        raise AssessmentError("考核类型须为年度考核或期满考核")
    if period_start > period_end:
        raise AssessmentError("考核期起不能晚于考核期止")
    if Round.objects.filter(batch=batch, kind=kind, year=year).exists():
        raise AssessmentError(f"{batch.label} {year}年{Round.Kind(kind).label}已发起")
    overlapping = Placement.objects.filter(batch=batch, start__lte=period_end).filter(
        Q(actual_end__gte=period_start) | Q(actual_end__isnull=True, planned_end__gte=period_start)
    )
    placements = list(overlapping.select_related("cadre__user").order_by("pk"))
    if not placements:
        raise AssessmentError(f"{batch.label} 在考核期内没有挂职干部")
    round_ = Round.objects.create(
        batch=batch,
        kind=kind,
        year=year,
        period_start=period_start,
        period_end=period_end,
        created_by=by,
    )
    plans = dict(
        Plan.objects.filter(placement__in=overlapping.values("pk"), status=Plan.Status.APPROVED)
        .order_by("placement_id", "version")
        .values_list("placement_id", "pk")
    )  # the highest version wins
    entries = Entry.objects.bulk_create(
        [Entry(round=round_, placement=p, plan_id=plans.get(p.pk)) for p in placements],
        batch_size=2000,
    )
    hosts: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        roles__code="host_unit",
        unit_id__in={p.host_unit_id for p in placements},
        is_active=True,
    ).distinct():
        hosts[user.unit_id].append(user)
    team = WorkTeam.objects.filter(batch=batch).select_related("leader").first()
    leader = team.leader if team is not None and team.leader.is_active else None
    members = [p.cadre.user for p in placements if p.cadre.user and p.cadre.user.is_active]
    K = Rating.Rater
    ratings = []
    for entry, placement in zip(entries, placements, strict=True):
        own = placement.cadre.user_id
        raters = [(K.HOST, u) for u in hosts.get(placement.host_unit_id, [])]
        raters += [(K.LEADER, leader)] if leader is not None else []
        raters += [(K.ORG, by)]
        raters += [(K.PEER, u) for u in members if u.pk != own]
        for kind_, user in raters:
            if user.pk != own:
                ratings.append(Rating(entry=entry, rater_kind=kind_, rater=user))
        if own is not None and placement.cadre.user.is_active:
            ratings.append(Rating(entry=entry, rater_kind=K.SELF, rater_id=own))
    Rating.objects.bulk_create(ratings, batch_size=2000)
    return round_


ASPECTS = [
    ("political", "政治表现"),
    ("conduct", "能力作风"),
    ("performance", "工作实绩"),
    ("integrity", "廉洁自律"),
]


@transaction.atomic
def rating_submit(
    *,
    rating: Rating,
    by: User,
    political,
    conduct,
    performance,
    integrity,
    comment: str = "",
) -> Rating:
    """The rater gives his four marks (integers 0–100); he may change them while the round is
    open."""
    rating = Rating.objects.select_related("entry__round").get(pk=rating.pk)
    _need(_uid(by) is not None and rating.rater_id == by.pk, "只能由评价人本人提交评价")
    _check_open(rating.entry.round)
    values = {
        "political": political,
        "conduct": conduct,
        "performance": performance,
        "integrity": integrity,
    }
    for field, label in ASPECTS:
        value = values[field]
        try:
            number = D(str(value))
        except (InvalidOperation, TypeError, ValueError):
            number = None
        if number is None or number != number.to_integral_value() or not 0 <= number <= 100:
            raise AssessmentError(f"{label}须为 0–100 的整数")
        setattr(rating, field, int(number))
    rating.comment = (comment or "").strip()[:2000]
    rating.submitted_at = timezone.now()
    rating.save()
    return rating


@transaction.atomic
def self_summary_save(*, entry: Entry, by: User, text: str) -> Entry:
    entry = Entry.objects.select_related("round", "placement__cadre").get(pk=entry.pk)
    _need(is_own(by, entry.placement), "个人总结只能由干部本人填写")
    _check_open(entry.round)
    text = (text or "").strip()
    if len(text) > 5000:
        raise AssessmentError(f"个人总结不能超过 5000 字（现有 {len(text)} 字）")
    entry.self_summary = text
    entry.save(update_fields=["self_summary"])
    return entry


@transaction.atomic
def integrity_set(*, entry: Entry, by: User, finding: bool, note: str = "") -> Entry:
    """The org department records whether the cadre has an integrity finding (廉洁自律有问题),
    which bars 优秀 when the policy's veto is on."""
    _need(is_manager(by, "assessment.change_entry"), "只有组织部门可以记录廉洁自律情况")
    entry = Entry.objects.select_related("round").get(pk=entry.pk)
    _check_open(entry.round)
    note = (note or "").strip()[:300]
    if finding and not note:
        raise AssessmentError("请说明廉洁自律方面的问题")
    entry.integrity_finding = bool(finding)
    entry.integrity_note = note
    entry.save(update_fields=["integrity_finding", "integrity_note"])
    return entry


def grade_set(*, entry: Entry, by: User, grade: str) -> Entry:
    """The org department's draft grade for an entry, kept until the round is confirmed (which
    checks the quota and vetoes over all of them); "" clears it."""
    _need(is_manager(by, "assessment.change_entry"), "只有组织部门可以评定等次")
    if grade and grade not in GRADES:
        raise AssessmentError(f"等次须为 {'、'.join(GRADES)} 之一")
    entry = Entry.objects.select_related("round").get(pk=entry.pk)
    _check_open(entry.round)
    if entry.grade != grade:
        entry.grade = grade
        entry.save(update_fields=["grade"])
    return entry


@transaction.atomic
def indicator_score_set(
    *,
    entry: Entry,
    item: PlanItem,
    score: Decimal | None = None,
    by: User,
    evidence: str = "",
    value: Decimal | None = None,
) -> IndicatorScore:
    """The org department scores a qualitative item (0–100), or a quantitative item the system
    does not compute: its completed `value` (score = min(100, value ÷ target × 100)) or
    directly a score."""
    _need(is_manager(by, "assessment.change_entry"), "只有组织部门可以评定指标得分")
    entry = Entry.objects.select_related("round").get(pk=entry.pk)
    _check_open(entry.round)
    item = PlanItem.objects.select_related("indicator").get(pk=item.pk)
    if entry.plan_id is None or item.plan_id != entry.plan_id:
        raise AssessmentError("该指标不在此人本轮考核所用的指标方案中")
    indicator = item.indicator
    if is_computed(indicator):
        raise AssessmentError(
            f"指标“{indicator.name}”由系统根据{sources.label(indicator.source)}自动计算"
        )
    try:
        if value is not None and value != "":
            if indicator.kind != Indicator.Kind.QUANTITATIVE:
                raise AssessmentError(f"定性指标“{indicator.name}”只填得分")
            value = q2(value)
            if value < 0:
                raise AssessmentError("完成值不能为负数")
            if not item.target:
                raise AssessmentError(f"指标“{indicator.name}”没有目标值")
            score = q2(clamp(value / item.target * HUNDRED))
        elif score is None or score == "":
            raise AssessmentError("请填写得分")
        else:
            value = None
            score = q2(score)
    except (InvalidOperation, TypeError, ValueError):
        raise AssessmentError("得分和完成值须为数字") from None
    if not D(0) <= score <= HUNDRED:
        raise AssessmentError(f"得分须在 0–100 之间，现为 {num(score)}")
    obj, _created = IndicatorScore.objects.update_or_create(
        entry=entry,
        item=item,
        defaults={"value": value, "score": score, "evidence": (evidence or "").strip()[:5000]},
    )
    return obj


# --- computing ---------------------------------------------------------------------------------


def band(policy: Policy, score: Decimal | None) -> str:
    if score is None:
        return ""
    if score >= policy.band_excellent:
        return "优秀"
    if score >= policy.band_competent:
        return "称职"
    if score >= policy.band_basic:
        return "基本称职"
    return "不称职"


def rater_weights(policy: Policy) -> dict[str, int]:
    K = Rating.Rater
    return {
        K.HOST: policy.weight_host,
        K.LEADER: policy.weight_leader,
        K.ORG: policy.weight_org,
        K.PEER: policy.weight_peer,
        K.SELF: policy.weight_self,
    }


def review_score(policy: Policy, kind_averages: dict[str, Decimal]) -> Decimal | None:
    """Σ weight_kind × avg_kind ÷ Σ weight_kind over the kinds present (with weight > 0)."""
    weights = rater_weights(policy)
    present = {k: a for k, a in kind_averages.items() if weights.get(k)}
    total = sum(weights[k] for k in present)
    if not total:
        return None
    return q2(sum(weights[k] * a for k, a in present.items()) / total)


def final_score(policy: Policy, indicator: Decimal | None, review: Decimal | None):
    w = D(policy.weight_indicators)
    if indicator is None and review is None:
        return None
    if indicator is None:
        return review
    if review is None:
        return indicator
    return q2(indicator * w / HUNDRED + review * (HUNDRED - w) / HUNDRED)


def _executemany(sql: str, rows: list[tuple], size: int = 2000) -> None:
    with connection.cursor() as cursor:
        for i in range(0, len(rows), size):
            cursor.executemany(sql, rows[i : i + size])


# Bulk writes without Django's per-object work (the round is audited as a whole instead).
# SQLite: executemany of a prepared statement; PostgreSQL: COPY for inserts and one UPDATE per
# 1,000 rows (joined to a VALUES list), which saves a round trip per row.


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _bulk_insert(model, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    q = connection.ops.quote_name
    names = ", ".join(q(c) for c in columns)
    if connection.vendor != "postgresql":
        values = ", ".join(["%s"] * len(columns))
        _executemany(f"INSERT INTO {_table(model)} ({names}) VALUES ({values})", rows)  # noqa: S608
        return
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {_table(model)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _bulk_update(model, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
    """rows: (value per column…, id); columns: (name, PostgreSQL type of the value)."""
    if not rows:
        return
    q = connection.ops.quote_name
    table = _table(model)
    if connection.vendor != "postgresql":
        sets = ", ".join(f"{q(c)} = %s" for c, _type in columns)
        _executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)  # noqa: S608
        return
    # COPY the new values into a temporary table, then one UPDATE joined to it.
    temp = q(f"tmp_{model._meta.db_table}")
    names = [f"c{k}" for k in range(len(columns))]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ("  # noqa: S608
            + ", ".join(f"{n} {t or 'text'}" for n, (_c, t) in zip(names, columns, strict=True))
            + ", id bigint)"
        )
        with cursor.cursor.copy(f"COPY {temp} ({', '.join(names)}, id) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        sets = ", ".join(f"{q(c)} = v.{n}" for (c, _t), n in zip(columns, names, strict=True))
        cursor.execute(f"UPDATE {table} SET {sets} FROM {temp} AS v WHERE {table}.id = v.id")  # noqa: S608
        cursor.execute(f"DROP TABLE {temp}")


@transaction.atomic
def round_compute(*, round: Round) -> None:  # noqa: A002 (the interface's name)
    """Every entry's item scores, indicator, review and final score and proposed grade, in bulk
    (a fixed number of queries however many entries)."""
    round_ = round
    _check_open(round_)
    policy = policy_for(round_.batch.programme)
    entries = list(Entry.objects.filter(round=round_).values_list("pk", "placement_id", "plan_id"))
    # Plan items of all the entries' plans.
    items_by_plan: dict[int, list[tuple]] = defaultdict(list)
    codes = set()
    for row in PlanItem.objects.filter(
        plan_id__in=Entry.objects.filter(round=round_).values("plan_id")
    ).values_list(
        "pk",
        "plan_id",
        "weight",
        "target",
        "indicator__kind",
        "indicator__source",
        "indicator__name",
        "indicator__unit",
    ):
        items_by_plan[row[1]].append(row)
        if row[4] == Indicator.Kind.QUANTITATIVE and sources.available(row[5]):
            codes.add(row[5])
    placements = Placement.objects.filter(assessment_entries__round=round_)
    computed = sources.compute_many(codes, placements, round_.period_start, round_.period_end)
    existing = {
        (e, i): (pk, value, score, evidence)
        for pk, e, i, value, score, evidence in IndicatorScore.objects.filter(
            entry__round=round_
        ).values_list("pk", "entry_id", "item_id", "value", "score", "evidence")
    }
    # Ratings: per entry and rater kind, the sum of the four aspects and the number of ratings.
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for entry_id, kind, total, n in (
        Rating.objects.filter(
            entry__round=round_,
            submitted_at__isnull=False,
            political__isnull=False,
            conduct__isnull=False,
            performance__isnull=False,
            integrity__isnull=False,
        )
        .values("entry_id", "rater_kind")
        .annotate(
            total=Sum(F("political") + F("conduct") + F("performance") + F("integrity")),
            n=Count("id"),
        )
        .values_list("entry_id", "rater_kind", "total", "n")
        .order_by()
    ):
        sums[entry_id][kind] = D(total) / (4 * n)

    inserts, updates, entry_rows = [], [], []
    for entry_id, placement_id, plan_id in entries:
        indicator = None
        if plan_id is not None and items_by_plan.get(plan_id):
            indicator = D(0)
            for item_id, _plan, weight, target, kind, source, _name, unit in items_by_plan[plan_id]:
                old = existing.get((entry_id, item_id))
                if kind == Indicator.Kind.QUANTITATIVE and source in computed:
                    value, text = computed[source].get(placement_id, (D(0), ""))
                    value = q2(value)
                    if target:
                        score = q2(clamp(value / target * HUNDRED))
                        text += (
                            f"。完成 {num(value)}{unit} ÷ 目标 {num(target)}{unit} × 100"
                            f" = {num(score)} 分（最高 100 分）"
                        )
                    else:
                        score = None
                    if old is None:
                        inserts.append((entry_id, item_id, value, score, text))
                    elif (old[1], old[2], old[3]) != (value, score, text):
                        updates.append((value, score, text, old[0]))
                else:
                    score = old[2] if old is not None else None
                indicator += weight * (score or D(0)) / HUNDRED
            indicator = q2(indicator)
        review = review_score(policy, sums.get(entry_id, {}))
        final = final_score(policy, indicator, review)
        entry_rows.append((indicator, review, final, band(policy, final), entry_id))

    _bulk_insert(IndicatorScore, ["entry_id", "item_id", "value", "score", "evidence"], inserts)
    _bulk_update(
        IndicatorScore, [("value", "numeric"), ("score", "numeric"), ("evidence", "")], updates
    )
    _bulk_update(
        Entry,
        [
            ("indicator_score", "numeric"),
            ("review_score", "numeric"),
            ("final_score", "numeric"),
            ("proposed_grade", ""),
        ],
        entry_rows,
    )
    counts = Counter(row[3] or "未评定" for row in entry_rows)
    audit.record(
        AuditEntry.Action.UPDATE,
        obj=round_,
        message=f"计算考核得分：{len(entry_rows)} 人",
        changes={"建议等次": dict(counts)},
    )


# --- confirming -------------------------------------------------------------------------------


@dataclass
class _Candidate:
    entry_id: int
    placement_id: int
    name: str
    integrity_finding: bool


def quota_allowed(policy: Policy, n: int) -> int:
    return n * policy.excellent_quota // 100


def _check_quota_policy(policy: Policy) -> None:
    if policy.excellent_quota > 25:
        raise AssessmentError(f"优秀比例最高 25%，考核规则中为 {policy.excellent_quota}%")
    if policy.excellent_quota > 20 and not policy.quota_approval.strip():
        raise AssessmentError(
            f"优秀比例提高到 {policy.excellent_quota}% 须有批准：请先在考核规则中填写"
            "“提高比例的批准文件”"
        )


def _check_quota(policy: Policy, n: int, excellent: int) -> None:
    _check_quota_policy(policy)
    allowed = quota_allowed(policy, n)
    if excellent > allowed:
        raise AssessmentError(
            f"优秀比例不超过 {policy.excellent_quota}%：本轮 {n} 人，最多 {allowed} 人优秀，"
            f"现有 {excellent} 人"
        )


def _veto_problems(policy: Policy, round_: Round, candidates: list[_Candidate]) -> list[str]:
    """Why each of these (graded 优秀) may not be 优秀, by the policy's veto rules."""
    problems: list[str] = []
    if not candidates:
        return problems
    if policy.veto_integrity:
        problems += [
            f"{c.name}：廉洁自律有问题，不能评为优秀" for c in candidates if c.integrity_finding
        ]
    if not (policy.veto_poor_quarter or policy.excellent_needs_good_quarters):
        return problems
    period = set(quarters_in(round_.period_start, round_.period_end))
    years = {y for y, _q in period}
    quarters: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    ids = [c.placement_id for c in candidates]
    for i in range(0, len(ids), sources.CHUNK):
        for pid, year, quarter, grade in (
            QuarterResult.objects.filter(
                placement_id__in=ids[i : i + sources.CHUNK],
                status=QuarterResult.Status.CONFIRMED,
                year__in=years,
            )
            .order_by("year", "quarter")
            .values_list("placement_id", "year", "quarter", "grade")
        ):
            if (year, quarter) in period:
                quarters[pid].append((year, quarter, grade))
    for c in candidates:
        results = quarters.get(c.placement_id, [])
        if policy.veto_poor_quarter:
            poor = [f"{y}年第{q}季度" for y, q, g in results if g == QuarterResult.Grade.POOR]
            if poor:
                problems.append(f"{c.name}：{'、'.join(poor)}平时考核为“较差”，不能评为优秀")
        if policy.excellent_needs_good_quarters:
            good = sum(1 for _y, _q, g in results if g == QuarterResult.Grade.GOOD)
            if 2 * good < len(results):
                problems.append(
                    f"{c.name}：评为优秀须至少一半季度平时考核为“好”，考核期内已确认 "
                    f"{len(results)} 个季度，其中“好” {good} 个"
                )
    return problems


def _raise_problems(problems: list[str]) -> None:
    if problems:
        shown = problems[:5]
        more = f"；等 {len(problems)} 项" if len(problems) > 5 else ""
        raise AssessmentError("；".join(shown) + more)


def _write_annual(round_: Round, grades: dict[int, str]) -> dict:
    """AnnualAssessment(year, grade, source 挂职考核) per cadre (placement id → grade), in bulk.
    Returns how many were added and, for results already there, cadre id → [old, new]."""
    cadre_of = dict(
        Placement.objects.filter(assessment_entries__round=round_).values_list("pk", "cadre_id")
    )
    wanted = {cadre_of[pid]: g for pid, g in grades.items() if g}
    existing = {
        cadre_id: (pk, result, source)
        for pk, cadre_id, result, source in AnnualAssessment.objects.filter(
            cadre__placements__assessment_entries__round=round_, year=round_.year
        ).values_list("pk", "cadre_id", "result", "source")
    }
    changes: dict[int, list] = {}
    new, updates = [], []
    for cadre_id, grade in wanted.items():
        old = existing.get(cadre_id)
        if old is None:
            new.append((cadre_id, round_.year, grade, ANNUAL_SOURCE))
        elif (old[1], old[2]) != (grade, ANNUAL_SOURCE):
            updates.append((grade, ANNUAL_SOURCE, old[0]))
            changes[cadre_id] = [old[1], grade]
    _bulk_insert(AnnualAssessment, ["cadre_id", "year", "result", "source"], new)
    _bulk_update(AnnualAssessment, [("result", ""), ("source", "")], updates)
    return {"新增": len(new), "改写": changes}


@transaction.atomic
def round_confirm(*, round: Round, by: User, grades: dict[int, str] | None = None) -> Round:  # noqa: A002
    """Decide every entry's grade (`grades`: entry id → grade; default the proposed grade),
    check the rules, freeze the round and (annual rounds) write the cadres' annual results."""
    _need(is_manager(by, "assessment.confirm_round"), "只有组织部门可以确认考核结果")
    round_ = Round.objects.select_for_update().select_related("batch__programme").get(pk=round.pk)
    _check_open(round_)
    policy = policy_for(round_.batch.programme)
    grades = {int(k): v for k, v in (grades or {}).items()}
    rows = list(
        Entry.objects.filter(round=round_).values_list(
            "pk", "placement_id", "proposed_grade", "grade", "integrity_finding"
        )
    )
    ids = {r[0] for r in rows}
    stray = [k for k in grades if k not in ids]
    if stray:
        raise AssessmentError(f"考核对象 {stray[0]} 不在本轮考核中")
    decided: dict[int, str] = {}
    missing = []
    for pk, _pid, proposed, _grade, _finding in rows:
        grade = grades.get(pk) or proposed
        if grade not in GRADES:
            if grade:
                raise AssessmentError(f"等次须为 {'、'.join(GRADES)} 之一（收到“{grade}”）")
            missing.append(pk)
        decided[pk] = grade
    if missing:
        names = _names(missing)
        raise AssessmentError(f"{len(missing)} 人尚无得分和等次（{names}），请先计算得分或指定等次")
    n = len(rows)
    excellent = [r for r in rows if decided[r[0]] == EXCELLENT]
    _check_quota(policy, n, len(excellent))
    if excellent and (
        policy.veto_integrity or policy.veto_poor_quarter or policy.excellent_needs_good_quarters
    ):
        names = (
            dict(
                Entry.objects.filter(pk__in=[r[0] for r in excellent]).values_list(
                    "pk", "placement__cadre__name"
                )
            )
            if len(excellent) <= sources.CHUNK
            else dict(
                Entry.objects.filter(round=round_).values_list("pk", "placement__cadre__name")
            )
        )
        candidates = [_Candidate(r[0], r[1], names[r[0]], r[4]) for r in excellent]
        _raise_problems(_veto_problems(policy, round_, candidates))
    changed = [(decided[pk], pk) for pk, _p, _pr, grade, _f in rows if grade != decided[pk]]
    _bulk_update(Entry, [("grade", "")], changed)
    round_.status = Round.Status.CONFIRMED
    round_.confirmed_by = by
    round_.confirmed_at = timezone.now()
    round_.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    overridden = {
        pk: [proposed, decided[pk]] for pk, _p, proposed, _g, _f in rows if proposed != decided[pk]
    }
    annual = {}
    if round_.kind == Round.Kind.ANNUAL:
        annual = _write_annual(round_, {pid: decided[pk] for pk, pid, *_r in rows})
    audit.record(
        AuditEntry.Action.UPDATE,
        obj=round_,
        actor=by,
        message=f"确认考核结果（冻结）：{n} 人",
        changes={
            "等次分布": dict(Counter(decided.values())),
            "调整建议等次": overridden,
            "年度考核结果": annual,
        },
    )
    return round_


def _names(entry_ids: list[int], limit: int = 5) -> str:
    names = list(
        Entry.objects.filter(pk__in=entry_ids[:limit]).values_list(
            "placement__cadre__name", flat=True
        )
    )
    return "、".join(names) + ("等" if len(entry_ids) > limit else "")


def grade_distribution(round: Round, region: str = "") -> dict[str, int]:  # noqa: A002
    """Grade → number of entries (the decided grade, else the proposed one), every grade
    listed; entries with neither under 未评定 (only when there are some). `region` keeps the
    cadres whose sending unit is in that district."""
    entries = Entry.objects.filter(round=round)
    if region:
        entries = entries.filter(placement__cadre__unit__region=region)
    counts = Counter(
        grade or proposed or "未评定"
        for grade, proposed in entries.values_list("grade", "proposed_grade")
    )
    result = {g: counts.get(g, 0) for g in GRADES}
    if counts.get("未评定"):
        result["未评定"] = counts["未评定"]
    return result


# --- appeals ------------------------------------------------------------------------------------


@transaction.atomic
def appeal_file(*, entry: Entry, by: User, reason: str) -> Appeal:
    """申诉 against a confirmed grade: by the cadre himself or the org department."""
    entry = Entry.objects.select_related("round", "placement__cadre").get(pk=entry.pk)
    _need(
        is_own(by, entry.placement) or is_manager(by, "assessment.change_round"),
        "只有干部本人或组织部门可以提出申诉",
    )
    if not entry.round.is_frozen:
        raise AssessmentError("考核结果确认后才能申诉；确认前请直接向组织部门反映")
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError("请填写申诉理由")
    if entry.appeals.filter(status=Appeal.Status.PENDING).exists():
        raise AssessmentError("已有待复核的申诉，请等复核后再提")
    return Appeal.objects.create(
        entry=entry, reason=reason[:2000], filed_by=by, old_grade=entry.grade
    )


@transaction.atomic
def appeal_decide(*, appeal: Appeal, by: User, new_grade: str, decision: str) -> Appeal:
    """The re-decision: upholds the grade or changes it (the quota and veto rules still apply
    to a change to 优秀); the entry's grade and the cadre's annual result follow."""
    _need(is_manager(by, "assessment.decide_appeal"), "只有组织部门可以复核申诉")
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    _need(appeal.filed_by_id != by.pk, "申诉人不能复核自己提出的申诉")
    if appeal.status != Appeal.Status.PENDING:
        raise AssessmentError("该申诉已复核")
    if new_grade not in GRADES:
        raise AssessmentError(f"等次须为 {'、'.join(GRADES)} 之一")
    decision = (decision or "").strip()
    if not decision:
        raise AssessmentError("请填写复核意见")
    entry = Entry.objects.select_related("round__batch__programme", "placement__cadre").get(
        pk=appeal.entry_id
    )
    round_ = entry.round
    if new_grade != entry.grade and new_grade == EXCELLENT:
        policy = policy_for(round_.batch.programme)
        entries = Entry.objects.filter(round=round_)
        excellent = entries.filter(grade=EXCELLENT).exclude(pk=entry.pk).count() + 1
        _check_quota(policy, entries.count(), excellent)
        candidate = _Candidate(
            entry.pk, entry.placement_id, entry.placement.cadre.name, entry.integrity_finding
        )
        _raise_problems(_veto_problems(policy, round_, [candidate]))
    appeal.new_grade = new_grade
    appeal.decision = decision[:2000]
    appeal.decided_by = by
    appeal.decided_at = timezone.now()
    appeal.status = Appeal.Status.UPHELD if new_grade == entry.grade else Appeal.Status.CHANGED
    appeal.save()
    if new_grade != entry.grade:
        entry.grade = new_grade
        entry.save(update_fields=["grade"])
        if round_.kind == Round.Kind.ANNUAL:
            AnnualAssessment.objects.update_or_create(
                cadre=entry.placement.cadre,
                year=round_.year,
                defaults={"result": new_grade, "source": ANNUAL_SOURCE},
            )
    return appeal
