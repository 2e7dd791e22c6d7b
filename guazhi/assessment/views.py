"""Assessment pages: the overview (what each role has to do), the indicator library, a
programme's rules, plans per placement (edit, the cadre's agreement, approval, versions),
平时考核 per batch and quarter, rounds (create, compute, decide, confirm and freeze) with
one page per assessed cadre, the rater's own tasks (我的评价任务), appeals and the Excel
outputs. Views parse input, call access and services, render.

Who sees an entry in full (scores, ratings summary, self-summary) is the placement's
assessment scope (`access.placement_q` with assessment.view_round); a user who only rates
an entry reaches it through 我的评价任务 and sees nothing but the cadre's name, post and his
own rating."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guazhi.core import audit
from guazhi.core.access import require, scope_for
from guazhi.core.models import AuditEntry
from guazhi.core.versioning import StaleEdit
from guazhi.core.views import paginate
from guazhi.programmes import access as programme_access
from guazhi.programmes.models import Batch, Placement, Programme

from . import access, exports, services, sources
from .forms import (
    RATER_WEIGHTS,
    AppealDecideForm,
    AppealForm,
    IndicatorForm,
    IndicatorScoreForm,
    PlanItemFormSet,
    PlanNoteForm,
    PolicyForm,
    QuarterProposeForm,
    RatingFilterForm,
    RatingForm,
    RoundCreateForm,
    RoundDecisionForm,
    SelfSummaryForm,
)
from .models import (
    GRADES,
    Appeal,
    Entry,
    Indicator,
    IndicatorScore,
    Plan,
    PlanItem,
    QuarterResult,
    Rating,
    Round,
)

ENTRIES_PER_PAGE = 50
RATINGS_PER_PAGE = 20
PLACEMENTS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FROZEN = gettext_lazy("考核结果已确认（冻结），如有异议请走申诉")


# --- helpers -------------------------------------------------------------------------------


def _refuse(request, message: str, back: str, status: int = 403):
    """403 that says why (the generic 403 page cannot)."""
    return render(
        request, "assessment/forbidden.html", {"message": message, "back": back}, status=status
    )


def _next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}：{'；'.join(errors)}" if label else "；".join(errors))


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _shift(year: int, quarter: int, by: int) -> tuple[int, int]:
    n = year * 4 + quarter - 1 + by
    return n // 4, n % 4 + 1


def _overlapping(placements, start: date, end: date):
    """Placements on post at some day of [start, end]."""
    return placements.filter(start__lte=end).filter(
        Q(actual_end__gte=start) | Q(actual_end__isnull=True, planned_end__gte=start)
    )


def _full_q(user, prefix: str = "") -> Q | None:
    """Placements whose assessment the user sees in full (not merely as a rater)."""
    return access.placement_q(user, "assessment.view_round", prefix)


def _visible_entries(user, round_: Round):
    q = _full_q(user, "placement__")
    entries = Entry.objects.filter(round=round_)
    return entries if q is None else entries.filter(q)


def _access_full_entry(user, pk) -> Entry:
    """The entry page and its actions: 404 for entries the user only rates."""
    entry = access.access_entry(user, pk)
    q = _full_q(user)
    if q is not None and not Placement.objects.filter(q, pk=entry.placement_id).exists():
        raise Http404
    return entry


def _label_sources(indicators) -> None:
    """Each indicator's 取数方式 for the templates: computed from a source, or by hand."""
    for indicator in indicators:
        indicator.computed = services.is_computed(indicator)
        if indicator.kind == Indicator.Kind.QUALITATIVE:
            indicator.source_label = _("组织部门评分")
        else:
            indicator.source_label = sources.label(indicator.source)


# --- overview ------------------------------------------------------------------------------


@login_required
def index(request):
    user = request.user
    require(user, "assessment.view_round")
    today = timezone.localdate()
    manager = access.is_manager(user)
    open_ratings = access.my_ratings(user).filter(entry__round__status=Round.Status.OPEN)
    rating_counts = open_ratings.aggregate(
        total=Count("pk"), pending=Count("pk", filter=Q(submitted_at__isnull=True))
    )
    context = {
        "manager": manager,
        "today": today,
        "ratings_total": rating_counts["total"],
        "ratings_pending": rating_counts["pending"],
        "can_library": not scope_for(user, "assessment.view_indicator").is_none,
        "can_quarters": not scope_for(user, "assessment.view_quarterresult").is_none,
    }

    # The cadre's own assessment.
    own = list(
        access.placements_for(user)
        .filter(cadre__user=user)
        .select_related("batch__programme", "post", "host_unit")
        .prefetch_related(Prefetch("plans", queryset=Plan.objects.order_by("-version")))
        .order_by("-start")
    )
    for placement in own:
        plans = list(placement.plans.all())
        placement.current_plan = plans[0] if plans else None
        placement.approved_plan = next((p for p in plans if p.status == Plan.Status.APPROVED), None)
    context["own"] = own
    if own:
        context["own_quarters"] = (
            access.quarter_results_for(user)
            .filter(placement__cadre__user=user)
            .select_related("placement__batch")
        )
        context["own_entries"] = (
            access.entries_for(user)
            .filter(placement__cadre__user=user)
            .select_related("round__batch__programme")
            .order_by("-round__year", "-round__created_at")
        )

    # Batches the user works on (as manager, team leader, district, sending or host unit).
    led = set(access.led_batches(user).values_list("batch_id", flat=True))
    if manager:
        batches = Batch.objects.all()
    else:
        others = access.placements_for(user).exclude(cadre__user=user).values("batch_id")
        batches = Batch.objects.filter(Q(pk__in=others) | Q(pk__in=led))
    batches = list(
        batches.select_related("programme")
        .annotate(
            n_agreed=Count(
                "placements__plans",
                filter=Q(placements__plans__status=Plan.Status.AGREED),
                distinct=True,
            )
        )
        .order_by("programme__name", "-number")
    )
    rounds = defaultdict(list)
    for round_ in access.rounds_for(user).filter(batch__in=batches).order_by("-year", "kind"):
        rounds[round_.batch_id].append(round_)
    year, quarter = quarter_of(today)
    q_start, q_end = services.quarter_bounds(year, quarter)
    for batch in batches:
        batch.assessment_rounds = rounds.get(batch.pk, [])
        batch.led = batch.pk in led
        if batch.led:
            on_post = _overlapping(Placement.objects.filter(batch=batch), q_start, q_end)
            proposed = QuarterResult.objects.filter(
                placement__in=on_post, year=year, quarter=quarter
            )
            batch.quarter_todo = on_post.count() - proposed.count()
    programmes = []
    for batch in batches:
        if not programmes or programmes[-1][0].pk != batch.programme_id:
            programmes.append((batch.programme, []))
        programmes[-1][1].append(batch)
    if manager:
        listed = {p.pk for p, _b in programmes}
        for programme in Programme.objects.exclude(pk__in=listed).order_by("name"):
            programmes.append((programme, []))
        context["appeals"] = (
            Appeal.objects.filter(status=Appeal.Status.PENDING)
            .select_related("entry__placement__cadre", "entry__round__batch")
            .order_by("filed_at")
        )
    context.update(programmes=programmes, year=year, quarter=quarter)
    return render(request, "assessment/index.html", context)


