"""Cadre pages: the list (filters, sort, export), profile, create/edit, reveal, reserve pool,
expertise tags, roster and .lrmx import with a dry run, template download."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guazhi.core import access as core_access
from guazhi.core import audit
from guazhi.core.models import AuditEntry
from guazhi.core.versioning import StaleEdit
from guazhi.core.views import paginate

from . import access, importing, services
from .forms import CadreFilter, CadreForm, ImportUploadForm, PoolJoinForm, PoolLeaveForm, TagForm
from .models import Cadre, ExpertiseTag, PoolMembership
from .sections import render_sections


def _filtered(request):
    cadres = access.cadres_for(request.user).select_related("unit", "rank")
    return CadreFilter(
        request.GET or None, queryset=cadres, units=core_access.units_for(request.user)
    )


@login_required
def cadre_list(request):
    core_access.require(request.user, "cadres.view_cadre")
    filterset = _filtered(request)
    page = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "can_add": request.user.has_perm("cadres.add_cadre"),
        "can_export": request.user.has_perm("cadres.export_cadres"),
        "today": timezone.localdate(),
    }
    if request.htmx:
        return render(request, "cadres/cadre_list.html#results", context)
    return render(request, "cadres/cadre_list.html", context)


@login_required
def cadre_export(request, fmt):
    if fmt not in {"xlsx", "csv"}:
        from django.http import Http404

        raise Http404
    core_access.require(request.user, "cadres.export_cadres")
    from . import roster

    filterset = _filtered(request)
    qs = filterset.qs.filter(
        pk__in=access.cadres_for(request.user, "cadres.export_cadres").values("pk")
    )
    reveal = request.GET.get("reveal") == "1"
    if reveal:
        # Full ID numbers only for cadres the user may reveal; ask for that scope exactly.
        qs = qs.filter(
            pk__in=access.cadres_for(request.user, "cadres.reveal_cadre_personal").values("pk")
        )
        if not request.user.has_perm("cadres.reveal_cadre_personal"):
            raise PermissionDenied
    count = qs.count()
    audit.record(
        AuditEntry.Action.EXPORT,
        object_type="cadres.cadre",
        object_repr="干部名册",
        message=f"导出干部名册 {count} 人（{fmt}，{'含完整身份证号' if reveal else '身份证号脱敏'}），"
        f"条件：{request.GET.urlencode() or '全部'}"[:300],
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        response = HttpResponse(
            roster.export_xlsx(qs, reveal=reveal),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="cadres-{stamp}.xlsx"'
        return response
    response = StreamingHttpResponse(
        roster.export_csv(qs, reveal=reveal), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="cadres-{stamp}.csv"'
    return response


@login_required
def cadre_detail(request, pk):
    cadre = access.access_cadre(request.user, pk)
    user = request.user
    return render(
        request,
        "cadres/cadre_detail.html",
        {
            "cadre": cadre,
            "resume": cadre.resume.all(),
            "annual": cadre.annual_results.all(),
            "tags": cadre.tags.all(),
            "stays": cadre.pool_memberships.select_related("recommending_unit"),
            "open_stay": cadre.open_pool_membership(),
            "can_change": access.can(user, "cadres.change_cadre", cadre),
            "can_reveal": access.can(user, "cadres.reveal_cadre_personal", cadre),
            "can_pool": access.can(user, "cadres.manage_pool", cadre),
            "can_export": user.has_perm("cadres.export_cadres"),
            "sections": render_sections(request, cadre),
        },
    )


def _save_form(request, form, cadre=None):
    try:
        saved, _outcome = services.cadre_save(
            data=form.to_data(),
            by=request.user,
            cadre=cadre,
            lock_version=form.cleaned_data.get("lock_version"),
        )
    except StaleEdit as exc:
        form.add_error(None, str(exc))
        return None
    except services.CadreError as exc:
        for field, reason in exc.problems:
            target = {"resume": "resume_text"}.get(field, field)
            form.add_error(target if target in form.fields else None, reason)
        return None
    return saved


@login_required
def cadre_create(request):
    core_access.require(request.user, "cadres.add_cadre")
    units = core_access.units_for(request.user, "cadres.add_cadre")
    form = CadreForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        if Cadre.objects.filter(
            id_number_hash=Cadre.hash_id_number(form.cleaned_data["id_number"])
        ).exists():
            form.add_error("id_number", _("该身份证号的干部已存在，请在名册中查找后编辑"))
        else:
            cadre = _save_form(request, form)
            if cadre:
                messages.success(request, _("已新增干部“%(n)s”。") % {"n": cadre.name})
                return redirect("cadres:detail", pk=cadre.pk)
    return render(
        request,
        "cadres/cadre_form.html",
        {"form": form, "title": _("新增干部"), "back": reverse("cadres:list")},
    )


@login_required
def cadre_edit(request, pk):
    cadre = access.access_cadre(request.user, pk, "cadres.change_cadre")
    units = core_access.units_for(request.user, "cadres.change_cadre")
    form = CadreForm(request.POST or None, instance=Cadre.objects.get(pk=cadre.pk), units=units)
    if request.method == "POST" and form.is_valid():
        saved = _save_form(request, form, cadre=cadre)
        if saved:
            messages.success(request, _("已保存。"))
            return redirect("cadres:detail", pk=pk)
    return render(
        request,
        "cadres/cadre_form.html",
        {
            "form": form,
            "title": _("编辑干部：%(n)s") % {"n": cadre.name},
            "back": reverse("cadres:detail", args=[pk]),
        },
    )


@login_required
@require_POST
def cadre_reveal(request, pk, field):
    cadre = access.access_cadre(request.user, pk)
    if field not in {"id_number", "mobile"}:
        raise PermissionDenied
    value = services.reveal(cadre=cadre, by=request.user, field=field)
    if request.htmx:
        return HttpResponse(value or "—")
    messages.info(request, _("%(n)s：%(v)s（本次查看已留痕）") % {"n": cadre.name, "v": value})
    return redirect("cadres:detail", pk=pk)


@login_required
def cadre_lrmx(request, pk):
    cadre = access.access_cadre(request.user, pk, "cadres.export_cadres")
    if not access.can(request.user, "cadres.reveal_cadre_personal", cadre):
        raise PermissionDenied  # the file carries the full ID number
    from . import lrmx

    audit.record(
        AuditEntry.Action.EXPORT, obj=cadre, message="导出任免审批表（.lrmx，含完整身份证号）"
    )
    response = HttpResponse(lrmx.export_lrmx(cadre), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{cadre.pk}.lrmx"'
    return response


# --- reserve pool ---------------------------------------------------------------------------


@login_required
def pool(request):
    core_access.require(request.user, "cadres.view_cadre")
    stays = (
        PoolMembership.objects.filter(
            cadre__in=access.cadres_for(request.user), left_on__isnull=True
        )
        .select_related("cadre", "cadre__unit", "cadre__rank", "recommending_unit")
        .order_by("level", "cadre__birth")
    )
    level = request.GET.get("level")
    if level in PoolMembership.Level.values:
        stays = stays.filter(level=level)
    return render(
        request,
        "cadres/pool.html",
        {
            "page": paginate(request, stays),
            "level": level,
            "levels": PoolMembership.Level.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
def pool_join(request, pk):
    cadre = access.access_cadre(request.user, pk, "cadres.manage_pool")
    form = PoolJoinForm(
        request.POST or None,
        units=core_access.units_for(request.user),
        initial={"joined_on": timezone.localdate(), "recommending_unit": cadre.unit},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.pool_join(cadre=cadre, by=request.user, **form.cleaned_data)
        except services.CadreError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(n)s 已入库。") % {"n": cadre.name})
            return redirect("cadres:detail", pk=pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("加入储备库：%(n)s") % {"n": cadre.name},
            "back": reverse("cadres:detail", args=[pk]),
        },
    )


@login_required
def pool_leave(request, pk):
    cadre = access.access_cadre(request.user, pk, "cadres.manage_pool")
    form = PoolLeaveForm(request.POST or None, initial={"left_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.pool_leave(
                cadre=cadre,
                by=request.user,
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["left_reason"],
            )
        except services.CadreError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(n)s 已出库。") % {"n": cadre.name})
            return redirect("cadres:detail", pk=pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("移出储备库：%(n)s") % {"n": cadre.name},
            "back": reverse("cadres:detail", args=[pk]),
        },
    )


# --- tags -------------------------------------------------------------------------------------


@login_required
def tags(request):
    core_access.require(request.user, "cadres.add_expertisetag")
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已新增标签。"))
        return redirect("cadres:tags")
    return render(request, "cadres/tags.html", {"form": form, "tags": ExpertiseTag.objects.all()})


# --- import -----------------------------------------------------------------------------------

SESSION_KEY = "cadre_import"


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check(path: Path, filename: str, *, by, unit) -> importing.Report:
    with path.open("rb") as fileobj:
        if filename.lower().endswith((".lrmx", ".zip")):
            from . import lrmx

            try:
                return lrmx.check_upload(fileobj, filename, by=by, default_unit=unit)
            except ValueError as exc:
                return importing.Report(file_errors=[str(exc)])
        from . import roster

        return roster.check(fileobj, filename, by=by, default_unit=unit)


def _pending(request):
    info = request.session.get(SESSION_KEY)
    if not info:
        return None
    path = _upload_dir() / info["stored"]
    if not path.exists():
        request.session.pop(SESSION_KEY, None)
        return None
    unit = core_access.units_for(request.user, "cadres.add_cadre").filter(pk=info["unit"]).first()
    if unit is None:
        return None
    return info, path, unit


@login_required
def import_upload(request):
    core_access.require(request.user, "cadres.import_cadres")
    units = core_access.units_for(request.user, "cadres.add_cadre")
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        units=units,
        initial={
            "unit": request.user.unit if units.filter(pk=request.user.unit_id).exists() else None
        },
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        stored = f"{uuid.uuid4().hex}{suffix}"  # never the user's file name on disk
        with (_upload_dir() / stored).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        old = request.session.get(SESSION_KEY)
        if old:
            (_upload_dir() / old["stored"]).unlink(missing_ok=True)
        request.session[SESSION_KEY] = {
            "stored": stored,
            "filename": Path(upload.name).name[:120],
            "unit": form.cleaned_data["unit"].pk,
        }
        return redirect("cadres:import_check")
    return render(request, "cadres/import_upload.html", {"form": form})


@login_required
def import_check(request):
    core_access.require(request.user, "cadres.import_cadres")
    pending = _pending(request)
    if pending is None:
        messages.warning(request, _("请先上传文件。"))
        return redirect("cadres:import")
    info, path, unit = pending
    report = _check(path, info["filename"], by=request.user, unit=unit)
    if request.method == "POST":
        valid_only = request.POST.get("mode") == "valid_only"
        if valid_only and request.POST.get("confirm") != "yes":
            messages.error(request, _("仅导入无误的行前，请勾选确认。"))
        else:
            try:
                summary = importing.apply_file(
                    report, info["filename"], by=request.user, valid_only=valid_only
                )
            except importing.ImportRefused as exc:
                messages.error(request, str(exc))
            else:
                path.unlink(missing_ok=True)
                request.session.pop(SESSION_KEY, None)
                messages.success(request, _("导入完成：%(s)s。") % {"s": summary})
                return redirect("cadres:list")
    return render(
        request,
        "cadres/import_check.html",
        {
            "report": report,
            "filename": info["filename"],
            "unit": unit,
            "errors": report.errors[:1000],
            "error_count": len(report.errors),
        },
    )


@login_required
def import_template(request):
    core_access.require(request.user, "cadres.import_cadres")
    from . import roster

    response = HttpResponse(
        roster.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="cadre-roster-template.xlsx"'
    return response
