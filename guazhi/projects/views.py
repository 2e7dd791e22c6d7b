"""Project pages: the ledger (台账) with filters and Excel export, the board by stage, the
funnel with totals, the green channel, a project's page with its history, task force, tasks,
blockers, notes and credit, and the enterprise and event directories. Views parse input,
call access.py and services.py, and render."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guazhi.core import audit, figurecache
from guazhi.core.access import scope_for
from guazhi.core.access import units_for as core_units_for
from guazhi.core.models import AuditEntry, Role
from guazhi.core.versioning import StaleEdit
from guazhi.core.views import paginate
from guazhi.programmes import access as programme_access

from . import access, exports, services
from .forms import (
    BlockerActionForm,
    BlockerForm,
    ContactForm,
    CreditForm,
    EnterpriseFilter,
    EnterpriseForm,
    EventForm,
    EventSigningForm,
    MemberForm,
    MoveForm,
    PolicyForm,
    ProjectFilter,
    ProjectForm,
    ReopenForm,
    StageFormSet,
    TaskForm,
    TaskProgressForm,
    TerminateForm,
    UpdateForm,
    apply_errors,
)
from .models import Blocker, Credit, Light, Project, Stage, TaskForceMember

LIGHT_LABELS = dict(Light.choices)
LIGHT_CLASS = {
    Light.GREEN: "success",
    Light.YELLOW: "warning",
    Light.RED: "danger",
    Light.DONE: "primary",
    Light.ENDED: "secondary",
}


def _programme(request):
    """The programme a page shows: ?programme=ID, else the first active one the user sees."""
    programmes = programme_access.programmes_for(request.user).order_by("-is_active", "pk")
    pk = request.GET.get("programme")
    if pk:
        programme = programmes.filter(pk=pk).first() if str(pk).isdigit() else None
        if programme is None:
            raise Http404
        return programme, programmes
    return programmes.first(), programmes


def _owners(user):
    """Users a project, task or blocker may be given to: business users in the units the
    user sees, and himself."""
    return access.owners_for(user).filter(Q(unit__in=core_units_for(user)) | Q(pk=user.pk))


def _districts(qs) -> list[str]:
    return list(qs.order_by("district").values_list("district", flat=True).distinct())


def _filtered(request, programme):
    user = request.user
    base = services.with_light(access.projects_for(user)).filter(programme=programme)
    filterset = ProjectFilter(
        request.GET or None,
        queryset=base,
        programme=programme,
        batches=programme_access.batches_for(user).filter(programme=programme),
        districts=_districts(access.projects_for(user).filter(programme=programme)),
        user=user,
    )
    return filterset


# --- the ledger -------------------------------------------------------------------------------


@login_required
def project_list(request):
    user = request.user
    access.require(user, "projects.view_project")
    programme, programmes = _programme(request)
    if programme is None:
        return render(request, "projects/empty.html", {"title": _("合作项目")})
    filterset = _filtered(request, programme)
    qs = filterset.qs.select_related("stage", "enterprise", "owner", "batch").order_by(
        "last_progress_on", "pk"
    )
    page = paginate(request, qs)
    for p in page:
        p.light_class = LIGHT_CLASS.get(p.light, "secondary")
        p.light_label = LIGHT_LABELS.get(p.light, "")
    context = {
        "filter": filterset,
        "page": page,
        "programme": programme,
        "programmes": programmes,
        "today": timezone.localdate(),
        "can_add": access.can_add(user),
        "can_export": not scope_for(user, "projects.export_project").is_none,
        "query": request.GET.urlencode(),
    }
    if request.htmx:
        return render(request, "projects/project_list.html#results", context)
    return render(request, "projects/project_list.html", context)


@login_required
def project_export(request):
    user = request.user
    access.require(user, "projects.export_project")
    programme, _programmes = _programme(request)
    if programme is None:
        raise Http404
    filterset = _filtered(request, programme)
    qs = filterset.qs.select_related(
        "stage", "enterprise", "owner", "batch", "unit", "found_by", "signed_event"
    ).order_by("stage__order", "pk")
    count = qs.count()
    audit.record(
        AuditEntry.Action.EXPORT,
        object_type="projects.project",
        object_repr="项目台账",
        message=f"导出项目台账 {count} 个（{programme.name}），条件：{request.GET.urlencode() or '全部'}"[
            :300
        ],
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        exports.ledger_xlsx(qs, programme),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="projects-{stamp}.xlsx"'
    return response


# --- the board and the funnel -----------------------------------------------------------------


@login_required
def board(request):
    user = request.user
    access.require(user, "projects.view_project")
    programme, programmes = _programme(request)
    if programme is None:
        return render(request, "projects/empty.html", {"title": _("项目看板")})
    qs = access.projects_for(user)
    batch = request.GET.get("batch")
    if batch and batch.isdigit():
        qs = qs.filter(batch_id=batch)
    district = request.GET.get("district", "").strip()
    if district:
        qs = qs.filter(district=district)
    mine = bool(request.GET.get("mine"))
    if mine:
        qs = qs.filter(owner=user)
    summary = services.board_summary(qs, programme)
    columns = summary.columns
    changeable = set()
    if not scope_for(user, "projects.change_project").is_none:
        ids = [p.pk for c in columns for p in c.cards]
        changeable = set(
            access.changeable_projects(user).filter(pk__in=ids).values_list("pk", flat=True)
        )
    today = timezone.localdate()
    # Card links from one reverse each, not three per card (72 cards: ~12 ms of reverse()).
    detail_url = reverse("projects:detail", args=[987654321])
    move_url = reverse("projects:move", args=[987654321])
    for column in columns:
        column.light_counts = [
            (light, LIGHT_LABELS[light], column.lights[light])
            for light in (Light.RED, Light.YELLOW, Light.GREEN)
            if column.lights.get(light)
        ]
        for p in column.cards:
            p.light_class = LIGHT_CLASS.get(p.light, "secondary")
            p.idle = (today - p.last_progress_on).days
            p.badge = _("%(n)d 天") % {"n": p.idle}
            p.can_move = p.pk in changeable
            p.detail_url = detail_url.replace("987654321", str(p.pk))
            p.move_url = move_url.replace("987654321", str(p.pk))
    filtered = bool(batch and batch.isdigit()) or bool(district) or mine
    return render(
        request,
        "projects/board.html",
        {
            "programme": programme,
            "programmes": programmes,
            "columns": columns,
            "terminated": summary.terminated,
            "light_title": _("红黄绿灯"),
            "batches": programme_access.batches_for(user).filter(programme=programme),
            # The filter's choices are every district in scope, not only the filtered ones.
            "districts": _districts(access.projects_for(user).filter(programme=programme))
            if filtered
            else summary.districts,
            "selected": {
                "batch": batch or "",
                "district": district,
                "mine": request.GET.get("mine"),
            },
            "policy": services.policy_for(programme),
            "list_url": reverse("projects:list"),
        },
    )


def _funnel_rows(qs, programme):
    rows = services.funnel(qs, programme)
    top = rows[0].reached if rows else 0
    for row in rows:
        row.share = round(100 * row.reached / top, 1) if top else 0
    return rows


@login_required
def funnel(request):
    user = request.user
    access.require(user, "projects.view_project")
    programme, programmes = _programme(request)
    if programme is None:
        return render(request, "projects/empty.html", {"title": _("漏斗与统计")})
    qs = access.projects_for(user)
    batch = request.GET.get("batch")
    if batch and batch.isdigit():
        qs = qs.filter(batch_id=batch)
    district = request.GET.get("district", "").strip()
    if district:
        qs = qs.filter(district=district)
    if request.GET.get("format") == "json":
        rows = _funnel_rows(qs, programme)
        return JsonResponse(
            {
                "programme": programme.name,
                "stages": [
                    {
                        "stage": r.stage.name,
                        "reached": r.reached,
                        "current": r.current,
                        "terminated": r.terminated_here,
                        "conversion": r.conversion,
                        "median_days": r.median_days,
                    }
                    for r in rows
                ],
            }
        )

    def body() -> str:
        rows = _funnel_rows(qs, programme)
        by = services.totals_by(qs, programme)
        filtered = bool(batch and batch.isdigit()) or bool(district)
        blockers = services.blocker_times(
            Blocker.objects.filter(project__in=qs.filter(programme=programme))
        )
        filters = {"programme": programme.pk}
        if batch:
            filters["batch"] = batch
        if district:
            filters["district"] = district
        context = {
            "programme": programme,
            "programmes": programmes,
            "rows": rows,
            "by_district": by["district"],
            "by_sector": by["sector"],
            "by_batch": by["batch"],
            "blockers": blockers,
            "batches": programme_access.batches_for(user).filter(programme=programme),
            "districts": _districts(access.projects_for(user).filter(programme=programme))
            if filtered
            else sorted(t.key for t in by["district"]),
            "selected": {"batch": batch or "", "district": district},
            "list_query": urlencode(filters),
            "first": rows[0] if rows else None,
            "last": rows[-1] if rows else None,
        }
        return render_to_string("projects/_funnel_body.html", context, request)

    # A report over every stage change of the programme: kept per viewer, language and query
    # until a record behind it changes (core/figurecache.py), as the dashboard is. Computing
    # and rendering it cost 75 ms at province scale.
    key = figurecache.key(
        "projects:funnel", user, translation.get_language(), request.GET.urlencode()
    )
    body_html = figurecache.get_or_build(key, body)  # a SafeString, kept so when pickled
    return render(request, "projects/funnel.html", {"programme": programme, "body": body_html})


@login_required
def green_channel(request):
    user = request.user
    qs = access.green_channel_for(user).select_related(
        "project__stage", "project__unit", "owner", "escalated_by"
    )
    show = request.GET.get("show", "open")
    if show != "all":
        qs = qs.exclude(status=Blocker.Status.RESOLVED)
    qs = qs.order_by("resolved_at", "deadline", "pk")
    page = paginate(request, qs)
    today = timezone.localdate()
    for b in page:
        b.overdue = b.is_overdue(today)
        b.waiting_days = (timezone.now() - b.escalated_at).days if b.escalated_at else None
    return render(
        request,
        "projects/green_channel.html",
        {
            "page": page,
            "show": show,
            "times": services.blocker_times(access.green_channel_for(user)),
        },
    )


# --- one project ------------------------------------------------------------------------------


def _project_form(request, user, data=None, initial=None, editing=False):
    return ProjectForm(
        data,
        initial=initial,
        programmes=programme_access.programmes_for(user),
        units=access.units_for_new_project(user)
        if not editing
        else access.units_for_new_project(user) | _unit_qs(initial),
        owners=_owners(user),
        cadres=access.cadres_for(user),
        batches=programme_access.batches_for(user),
        editing=editing,
    )


def _unit_qs(initial):
    from guazhi.core.models import OrgUnit

    unit = (initial or {}).get("unit")
    return OrgUnit.objects.filter(pk=getattr(unit, "pk", unit)) if unit else OrgUnit.objects.none()


@login_required
def project_create(request):
    user = request.user
    if not access.can_add(user):
        raise PermissionDenied
    programme, _programmes = _programme(request)
    own_cadre = getattr(user, "cadre", None) if hasattr(user, "cadre") else None
    initial = {
        "programme": programme,
        "owner": user,
        "unit": user.unit
        if access.units_for_new_project(user).filter(pk=user.unit_id).exists()
        else None,
        "found_on": timezone.localdate(),
        "found_by": own_cadre,
        "district": (user.unit.region or "") if user.unit_id else "",
    }
    form = _project_form(request, user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_create(
                by=user,
                programme=data["programme"],
                title=data["title"],
                enterprise=data["enterprise"],
                sector=data["sector"],
                district=data["district"],
                unit=data["unit"],
                owner=data["owner"],
                found_by=data["found_by"],
                found_on=data["found_on"],
                channel=data["channel"],
                source_note=data["source_note"],
                planned_amount=data["planned_amount"] or 0,
                description=data["description"],
                batch=data["batch"],
            )
        except services.ProjectError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记项目线索。下一步：组建工作专班并指定牵头人。"))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/project_form.html",
        {
            "form": form,
            "title": _("登记项目线索"),
            "back": reverse("projects:list"),
            "districts": _districts(access.projects_for(user)),
        },
    )


@login_required
def project_edit(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    initial = {name: getattr(project, name) for name in services.EDITABLE}
    initial["lock_version"] = project.lock_version
    form = _project_form(request, user, request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {k: data[k] for k in services.EDITABLE if k in data}
        values["planned_amount"] = values.get("planned_amount") or 0
        try:
            services.project_update(
                project=project, by=user, lock_version=data["lock_version"], **values
            )
        except (services.ProjectError, StaleEdit) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/project_form.html",
        {
            "form": form,
            "title": _("修改项目：%(t)s") % {"t": project.title},
            "back": reverse("projects:detail", args=[project.pk]),
            "districts": _districts(access.projects_for(user)),
        },
    )


@login_required
def project_detail(request, pk):
    user = request.user
    project = access.access_project(user, pk)
    today = timezone.localdate()
    can_change = access.can_change(user, project)
    stages = services.stages_for(project.programme)
    history = project.history.select_related("from_stage", "to_stage", "by", "event").order_by(
        "-date", "-id"
    )
    tasks = list(project.tasks.select_related("owner").order_by("status", "deadline", "pk"))
    for t in tasks:
        t.overdue = t.is_overdue(today)
        t.can_update = can_change or t.owner_id == user.pk
    blockers = list(
        project.blockers.select_related("owner", "raised_by", "escalated_by", "resolved_by")
    )
    for b in blockers:
        b.overdue = b.is_overdue(today)
        b.can_work = can_change or b.owner_id == user.pk
    light = services.light_of(project, today)
    policy = services.policy_for(project.programme)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "stages": stages,
            "history": history,
            "members": project.members.select_related("cadre__unit", "unit"),
            "tasks": tasks,
            "blockers": blockers,
            "updates": project.updates.select_related("by")[:20],
            "credits": project.credits.select_related("cadre__unit"),
            "can_change": can_change and project.is_active,
            "can_manage": can_change,
            "light": light,
            "light_class": LIGHT_CLASS.get(light, "secondary"),
            "light_label": LIGHT_LABELS.get(light, ""),
            "idle": services.idle_days(project, today),
            "policy": policy,
            "next_stages": [s for s in stages if s.order > project.stage.order],
            "today": today,
        },
    )


@login_required
def project_move(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    if not project.is_active:
        messages.error(request, _("项目已终止，须先重新启动才能变更阶段。"))
        return redirect("projects:detail", pk=project.pk)
    stages = Stage.objects.filter(programme=project.programme).order_by("order")
    target = None
    wanted = request.POST.get("to_stage") or request.GET.get("to_stage") or request.GET.get("to")
    if wanted and str(wanted).isdigit():
        target = stages.exclude(pk=project.stage_id).filter(pk=wanted).first()
    initial = {
        "to_stage": target,
        "day": timezone.localdate(),
        "signed_on": project.signed_on,
        "signed_amount": project.signed_amount or None,
        "agreement_number": project.agreement_number,
        "event": project.signed_event,
        "landed_on": project.landed_on,
        "landed_amount": project.landed_amount or None,
        "landing_form": project.landing_form,
        "production_on": project.production_on,
        "lock_version": project.lock_version,
    }
    form = MoveForm(
        request.POST or None,
        initial=initial,
        project=project,
        stages=stages,
        events=access.events_for(user).filter(programme=project.programme),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.stage_move(
                project=project,
                to_stage=data["to_stage"],
                by=user,
                day=data["day"],
                note=data["note"],
                evidence=form.evidence(),
                lock_version=data["lock_version"],
            )
        except (services.ProjectError, StaleEdit) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已变更到“%(s)s”阶段。") % {"s": data["to_stage"].name})
            return redirect("projects:detail", pk=project.pk)
    needed = services.needed_evidence(project, target) if target is not None else []
    groups = [
        (kind, [form[n] for n in MoveForm.GROUPS[kind]])
        for kind in needed
        if kind in MoveForm.GROUPS
    ]
    context = {
        "project": project,
        "form": form,
        "target": target,
        "groups": groups,
        "needs_lead": Stage.Evidence.TASK_FORCE in needed,
        "backward": target is not None and target.order < project.stage.order,
    }
    if request.htmx:
        return render(request, "projects/move.html#move-form", context)
    return render(request, "projects/move.html", context)


@login_required
def project_terminate(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    policy = services.policy_for(project.programme)
    form = TerminateForm(
        request.POST or None,
        initial={"day": timezone.localdate(), "lock_version": project.lock_version},
        reasons=policy.reasons(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.project_terminate(
                project=project,
                by=user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                day=form.cleaned_data["day"],
                lock_version=form.cleaned_data["lock_version"],
            )
        except (services.ProjectError, StaleEdit) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("项目已终止，终止原因已记录。"))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/confirm_form.html",
        {
            "form": form,
            "project": project,
            "title": _("终止项目：%(t)s") % {"t": project.title},
            "intro": _("终止后项目不再亮灯、不再提醒；终止原因和说明记入项目历史，可以重新启动。"),
            "button": _("确认终止"),
            "danger": True,
        },
    )


@login_required
def project_reopen(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    form = ReopenForm(
        request.POST or None,
        initial={"day": timezone.localdate(), "lock_version": project.lock_version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.project_reopen(
                project=project,
                by=user,
                note=form.cleaned_data["note"],
                day=form.cleaned_data["day"],
                lock_version=form.cleaned_data["lock_version"],
            )
        except (services.ProjectError, StaleEdit) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("项目已重新启动。"))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/confirm_form.html",
        {
            "form": form,
            "project": project,
            "title": _("重新启动项目：%(t)s") % {"t": project.title},
            "intro": _("项目回到终止时所在的阶段，重新开始计算红黄绿灯。"),
            "button": _("重新启动"),
        },
    )


def _simple_form(request, project, form, title, save, success):
    """A small form on a project (member, task, blocker, note, credit): save() may raise
    ProjectError, which goes onto the form."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except services.ProjectError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/confirm_form.html",
        {"form": form, "project": project, "title": title, "button": _("保存")},
    )