# --- indicator library ---------------------------------------------------------------------


@login_required
def indicator_list(request):
    user = request.user
    require(user, "assessment.view_indicator")
    if not Indicator.objects.exists():
        services.library_defaults()
    indicators = list(Indicator.objects.order_by("dimension", "-is_active", "name"))
    _label_sources(indicators)
    return render(
        request,
        "assessment/indicator_list.html",
        {
            "indicators": indicators,
            "can_change": access.is_manager(user, "assessment.change_indicator"),
            "can_add": access.is_manager(user, "assessment.add_indicator"),
        },
    )


def _indicator_page(request, form, title):
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("指标已保存。"))
        return redirect("assessment:indicators")
    return render(
        request,
        "core/form.html",
        {"form": form, "title": title, "back": reverse("assessment:indicators")},
    )


@login_required
def indicator_create(request):
    access.require_manager(request.user, "assessment.add_indicator")
    return _indicator_page(request, IndicatorForm(request.POST or None), _("新增考核指标"))


@login_required
def indicator_edit(request, pk):
    access.require_manager(request.user, "assessment.change_indicator")
    indicator = get_object_or_404(Indicator, pk=pk)
    form = IndicatorForm(request.POST or None, instance=indicator)
    return _indicator_page(request, form, _("编辑考核指标：%(n)s") % {"n": indicator.name})


# --- policy --------------------------------------------------------------------------------


@login_required
def policy_edit(request, pk):
    user = request.user
    programme = programme_access.access_programme(user, pk)
    access.require_manager(user, "assessment.change_policy")
    policy = services.policy_for(programme)
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("考核规则已保存。"))
        return redirect("assessment:list")
    groups = [
        (_("评价权重（五方合计 100）"), RATER_WEIGHTS),
        (
            _("总分与等次分数线"),
            ["weight_indicators", "band_excellent", "band_competent", "band_basic"],
        ),
        (_("优秀比例"), ["excellent_quota", "quota_approval"]),
        (
            _("平时考核与否决规则"),
            [
                "quarter_good_cap",
                "veto_integrity",
                "veto_poor_quarter",
                "excellent_needs_good_quarters",
            ],
        ),
    ]
    return render(
        request,
        "assessment/policy_form.html",
        {
            "form": form,
            "programme": programme,
            "groups": [(title, [form[n] for n in names]) for title, names in groups],
        },
    )


# --- plans ---------------------------------------------------------------------------------


def _plan_columns(placements):
    latest = Plan.objects.filter(placement=OuterRef("pk")).order_by("-version")
    return placements.annotate(
        plan_version=Subquery(latest.values("version")[:1]),
        plan_status=Subquery(latest.values("status")[:1]),
        approved_version=Subquery(latest.filter(status=Plan.Status.APPROVED).values("version")[:1]),
    )


@login_required
def plan_list(request, pk):
    user = request.user
    require(user, "assessment.view_plan")
    batch = programme_access.access_batch(user, pk)
    placements = _plan_columns(access.placements_for(user).filter(batch=batch))
    counts = {
        row["plan_status"]: row["n"]
        for row in placements.order_by().values("plan_status").annotate(n=Count("pk"))
    }
    status = request.GET.get("status", "")
    if status == "none":
        placements = placements.filter(plan_status__isnull=True)
    elif status in Plan.Status.values:
        placements = placements.filter(plan_status=status)
    page = paginate(
        request,
        placements.select_related("cadre__unit", "post", "host_unit").order_by("cadre__name", "pk"),
        PLACEMENTS_PER_PAGE,
    )
    labels = dict(Plan.Status.choices)
    for placement in page:
        placement.plan_status_label = labels.get(placement.plan_status, "")
    filters = [("", _("全部"), sum(counts.values())), ("none", _("未制定"), counts.get(None, 0))]
    filters += [(value, label, counts.get(value, 0)) for value, label in Plan.Status.choices]
    return render(
        request,
        "assessment/plan_list.html",
        {
            "batch": batch,
            "page": page,
            "status": status,
            "filters": filters,
            "can_start": access.is_manager(user, "assessment.add_plan") and counts.get(None),
        },
    )


