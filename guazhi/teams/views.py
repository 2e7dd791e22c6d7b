"""Team pages: teams with their Party branch, meetings (三会一课, study, research) with
attendance and attachments, the branch calendar, pairings with check-ins, and the programme's
meeting rhythm rules. Rules and workflows live in services.py; access in access.py."""

from __future__ import annotations

import calendar as pycalendar
import re
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guazhi.core.access import require, scope_for
from guazhi.core.models import Role
from guazhi.core.views import paginate
from guazhi.programmes import access as programme_access

from . import access, services
from .forms import (
    AttachmentForm,
    BranchForm,
    CheckInForm,
    MeetingFilter,
    MeetingForm,
    PairingCloseForm,
    PairingForm,
    RhythmFormSet,
    TeamFilter,
    TeamForm,
)
from .models import PARTY_MEETINGS, Meeting, MeetingType, Pairing, PartyBranch, WorkTeam


def _all_scope(user, perm: str) -> bool:
    return scope_for(user, perm).kind == Role.Scope.ALL


def _require_all_scope(user, perm: str) -> None:
    if require(user, perm).kind != Role.Scope.ALL:
        raise PermissionDenied


def _form_page(request, form, title, back):
    return render(request, "core/form.html", {"form": form, "title": title, "back": back})


def _refused(request, form, exc: services.TeamError):
    form.add_error(None, str(exc))


# --- teams ---------------------------------------------------------------------------------


@login_required
def team_list(request):
    require(request.user, "teams.view_workteam")
    qs = (
        access.teams_for(request.user)
        .select_related("batch__programme", "unit", "leader", "branch")
        .annotate(
            n_members=Count("batch__placements", distinct=True),
            n_meetings=Count("meetings", distinct=True),
        )
        .order_by("-batch__start", "pk")
    )
    filterset = TeamFilter(request.GET or None, queryset=qs)
    page = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "can_add": _all_scope(request.user, "teams.add_workteam"),
    }
    if request.htmx:
        return render(request, "teams/team_list.html#results", context)
    return render(request, "teams/team_list.html", context)


@login_required
def team_create(request):
    _require_all_scope(request.user, "teams.add_workteam")
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = services.team_create(
                by=request.user,
                batch=data["batch"],
                name=data["name"],
                unit=data["unit"],
                leader=data["leader"],
                deputies=data["deputies"],
            )
        except services.TeamError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("工作队已建立。下一步：成立临时党支部。"))
            return redirect("teams:detail", pk=team.pk)
    return _form_page(request, form, _("新建工作队"), reverse("teams:list"))


@login_required
def team_edit(request, pk):
    team = access.access_team(request.user, pk)
    _require_all_scope(request.user, "teams.change_workteam")
    form = TeamForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.team_update(
                team=team,
                by=request.user,
                name=data["name"],
                unit=data["unit"],
                leader=data["leader"],
                deputies=data["deputies"],
            )
        except services.TeamError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("teams:detail", pk=pk)
    return _form_page(
        request, form, _("编辑工作队：%(t)s") % {"t": team}, reverse("teams:detail", args=[pk])
    )


def _meeting_counts(qs):
    return qs.annotate(
        n_expected=Count("attendance", distinct=True),
        n_present=Count("attendance", filter=Q(attendance__present=True), distinct=True),
        n_files=Count("attachments", distinct=True),
    )