def _member_units(user):
    return core_units_for(user)


@login_required
def member_add(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    form = MemberForm(
        request.POST or None,
        initial={"role": TaskForceMember.Role.LEAD if not project.members.exists() else ""},
        cadres=access.cadres_for(user),
        units=_member_units(user),
    )
    return _simple_form(
        request,
        project,
        form,
        _("加入工作专班：%(t)s") % {"t": project.title},
        lambda d: services.member_add(project=project, by=user, **d),
        _("已加入工作专班。"),
    )


@login_required
@require_POST
def member_remove(request, pk):
    user = request.user
    member = access.members_for(user).select_related("project").filter(pk=pk).first()
    if member is None:
        raise Http404
    if not access.can_change(user, member.project):
        raise PermissionDenied
    try:
        services.member_remove(member=member, by=user)
    except services.ProjectError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已移出工作专班。"))
    return redirect("projects:detail", pk=member.project_id)


@login_required
def task_add(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    form = TaskForm(
        request.POST or None,
        initial={"owner": project.owner, "deadline": timezone.localdate() + timedelta(days=14)},
        owners=_owners(user) | access.owners_for(user).filter(pk=project.owner_id),
    )
    return _simple_form(
        request,
        project,
        form,
        _("分派任务：%(t)s") % {"t": project.title},
        lambda d: services.task_create(project=project, by=user, **d),
        _("任务已分派。"),
    )


@login_required
def task_edit(request, pk):
    user = request.user
    task = access.access_task(user, pk)
    if not access.can_update_task(user, task):
        raise PermissionDenied
    project = task.project
    manager = access.can_change(user, project)
    if manager:
        form = TaskForm(
            request.POST or None,
            initial={
                "title": task.title,
                "owner": task.owner,
                "deadline": task.deadline,
                "status": task.status,
                "note": task.note,
            },
            owners=_owners(user) | access.owners_for(user).filter(pk=task.owner_id),
            creating=False,
        )
    else:
        form = TaskProgressForm(
            request.POST or None, initial={"status": task.status, "note": task.note}
        )
    return _simple_form(
        request,
        project,
        form,
        _("任务：%(t)s") % {"t": task.title},
        lambda d: services.task_update(task=task, by=user, **d),
        _("任务已更新。"),
    )


@login_required
def blocker_add(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    form = BlockerForm(
        request.POST or None,
        initial={"owner": project.owner},
        owners=_owners(user) | access.owners_for(user).filter(pk=project.owner_id),
    )
    return _simple_form(
        request,
        project,
        form,
        _("提出问题：%(t)s") % {"t": project.title},
        lambda d: services.blocker_raise(project=project, by=user, **d),
        _("问题已列入问题清单。"),
    )


@login_required
def blocker_detail(request, pk):
    user = request.user
    blocker = access.access_blocker(user, pk)
    can_work = access.can_work_blocker(user, blocker)
    can_escalate = access.can_change(user, blocker.project)
    form = None
    if blocker.is_open and (can_work or can_escalate):
        form = BlockerActionForm(request.POST or None)
        allowed = {"respond", "resolve"} if can_work else set()
        if can_escalate and blocker.status == Blocker.Status.OPEN:
            allowed.add("escalate")
        form.fields["action"].choices = [c for c in BlockerActionForm.ACTIONS if c[0] in allowed]
        if request.method == "POST" and form.is_valid():
            action, note = form.cleaned_data["action"], form.cleaned_data["note"]
            try:
                if action == "respond":
                    services.blocker_respond(blocker=blocker, by=user, note=note)
                elif action == "escalate":
                    services.blocker_escalate(blocker=blocker, by=user, note=note)
                else:
                    services.blocker_resolve(blocker=blocker, by=user, resolution=note)
            except services.ProjectError as exc:
                form.add_error("note", str(exc))
            else:
                messages.success(request, _("已保存。"))
                return redirect("projects:blocker", pk=blocker.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "projects/blocker_detail.html",
        {"blocker": blocker, "form": form, "today": timezone.localdate()},
    )


@login_required
def update_add(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    form = UpdateForm(request.POST or None, initial={"day": timezone.localdate()})
    return _simple_form(
        request,
        project,
        form,
        _("跟进记录：%(t)s") % {"t": project.title},
        lambda d: services.update_add(project=project, by=user, **d),
        _("跟进记录已保存。"),
    )


@login_required
def credit_add(request, pk):
    user = request.user
    project = access.access_project(user, pk, change=True)
    form = CreditForm(request.POST or None, cadres=access.cadres_for(user))
    return _simple_form(
        request,
        project,
        form,
        _("记录贡献：%(t)s") % {"t": project.title},
        lambda d: services.credit_add(project=project, by=user, **d),
        _("贡献已记录，将计入该干部的考核实绩。"),
    )


@login_required
@require_POST
def credit_remove(request, pk):
    user = request.user
    credit = access.credits_for(user).select_related("project__unit").filter(pk=pk).first()
    if credit is None:
        raise Http404
    if not access.can_change(user, credit.project):
        raise PermissionDenied
    services.credit_remove(credit=credit, by=user)
    messages.success(request, _("已删除该贡献记录。"))
    return redirect("projects:detail", pk=credit.project_id)


# --- enterprises ------------------------------------------------------------------------------


@login_required
def enterprise_list(request):
    user = request.user
    access.require(user, "projects.view_enterprise")
    qs = access.enterprises_for(user).annotate(n_projects=Count("projects")).order_by("name")
    filterset = EnterpriseFilter(request.GET or None, queryset=qs)
    page = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "can_add": not scope_for(user, "projects.add_enterprise").is_none,
    }
    if request.htmx:
        return render(request, "projects/enterprise_list.html#results", context)
    return render(request, "projects/enterprise_list.html", context)


def _enterprise_values(data) -> dict:
    return {k: data[k] for k in ("name", "credit_code", "sector", "city", "address", "note")}


@login_required
def enterprise_create(request):
    user = request.user
    access.require(user, "projects.add_enterprise")
    form = EnterpriseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(
                by=user, **_enterprise_values(form.cleaned_data)
            )
        except services.ProjectError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("企业已登记。"))
            return redirect("projects:enterprise", pk=enterprise.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("登记企业"), "back": reverse("projects:enterprises")},
    )


@login_required
def enterprise_edit(request, pk):
    user = request.user
    enterprise = access.access_enterprise(user, pk, "projects.change_enterprise")
    form = EnterpriseForm(
        request.POST or None,
        initial={
            k: getattr(enterprise, k)
            for k in ("name", "credit_code", "sector", "city", "address", "note")
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(
                enterprise=enterprise, by=user, **_enterprise_values(form.cleaned_data)
            )
        except services.ProjectError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("projects:enterprise", pk=enterprise.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("修改企业：%(n)s") % {"n": enterprise.name},
            "back": reverse("projects:enterprise", args=[enterprise.pk]),
        },
    )


@login_required
def enterprise_detail(request, pk):
    user = request.user
    enterprise = access.access_enterprise(user, pk)
    projects = services.with_light(
        access.projects_for(user).filter(enterprise=enterprise)
    ).select_related("stage")
    return render(
        request,
        "projects/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "contacts": enterprise.contacts.all(),
            "projects": projects,
            "can_change": not scope_for(user, "projects.change_enterprise").is_none,
            "can_reveal": access.can_reveal_contact(user),
        },
    )


@login_required
def contact_add(request, pk):
    user = request.user
    enterprise = access.access_enterprise(user, pk, "projects.change_enterprise")
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_add(enterprise=enterprise, by=user, **form.cleaned_data)
        except services.ProjectError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("联系人已添加。"))
            return redirect("projects:enterprise", pk=enterprise.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("添加联系人：%(n)s") % {"n": enterprise.name},
            "back": reverse("projects:enterprise", args=[enterprise.pk]),
        },
    )