@login_required
@require_POST
def plan_start_all(request, pk):
    user = request.user
    batch = programme_access.access_batch(user, pk)
    access.require_manager(user, "assessment.add_plan")
    placements = _plan_columns(Placement.objects.filter(batch=batch)).filter(
        plan_status__isnull=True
    )
    started = 0
    for placement in placements:
        try:
            services.plan_start(placement=placement, by=user)
        except services.AssessmentError as exc:
            messages.error(request, f"{placement.cadre}：{exc}")
        else:
            started += 1
    messages.success(request, _("已为 %(n)s 人生成指标方案草稿。") % {"n": started})
    return redirect("assessment:plans", pk=batch.pk)


def _access_placement(user, pk) -> Placement:
    placement = (
        access.placements_for(user)
        .select_related("cadre__unit", "batch__programme", "post", "host_unit")
        .filter(pk=pk)
        .first()
    )
    if placement is None:
        raise Http404
    return placement


def _items_with_total(plan):
    items = list(plan.items.select_related("indicator")) if plan else []
    return items, sum((i.weight for i in items), Decimal(0))


@login_required
def plan_detail(request, pk):
    user = request.user
    placement = _access_placement(user, pk)
    plans = list(placement.plans.select_related("created_by", "approved_by").order_by("-version"))
    current = plans[0] if plans else None
    shown = current
    wanted = request.GET.get("v")
    if wanted:
        shown = next((p for p in plans if str(p.version) == wanted), None)
        if shown is None:
            raise Http404
    approved = next((p for p in plans if p.status == Plan.Status.APPROVED), None)
    items, total = _items_with_total(shown)
    _label_sources(i.indicator for i in items)
    is_current = shown is not None and shown == current
    is_self = placement.cadre.user_id == user.pk
    can_edit = services.can_edit_plan(user, placement)
    # A cadre without an account: the organisation department records his agreement.
    on_behalf = placement.cadre.user_id is None and access.is_manager(
        user, "assessment.approve_plan"
    )
    return render(
        request,
        "assessment/plan_detail.html",
        {
            "placement": placement,
            "plans": plans,
            "plan": shown,
            "current": current,
            "approved": approved,
            "items": items,
            "total": total,
            "is_current": is_current,
            "is_self": is_self,
            "on_behalf": on_behalf,
            "can_start": current is None and can_edit,
            "can_edit": can_edit and is_current,
            "can_agree": is_current
            and (is_self or on_behalf)
            and shown.status == Plan.Status.DRAFT,
            "can_approve": is_current
            and shown.status == Plan.Status.AGREED
            and access.is_manager(user, "assessment.approve_plan"),
            "can_save_template": shown is not None
            and shown.status == Plan.Status.APPROVED
            and access.is_manager(user, "assessment.change_plan"),
        },
    )


@login_required
@require_POST
def plan_start(request, pk):
    user = request.user
    placement = _access_placement(user, pk)
    if not services.can_edit_plan(user, placement):
        raise PermissionDenied
    try:
        plan = services.plan_start(placement=placement, by=user)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect("assessment:plan", pk=pk)
    messages.success(
        request, _("已生成第 %(v)s 版方案草稿，请调整指标、权重和目标值。") % {"v": plan.version}
    )
    return redirect("assessment:plan_edit", pk=pk)


@login_required
def plan_edit(request, pk):
    user = request.user
    placement = _access_placement(user, pk)
    if not services.can_edit_plan(user, placement):
        raise PermissionDenied
    current = services.plan_current(placement)
    if current is None:
        messages.info(request, _("请先生成方案草稿。"))
        return redirect("assessment:plan", pk=pk)
    indicators = Indicator.objects.filter(
        Q(is_active=True) | Q(pk__in=current.items.values("indicator_id"))
    ).order_by("dimension", "name")
    items, total = _items_with_total(current)
    initial = [{"indicator": i.indicator, "weight": i.weight, "target": i.target} for i in items]
    formset = PlanItemFormSet(
        request.POST or None, initial=initial, prefix="items", indicators=indicators
    )
    note_form = PlanNoteForm(
        request.POST or None, initial={"plan": current.pk, "lock_version": current.lock_version}
    )
    if request.method == "POST" and formset.is_valid() and note_form.is_valid():
        # The version the page showed: if a newer one appeared since, the service says so.
        shown = note_form.cleaned_data["plan"]
        loaded = current
        if shown and shown != current.pk:
            loaded = Plan.objects.filter(placement=placement, pk=shown).first() or current
        try:
            plan = services.plan_save(
                plan=loaded,
                items=formset.items(),
                by=user,
                note=note_form.cleaned_data["note"],
                lock_version=note_form.cleaned_data["lock_version"],
            )
        except (services.AssessmentError, StaleEdit) as exc:
            formset._non_form_errors = formset.error_class([str(exc)])
        else:
            saved_total = sum((w for _i, w, _t in formset.items()), Decimal(0))
            if plan.version != current.version:
                messages.success(
                    request,
                    _("已生成第 %(v)s 版草稿；须干部确认并审定后生效，此前仍按第 %(old)s 版。")
                    % {"v": plan.version, "old": current.version},
                )
            else:
                messages.success(request, _("方案草稿已保存。"))
            if saved_total != 100:
                messages.warning(
                    request,
                    _("权重合计 %(t)s，须为 100 才能确认和审定。")
                    % {"t": services.num(saved_total)},
                )
            return redirect("assessment:plan", pk=pk)
    return render(
        request,
        "assessment/plan_form.html",
        {
            "placement": placement,
            "plan": current,
            "formset": formset,
            "note_form": note_form,
            "total": total,
            "new_version": current.status != Plan.Status.DRAFT,
        },
    )