@login_required
def team_detail(request, pk):
    user = request.user
    team = access.access_team(user, pk)
    today = timezone.localdate()
    placements = list(services.team_placements(team))
    cadres = [p.cadre for p in placements]
    branch = (
        PartyBranch.objects.filter(team=team)
        .select_related("secretary")
        .prefetch_related("committee")
        .first()
    )
    party = [c for c in cadres if "党员" in (c.political_status or "")]
    meetings = _meeting_counts(team.meetings.all())
    upcoming = list(meetings.filter(date__gt=today).order_by("date", "pk")[:5])
    recent = list(meetings.filter(date__lte=today).order_by("-date", "-pk")[:8])
    rhythm = services.rhythm_status(team, today)
    behind = [(s, p) for s in rhythm for p in s.behind]
    due = [(s, s.due, s.due.days_left(today)) for s in rhythm if s.due]
    pairings = (
        team.pairings.annotate(last=Max("checkins__date"), n_checkins=Count("checkins"))
        .prefetch_related("members")
        .order_by("status", "-started_on", "pk")
    )
    checkin_days = team.batch.programme.checkin_days
    pairing_rows = []
    for p in pairings:
        last = services.last_contact(p, p.last)
        overdue = p.status == Pairing.Status.ACTIVE and (today - last).days > checkin_days
        pairing_rows.append((p, last, overdue))
    return render(
        request,
        "teams/team_detail.html",
        {
            "team": team,
            "deputies": list(team.deputies.all()),
            "placements": placements,
            "branch": branch,
            "party": party,
            "upcoming": upcoming,
            "recent": recent,
            "rhythm": rhythm,
            "behind": behind,
            "due": due,
            "attendance": services.attendance_table(team, cadres),
            "pairings": pairing_rows,
            "checkin_days": checkin_days,
            "today": today,
            "can_manage": access.can_manage(user, team),
            "can_change": _all_scope(user, "teams.change_workteam"),
            "can_rhythm": _all_scope(user, "programmes.change_programme"),
        },
    )


@login_required
def branch_edit(request, pk):
    team = access.access_team(request.user, pk, manage=True)
    form = BranchForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.branch_save(
                team=team,
                by=request.user,
                name=data["name"],
                founded_on=data["founded_on"],
                secretary=data["secretary"],
                committee=data["committee"],
            )
        except services.TeamError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("临时党支部信息已保存。"))
            return redirect("teams:detail", pk=pk)
    title = _("编辑临时党支部") if hasattr(team, "branch") else _("成立临时党支部")
    return _form_page(request, form, title, reverse("teams:detail", args=[pk]))


# --- meetings ------------------------------------------------------------------------------


@login_required
def meeting_list(request, pk):
    team = access.access_team(request.user, pk)
    qs = _meeting_counts(team.meetings.all()).order_by("-date", "-pk")
    filterset = MeetingFilter(request.GET or None, queryset=qs)
    page = paginate(request, filterset.qs)
    context = {
        "team": team,
        "filter": filterset,
        "page": page,
        "today": timezone.localdate(),
        "can_manage": access.can_manage(request.user, team),
    }
    if request.htmx:
        return render(request, "teams/meeting_list.html#results", context)
    return render(request, "teams/meeting_list.html", context)


def _meeting_page(request, team, meeting=None):
    url = request.path
    today = timezone.localdate()
    if request.method == "GET" and request.htmx and "kind" in request.GET:
        # The kind or date changed: redraw the attendance rows for them.
        form = MeetingForm(request.GET, team=team, instance=meeting, today=today)
        return render(
            request,
            "teams/meeting_form.html#attendance",
            {"form": form, "team": team, "refresh": True},
        )
    initial = {}
    if meeting is None:
        branch = PartyBranch.objects.filter(team=team).select_related("secretary").first()
        initial = {
            "kind": request.GET.get("kind") or MeetingType.GROUP,
            "date": request.GET.get("date") or f"{today:%Y-%m-%d}",
            "host": branch.secretary.name if branch and branch.secretary else "",
        }
    form = MeetingForm(
        request.POST or None,
        team=team,
        instance=meeting,
        initial=initial,
        today=today,
        refresh_url=url,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.meeting_save(
                team=team,
                by=request.user,
                meeting=meeting,
                kind=data["kind"],
                date=data["date"],
                place=data["place"],
                topic=data["topic"],
                host=data["host"],
                minutes=data["minutes"],
                attendance=form.marks(),
                today=today,
            )
        except services.TeamError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("会议已保存。") if meeting else _("会议已登记。"))
            return redirect("teams:meeting", pk=saved.pk)
    title = _("编辑会议") if meeting else _("登记会议")
    back = reverse("teams:meeting", args=[meeting.pk]) if meeting else team_url(team)
    return render(
        request,
        "teams/meeting_form.html",
        {"form": form, "team": team, "meeting": meeting, "title": title, "back": back},
    )


def team_url(team: WorkTeam) -> str:
    return reverse("teams:detail", args=[team.pk])


