"""Daily-record pages: the list (a cadre's own records with a quick add form on top; a team
leader's team with filters; the sending side's and host unit's cadres, read-only), one
record with the leader's comment and mark, writing / changing / deleting one's own record,
and the weekly summaries. Views parse input, call access and services, render."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guazhi.core.access import require, scope_for
from guazhi.core.views import paginate
from guazhi.programmes.models import Batch

from . import access, services
from .forms import CommentForm, RecordFilter, RecordForm, WeekForm
from .models import DailyRecord

PAGE_SIZE = 20
WEEKS_PER_PAGE = 8
CADRES_PER_PAGE = 50


def _forbidden(request, message: str, back: str | None = None):
    """403 that says why (the generic 403 page cannot)."""
    return render(
        request,
        "records/forbidden.html",
        {"message": message, "back": back or reverse("records:list")},
        status=403,
    )


def _own_placement(user):
    """The user's open placement when he may write records, else None."""
    try:
        return access.require_own_placement(user)
    except PermissionDenied:
        return None


# --- list ------------------------------------------------------------------------------------


@login_required
def record_list(request):
    user = request.user
    require(user, "records.view_dailyrecord")
    own = access.sees_only_own(user)
    records = access.records_for(user).select_related("cadre__unit")
    filterset = RecordFilter(request.GET or None, queryset=records, own=own)
    page = paginate(request, filterset.qs, PAGE_SIZE)
    context = {"filter": filterset, "page": page, "own": own}
    if request.htmx:
        return render(request, "records/record_list.html#results", context)
    placement = _own_placement(user)
    today = timezone.localdate()
    written_today = (
        placement is not None
        and DailyRecord.objects.filter(cadre_id=placement.cadre_id, date=today).exists()
    )
    context.update(
        placement=placement,
        form=RecordForm(placement=placement, compact=True) if placement else None,
        written_today=written_today,
        this_week=services.week_code(services.week_start(today)),
    )
    return render(request, "records/record_list.html", context)


# --- one record ------------------------------------------------------------------------------


@login_required
def record_detail(request, pk):
    user = request.user
    record = access.access_record(user, pk)
    can_comment = access.can_comment(user, record)
    next_pending = None
    if can_comment:
        next_pending = (
            access.awaiting_comment(user).exclude(pk=record.pk).values_list("pk", flat=True).first()
        )
    return render(
        request,
        "records/record_detail.html",
        {
            "record": record,
            "commented_by": record.commented_by,
            "can_edit": access.can_edit(user, record),
            "is_own": record.cadre.user_id == user.pk,
            "can_comment": can_comment,
            "comment_form": CommentForm(
                initial={"comment": record.leader_comment, "evidence": record.evidence}
            ),
            "next_pending": next_pending,
            "week": services.week_code(services.week_start(record.date)),
        },
    )


def _write_form_page(request, form, title, back):
    return render(request, "core/form.html", {"form": form, "title": title, "back": back})


@login_required
def record_create(request):
    try:
        placement = access.require_own_placement(request.user)
    except PermissionDenied:
        return _forbidden(
            request,
            _("只有在岗的挂职干部本人可以填写工作纪实；您当前没有在岗的挂职任职。"),
        )
    form = RecordForm(request.POST or None, placement=placement)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_create(
                placement=placement, by=request.user, **form.cleaned_data
            )
        except services.RecordError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(
                request, _("已保存 %(d)s 的工作纪实。") % {"d": f"{record.date:%Y-%m-%d}"}
            )
            return redirect("records:list")
    return _write_form_page(request, form, _("写纪实"), reverse("records:list"))


def _refusal(user, record) -> str:
    if record.cadre.user_id != user.pk:
        return _("只有本人可以修改或删除自己的工作纪实。")
    if record.is_locked:
        return _("这条纪实已被队长标记为“%(mark)s”，不能再修改或删除。如需更正，请联系队长。") % {
            "mark": record.get_evidence_display()
        }
    return _("您的角色不能修改工作纪实。")


