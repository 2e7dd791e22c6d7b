"""Post-return pages: the ledger of returned cadres, the return page of a placement with its
follow-up evaluations and career events, and programme outcome statistics with export."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guazhi.core import audit
from guazhi.core.access import require, scope_for
from guazhi.core.models import AuditEntry, Role
from guazhi.core.views import paginate
from guazhi.programmes import access as programme_access

from . import access, services
from .forms import CareerEventForm, FollowUpForm, LedgerFilter, ReturnForm
from .models import FollowUp

# --- the ledger ----------------------------------------------------------------------------


@login_required
def index(request):
    """Ended placements in scope with their return, next follow-up and career events."""
    user = request.user
    require(user, "returns.view_returnrecord")
    today = timezone.localdate()
    next_due = (
        FollowUp.objects.filter(return_record__placement=OuterRef("pk"), done_on__isnull=True)
        .order_by("due_on")
        .values("due_on")[:1]
    )
    qs = (
        access.ended_placements_for(user)
        .select_related("cadre__unit", "batch__programme", "post", "host_unit", "return_record")
        .annotate(next_due=Subquery(next_due))
        .prefetch_related(
            Prefetch("career_events", queryset=access.events_for(user).order_by("date"))
        )
        .order_by("-batch__start", "cadre__name", "pk")
    )
    filterset = LedgerFilter(
        request.GET or None,
        queryset=qs,
        batches=programme_access.batches_for(user),
        today=today,
    )
    page = paginate(request, filterset.qs)
    add_scope = scope_for(user, "returns.add_returnrecord")
    soon = today + timedelta(days=services.FOLLOW_UP_NOTICE_DAYS)
    for p in page:
        p.can_record = access.scope_covers(add_scope, user, p.cadre)
        p.overdue = p.next_due is not None and p.next_due < today
        p.due_soon = p.next_due is not None and today <= p.next_due <= soon
    context = {
        "filter": filterset,
        "page": page,
        "today": today,
        "can_add_event": not scope_for(user, "returns.add_careerevent").is_none,
        "can_see_outcomes": _outcome_scope(user) is not None,
    }
    if request.htmx:
        return render(request, "returns/ledger.html#results", context)
    return render(request, "returns/ledger.html", context)


# --- the return page -----------------------------------------------------------------------


@login_required
def placement_page(request, placement_id):
    user = request.user
    placement = access.access_placement(user, placement_id)
    record = access.returns_for(user).filter(placement=placement).first()
    can_record = (
        record is None
        and placement.status in access.ENDED_STATUSES
        and access.covers(user, "returns.add_returnrecord", placement.cadre)
    )
    form = None
    if request.method == "POST":
        if not access.covers(user, "returns.add_returnrecord", placement.cadre):
            raise PermissionDenied
        form = ReturnForm(request.POST)
        if form.is_valid():
            try:
                services.return_record(placement=placement, by=user, **form.cleaned_data)
            except services.ReturnError as exc:
                if record is not None:  # the page shows the record, not the form
                    messages.error(request, str(exc))
                    return redirect("returns:placement", placement_id=placement.pk)
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已登记返岗，并按项目设置生成了跟踪评价计划。"))
                return redirect("returns:placement", placement_id=placement.pk)
    elif can_record:
        form = ReturnForm(initial={"returned_on": services.ended_on(placement)})
    today = timezone.localdate()
    follow_ups = []
    can_evaluate = access.covers(user, "returns.change_followup", placement.cadre)
    if record is not None:
        follow_ups = list(record.follow_ups.select_related("evaluated_by"))
        for fu in follow_ups:
            fu.earliest = services.earliest_evaluation(fu)
            fu.open = fu.earliest <= today
            fu.overdue = fu.done_on is None and fu.due_on < today
    events = (
        access.events_for(user).filter(placement=placement).select_related("created_by")
    ).order_by("date")
    return render(
        request,
        "returns/placement.html",
        {
            "placement": placement,
            "ended_on": services.ended_on(placement),
            "is_ended": placement.status in access.ENDED_STATUSES,
            "record": record,
            "form": form if (can_record or form is not None) else None,
            "follow_ups": follow_ups,
            "can_evaluate": can_evaluate,
            "can_change": record is not None
            and access.covers(user, "returns.change_returnrecord", placement.cadre),
            "events": events,
            "can_add_event": access.covers(user, "returns.add_careerevent", placement.cadre),
            "can_change_event": access.covers(user, "returns.change_careerevent", placement.cadre),
            "today": today,
        },
    )


@login_required
def return_edit(request, placement_id):
    user = request.user
    placement = access.access_placement(user, placement_id)
    record = access.returns_for(user).filter(placement=placement).first()
    if record is None:
        return redirect("returns:placement", placement_id=placement.pk)
    if not access.covers(user, "returns.change_returnrecord", placement.cadre):
        raise PermissionDenied
    form = ReturnForm(
        request.POST or None,
        initial={
            "returned_on": record.returned_on,
            "home_post": record.home_post,
            "tasks": record.tasks,
            "platforms": record.platforms,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.return_update(record=record, by=user, **form.cleaned_data)
        except services.ReturnError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已保存。未完成的跟踪评价按新的返岗日期顺延。"))
            return redirect("returns:placement", placement_id=placement.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("修改返岗记录：%(name)s") % {"name": placement.cadre.name},
            "back": reverse("returns:placement", args=[placement.pk]),
        },
    )


@login_required
def follow_up(request, pk):
    user = request.user
    fu = access.access_follow_up(user, pk, "returns.change_followup")
    fu = FollowUp.objects.select_related(
        "return_record__placement__cadre__unit", "return_record__placement__batch__programme"
    ).get(pk=fu.pk)
    placement = fu.return_record.placement
    today = timezone.localdate()
    initial = (
        {"done_on": fu.done_on, "result": fu.result, "evaluation": fu.evaluation}
        if fu.done_on
        else {"done_on": today}
    )
    form = FollowUpForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_evaluate(follow_up=fu, by=user, **form.cleaned_data)
        except services.ReturnError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("跟踪评价已保存。"))
            return redirect("returns:placement", placement_id=placement.pk)
    return render(
        request,
        "returns/follow_up.html",
        {
            "fu": fu,
            "placement": placement,
            "form": form,
            "earliest": services.earliest_evaluation(fu),
            "too_early": services.earliest_evaluation(fu) > today,
        },
    )


# --- career events -------------------------------------------------------------------------


def _event_page(request, *, form, title, back, event=None):
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.career_event_save(
                by=request.user,
                cadre=event.cadre if event else data["cadre"],
                kind=data["kind"],
                on=data["date"],
                description=data["description"],
                document_number=data["document_number"],
                placement=data["placement"],
                event=event,
            )
        except services.ReturnError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("职业发展记录已保存。"))
            if saved.placement_id:
                return redirect("returns:placement", placement_id=saved.placement_id)
            return redirect("cadres:detail", pk=saved.cadre_id)
    return render(request, "core/form.html", {"form": form, "title": title, "back": back})


@login_required
def event_create(request):
    user = request.user
    require(user, "returns.add_careerevent")
    cadre = None
    if request.GET.get("cadre", "").isdigit():
        cadre = access.access_cadre(user, request.GET["cadre"], "returns.add_careerevent")
    initial = {}
    if request.GET.get("placement", "").isdigit():
        initial["placement"] = request.GET["placement"]
    cadres = access.cadres_for(user, "returns.add_careerevent").filter(
        pk__in=access.placements_for(user, "returns.add_careerevent").values("cadre_id")
    )
    form = CareerEventForm(request.POST or None, cadres=cadres, cadre=cadre, initial=initial)
    if cadre is not None:
        back = reverse("cadres:detail", args=[cadre.pk])
        if initial.get("placement"):
            back = reverse("returns:placement", args=[initial["placement"]])
    else:
        back = reverse("returns:list")
    return _event_page(request, form=form, title=_("登记职业发展情况"), back=back)


@login_required
def event_edit(request, pk):
    user = request.user
    event = access.access_event(user, pk, "returns.change_careerevent")
    cadre = event.cadre
    form = CareerEventForm(
        request.POST or None,
        cadres=access.cadres_for(user, "returns.change_careerevent").filter(pk=cadre.pk),
        cadre=cadre,
        initial={
            "cadre": cadre.pk,
            "kind": event.kind,
            "date": event.date,
            "description": event.description,
            "document_number": event.document_number,
            "placement": event.placement_id,
        },
    )
    form.fields["cadre"].disabled = True
    back = (
        reverse("returns:placement", args=[event.placement_id])
        if event.placement_id
        else reverse("cadres:detail", args=[cadre.pk])
    )
    return _event_page(request, form=form, title=_("修改职业发展情况"), back=back, event=event)


# --- outcome statistics --------------------------------------------------------------------


def _outcome_scope(user):
    """Outcome figures are for organisation departments, units and leaders: a scope wider
    than "only self"."""
    scope = scope_for(user, "returns.view_returnrecord")
    if scope.is_none or scope.kind == Role.Scope.SELF:
        return None
    return scope


def _outcomes(user):
    scope = _outcome_scope(user)
    if scope is None:
        raise PermissionDenied
    outcomes = services.outcome_statistics(access.placements_for(user), access.events_for(user))
    return outcomes, services.scope_note(scope)


@login_required
def outcomes(request):
    outcomes, note = _outcomes(request.user)
    return render(
        request,
        "returns/outcomes.html",
        {
            "outcomes": outcomes,
            "scope_note": note,
            "scope_all": scope_for(request.user, "returns.view_returnrecord").kind
            == Role.Scope.ALL,
            "headers": services.OUTCOME_HEADERS,
        },
    )


@login_required
def outcomes_export(request):
    outcomes, note = _outcomes(request.user)
    sent = sum(len(o.total.sent) for o in outcomes)
    audit.record(
        AuditEntry.Action.EXPORT,
        object_type="returns.careerevent",
        message=f"导出返岗成效统计（{note}，{len(outcomes)} 个项目，选派 {sent} 人）",
    )
    response = HttpResponse(
        services.outcomes_xlsx(outcomes, note),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="return-outcomes.xlsx"'
    return response


# --- the cadre profile's card --------------------------------------------------------------


def profile_section(request, cadre):
    """返岗与职业发展: the cadre's return records and career events the viewer may see."""
    user = request.user
    if (
        scope_for(user, "returns.view_returnrecord").is_none
        and scope_for(user, "returns.view_careerevent").is_none
    ):
        return None
    records = list(
        access.returns_for(user)
        .filter(placement__cadre=cadre)
        .select_related("placement__batch__programme")
    )
    events = list(
        access.events_for(user).filter(cadre=cadre).select_related("placement__batch__programme")
    )
    can_add = access.covers(user, "returns.add_careerevent", cadre)
    if not records and not events and not (can_add and cadre.placements.exists()):
        return None
    return "returns/_profile_section.html", {
        "cadre": cadre,
        "records": records,
        "events": events,
        "can_add": can_add,
    }
