"""Pages of the deeds app for the units and the organisation departments (thin: the rules are
in services.py, who sees what in access.py). The public pages are in public.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guazhi.cadres.models import Cadre
from guazhi.core.access import scope_for
from guazhi.core.versioning import StaleEdit
from guazhi.core.views import paginate

from . import access, services
from .forms import (
    AppealDecisionForm,
    AppealForm,
    CallbackForm,
    DeedFilter,
    DeedForm,
    EvidenceForm,
    LookBackForm,
    PanelMemberForm,
    PolicyForm,
    RectificationDoneForm,
    StatusForm,
    StatusFormSet,
    TargetForm,
    apply_errors,
)
from .models import Deed, Evidence, Level, PanelMember, Rating, Rectification
from .services import DeedError

LEVEL_CLASS = {5: "success", 4: "success", 3: "info", 2: "warning", 1: "danger"}


def _today():
    return timezone.localdate()


def _districts(user) -> list[str]:
    """The districts of the responsible units of the deeds in the user's scope (filter choices).
    Asked of the units (a few hundred, each one probe of the deeds' unit index), not of the
    deeds: DISTINCT over every deed in scope read all 50,000 of them (130 ms)."""
    from guazhi.core.models import OrgUnit

    in_scope = access.deeds_for(user).filter(unit=OuterRef("pk"))
    return list(
        OrgUnit.objects.filter(Exists(in_scope))
        .order_by("region")
        .values_list("region", flat=True)
        .distinct()
    )


# --- the ledger ------------------------------------------------------------------------------


@login_required
def deed_list(request):
    user = request.user
    access.require(user, "deeds.view_deed")
    base = access.deeds_for(user).select_related("unit", "cadre", "status")
    filterset = DeedFilter(request.GET or None, queryset=base, districts=_districts(user))
    # The counts as subqueries, not joins: PostgreSQL then sorts the deeds and counts for the
    # page's 25 only, and the paginator's COUNT leaves them out (joined and grouped, they were
    # computed for every deed in scope: 3 s for 50,000 deeds and 500,000 ratings).
    qs = filterset.qs.annotate(
        n_ratings=access.count_of(Rating, excluded=False),
        n_open_rect=access.count_of(Rectification, status=Rectification.Status.OPEN),
    ).order_by(*Deed.LIST_ORDER)
    page = paginate(request, qs)
    today = _today()
    for deed in page:
        deed.overdue = deed.status.kind == "open" and deed.promised_on < today
    context = {
        "filter": filterset,
        "page": page,
        "can_add": access.can_add(user),
        "can_export": not scope_for(user, "deeds.export_deed").is_none,
        "query": request.GET.urlencode(),
        "due_lookbacks": access.lookbacks_for(user)
        .filter(conclusion="", due_on__lte=today)
        .count(),
        "open_rectifications": access.rectifications_for(user)
        .filter(status=Rectification.Status.OPEN)
        .count(),
    }
    if request.htmx:
        return render(request, "deeds/deed_list.html#results", context)
    return render(request, "deeds/deed_list.html", context)


def _cadres_for(user):
    from guazhi.cadres import access as cadre_access

    return cadre_access.cadres_for(user).select_related("unit").order_by("name")


@login_required
def deed_create(request):
    user = request.user
    if not access.can_add(user):
        raise PermissionDenied
    units = access.units_for_new(user).order_by("path")
    form = DeedForm(
        request.POST or None,
        units=units,
        cadres=_cadres_for(user),
        initial={"opened_on": _today(), "unit": user.unit_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            deed = services.deed_create(by=user, **form.cleaned_data)
        except DeedError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记实事“%(t)s”。") % {"t": deed.title})
            return redirect("deeds:detail", deed.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("登记实事"), "back": reverse("deeds:list")},
    )


@login_required
def deed_edit(request, pk):
    user = request.user
    deed = access.access_deed(user, pk, perm="deeds.change_deed")
    fields = ("title", "content", "source", "category", "urgent", "location", "unit", "cadre")
    form = DeedForm(
        request.POST or None,
        units=access.units_for_new(user).order_by("path")
        | type(deed.unit).objects.filter(pk=deed.unit_id),
        cadres=_cadres_for(user) | Cadre.objects.filter(pk=deed.cadre_id),
        editing=True,
        initial={
            **{f: getattr(deed, f) for f in fields},
            "promised_on": deed.promised_on,
            "lock_version": deed.lock_version,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.deed_update(deed=deed, by=user, **form.cleaned_data)
        except (DeedError, StaleEdit) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("deeds:detail", deed.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("修改实事"), "back": reverse("deeds:detail", args=[deed.pk])},
    )


@login_required
def deed_detail(request, pk):
    user = request.user
    deed = access.access_deed(user, pk)
    can_change = access.can(user, "deeds.change_deed", deed)
    figures = services.rating_figures(Rating.objects.filter(deed=deed))
    ratings = list(access.rating_rows(deed)[:50])
    for r in ratings:
        r["level_label"] = Level(r["level"]).label
        r["level_class"] = LEVEL_CLASS[r["level"]]
        r["channel_label"] = Rating.Channel(r["channel"]).label
        r["first_label"] = Level(r["first_level"]).label if r["rerated_at"] else ""
    return render(
        request,
        "deeds/deed_detail.html",
        {
            "deed": deed,
            "targets": list(deed.targets.all()),
            "evidence": deed.evidence.select_related("target", "by")[:50],
            "history": deed.history.select_related("from_status", "to_status", "by"),
            "lookbacks": deed.lookbacks.prefetch_related("tasks"),
            "figures": figures,
            "levels": [(lv.value, lv.label, figures.counts[lv.value]) for lv in Level],
            "ratings": ratings,
            "rectifications": deed.rectifications.select_related("rating").order_by("-pk"),
            "can_change": can_change,
            "can_review": access.can(user, "deeds.review_deed", deed),
            "evidence_form": EvidenceForm(deed=deed, initial={"day": _today()}),
            "target_form": TargetForm(),
            "status_form": StatusForm(initial={"day": _today(), "lock_version": deed.lock_version}),
            "public_url": _public_url(request, "deed", deed.public_key),
            "today": _today(),
        },
    )


def _public_url(request, name: str, key: str) -> str:
    """The absolute address of a public page (deed, panel, rerate) to hand out."""
    try:
        return request.build_absolute_uri(reverse(f"deeds_public:{name}", args=[key]))
    except NoReverseMatch:
        return ""


def _post_form(request, deed, form, action, success: str):
    """Run `action(form.cleaned_data)`; errors back on the detail page as messages (these are
    small forms on the deed page)."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except DeedError as exc:
            for message in exc.errors.values():
                messages.error(request, message)
        except StaleEdit as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, success)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for e in errors:
                messages.error(request, f"{label}：{e}" if label else e)
    return redirect("deeds:detail", deed.pk)