@login_required
def meeting_create(request, pk):
    team = access.access_team(request.user, pk, manage=True)
    return _meeting_page(request, team)


@login_required
def meeting_edit(request, pk):
    meeting = access.access_meeting(request.user, pk, manage=True)
    return _meeting_page(request, meeting.team, meeting)


@login_required
def meeting_detail(request, pk):
    meeting = access.access_meeting(request.user, pk)
    team = meeting.team
    rows = list(meeting.attendance.select_related("cadre__unit").order_by("cadre__name", "pk"))
    can_manage = access.can_manage(request.user, team)
    return render(
        request,
        "teams/meeting_detail.html",
        {
            "meeting": meeting,
            "team": team,
            "present": [a for a in rows if a.present],
            "absent": [a for a in rows if not a.present],
            "attachments": meeting.attachments.select_related("uploaded_by"),
            "can_manage": can_manage,
            "upload_form": AttachmentForm() if can_manage else None,
            "max_mb": settings.ATTACHMENT_MAX_MB,
            "allowed": "、".join(e.upper() for e in services.ALLOWED_TYPES),
            "planned": meeting.date > timezone.localdate(),
        },
    )


@login_required
def meeting_delete(request, pk):
    meeting = access.access_meeting(request.user, pk, manage=True)
    if request.method == "POST":
        team = meeting.team
        services.meeting_delete(meeting=meeting, by=request.user)
        messages.success(request, _("会议记录已删除。"))
        return redirect("teams:detail", pk=team.pk)
    return render(
        request,
        "teams/confirm_delete.html",
        {
            "title": _("删除会议记录"),
            "question": _("确定删除“%(m)s”及其出席情况和全部附件吗？删除后不能恢复。")
            % {"m": meeting},
            "back": reverse("teams:meeting", args=[meeting.pk]),
            "team": meeting.team,
        },
    )


# --- attachments ---------------------------------------------------------------------------


@login_required
@require_POST
def attachment_add(request, pk):
    meeting = access.access_meeting(request.user, pk, manage=True)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
    else:
        try:
            attachment = services.attachment_add(
                meeting=meeting, by=request.user, upload=form.cleaned_data["file"]
            )
        except services.TeamError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已上传“%(n)s”。") % {"n": attachment.name})
    return redirect("teams:meeting", pk=pk)


@login_required
def attachment_download(request, pk):
    attachment = access.access_attachment(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment_delete(request, pk):
    attachment = access.access_attachment(request.user, pk)
    meeting = attachment.meeting
    if not access.can_manage(request.user, meeting.team):
        raise PermissionDenied
    if request.method == "POST":
        services.attachment_delete(attachment=attachment, by=request.user)
        messages.success(request, _("附件已删除。"))
        return redirect("teams:meeting", pk=meeting.pk)
    return render(
        request,
        "teams/confirm_delete.html",
        {
            "title": _("删除附件"),
            "question": _("确定删除附件“%(n)s”吗？删除后不能恢复。") % {"n": attachment.name},
            "back": reverse("teams:meeting", args=[meeting.pk]),
            "team": meeting.team,
        },
    )


# --- calendar ------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(value: str | None, today: date) -> date:
    match = _MONTH.match(value or "")
    if match:
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    return today.replace(day=1)


@login_required
def team_calendar(request, pk):
    team = access.access_team(request.user, pk)
    today = timezone.localdate()
    first = _month(request.GET.get("month"), today)
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start, end = weeks[0][0], weeks[-1][-1]
    meetings = list(team.meetings.filter(date__range=(start, end)).order_by("date", "pk"))
    by_day: dict[date, list[Meeting]] = {}
    for m in meetings:
        by_day.setdefault(m.date, []).append(m)
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    return render(
        request,
        "teams/calendar.html",
        {
            "team": team,
            "month": first,
            "weeks": [[(d, by_day.get(d, []), d.month == first.month) for d in w] for w in weeks],
            "month_meetings": [m for m in meetings if first <= m.date <= last],
            "prev": f"{prev_month:%Y-%m}",
            "next": f"{next_month:%Y-%m}",
            "this": f"{today:%Y-%m}",
            "today": today,
            "weekdays": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
            "party_kinds": [str(k) for k in PARTY_MEETINGS],
            "can_manage": access.can_manage(request.user, team),
        },
    )


# --- pairings ------------------------------------------------------------------------------


@login_required
def pairing_create(request, pk):
    team = access.access_team(request.user, pk, manage=True)
    form = PairingForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pairing = services.pairing_create(
                team=team,
                by=request.user,
                members=data["members"],
                goals=data["goals"],
                started_on=data["started_on"],
            )
        except services.TeamError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("结对已建立。"))
            return redirect("teams:pairing", pk=pairing.pk)
    return _form_page(request, form, _("新建结对帮带"), team_url(team))


