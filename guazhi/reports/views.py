"""Report pages and their Excel and CSV files (base.py); thin over REPORTS."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from guazhi.cadres import access as cadres_access
from guazhi.core import audit
from guazhi.core.dbrouter import replica_iter, replica_reads
from guazhi.core.models import AuditEntry
from guazhi.core.views import paginate

from . import printing
from .base import count, csv_lines, xlsx_file
from .reports import REPORTS


def _report(request, slug):
    report = REPORTS.get(slug)
    if report is None:
        raise Http404
    if not request.user.has_perm(report.perm):
        raise PermissionDenied
    filters = report.filters(request.user)
    allowed = {name: {value for value, _text in options} for name, _label, options in filters}
    params = {
        name: request.GET[name]
        for name, values in allowed.items()
        if request.GET.get(name) in values  # an unknown value is ignored, not an error
    }
    return report, filters, params


@login_required
def index(request):
    reports = [r for r in REPORTS.values() if request.user.has_perm(r.perm)]
    if not reports:
        raise PermissionDenied
    return render(request, "reports/index.html", {"reports": reports})


@login_required
@replica_reads
def page(request, slug):
    report, filters, params = _report(request, slug)
    rows = report.rows(request.user, params)
    page_obj = paginate(request, rows, 50)
    cols = report.cols(params)
    table = [report.values(row, cols) for row in page_obj]
    if report.sensitive(params):
        audit.record(
            AuditEntry.Action.REVEAL,
            object_type=f"reports.{report.slug}",
            object_repr=report.title,
            message=f"查看{report.title}（含敏感信息）第 {page_obj.number} 页 {len(table)} 行",
        )
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return render(
        request,
        "reports/page.html",
        {
            "report": report,
            "cols": cols,
            "filters": [
                {"name": n, "label": label, "options": options, "selected": params.get(n, "")}
                for n, label, options in filters
            ],
            "page": page_obj,
            "table": table,
            "query": query,
        },
    )


@login_required
@replica_reads
def export(request, slug, fmt):
    if fmt not in ("xlsx", "csv"):
        raise Http404
    report, _filters, params = _report(request, slug)
    rows = report.rows(request.user, params)
    audit.record(
        AuditEntry.Action.EXPORT,
        object_type=f"reports.{report.slug}",
        object_repr=report.title,
        message=f"导出{report.title} {count(rows)} 行（{fmt}"
        f"{'，含敏感信息' if report.sensitive(params) else ''}），条件："
        f"{'；'.join(f'{k}={v}' for k, v in params.items()) or '全部'}"[:300],
    )
    name = f"{report.slug}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            replica_iter(csv_lines(report, rows, params)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return FileResponse(
        xlsx_file(report, rows, params),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- printable forms (printing.py) -----------------------------------------------------------


def _pdf(request, content_or_error, name: str, obj, what: str):
    try:
        content = content_or_error()
    except ImproperlyConfigured as exc:  # no Chinese font on this server
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    audit.record(AuditEntry.Action.EXPORT, obj=obj, message=f"打印{what}（PDF）")
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


@login_required
@replica_reads
def cadre_pdf(request, pk):
    cadre = cadres_access.access_cadre(request.user, pk)
    return _pdf(
        request,
        lambda: printing.cadre_profile(request.user, cadre),
        f"cadre-{cadre.pk}.pdf",
        cadre,
        f"干部简要情况：{cadre.name}",
    )