@login_required
@require_POST
def evidence_add(request, pk):
    user = request.user
    deed = access.access_deed(user, pk, perm="deeds.change_deed")
    form = EvidenceForm(request.POST, request.FILES, deed=deed)
    return _post_form(
        request,
        deed,
        form,
        lambda d: services.evidence_add(
            deed=deed,
            by=user,
            day=d["day"],
            note=d["note"],
            target=d["target"],
            value=d["value"],
            photo=d["photo"],
        ),
        _("已记录进展。"),
    )


@login_required
def evidence_photo(request, pk):
    evidence = get_object_or_404(Evidence.objects.select_related("deed"), pk=pk)
    access.access_deed(request.user, evidence.deed_id)
    if not evidence.photo:
        raise Http404
    response = FileResponse(evidence.photo.open("rb"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_POST
def target_add(request, pk):
    user = request.user
    deed = access.access_deed(user, pk, perm="deeds.change_deed")
    form = TargetForm(request.POST)
    return _post_form(
        request,
        deed,
        form,
        lambda d: services.target_save(deed=deed, by=user, **d),
        _("已添加量化目标。"),
    )


@login_required
@require_POST
def status_change(request, pk):
    user = request.user
    deed = access.access_deed(user, pk, perm="deeds.change_deed")
    form = StatusForm(request.POST)
    return _post_form(
        request,
        deed,
        form,
        lambda d: services.status_change(deed=deed, by=user, **d),
        _("状态已变更。"),
    )


@login_required
def deed_export(request):
    """The filtered ledger as Excel (audited; `deeds.export_deed`)."""
    from guazhi.core import audit
    from guazhi.core.models import AuditEntry

    from . import exports

    user = request.user
    access.require(user, "deeds.export_deed")
    filterset = DeedFilter(
        request.GET or None, queryset=access.deeds_for(user), districts=_districts(user)
    )
    qs = filterset.qs.order_by(*Deed.LIST_ORDER)
    count = qs.count()
    audit.record(
        AuditEntry.Action.EXPORT,
        object_type="deeds.deed",
        object_repr="实事台账",
        message=f"导出实事台账 {count} 件，条件：{request.GET.urlencode() or '全部'}"[:300],
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        exports.ledger_xlsx(qs),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="deeds-{stamp}.xlsx"'
    return response


# --- look-backs -------------------------------------------------------------------------------


@login_required
def lookback_list(request):
    user = request.user
    access.require(user, "deeds.review_deed")
    qs = (
        access.lookbacks_for(user)
        .select_related("deed__unit")
        .order_by("conclusion", "due_on", "pk")
    )
    show = request.GET.get("show", "due")
    if show != "all":
        qs = qs.filter(conclusion="")
    page = paginate(request, qs)
    return render(
        request,
        "deeds/lookback_list.html",
        {"page": page, "show": show, "today": _today()},
    )


@login_required
def lookback_conclude(request, pk):
    user = request.user
    lookback = access.access_lookback(user, pk)
    deed = lookback.deed
    recurrences = list(services.recurrences(deed).select_related("unit")[:20])
    figures = services.rating_figures(Rating.objects.filter(deed=deed))
    form = LookBackForm(request.POST or None)
    if lookback.conclusion:
        form = None
    elif request.method == "POST" and form.is_valid():
        try:
            services.lookback_conclude(lookback=lookback, by=user, **form.cleaned_data)
        except DeedError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("回头看已完成。"))
            return redirect("deeds:detail", deed.pk)
    return render(
        request,
        "deeds/lookback_form.html",
        {
            "lookback": lookback,
            "deed": deed,
            "form": form,
            "recurrences": recurrences,
            "figures": figures,
            "policy": services.policy(),
        },
    )


# --- rectifications and appeals --------------------------------------------------------------


@login_required
def rectification_list(request):
    user = request.user
    access.require(user, "deeds.view_deed")
    qs = access.rectifications_for(user, "deeds.view_deed").select_related("deed", "unit", "rating")
    show = request.GET.get("show", "open")
    if show != "all":
        qs = qs.filter(status=Rectification.Status.OPEN)
    page = paginate(request, qs.order_by("status", "deadline", "pk"))
    today = _today()
    for r in page:
        r.overdue = r.status == Rectification.Status.OPEN and r.deadline < today
        r.level_label = Level(r.rating.first_level).label
    return render(request, "deeds/rectification_list.html", {"page": page, "show": show})


@login_required
def rectification_detail(request, pk):
    user = request.user
    rectification = access.access_rectification(user, pk)
    rating = rectification.rating
    can_work = access.rectifications_for(user).filter(pk=pk).exists()
    done_form = RectificationDoneForm(prefix="done")
    callback_form = CallbackForm(prefix="cb", initial={"day": _today()})
    appeal_form = AppealForm(prefix="ap")
    if request.method == "POST":
        if not can_work:
            raise PermissionDenied
        step = request.POST.get("step")
        try:
            if step == "done":
                done_form = RectificationDoneForm(request.POST, prefix="done")
                if done_form.is_valid():
                    services.rectification_done(
                        rectification=rectification, by=user, **done_form.cleaned_data
                    )
                    messages.success(request, _("已记录整改措施，评价人可再次评价。"))
                    return redirect("deeds:rectification", pk)
            elif step == "callback":
                callback_form = CallbackForm(request.POST, prefix="cb")
                if callback_form.is_valid():
                    services.callback_record(
                        rectification=rectification, by=user, **callback_form.cleaned_data
                    )
                    messages.success(request, _("已记录回访。"))
                    return redirect("deeds:rectification", pk)
            elif step == "appeal":
                if not access.can_file_appeal(user, rating):
                    raise PermissionDenied
                appeal_form = AppealForm(request.POST, prefix="ap")
                if appeal_form.is_valid():
                    services.appeal_file(rating=rating, by=user, **appeal_form.cleaned_data)
                    messages.success(request, _("申诉已提交，等待复核。"))
                    return redirect("deeds:rectification", pk)
        except DeedError as exc:
            form = {"done": done_form, "callback": callback_form, "appeal": appeal_form}[step]
            apply_errors(form, exc)
    can_reveal = access.can(user, "deeds.reveal_rater", rectification.deed)
    rerate_url = ""
    # The re-rating link goes to whoever calls the rater back, never to the rated unit (which
    # could otherwise rate its own fix).
    if (
        can_reveal
        and rectification.status == Rectification.Status.DONE
        and rating.rerated_at is None
    ):
        rerate_url = _public_url(request, "rerate", rectification.rerate_token)
    return render(
        request,
        "deeds/rectification_detail.html",
        {
            "r": rectification,
            "rating": rating,
            "level_label": Level(rating.first_level).label,
            "now_label": Level(rating.level).label,
            "channel_label": Rating.Channel(rating.channel).label,
            "can_work": can_work,
            "can_reveal": can_reveal,
            "can_appeal": access.can_file_appeal(user, rating),
            "appeals": rating.appeals.select_related("filed_by", "decided_by"),
            "done_form": done_form,
            "callback_form": callback_form,
            "appeal_form": appeal_form,
            "rerate_url": rerate_url,
            "overdue": rectification.status == "open" and rectification.deadline < _today(),
        },
    )


@login_required
@require_POST
def rater_reveal(request, pk):
    rectification = access.access_rectification(request.user, pk)
    mobile = access.reveal_rater(request.user, rectification.rating) or _("（未留手机号）")
    if request.htmx:
        return HttpResponse(mobile)
    messages.info(request, _("评价人手机号：%(m)s（仅用于回访，已留痕）") % {"m": mobile})
    return redirect("deeds:rectification", pk)


@login_required
def appeal_list(request):
    user = request.user
    access.require(user, "deeds.decide_appeal")
    qs = access.appeals_to_decide(user).select_related("rating__deed", "filed_by")
    show = request.GET.get("show", "open")
    if show != "all":
        qs = qs.filter(decision="")
    page = paginate(request, qs.order_by("decision", "filed_at", "pk"))
    for a in page:
        a.level_label = Level(a.rating.first_level).label
    return render(request, "deeds/appeal_list.html", {"page": page, "show": show})


@login_required
def appeal_decide(request, pk):
    user = request.user
    access.require(user, "deeds.decide_appeal")
    appeal = get_object_or_404(
        access.appeals_to_decide(user).select_related("rating__deed", "filed_by"), pk=pk
    )
    form = AppealDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_decide(appeal=appeal, by=user, **form.cleaned_data)
        except DeedError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已作出复核结论。"))
            return redirect("deeds:appeals")
    rating = appeal.rating
    return render(
        request,
        "deeds/appeal_decide.html",
        {
            "appeal": appeal,
            "rating": rating,
            "level_label": Level(rating.first_level).label,
            "form": form if not appeal.decision else None,
        },
    )


# --- figures and the panel -------------------------------------------------------------------


@login_required
def figures(request):
    """响应率, 解决率, 按时办结率, 满意率, 差评整改率 per responsible unit and per cadre."""
    user = request.user
    access.require(user, "deeds.view_deed")
    deeds = access.deeds_for(user)
    total = services.figures(deeds)
    # Names from the viewer's own deeds; the figures of every unit and cadre in four
    # queries each (services.figures_by), not four per row.
    units = services.figures_by(deeds, "unit_id")
    names = deeds.order_by("unit__path").values_list("unit_id", "unit__name").distinct()
    by_unit = [(name, units[pk]) for pk, name in names]
    mine = deeds.exclude(cadre=None)
    cadres = services.figures_by(mine, "cadre_id")
    names = mine.order_by("cadre__name").values_list("cadre_id", "cadre__name").distinct()
    by_cadre = [(name, cadres[pk]) for pk, name in names]
    return render(
        request,
        "deeds/figures.html",
        {
            "total": total,
            "by_unit": by_unit,
            "by_cadre": by_cadre,
            "policy": services.policy(),
        },
    )


@login_required
def panel_list(request):
    user = request.user
    access.require(user, "deeds.view_panelmember")
    form = PanelMemberForm(request.POST or None)
    if request.method == "POST":
        access.require(user, "deeds.add_panelmember")
        if form.is_valid():
            try:
                member = services.panel_member_add(by=user, **form.cleaned_data)
            except DeedError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已邀请“%(n)s”加入评议团。") % {"n": member.name})
                return redirect("deeds:panel")
    members = PanelMember.objects.annotate(n=Count("ratings")).order_by("-active", "name")
    page = paginate(request, members)
    for m in page:
        m.link = _public_url(request, "panel", m.token)
    return render(
        request,
        "deeds/panel_list.html",
        {
            "page": page,
            "form": form,
            "can_add": not scope_for(user, "deeds.add_panelmember").is_none,
        },
    )


@login_required
def rules(request):
    """办实事规则: the look-back and rectification times, 基本满意's weight, and the status
    workflow."""
    user = request.user
    access.require(user, "deeds.change_policy")
    policy_form = PolicyForm(instance=services.policy(), prefix="p")
    initial = [{"id": s.pk, "name": s.name, "kind": s.kind} for s in services.statuses()]
    status_forms = StatusFormSet(initial=initial, prefix="s")
    status_error = ""
    if request.method == "POST" and request.POST.get("part") == "policy":
        policy_form = PolicyForm(request.POST, instance=services.policy(), prefix="p")
        if policy_form.is_valid():
            try:
                services.policy_save(by=user, **policy_form.cleaned_data)
            except DeedError as exc:
                apply_errors(policy_form, exc)
            else:
                messages.success(request, _("规则已保存。"))
                return redirect("deeds:rules")
    elif request.method == "POST" and request.POST.get("part") == "statuses":
        access.require(user, "deeds.change_status")
        status_forms = StatusFormSet(request.POST, initial=initial, prefix="s")
        if status_forms.is_valid():
            rows = [
                (f.cleaned_data.get("id"), f.cleaned_data.get("name", ""), f.cleaned_data["kind"])
                for f in status_forms
                if f.cleaned_data.get("id") or (f.cleaned_data.get("name") or "").strip()
            ]
            try:
                services.statuses_save(by=user, rows=rows)
            except DeedError as exc:
                status_error = str(exc)
            else:
                messages.success(request, _("状态流程已保存。"))
                return redirect("deeds:rules")
    return render(
        request,
        "deeds/rules.html",
        {"policy_form": policy_form, "status_forms": status_forms, "status_error": status_error},
    )


def home_cards(user) -> list[dict]:
    """Deeds past their promise, bad ratings waiting for rectification, and look-backs due."""
    if scope_for(user, "deeds.view_deed").is_none:
        return []
    today = _today()
    cards = [
        {
            "label": _("超期未办结的实事"),
            "value": access.deeds_for(user)
            .filter(status__kind="open", promised_on__lt=today)
            .count(),
            "url": reverse("deeds:list") + "?overdue=on",
        }
    ]
    if not scope_for(user, "deeds.change_rectification").is_none:
        cards.append(
            {
                "label": _("差评待整改"),
                "value": access.rectifications_for(user)
                .filter(status=Rectification.Status.OPEN)
                .count(),
                "url": reverse("deeds:rectifications"),
            }
        )
    if not scope_for(user, "deeds.review_deed").is_none:
        cards.append(
            {
                "label": _("实事待回头看"),
                "value": access.lookbacks_for(user)
                .filter(conclusion="", due_on__lte=today)
                .count(),
                "url": reverse("deeds:lookbacks"),
            }
        )
    return cards