def _plan_action(request, pk, action, done: str):
    user = request.user
    plan = access.access_plan(user, pk)
    shown = request.POST.get("lock_version", "")
    try:
        action(plan=plan, by=user, lock_version=int(shown) if shown.isdigit() else None)
    except (services.AssessmentError, StaleEdit) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("assessment:plan", pk=plan.placement_id)


@login_required
@require_POST
def plan_agree(request, pk):
    return _plan_action(request, pk, services.plan_agree, _("已确认指标方案，待组织部门审定。"))


@login_required
@require_POST
def plan_approve(request, pk):
    access.require_manager(request.user, "assessment.approve_plan")
    return _plan_action(request, pk, services.plan_approve, _("指标方案已审定。"))


@login_required
@require_POST
def plan_save_template(request, pk):
    plan = access.access_plan(request.user, pk)
    try:
        template = services.template_from_plan(plan=plan, by=request.user)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("已存为“%(t)s”，该岗位以后的方案从它开始。") % {"t": template.name}
        )
    return redirect("assessment:plan", pk=plan.placement_id)


# --- 平时考核 -------------------------------------------------------------------------------


@login_required
def quarter_current(request, pk):
    require(request.user, "assessment.view_quarterresult")
    batch = programme_access.access_batch(request.user, pk)
    year, quarter = quarter_of(min(max(timezone.localdate(), batch.start), batch.end))
    return redirect("assessment:quarter", pk=pk, year=year, quarter=quarter)


@login_required
def quarter_page(request, pk, year, quarter):
    user = request.user
    require(user, "assessment.view_quarterresult")
    if not 1 <= quarter <= 4 or not 2000 <= year <= 2100:
        raise Http404
    batch = programme_access.access_batch(user, pk)
    start, end = services.quarter_bounds(year, quarter)
    placements = _overlapping(
        access.placements_for(user, "assessment.view_quarterresult").filter(batch=batch),
        start,
        end,
    )
    page = paginate(
        request,
        placements.select_related("cadre__unit", "post", "host_unit").order_by("cadre__name", "pk"),
        PLACEMENTS_PER_PAGE,
    )
    results = {
        r.placement_id: r
        for r in access.quarter_results_for(user)
        .filter(placement__in=list(page), year=year, quarter=quarter)
        .select_related("proposed_by", "confirmed_by")
    }
    can_propose = services.leads_batch(user, batch.pk) or access.is_manager(
        user, "assessment.confirm_quarterresult"
    )
    can_confirm = access.is_manager(user, "assessment.confirm_quarterresult")
    rows = []
    for placement in page:
        result = results.get(placement.pk)
        is_self = placement.cadre.user_id == user.pk
        editable = can_propose and (
            result is None or result.status == QuarterResult.Status.PROPOSED
        )
        rows.append(
            {
                "placement": placement,
                "result": result,
                # A cadre sees his own grade once it is confirmed.
                "show_grade": result is not None
                and (not is_self or result.status == QuarterResult.Status.CONFIRMED),
                "evidence": services.quarter_evidence(
                    placement=placement, year=year, quarter=quarter
                ),
                "form": QuarterProposeForm(
                    prefix=f"p{placement.pk}",
                    initial={"grade": result.grade, "note": result.note} if result else None,
                )
                if editable
                else None,
                "confirmable": can_confirm
                and result is not None
                and result.status == QuarterResult.Status.PROPOSED,
            }
        )
    policy = services.policy_for(batch.programme)
    previous, following = _shift(year, quarter, -1), _shift(year, quarter, 1)
    return render(
        request,
        "assessment/quarter.html",
        {
            "batch": batch,
            "year": year,
            "quarter": quarter,
            "start": start,
            "end": end,
            "page": page,
            "rows": rows,
            "policy": policy,
            "can_propose": can_propose,
            "can_confirm": can_confirm,
            "any_confirmable": any(r["confirmable"] for r in rows),
            "previous": previous,
            "following": following,
            "grades": QuarterResult.Grade.choices,
        },
    )


@login_required
@require_POST
def quarter_propose(request, pk, year, quarter, placement_pk):
    user = request.user
    batch = programme_access.access_batch(user, pk)
    back = reverse("assessment:quarter", args=[pk, year, quarter])
    placement = (
        access.placements_for(user, "assessment.view_quarterresult")
        .filter(batch=batch, pk=placement_pk)
        .first()
    )
    if placement is None:
        raise Http404
    if not services.can_propose_quarter(user, placement):
        return _refuse(
            request, _("只有本批工作队队长、副队长或组织部门可以提出平时考核等次。"), back
        )
    form = QuarterProposeForm(request.POST, prefix=f"p{placement.pk}")
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_next(request, back))
    try:
        services.quarter_propose(
            placement=placement,
            year=year,
            quarter=quarter,
            grade=form.cleaned_data["grade"],
            note=form.cleaned_data["note"],
            by=user,
        )
    except services.AssessmentError as exc:
        messages.error(request, f"{placement.cadre}：{exc}")
    else:
        messages.success(
            request,
            _("已提出%(name)s %(y)s年第%(q)s季度平时考核等次“%(g)s”，待组织部门确认。")
            % {"name": placement.cadre, "y": year, "q": quarter, "g": form.cleaned_data["grade"]},
        )
    return redirect(_next(request, back))