@login_required
def record_edit(request, pk):
    user = request.user
    record = access.access_record(user, pk)
    back = reverse("records:detail", args=[pk])
    if not access.can_edit(user, record):
        return _forbidden(request, _refusal(user, record), back)
    form = RecordForm(request.POST or None, instance=record, placement=record.placement)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_update(record=record, by=user, **form.cleaned_data)
        except services.RecordError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, _("已保存。"))
            return redirect("records:detail", pk=pk)
    return _write_form_page(request, form, _("修改纪实"), back)


@login_required
def record_delete(request, pk):
    user = request.user
    record = access.access_record(user, pk)
    back = reverse("records:detail", args=[pk])
    if not access.can_delete(user, record):
        return _forbidden(request, _refusal(user, record), back)
    if request.method == "POST":
        try:
            services.record_delete(record=record, by=user)
        except services.RecordError as exc:
            return _forbidden(request, str(exc), back)
        messages.success(request, _("已删除这条纪实。"))
        return redirect("records:list")
    return render(request, "records/record_delete.html", {"record": record})


@login_required
@require_POST
def record_comment(request, pk):
    user = request.user
    record = access.access_record(user, pk)
    back = reverse("records:detail", args=[pk])
    if not access.can_comment(user, record):
        return _forbidden(
            request, _("只有该干部所在工作队的队长、副队长可以点评和标记工作纪实。"), back
        )
    form = CommentForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
        return redirect(back)
    try:
        services.record_comment(
            record=record,
            by=user,
            comment=form.cleaned_data["comment"],
            evidence=form.cleaned_data["evidence"],
        )
    except services.RecordError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("点评已保存。"))
    return redirect(back)


# --- weekly summaries ------------------------------------------------------------------------


@login_required
def weekly(request):
    user = request.user
    require(user, "records.view_dailyrecord")
    cadre_pk = request.GET.get("cadre")
    if cadre_pk or access.sees_only_own(user):
        return _cadre_weeks(request, cadre_pk)
    return _team_week(request)


def _cadre_weeks(request, cadre_pk):
    """One cadre's weeks on post, newest first: his own, or a cadre in the viewer's scope."""
    user = request.user
    today = timezone.localdate()
    placements = access.record_placements_for(user).select_related(
        "cadre__unit", "batch__programme", "host_unit"
    )
    if cadre_pk:
        try:
            placements = placements.filter(cadre_id=int(cadre_pk))
        except ValueError:
            raise Http404 from None
    else:
        placements = placements.filter(cadre__user=user)
    placements = list(placements.order_by("start"))
    if cadre_pk and not placements:
        raise Http404
    context = {"cadre": placements[0].cadre if placements else None, "placements": placements}
    if placements:
        start = placements[0].start
        end = min(today, max(services.placement_end(p) for p in placements))
        mondays = services.weeks_on_post(placements, start, end)[::-1]
        number = request.GET.get("page")
        wanted = services.parse_week(request.GET.get("week"))
        if number is None and wanted in mondays:  # open the page holding ?week=
            number = mondays.index(wanted) // WEEKS_PER_PAGE + 1
        page = Paginator(mondays, WEEKS_PER_PAGE).get_page(number)
        weeks = []
        if page.object_list:
            summaries = services.weekly_summary(
                [context["cadre"].pk],
                page.object_list[-1],
                page.object_list[0] + timedelta(days=6),
                records=access.records_for(user),
            )[context["cadre"].pk]
            weeks = [summaries[m] for m in page.object_list]
        context.update(page=page, weeks=weeks, current=services.week_start(today), wanted=wanted)
    return render(request, "records/weekly_cadre.html", context)