@login_required
def contact_edit(request, pk):
    user = request.user
    contact = access.access_contact(user, pk)
    access.require(user, "projects.change_enterprise")
    form = ContactForm(
        request.POST or None,
        initial={"name": contact.name, "title": contact.title},
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.contact_update(
                contact=contact,
                by=user,
                name=data["name"],
                title=data["title"],
                mobile=data["mobile"] or None,
            )
        except services.ProjectError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("projects:enterprise", pk=contact.enterprise_id)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("修改联系人：%(n)s") % {"n": contact.name},
            "back": reverse("projects:enterprise", args=[contact.enterprise_id]),
        },
    )


@login_required
@require_POST
def contact_reveal(request, pk):
    user = request.user
    contact = access.access_contact(user, pk)
    mobile = services.contact_reveal(contact=contact, by=user)
    if request.htmx:
        return HttpResponse(mobile)
    messages.info(request, _("%(n)s 的手机号：%(m)s（已留痕）") % {"n": contact.name, "m": mobile})
    return redirect("projects:enterprise", pk=contact.enterprise_id)


# --- events -----------------------------------------------------------------------------------


@login_required
def event_list(request):
    user = request.user
    access.require(user, "projects.view_event")
    visible = access.projects_for(user)
    qs = (
        access.events_for(user)
        .select_related("programme")
        .annotate(n_signed=Count("signed_projects", filter=Q(signed_projects__in=visible)))
        .order_by("-date", "-pk")
    )
    return render(
        request,
        "projects/event_list.html",
        {
            "page": paginate(request, qs),
            "can_add": not scope_for(user, "projects.add_event").is_none,
        },
    )