@login_required
@require_POST
def quarter_confirm(request, pk, year, quarter):
    user = request.user
    batch = programme_access.access_batch(user, pk)
    access.require_manager(user, "assessment.confirm_quarterresult")
    back = reverse("assessment:quarter", args=[pk, year, quarter])
    ids = [int(v) for v in request.POST.getlist("result") if v.isdigit()]
    results = list(
        access.quarter_results_for(user).filter(
            pk__in=ids, placement__batch=batch, year=year, quarter=quarter
        )
    )
    if not results:
        messages.error(request, _("请先勾选要确认的平时考核结果。"))
        return redirect(_next(request, back))
    try:
        confirmed = services.quarter_confirm(results=results, by=user)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已确认 %(n)s 人的平时考核等次。") % {"n": len(confirmed)})
    return redirect(_next(request, back))


# --- rounds --------------------------------------------------------------------------------


@login_required
def round_create(request, pk):
    user = request.user
    batch = programme_access.access_batch(user, pk)
    access.require_manager(user, "assessment.add_round")
    year = timezone.localdate().year
    initial = {
        "kind": Round.Kind.ANNUAL,
        "year": year,
        "period_start": max(batch.start, date(year, 1, 1)),
        "period_end": min(batch.end, date(year, 12, 31)),
    }
    form = RoundCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(batch=batch, by=user, **form.cleaned_data)
        except services.AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("已创建考核轮次，共 %(n)s 人。评价人可在“我的评价任务”中评分。")
                % {"n": round_.entries.count()},
            )
            return redirect("assessment:round", pk=round_.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("新建考核轮次：%(b)s") % {"b": batch},
            "back": reverse("assessment:list"),
        },
    )


def _distribution(round_: Round) -> list[tuple[str, int]]:
    counts = services.grade_distribution(round_)
    rows = [(grade, counts.get(grade, 0)) for grade in GRADES]
    rows += [(grade, n) for grade, n in counts.items() if grade not in GRADES and n]
    return rows


def _rating_count(**where):
    """The number of an entry's ratings (matching `where`), as a subquery annotation."""
    ratings = (
        Rating.objects.filter(entry=OuterRef("pk"), **where)
        .order_by()
        .values("entry")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(ratings), 0)


@login_required
def round_detail(request, pk):
    user = request.user
    round_ = access.access_round(user, pk)
    frozen = round_.is_frozen
    manager = access.is_manager(user)
    # While open, others get the list by name (the order by score would tell the scores).
    order = ["-final_score"] if frozen or manager else []
    entries = (
        _visible_entries(user, round_)
        .select_related("placement__cadre__unit", "placement__post", "placement__host_unit")
        # Counted per entry in subqueries: a join would multiply the 61 wide rows by their
        # ~60 ratings each and group them back (9 ms on PostgreSQL at province scale).
        .annotate(
            n_ratings=_rating_count(),
            n_submitted=_rating_count(submitted_at__isnull=False),
        )
        .order_by(*order, "placement__cadre__name", "pk")
    )
    page = paginate(request, entries, ENTRIES_PER_PAGE)
    for entry in page:
        entry.show_results = access.sees_results(user, entry.placement.cadre.user_id, frozen)
    can_manage = access.is_manager(user, "assessment.change_round") and not frozen
    can_confirm = access.is_manager(user, "assessment.confirm_round") and not frozen
    policy = services.policy_for(round_.batch.programme)
    context = {
        "round": round_,
        "page": page,
        "frozen": frozen,
        "can_manage": can_manage,
        "can_confirm": can_confirm,
        "can_export": page.paginator.count > 0,
        "policy": policy,
        "distribution": _distribution(round_)
        if page.paginator.count and (frozen or manager)
        else [],
        "my_pending": access.my_ratings(user)
        .filter(entry__round=round_, submitted_at__isnull=True)
        .count(),
    }
    if can_manage:
        context["form"] = RoundDecisionForm(entries=list(page))
        context["total"] = round_.entries.count()
        context["quota"] = context["total"] * policy.excellent_quota // 100
    return render(request, "assessment/round_detail.html", context)


def _manageable_round(request, pk, perm="assessment.change_round"):
    """A round a manager may change: 404 outside scope, 403 without the permission or when
    it is frozen (returned as a response)."""
    user = request.user
    round_ = access.access_round(user, pk)
    access.require_manager(user, perm)
    if round_.is_frozen:
        return round_, _refuse(request, FROZEN, reverse("assessment:round", args=[pk]))
    return round_, None


@login_required
@require_POST
def round_compute(request, pk):
    round_, refused = _manageable_round(request, pk)
    if refused:
        return refused
    try:
        services.round_compute(round=round_)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已重新计算 %(n)s 人的指标得分、综合评价得分、总分和建议等次。")
            % {"n": round_.entries.count()},
        )
    return redirect(_next(request, reverse("assessment:round", args=[pk])))


def _save_decisions(request, round_: Round, form: RoundDecisionForm) -> tuple[int, list[str]]:
    """The submitted rows' integrity findings (services.integrity_set) and chosen grades (kept
    on the entry until confirmation, which decides with them), on an open round. Returns how
    many entries changed and the refusals."""
    changed, refusals = 0, []
    integrity = form.integrity()
    grades = form.grades()
    for entry in Entry.objects.filter(
        pk__in=[e.pk for e in form.entries], round=round_
    ).select_related("placement__cadre"):
        finding, note = integrity[entry.pk]
        if (entry.integrity_finding, entry.integrity_note) != (finding, note):
            try:
                services.integrity_set(entry=entry, by=request.user, finding=finding, note=note)
            except services.AssessmentError as exc:
                refusals.append(f"{entry.placement.cadre.name}：{exc}")
                continue
            changed += 1
        grade = grades.get(entry.pk, "")
        if entry.grade != grade:
            try:
                services.grade_set(entry=entry, by=request.user, grade=grade)
            except services.AssessmentError as exc:
                refusals.append(f"{entry.placement.cadre.name}：{exc}")
                continue
            changed += 1
    return changed, refusals