def _team_week(request):
    """All cadres in the viewer's scope on post in one week, those without records marked."""
    user = request.user
    today = timezone.localdate()
    placements = access.record_placements_for(user)
    batches = Batch.objects.filter(pk__in=placements.values("batch_id")).select_related("programme")
    form = WeekForm(
        request.GET or None,
        batches=batches,
        initial={"week": services.week_code(services.week_start(today))},
    )
    data = form.cleaned_data if form.is_valid() else {}
    monday = data.get("week") or services.week_start(today)
    sunday = monday + timedelta(days=6)
    on_post = placements.filter(services.on_post_q(monday))
    if data.get("batch"):
        on_post = on_post.filter(batch=data["batch"])
    visible = access.records_for(user)
    writers = visible.filter(date__gte=monday, date__lte=sunday).values("cadre_id")
    counts = on_post.aggregate(
        cadres=Count("cadre", distinct=True),
        written=Count("cadre", distinct=True, filter=Q(cadre_id__in=writers)),
    )
    if data.get("missing") == "true":
        on_post = on_post.exclude(cadre_id__in=writers)
    page = paginate(
        request,
        on_post.select_related("cadre__unit", "batch__programme", "host_unit").order_by(
            "batch__start", "cadre__name", "pk"
        ),
        CADRES_PER_PAGE,
    )
    summaries = services.weekly_summary([p.cadre_id for p in page], monday, sunday, records=visible)
    rows, seen = [], set()
    for placement in page:
        if placement.cadre_id not in seen:
            seen.add(placement.cadre_id)
            rows.append((placement, summaries[placement.cadre_id][monday]))
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "monday": monday,
        "sunday": sunday,
        "code": services.week_code(monday),
        "previous": services.week_code(monday - timedelta(days=7)),
        "next": services.week_code(monday + timedelta(days=7)),
        "is_current": monday == services.week_start(today),
        "is_future": monday > services.week_start(today),
        "total": counts["cadres"],
        "missing": counts["cadres"] - counts["written"],
    }
    if request.htmx:
        return render(request, "records/weekly_team.html#results", context)
    return render(request, "records/weekly_team.html", context)


# --- cards and profile section (registered in hooks.connect) ---------------------------------


def home_cards(user) -> list[dict]:
    cards = []
    today = timezone.localdate()
    if not scope_for(user, "records.add_dailyrecord").is_none:
        monday = services.week_start(today)
        count = DailyRecord.objects.filter(
            cadre__user=user, date__gte=monday, date__lte=monday + timedelta(days=6)
        ).count()
        cards.append(
            {
                "label": _("本周纪实"),
                "value": count,
                "url": reverse("records:list")
                + "?"
                + urlencode({"week": services.week_code(monday)}),
            }
        )
    if access.leads_a_team(user):
        cards.append(
            {
                "label": _("待点评纪实"),
                "value": access.awaiting_comment(user).count(),
                "url": reverse("records:list") + "?uncommented=true",
            }
        )
    return cards


def profile_section(request, cadre):
    """The cadre profile's 工作纪实 card, for viewers who may see his records."""
    user = request.user
    if not access.can_view_cadre_records(user, cadre):
        return None
    since = timezone.localdate() - timedelta(days=30)
    stats = (
        access.records_for(user)
        .filter(cadre=cadre)
        .aggregate(
            total=Count("pk"),
            recent=Count("pk", filter=Q(date__gte=since)),
            positive=Count("pk", filter=Q(evidence=DailyRecord.Evidence.POSITIVE)),
            negative=Count("pk", filter=Q(evidence=DailyRecord.Evidence.NEGATIVE)),
            latest=Max("date"),
        )
    )
    own = cadre.user_id == user.pk
    list_url = reverse("records:list")
    if not own:
        list_url += "?" + urlencode({"q": cadre.name})
    weekly_url = reverse("records:weekly")
    if not own:
        weekly_url += "?" + urlencode({"cadre": cadre.pk})
    return (
        "records/_profile_records.html",
        {"cadre": cadre, "list_url": list_url, "weekly_url": weekly_url, **stats},
    )