def _event_form(user, data=None, initial=None):
    return EventForm(data, initial=initial, programmes=programme_access.programmes_for(user))


@login_required
def event_create(request):
    user = request.user
    access.require(user, "projects.add_event")
    form = _event_form(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_save(by=user, **form.cleaned_data)
        except services.ProjectError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("活动已登记。"))
            return redirect("projects:event", pk=event.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("登记招商活动"), "back": reverse("projects:events")},
    )


@login_required
def event_edit(request, pk):
    user = request.user
    event = access.access_event(user, pk, "projects.change_event")
    form = _event_form(
        user,
        request.POST or None,
        initial={
            "programme": event.programme,
            "name": event.name,
            "kind": event.kind,
            "day": event.date,
            "place": event.place,
            "note": event.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.event_save(by=user, event=event, **form.cleaned_data)
        except services.ProjectError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("projects:event", pk=event.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("修改活动：%(n)s") % {"n": event.name},
            "back": reverse("projects:event", args=[event.pk]),
        },
    )


@login_required
def event_detail(request, pk):
    user = request.user
    event = access.access_event(user, pk)
    signed = (
        access.projects_for(user)
        .filter(signed_event=event)
        .select_related("enterprise", "stage", "owner")
        .order_by("pk")
    )
    signing_stage = Stage.objects.filter(
        programme=event.programme, evidence=Stage.Evidence.SIGNING
    ).first()
    form = None
    if signing_stage is not None:
        candidates = access.changeable_projects(user).filter(
            programme=event.programme,
            status=Project.Status.ACTIVE,
            stage__order__lt=signing_stage.order,
        )
        if candidates.exists() or request.method == "POST":
            form = EventSigningForm(request.POST or None, projects=candidates)
            if request.method == "POST" and form.is_valid():
                project = form.cleaned_data["project"]
                try:
                    services.stage_move(
                        project=project,
                        to_stage=signing_stage,
                        by=user,
                        day=event.date,
                        note=_("在%(e)s上签约") % {"e": event.name},
                        evidence={
                            "event": event,
                            "signed_on": event.date,
                            "signed_amount": form.cleaned_data["signed_amount"],
                            "agreement_number": form.cleaned_data["agreement_number"],
                        },
                    )
                except services.ProjectError as exc:
                    apply_errors(form, exc)
                else:
                    messages.success(
                        request, _("“%(t)s”已记为在本次活动签约。") % {"t": project.title}
                    )
                    return redirect("projects:event", pk=event.pk)
    totals = signed.aggregate(n=Count("pk"))
    return render(
        request,
        "projects/event_detail.html",
        {
            "event": event,
            "signed": signed,
            "signed_total": sum(p.signed_amount for p in signed),
            "count": totals["n"],
            "form": form,
            "can_change": not scope_for(user, "projects.change_event").is_none,
        },
    )


# --- rules per programme ----------------------------------------------------------------------


@login_required
def programme_settings(request, programme_id):
    user = request.user
    access.require(user, "projects.change_projectpolicy")
    programme = programme_access.access_programme(user, programme_id)
    policy = services.policy_for(programme)
    stages = services.stages_for(programme)
    in_use = dict(
        Project.objects.filter(programme=programme)
        .values_list("stage_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    policy_form = PolicyForm(
        request.POST if request.POST.get("part") == "policy" else None,
        initial={
            "yellow_days": policy.yellow_days,
            "red_days": policy.red_days,
            "blocker_days": policy.blocker_days,
            "termination_reasons": policy.termination_reasons,
        },
        prefix="policy",
    )
    stage_forms = StageFormSet(
        request.POST if request.POST.get("part") == "stages" else None,
        initial=[{"id": s.pk, "name": s.name, "evidence": s.evidence} for s in stages],
        prefix="stages",
    )
    stage_error = ""
    if request.method == "POST":
        try:
            if request.POST.get("part") == "policy" and policy_form.is_valid():
                services.policy_save(programme=programme, by=user, **policy_form.cleaned_data)
                messages.success(request, _("项目规则已保存。"))
                return redirect("projects:settings", programme_id=programme.pk)
            if request.POST.get("part") == "stages" and stage_forms.is_valid():
                rows = [
                    (
                        f.cleaned_data.get("id"),
                        f.cleaned_data.get("name", ""),
                        f.cleaned_data.get("evidence", ""),
                    )
                    for f in stage_forms.forms
                    if f.cleaned_data
                    and not f.cleaned_data.get("remove")
                    and (f.cleaned_data.get("name") or f.cleaned_data.get("id"))
                ]
                services.stages_save(programme=programme, by=user, rows=rows)
                messages.success(request, _("项目阶段已保存。"))
                return redirect("projects:settings", programme_id=programme.pk)
        except services.ProjectError as exc:
            if request.POST.get("part") == "policy":
                apply_errors(policy_form, exc)
            else:
                stage_error = str(exc)
    for form in stage_forms.forms:
        pk = form.initial.get("id")
        form.in_use = in_use.get(pk, 0)
    return render(
        request,
        "projects/settings.html",
        {
            "programme": programme,
            "policy_form": policy_form,
            "stage_forms": stage_forms,
            "stage_error": stage_error,
        },
    )


# --- plugged into the platform ----------------------------------------------------------------


def home_cards(user) -> list[dict]:
    """Red projects the user owns; for those who oversee (team leaders, org departments) the
    red projects in their view; green-channel blockers waiting."""
    if scope_for(user, "projects.view_project").is_none:
        return []
    cards = []
    today = timezone.localdate()
    red = services.with_light(access.projects_for(user).active(), today).filter(light=Light.RED)
    mine = red.filter(owner=user).count()
    list_url = reverse("projects:list")
    if Project.objects.filter(owner=user).exists():
        cards.append(
            {"label": _("我负责的红灯项目"), "value": mine, "url": f"{list_url}?light=red&mine=on"}
        )
    scope = scope_for(user, "projects.view_project")
    if scope.kind in (Role.Scope.ALL, Role.Scope.SUBTREE) or access.led_batches(user).exists():
        cards.append({"label": _("红灯项目"), "value": red.count(), "url": f"{list_url}?light=red"})
    if access.sees_green_channel(user):
        waiting = access.green_channel_for(user).exclude(status=Blocker.Status.RESOLVED).count()
        cards.append(
            {
                "label": _("绿色通道待解决"),
                "value": waiting,
                "url": reverse("projects:green_channel"),
            }
        )
    return cards


def profile_section(request, cadre):
    """The cadre profile's 合作项目 card: the projects he is credited on, as far as the viewer
    may see them."""
    user = request.user
    if scope_for(user, "projects.view_project").is_none:
        return None
    credits = list(
        access.credits_for(user)
        .filter(cadre=cadre)
        .select_related("project__stage")
        .order_by("-project__found_on")
    )
    if not credits and cadre.user_id != user.pk:
        return None
    projects: dict[int, dict] = {}
    for c in credits:
        entry = projects.setdefault(c.project_id, {"project": c.project, "roles": []})
        entry["roles"].append(c.get_role_display())
    items = list(projects.values())
    return (
        "projects/_profile_projects.html",
        {
            "items": items[:8],
            "count": len(items),
            "found": sum(1 for c in credits if c.role == Credit.Role.FOUND),
            "signed": sum(1 for e in items if e["project"].signed_on),
            "landed": sum((e["project"].landed_amount for e in items if e["project"].landed_on), 0),
            "list_url": reverse("projects:list") + "?" + urlencode({"cadre": cadre.name}),
        },
    )