@login_required
@require_POST
def round_decide(request, pk):
    """保存 (grades and integrity findings of the rows on the page) or 确认并冻结."""
    confirm = request.POST.get("action") == "confirm"
    round_, refused = _manageable_round(
        request, pk, "assessment.confirm_round" if confirm else "assessment.change_round"
    )
    if refused:
        return refused
    back = _next(request, reverse("assessment:round", args=[pk]))
    ids = [int(v) for v in request.POST.getlist("entry") if v.isdigit()]
    entries = list(_visible_entries(request.user, round_).filter(pk__in=ids))
    form = RoundDecisionForm(request.POST, entries=entries)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    changed, refusals = _save_decisions(request, round_, form)
    for refusal in refusals:
        messages.error(request, refusal)
    if refusals:
        return redirect(back)
    if not confirm:
        messages.success(request, _("已保存 %(n)s 人的等次和廉洁自律情况。") % {"n": changed})
        return redirect(back)
    grades = dict(round_.entries.exclude(grade="").values_list("pk", "grade"))
    try:
        services.round_confirm(round=round_, by=request.user, grades=grades)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, _("考核结果已确认并冻结；此后只能通过申诉复核改变等次。"))
    return redirect("assessment:round", pk=pk)


# --- one entry -----------------------------------------------------------------------------


def _rating_summary(entry: Entry, *, names: bool, averages: bool) -> list[dict]:
    """Per rater kind: how many ratings, how many submitted, and (when `averages`) the
    average of each aspect; with `names`, the rater rows too (managers only)."""
    ratings = list(entry.ratings.select_related("rater").order_by("rater_kind", "pk"))
    by_kind = defaultdict(list)
    for rating in ratings:
        by_kind[rating.rater_kind].append(rating)
    rows = []
    for kind, label in Rating.Rater.choices:
        group = by_kind.get(kind, [])
        if not group:
            continue
        done = [r for r in group if r.submitted_at is not None and r.average is not None]
        row = {"kind": kind, "label": label, "count": len(group), "submitted": len(done)}
        if averages and done:
            n = Decimal(len(done))
            for aspect in RatingForm.SCORES:
                row[aspect] = (sum(Decimal(getattr(r, aspect)) for r in done) / n).quantize(
                    Decimal("0.01")
                )
            row["average"] = (sum(r.average for r in done) / n).quantize(Decimal("0.01"))
        if names:
            row["raters"] = group
        rows.append(row)
    return rows


def _item_rows(entry: Entry):
    if entry.plan_id is None:
        return []
    scores = {s.item_id: s for s in IndicatorScore.objects.filter(entry=entry)}
    return [
        (item, scores.get(item.pk))
        for item in PlanItem.objects.filter(plan_id=entry.plan_id).select_related("indicator")
    ]


@login_required
def entry_detail(request, pk):
    user = request.user
    entry = _access_full_entry(user, pk)
    round_ = entry.round
    frozen = round_.is_frozen
    is_self = entry.placement.cadre.user_id == user.pk
    names = access.can_see_rater_names(user, entry)
    # The cadre sees only aggregates (民主测评 anonymous); raters see no other rater's marks
    # while the round is open.
    results = access.sees_results(user, entry.placement.cadre.user_id, frozen)
    can_score = not frozen and access.is_manager(user, "assessment.change_entry")
    items = []
    rows = _item_rows(entry)
    _label_sources(item.indicator for item, _score in rows)
    for item, score in rows:
        form = None
        if can_score and not item.indicator.computed:
            form = IndicatorScoreForm(
                prefix=f"i{item.pk}",
                quantitative=item.indicator.kind == Indicator.Kind.QUANTITATIVE,
                initial={"value": score.value, "score": score.score, "evidence": score.evidence}
                if score
                else None,
            )
        items.append({"item": item, "score": score, "form": form})
    can_summarise = is_self and not frozen
    appeals = entry.appeals.select_related("filed_by", "decided_by")
    return render(
        request,
        "assessment/entry_detail.html",
        {
            "entry": entry,
            "round": round_,
            "frozen": frozen,
            "is_self": is_self,
            "items": items,
            "summary": _rating_summary(entry, names=names, averages=results),
            "names": names,
            "results": results,
            "summary_form": SelfSummaryForm(initial={"text": entry.self_summary})
            if can_summarise
            else None,
            "appeals": appeals,
            "can_appeal": frozen
            and (is_self or access.is_manager(user, "assessment.change_round")),
            "manager": access.is_manager(user),
        },
    )


@login_required
@require_POST
def entry_score(request, pk, item_pk):
    user = request.user
    entry = _access_full_entry(user, pk)
    access.require_manager(user, "assessment.change_entry")
    back = reverse("assessment:entry", args=[pk])
    if entry.round.is_frozen:
        return _refuse(request, FROZEN, back)
    item = get_object_or_404(
        PlanItem.objects.select_related("indicator"), pk=item_pk, plan_id=entry.plan_id
    )
    form = IndicatorScoreForm(
        request.POST,
        prefix=f"i{item.pk}",
        quantitative=item.indicator.kind == Indicator.Kind.QUANTITATIVE,
    )
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    try:
        score = services.indicator_score_set(
            entry=entry,
            item=item,
            score=form.cleaned_data["score"],
            value=form.cleaned_data.get("value"),
            by=user,
            evidence=form.cleaned_data["evidence"],
        )
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已评定“%(i)s”得分 %(s)s；重新计算后计入总分。")
            % {"i": item.indicator.name, "s": services.num(score.score)},
        )
    return redirect(back)