@login_required
def pairing_detail(request, pk):
    pairing = access.access_pairing(request.user, pk)
    team = pairing.team
    today = timezone.localdate()
    checkins = list(pairing.checkins.select_related("author"))
    last = services.last_contact(pairing, checkins[0].date if checkins else None)
    limit = team.batch.programme.checkin_days
    can_manage = access.can_manage(request.user, team)
    active = pairing.status == Pairing.Status.ACTIVE
    return render(
        request,
        "teams/pairing_detail.html",
        {
            "pairing": pairing,
            "team": team,
            "members": list(pairing.members.select_related("unit").order_by("name")),
            "checkins": checkins,
            "last": last,
            "limit": limit,
            "overdue": active and (today - last).days > limit,
            "can_check_in": access.can_check_in(request.user, pairing),
            "can_manage": can_manage and active,
            "checkin_form": CheckInForm(),
            "close_form": PairingCloseForm(),
        },
    )


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        messages.error(request, "；".join(errors))


@login_required
@require_POST
def checkin_add(request, pk):
    pairing = access.access_pairing(request.user, pk)
    if not access.can_check_in(request.user, pairing):
        raise PermissionDenied
    form = CheckInForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("teams:pairing", pk=pk)
    try:
        services.checkin_add(
            pairing=pairing,
            by=request.user,
            date=form.cleaned_data["date"],
            content=form.cleaned_data["content"],
        )
    except services.TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("交流记录已保存。"))
    return redirect("teams:pairing", pk=pk)


@login_required
@require_POST
def pairing_close(request, pk):
    pairing = access.access_pairing(request.user, pk)
    if not access.can_manage(request.user, pairing.team):
        raise PermissionDenied
    form = PairingCloseForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("teams:pairing", pk=pk)
    try:
        services.pairing_close(pairing=pairing, by=request.user, note=form.cleaned_data["note"])
    except services.TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("结对已结束。"))
    return redirect("teams:pairing", pk=pk)


# --- rhythm rules --------------------------------------------------------------------------


@login_required
def rhythm_edit(request, programme_pk):
    programme = programme_access.access_programme(
        request.user, programme_pk, "programmes.change_programme"
    )
    rules = programme.rhythm.order_by("period", "meeting_type")
    initial = [
        {"meeting_type": r.meeting_type, "period": r.period, "count": r.count} for r in rules
    ]
    formset = RhythmFormSet(request.POST or None, initial=initial, prefix="rule")
    if request.method == "POST" and formset.is_valid():
        try:
            services.rhythm_save(programme=programme, by=request.user, rows=formset.rows())
        except services.TeamError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("会议频次要求已保存。"))
            return redirect("programmes:detail", pk=programme.pk)
    return render(request, "teams/rhythm.html", {"programme": programme, "formset": formset})


# --- home card -----------------------------------------------------------------------------


def home_cards(user) -> list[dict]:
    """For team leaders and deputies: meetings in the next two weeks and overdue pairings."""
    if not getattr(user, "is_authenticated", False):
        return []
    led = access.led_teams(user)
    teams = list(led.only("pk"))
    if not teams:
        return []
    today = timezone.localdate()
    upcoming = Meeting.objects.filter(
        team__in=led, date__gte=today, date__lte=today + timedelta(days=14)
    ).count()
    overdue = len(services.overdue_pairings(Pairing.objects.filter(team__in=led), today))
    url = reverse("teams:detail", args=[teams[0].pk]) if len(teams) == 1 else reverse("teams:list")
    return [
        {"label": _("近两周的会议"), "value": upcoming, "url": url},
        {"label": _("结对交流逾期"), "value": overdue, "url": url},
    ]
