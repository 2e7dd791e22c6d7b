"""Programme pages: programmes, batches (with composition statistics and export), posts with
their requirement profiles, and placements with finishing, extension and early end."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guazhi.core import audit
from guazhi.core.access import require, scope_for
from guazhi.core.models import AuditEntry
from guazhi.core.views import paginate

from . import access, services
from .forms import (
    BatchForm,
    ChangeDecisionForm,
    ChangeRequestForm,
    FinishForm,
    PlacementFilter,
    PostForm,
    ProgrammeForm,
    RequirementFormSet,
)
from .models import Batch, PlacementChange


def _can_manage(user, perm: str) -> bool:
    return scope_for(user, perm).kind == "all"


# --- programmes ----------------------------------------------------------------------------


@login_required
def programme_list(request):
    require(request.user, "programmes.view_programme")
    programmes = (
        access.programmes_for(request.user).select_related("owner_unit").prefetch_related("batches")
    )
    return render(
        request,
        "programmes/programme_list.html",
        {
            "programmes": programmes,
            "can_add": _can_manage(request.user, "programmes.add_programme"),
        },
    )


@login_required
def programme_detail(request, pk):
    programme = access.access_programme(request.user, pk)
    batches = programme.batches.annotate(
        n_posts=Count("posts", distinct=True),
        n_placements=Count("placements", distinct=True),
    ).order_by("-number")
    return render(
        request,
        "programmes/programme_detail.html",
        {
            "programme": programme,
            "batches": batches,
            "levels": programme.levels.select_related("role").order_by("order"),
            "can_change": _can_manage(request.user, "programmes.change_programme"),
            "can_add_batch": _can_manage(request.user, "programmes.add_batch"),
        },
    )


def _form_page(request, form, title, back, extra=None):
    context = {"form": form, "title": title, "back": back, **(extra or {})}
    return render(request, "core/form.html", context)


@login_required
def programme_create(request):
    access.require_manager(request.user, "programmes.add_programme")
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        programme = form.save()
        messages.success(request, _("已创建选派项目，并按默认设置了四级审核，可在项目页调整。"))
        return redirect("programmes:detail", pk=programme.pk)
    return _form_page(request, form, _("新建选派项目"), reverse("programmes:list"))


@login_required
def programme_edit(request, pk):
    programme = access.access_programme(request.user, pk, "programmes.change_programme")
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存。"))
        return redirect("programmes:detail", pk=pk)
    return _form_page(request, form, _("编辑选派项目"), reverse("programmes:detail", args=[pk]))


# --- batches -------------------------------------------------------------------------------


@login_required
def batch_create(request, programme_pk):
    programme = access.access_programme(request.user, programme_pk)
    access.require_manager(request.user, "programmes.add_batch")
    last = programme.batches.order_by("-number").first()
    form = BatchForm(
        request.POST or None,
        programme=programme,
        initial={"number": (last.number + 1) if last else 1},
    )
    if request.method == "POST" and form.is_valid():
        batch = form.save(commit=False)
        batch.programme = programme
        batch.save()
        form.save_m2m()
        messages.success(request, _("已创建%(b)s。下一步：添加岗位。") % {"b": batch.label})
        return redirect("programmes:batch", pk=batch.pk)
    return _form_page(
        request, form, _("新建批次"), reverse("programmes:detail", args=[programme.pk])
    )


@login_required
def batch_edit(request, pk):
    batch = access.access_batch(request.user, pk, "programmes.change_batch")
    form = BatchForm(request.POST or None, instance=batch)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存。"))
        return redirect("programmes:batch", pk=pk)
    return _form_page(
        request, form, _("编辑%(b)s") % {"b": batch}, reverse("programmes:batch", args=[pk])
    )


@login_required
def batch_detail(request, pk):
    batch = access.access_batch(request.user, pk)
    user = request.user
    posts = (
        batch.posts.select_related("host_unit", "rank_min", "rank_max")
        .prefetch_related("requirements__tag")
        .annotate(n_placed=Count("placements", distinct=True))
    )
    placements = access.placements_for(user).filter(batch=batch)
    composition = services.batch_composition(batch, placements)
    from guazhi.selection import access as selection_access

    nominations = selection_access.nominations_for(user).filter(batch=batch)
    counts = dict(nominations.values_list("status").annotate(n=Count("pk")))
    return render(
        request,
        "programmes/batch_detail.html",
        {
            "batch": batch,
            "posts": posts,
            "seats": sum(p.capacity for p in posts),
            "composition": composition,
            "placements": placements.select_related(
                "cadre__unit", "post__host_unit", "host_unit"
            ).order_by("cadre__name"),
            "nomination_counts": counts,
            "nomination_total": sum(counts.values()),
            "can_change": _can_manage(user, "programmes.change_batch"),
            "can_match": scope_for(user, "selection.match_batch").kind == "all",
            "can_nominate": not scope_for(user, "selection.add_nomination").is_none
            and batch.status == Batch.Status.NOMINATING,
        },
    )


@login_required
def batch_composition_export(request, pk):
    batch = access.access_batch(request.user, pk)
    placements = access.placements_for(request.user).filter(batch=batch)
    composition = services.batch_composition(batch, placements)
    audit.record(
        AuditEntry.Action.EXPORT,
        obj=batch,
        message=f"导出{batch}选派干部构成（{composition.total} 人）",
    )
    response = HttpResponse(
        services.composition_xlsx(batch, composition),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-composition.xlsx"'
    return response


# --- posts ---------------------------------------------------------------------------------


def _post_page(request, batch, post=None):
    form = PostForm(request.POST or None, instance=post)
    formset = RequirementFormSet(request.POST or None, instance=post, prefix="req")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        tags = [
            f.cleaned_data["tag"]
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("tag")
        ]
        if len(tags) != len(set(tags)):
            formset._non_form_errors = formset.error_class([_("同一专长只能出现一次")])
        else:
            with transaction.atomic():
                saved = form.save(commit=False)
                saved.batch = batch
                saved.save()
                formset.instance = saved
                formset.save()
            messages.success(request, _("岗位已保存。"))
            return redirect("programmes:batch", pk=batch.pk)
    return render(
        request,
        "programmes/post_form.html",
        {
            "form": form,
            "formset": formset,
            "batch": batch,
            "post": post,
            "title": _("编辑岗位") if post else _("新增岗位"),
        },
    )


@login_required
def post_create(request, batch_pk):
    batch = access.access_batch(request.user, batch_pk)
    access.require_manager(request.user, "programmes.add_post")
    return _post_page(request, batch)


@login_required
def post_edit(request, pk):
    post = access.access_post(request.user, pk, "programmes.change_post")
    return _post_page(request, post.batch, post)


@login_required
def post_delete(request, pk):
    post = access.access_post(request.user, pk, "programmes.delete_post")
    in_use = post.placements.exists() or post.nominations.exists()
    if request.method == "POST":
        if in_use:
            messages.error(request, _("该岗位已有拟任人选或任职记录，不能删除。"))
        else:
            post.delete()
            messages.success(request, _("岗位已删除。"))
        return redirect("programmes:batch", pk=post.batch_id)
    return render(request, "programmes/post_delete.html", {"post": post, "in_use": in_use})


# --- placements ----------------------------------------------------------------------------


@login_required
def placement_list(request):
    require(request.user, "programmes.view_placement")
    qs = access.placements_for(request.user).select_related(
        "cadre__unit", "batch__programme", "post", "host_unit"
    )
    regions = (
        access.placements_for(request.user)
        .order_by("cadre__unit__region")
        .values_list("cadre__unit__region", flat=True)
        .distinct()
    )
    filterset = PlacementFilter(
        request.GET or None,
        queryset=qs,
        batches=access.batches_for(request.user),
        regions=list(regions),
        programmes=access.programmes_for(request.user),
    )
    page = paginate(request, filterset.qs)
    context = {"filter": filterset, "page": page, "today": timezone.localdate()}
    if request.htmx:
        return render(request, "programmes/placement_list.html#results", context)
    return render(request, "programmes/placement_list.html", context)


@login_required
def placement_detail(request, pk):
    placement = access.access_placement(request.user, pk)
    user = request.user
    can_change = access.can_placement(user, "programmes.change_placement", placement)
    can_approve = access.can_placement(user, "programmes.approve_placement_change", placement)
    pending = placement.changes.filter(status=PlacementChange.Status.PENDING).first()
    return render(
        request,
        "programmes/placement_detail.html",
        {
            "placement": placement,
            "changes": placement.changes.select_related("requested_by", "decided_by"),
            "pending": pending,
            "can_change": can_change and placement.is_open,
            "can_decide": can_approve and pending and pending.requested_by_id != user.pk,
            "finish_form": FinishForm(initial={"end": placement.planned_end}),
            "request_form": ChangeRequestForm(),
            "decision_form": ChangeDecisionForm(),
        },
    )


def _placement_action(request, pk, form_class, action):
    placement = access.access_placement(request.user, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}：{'；'.join(errors)}" if label else "；".join(errors))
        return redirect("programmes:placement", pk=pk)
    try:
        message = action(placement, form.cleaned_data)
    except services.PlacementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("programmes:placement", pk=pk)


@login_required
@require_POST
def placement_finish(request, pk):
    def act(placement, data):
        services.placement_finish(
            placement=placement, by=request.user, end=data["end"], note=data["note"]
        )
        return _("已办理期满结束。")

    return _placement_action(request, pk, FinishForm, act)


@login_required
@require_POST
def placement_change_request(request, pk):
    def act(placement, data):
        services.change_request(
            placement=placement,
            by=request.user,
            kind=data["kind"],
            new_end=data["new_end"],
            reason=data["reason"],
        )
        return _("申请已提交，待另一位有审批权限的同志审批。")

    return _placement_action(request, pk, ChangeRequestForm, act)


@login_required
@require_POST
def placement_change_decide(request, pk, change_pk):
    def act(placement, data):
        change = get_object_or_404(PlacementChange, pk=change_pk, placement=placement)
        services.change_decide(
            change=change, by=request.user, approve=data["approve"], note=data["note"]
        )
        return _("已批准。") if data["approve"] else _("已记录不批准。")

    return _placement_action(request, pk, ChangeDecisionForm, act)


@login_required
@require_POST
def placement_change_cancel(request, pk, change_pk):
    placement = access.access_placement(request.user, pk)
    change = get_object_or_404(PlacementChange, pk=change_pk, placement=placement)
    try:
        services.change_cancel(change=change, by=request.user)
        messages.success(request, _("申请已撤回。"))
    except services.PlacementError as exc:
        messages.error(request, str(exc))
    return redirect("programmes:placement", pk=pk)


def placements_section(request, cadre):
    """The cadre profile's 挂职经历 card."""
    placements = (
        access.placements_for(request.user)
        .filter(cadre=cadre)
        .select_related("batch__programme", "post", "host_unit")
    )
    return "programmes/_profile_placements.html", {"placements": placements, "cadre": cadre}


def home_cards(user) -> list[dict]:
    if scope_for(user, "programmes.view_placement").is_none:
        return []
    current = access.placements_for(user).filter(status__in=["on_post", "extended"]).count()
    return [
        {
            "label": _("在岗挂职干部"),
            "value": current,
            "url": reverse("programmes:placements") + "?status=on_post",
        }
    ]