@login_required
@require_POST
def entry_summary(request, pk):
    user = request.user
    entry = _access_full_entry(user, pk)
    back = reverse("assessment:entry", args=[pk])
    if entry.placement.cadre.user_id != user.pk:
        return _refuse(request, _("个人总结只能由干部本人填写。"), back)
    if entry.round.is_frozen:
        return _refuse(request, FROZEN, back)
    form = SelfSummaryForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    try:
        services.self_summary_save(entry=entry, by=user, text=form.cleaned_data["text"])
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("个人总结已保存。"))
    return redirect(back)


# --- 我的评价任务 ----------------------------------------------------------------------------


@login_required
def rating_list(request):
    user = request.user
    ratings = access.my_ratings(user).select_related(
        "entry__round__batch", "entry__placement__cadre", "entry__placement__post"
    )
    filters = RatingFilterForm(request.GET or None)
    if filters.is_valid():
        if filters.cleaned_data["status"] == "pending":
            ratings = ratings.filter(submitted_at__isnull=True)
        elif filters.cleaned_data["status"] == "done":
            ratings = ratings.filter(submitted_at__isnull=False)
        if filters.cleaned_data["q"]:
            ratings = ratings.filter(
                entry__placement__cadre__name__contains=filters.cleaned_data["q"]
            )
    ratings = ratings.order_by(
        "-entry__round__status",  # 进行中 (open) before 已确认 (confirmed)
        "-entry__round__year",
        "entry__round_id",
        F("submitted_at").asc(nulls_first=True),  # still to do first
        "rater_kind",
        "entry__placement__cadre__name",
        "pk",
    )
    page = paginate(request, ratings, RATINGS_PER_PAGE)
    rows = []
    for rating in page:
        editable = not rating.entry.round.is_frozen
        initial = None
        if rating.submitted_at:
            initial = {
                "political": rating.political,
                "conduct": rating.conduct,
                "performance": rating.performance,
                "integrity": rating.integrity,
                "comment": rating.comment,
            }
        rows.append(
            {
                "rating": rating,
                "form": RatingForm(prefix=f"r{rating.pk}", initial=initial) if editable else None,
            }
        )
    return render(
        request,
        "assessment/rating_list.html",
        {"page": page, "rows": rows, "filters": filters},
    )


@login_required
@require_POST
def rating_submit(request, pk):
    user = request.user
    rating = access.access_my_rating(user, pk)
    back = _next(request, reverse("assessment:ratings"))
    if rating.entry.round.is_frozen:
        return _refuse(request, FROZEN, back)
    form = RatingForm(request.POST, prefix=f"r{rating.pk}")
    if not form.is_valid():
        messages.error(request, _("%(name)s：") % {"name": rating.entry.placement.cadre.name})
        _form_errors(request, form)
        return redirect(back)
    try:
        services.rating_submit(rating=rating, by=user, **form.cleaned_data)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已提交对%(name)s的评价。") % {"name": rating.entry.placement.cadre.name},
        )
    return redirect(back)


# --- appeals -------------------------------------------------------------------------------


@login_required
def appeal_create(request, pk):
    user = request.user
    entry = _access_full_entry(user, pk)
    back = reverse("assessment:entry", args=[pk])
    if not entry.round.is_frozen:
        return _refuse(request, _("考核结果确认（冻结）后才能申诉。"), back)
    if entry.placement.cadre.user_id != user.pk and not access.is_manager(
        user, "assessment.change_round"
    ):
        return _refuse(request, _("只有干部本人或组织部门可以提出申诉。"), back)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = services.appeal_file(entry=entry, by=user, reason=form.cleaned_data["reason"])
        except services.AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("申诉已提交，由组织部门另一位同志复核。"))
            return redirect("assessment:appeal", pk=appeal.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("申诉：%(name)s %(round)s（原等次 %(g)s）")
            % {"name": entry.placement.cadre, "round": entry.round, "g": entry.grade or "—"},
            "back": back,
        },
    )


def _access_appeal(user, pk) -> Appeal:
    appeal = (
        access.appeals_for(user)
        .select_related(
            "entry__round__batch__programme",
            "entry__placement__cadre",
            "filed_by",
            "decided_by",
        )
        .filter(pk=pk)
        .first()
    )
    if appeal is None:
        raise Http404
    _access_full_entry(user, appeal.entry_id)
    return appeal


@login_required
def appeal_detail(request, pk):
    user = request.user
    appeal = _access_appeal(user, pk)
    can_decide = (
        appeal.status == Appeal.Status.PENDING
        and appeal.filed_by_id != user.pk
        and access.is_manager(user, "assessment.decide_appeal")
    )
    return render(
        request,
        "assessment/appeal_detail.html",
        {
            "appeal": appeal,
            "entry": appeal.entry,
            "can_decide": can_decide,
            "form": AppealDecideForm(initial={"new_grade": appeal.old_grade})
            if can_decide
            else None,
            "is_filer": appeal.filed_by_id == user.pk,
        },
    )


@login_required
@require_POST
def appeal_decide(request, pk):
    user = request.user
    appeal = _access_appeal(user, pk)
    access.require_manager(user, "assessment.decide_appeal")
    back = reverse("assessment:appeal", args=[pk])
    if appeal.filed_by_id == user.pk:
        return _refuse(request, _("申诉须由提出人以外的同志复核。"), back)
    form = AppealDecideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    try:
        services.appeal_decide(appeal=appeal, by=user, **form.cleaned_data)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("复核结果已记录。"))
    return redirect(back)


# --- outputs -------------------------------------------------------------------------------


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def entry_form_xlsx(request, pk):
    user = request.user
    entry = _access_full_entry(user, pk)
    frozen = entry.round.is_frozen
    content = exports.entry_form(
        entry,
        results=access.sees_results(user, entry.placement.cadre.user_id, frozen),
        comments=frozen or access.is_manager(user),
    )
    audit.record(
        AuditEntry.Action.EXPORT,
        obj=entry,
        message=f"导出{entry.placement.cadre}考核登记表（{entry.round}）",
    )
    return _xlsx(content, f"assessment-entry-{entry.pk}.xlsx")


@login_required
def entry_form_pdf(request, pk):
    """The same form as a PDF to print (core/pdf.py); the same rules as the Excel file."""
    from django.core.exceptions import ImproperlyConfigured

    user = request.user
    entry = _access_full_entry(user, pk)
    try:
        content = exports.entry_form_pdf(
            entry,
            results=access.sees_results(user, entry.placement.cadre.user_id, entry.round.is_frozen),
            printed_by=user.full_name or user.username,
        )
    except ImproperlyConfigured as exc:  # no Chinese font on this server
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    audit.record(
        AuditEntry.Action.EXPORT,
        obj=entry,
        message=f"打印{entry.placement.cadre}考核登记表 PDF（{entry.round}）",
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="assessment-entry-{entry.pk}.pdf"'
    return response


@login_required
def round_results_xlsx(request, pk):
    user = request.user
    round_ = access.access_round(user, pk)
    entries = _visible_entries(user, round_)
    if not entries.exists():
        raise PermissionDenied
    frozen = round_.is_frozen
    content, count = exports.round_results(
        round_,
        entries,
        results=lambda e: access.sees_results(user, e.placement.cadre.user_id, frozen),
    )
    audit.record(
        AuditEntry.Action.EXPORT,
        obj=round_,
        message=f"导出{round_}考核结果表（{count} 人）",
    )
    return _xlsx(content, f"assessment-round-{round_.pk}-results.xlsx")


# --- home cards, profile section and reminders (registered in hooks.connect) ---------------


def home_cards(user) -> list[dict]:
    cards = []
    pending = (
        access.my_ratings(user)
        .filter(entry__round__status=Round.Status.OPEN, submitted_at__isnull=True)
        .count()
    )
    if pending:
        cards.append(
            {
                "label": _("待完成的考核评价"),
                "value": pending,
                "url": reverse("assessment:ratings") + "?" + urlencode({"status": "pending"}),
            }
        )
    if access.is_manager(user, "assessment.approve_plan"):
        cards.append(
            {
                "label": _("待审定的考核指标方案"),
                "value": Plan.objects.filter(status=Plan.Status.AGREED).count(),
                "url": reverse("assessment:list"),
            }
        )
    return cards


def profile_section(request, cadre):
    """The cadre profile's 考核 card: his rounds' grades and his quarters, for viewers who see
    his assessment."""
    user = request.user
    placements = access.placements_for(user, "assessment.view_round").filter(cadre=cadre)
    if scope_for(user, "assessment.view_round").is_none or not placements.exists():
        return None
    entries = (
        Entry.objects.filter(placement__in=placements)
        .select_related("round__batch")
        .order_by("-round__year", "-round__created_at")
    )
    quarters = access.quarter_results_for(user).filter(
        placement__cadre=cadre, status=QuarterResult.Status.CONFIRMED
    )
    return (
        "assessment/_profile_assessment.html",
        {
            "cadre": cadre,
            "entries": entries,
            "quarters": quarters,
            "placements": placements.select_related("batch"),
        },
    )


def reminders(today: date):
    """Reminder provider (`guazhi.core.notices.PROVIDERS`): raters with ratings still to give
    in open rounds (one notice per rater and round), and cadres whose plan waits for their
    agreement. Two queries."""
    from guazhi.core.notices import Due

    notices = []
    ratings_url = reverse("assessment:ratings") + "?status=pending"
    rows = (
        Rating.objects.filter(entry__round__status=Round.Status.OPEN, submitted_at__isnull=True)
        .values("rater_id", "entry__round_id", "entry__round__year", "entry__round__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    kinds = dict(Round.Kind.choices)
    for row in rows:
        notices.append(
            Due(
                user_id=row["rater_id"],
                key=f"assessment:round:{row['entry__round_id']}:ratings",
                kind=_("考核评价"),
                text=_("%(y)s年%(k)s：还有 %(n)s 份评价未提交")
                % {
                    "y": row["entry__round__year"],
                    "k": kinds.get(row["entry__round__kind"], ""),
                    "n": row["n"],
                },
                url=ratings_url,
            )
        )
    latest = Plan.objects.filter(placement=OuterRef("placement_id")).order_by("-version")
    drafts = (
        Plan.objects.filter(
            status=Plan.Status.DRAFT,
            placement__cadre__user__isnull=False,
            placement__status__in=Placement.OPEN_STATUSES,
            pk=Subquery(latest.values("pk")[:1]),
        )
        .exclude(items=None)
        .values("pk", "version", "placement_id", "placement__cadre__user_id")
        .distinct()
    )
    for plan in drafts:
        notices.append(
            Due(
                user_id=plan["placement__cadre__user_id"],
                key=f"assessment:plan:{plan['pk']}:agree",
                kind=_("考核指标方案"),
                text=_("第 %(v)s 版考核指标方案待您确认") % {"v": plan["version"]},
                url=reverse("assessment:plan", args=[plan["placement_id"]]),
            )
        )
    return notices
