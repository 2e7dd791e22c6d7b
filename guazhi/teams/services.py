"""Team workflows: setting up a team and its Party branch, recording meetings with attendance
and attachments, attendance rates, the meeting rhythm a branch must keep, pairings with
check-ins, and the reminders that follow from them.

Every function that changes data is keyword-only and raises `TeamError` with a message shown
to the user as it is.
"""

from __future__ import annotations

import calendar
import os
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from guazhi.cadres.models import Cadre
from guazhi.core.access import scope_for
from guazhi.core.models import OrgUnit, Role, User
from guazhi.core.notices import Due
from guazhi.programmes.models import Batch, Placement, Programme

from . import access
from .models import (
    DEFAULT_RHYTHM,
    PARTY_MEETINGS,
    Attachment,
    Attendance,
    CheckIn,
    Meeting,
    MeetingType,
    Pairing,
    PartyBranch,
    RhythmRule,
    WorkTeam,
)


class TeamError(Exception):
    """A refused team action; the message is shown to the user as it is."""


def _require_org(user: User, perm: str) -> None:
    """Setting up teams and rhythm rules is the city organisation department's."""
    if scope_for(user, perm).kind != Role.Scope.ALL:
        raise TeamError("只有市委组织部（全部范围）可以办理此项")


def _require_manager(user: User, team: WorkTeam) -> None:
    if not access.can_manage(user, team):
        raise TeamError("只有本工作队的队长、副队长可以办理此项")


# --- teams and branches ---------------------------------------------------------------------


def leader_candidates() -> QuerySet[User]:
    """Users who may lead a team: active accounts holding the 工作队队长 role."""
    return User.objects.filter(is_active=True, roles__code="team_leader").distinct()


def deputy_candidates() -> QuerySet[User]:
    """Deputies are team leaders or cadres of the team (with the 挂职干部 role)."""
    return User.objects.filter(is_active=True, roles__code__in=["team_leader", "cadre"]).distinct()


def _check_team(leader: User, deputies: Iterable[User]) -> list[User]:
    if not leader_candidates().filter(pk=leader.pk).exists():
        raise TeamError(f"{leader.full_name or leader.username} 没有“工作队队长”角色，不能任队长")
    deputies = list(deputies)
    if any(d.pk == leader.pk for d in deputies):
        raise TeamError("队长不能同时是副队长")
    allowed = set(deputy_candidates().values_list("pk", flat=True))
    for d in deputies:
        if d.pk not in allowed:
            raise TeamError(f"{d.full_name or d.username} 没有队长或挂职干部角色，不能任副队长")
    return deputies


@transaction.atomic
def team_create(
    *,
    by: User,
    batch: Batch,
    name: str,
    unit: OrgUnit,
    leader: User,
    deputies: Iterable[User] = (),
) -> WorkTeam:
    _require_org(by, "teams.add_workteam")
    if WorkTeam.objects.filter(batch=batch).exists():
        raise TeamError(f"{batch} 已有工作队")
    deputies = _check_team(leader, deputies)
    team = WorkTeam.objects.create(batch=batch, name=name.strip(), unit=unit, leader=leader)
    team.deputies.set(deputies)
    return team


@transaction.atomic
def team_update(
    *,
    team: WorkTeam,
    by: User,
    name: str,
    unit: OrgUnit,
    leader: User,
    deputies: Iterable[User] = (),
) -> WorkTeam:
    _require_org(by, "teams.change_workteam")
    deputies = _check_team(leader, deputies)
    team.name = name.strip()
    team.unit = unit
    team.leader = leader
    team.save()
    team.deputies.set(deputies)
    return team


def team_placements(team: WorkTeam) -> QuerySet[Placement]:
    """The team's members as their placements (post and host unit at hand)."""
    return (
        Placement.objects.filter(batch_id=team.batch_id)
        .select_related("cadre__unit", "post", "host_unit")
        .order_by("cadre__name", "pk")
    )


def party_members(team: WorkTeam) -> QuerySet[Cadre]:
    """The team's Party members: the temporary branch's members."""
    return team.members().filter(political_status__contains="党员").order_by("name", "pk")


@transaction.atomic
def branch_save(
    *,
    team: WorkTeam,
    by: User,
    name: str,
    founded_on: date | None,
    secretary: Cadre | None,
    committee: Iterable[Cadre] = (),
    today: date | None = None,
) -> PartyBranch:
    _require_manager(by, team)
    today = today or timezone.localdate()
    if not name.strip():
        raise TeamError("请填写党支部名称")
    if founded_on and founded_on > today:
        raise TeamError("成立日期不能晚于今天")
    members = set(party_members(team).values_list("pk", flat=True))
    if secretary is not None and secretary.pk not in members:
        raise TeamError(f"{secretary.name} 不是本工作队的党员，不能任支部书记")
    committee = list(committee)
    for c in committee:
        if c.pk not in members:
            raise TeamError(f"{c.name} 不是本工作队的党员，不能任支委委员")
    branch = PartyBranch.objects.filter(team=team).first() or PartyBranch(team=team)
    branch.name = name.strip()
    branch.founded_on = founded_on
    branch.secretary = secretary
    branch.save()
    branch.committee.set(committee)
    return branch


# --- meetings and attendance ----------------------------------------------------------------


def expected_attendees(team: WorkTeam, kind: str, on: date) -> QuerySet[Cadre]:
    """Who should attend a meeting of this kind on this day: the cadres on post in the team's
    batch that day — for 三会一课 only the Party members (the branch's members)."""
    on_post = (
        Q(placements__batch_id=team.batch_id)
        & Q(placements__start__lte=on)
        & (Q(placements__actual_end__isnull=True) | Q(placements__actual_end__gte=on))
    )
    qs = Cadre.objects.filter(on_post)
    if kind in PARTY_MEETINGS:
        qs = qs.filter(political_status__contains="党员")
    return qs.distinct().order_by("name", "pk")


@dataclass(frozen=True)
class Mark:
    """One attendee's attendance as entered: present, or absent with a reason."""

    present: bool
    reason: str = ""


@transaction.atomic
def meeting_save(
    *,
    team: WorkTeam,
    by: User,
    kind: str,
    date: date,
    place: str,
    topic: str,
    host: str,
    minutes: str = "",
    attendance: Mapping[int, Mark] | None = None,
    meeting: Meeting | None = None,
    today: date | None = None,
) -> Meeting:
    """Record a meeting (or change a recorded one) with the attendance of every expected
    attendee. A meeting planned for a later day keeps no attendance until it has been held."""
    _require_manager(by, team)
    today = today or timezone.localdate()
    if meeting is not None and meeting.team_id != team.pk:
        raise TeamError("会议不属于该工作队")
    if kind not in MeetingType.values:
        raise TeamError("未知的会议类型")
    if kind in PARTY_MEETINGS and not PartyBranch.objects.filter(team=team).exists():
        raise TeamError("请先成立临时党支部，再登记党组织会议（三会一课）")
    for label, value in (("地点", place), ("主题", topic), ("主持人", host)):
        if not (value or "").strip():
            raise TeamError(f"请填写{label}")
    attendance = dict(attendance or {})
    rows: list[tuple[Cadre, Mark]] = []
    if date <= today:
        expected = list(expected_attendees(team, kind, date))
        expected_ids = {c.pk for c in expected}
        strangers = set(attendance) - expected_ids
        if strangers:
            # Name only the team's own cadres: an id from outside must not reveal a name.
            names = "、".join(
                team.members().filter(pk__in=strangers).values_list("name", flat=True)
            )
            raise TeamError(f"{names or '所选人员'} 不是这次会议的应到人员")
        for cadre in expected:
            mark = attendance.get(cadre.pk)
            if mark is None:
                raise TeamError(f"请登记 {cadre.name} 的出席情况")
            if not mark.present and not mark.reason.strip():
                raise TeamError(f"{cadre.name} 缺席，请填写缺席原因")
            rows.append((cadre, mark))
    if meeting is None:
        meeting = Meeting(team=team, created_by=by)
    meeting.kind = kind
    meeting.date = date
    meeting.place = place.strip()
    meeting.topic = topic.strip()
    meeting.host = host.strip()
    meeting.minutes = minutes or ""
    meeting.save()
    existing = {a.cadre_id: a for a in meeting.attendance.all()}
    keep = {cadre.pk for cadre, _ in rows}
    gone = [a.pk for cid, a in existing.items() if cid not in keep]
    if gone:
        Attendance.objects.filter(pk__in=gone).delete()
    for cadre, mark in rows:
        present, reason = mark.present, "" if mark.present else mark.reason.strip()[:100]
        row = existing.get(cadre.pk)
        if row is None:
            Attendance.objects.create(
                meeting=meeting, cadre=cadre, present=present, absence_reason=reason
            )
        elif (row.present, row.absence_reason) != (present, reason):
            row.present, row.absence_reason = present, reason
            row.save()
    return meeting


@transaction.atomic
def meeting_delete(*, meeting: Meeting, by: User) -> None:
    _require_manager(by, meeting.team)
    files = [a.file for a in meeting.attachments.all()]
    meeting.delete()
    for f in files:
        transaction.on_commit(lambda f=f: f.storage.delete(f.name))


# --- attachments ----------------------------------------------------------------------------

_ZIP = b"PK\x03\x04"
_OLE = bytes.fromhex("D0CF11E0A1B11AE1")
# extension → (content type served, leading bytes the file must start with)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "doc": ("application/msword", (_OLE,)),
    "xls": ("application/vnd.ms-excel", (_OLE,)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (_ZIP,),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (_ZIP,),
    ),
}
# An Office Open XML file is a zip holding this part (docx: word/, xlsx: xl/).
_OOXML_PART = {"docx": "word/", "xlsx": "xl/"}
NAME_MAX = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_filename(name: str) -> str:
    """Only the last path part of an uploaded name, without control or reserved characters,
    at most 120 characters with its extension kept."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    name = name.rsplit("/", 1)[-1]
    name = re.sub(r"\s+", " ", _UNSAFE.sub("_", name)).strip().rstrip(". ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.strip(" ._") or "附件"
    ext = f".{ext[:10]}" if ext else ""
    return stem[: NAME_MAX - len(ext)] + ext


def _looks_like(upload, ext: str) -> bool:
    _content_type, magics = ALLOWED_TYPES[ext]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(m) for m in magics):
        return False
    if ext in _OOXML_PART:
        try:
            with zipfile.ZipFile(upload) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            upload.seek(0)
        return "[Content_Types].xml" in names and any(n.startswith(_OOXML_PART[ext]) for n in names)
    return True


def attachment_add(*, meeting: Meeting, by: User, upload) -> Attachment:
    """Store an uploaded file for a meeting: size and type checked (extension and leading
    bytes), the name cleaned, the file saved under a random name. Nothing is written when
    the file is refused."""
    _require_manager(by, meeting.team)
    if upload is None:
        raise TeamError("请选择要上传的文件")
    name = safe_filename(getattr(upload, "name", ""))
    limit_mb = settings.ATTACHMENT_MAX_MB
    if upload.size > limit_mb * 1024 * 1024:
        raise TeamError(
            f"文件“{name}”有 {upload.size / 1024 / 1024:.1f} MB，超过了 {limit_mb} MB 的上限"
        )
    if upload.size == 0:
        raise TeamError(f"文件“{name}”是空的")
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    allowed = "、".join(sorted({e.upper() for e in ALLOWED_TYPES}))
    if ext not in ALLOWED_TYPES:
        raise TeamError(f"不能上传“{name}”：只接受 {allowed} 文件")
    if not _looks_like(upload, ext):
        raise TeamError(
            f"不能上传“{name}”：文件内容不是 {ext.upper()} 格式（扩展名与内容不符），请上传原始文件"
        )
    attachment = Attachment(
        meeting=meeting,
        name=name,
        content_type=ALLOWED_TYPES[ext][0],
        size=upload.size,
        uploaded_by=by,
    )
    # upload_to gives the random name; the uploaded name never reaches the disk.
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, by: User) -> None:
    _require_manager(by, attachment.meeting.team)
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.storage.delete(stored.name))


# --- attendance rates -----------------------------------------------------------------------


@dataclass
class Rate:
    expected: int = 0
    present: int = 0

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None

    @property
    def percent(self) -> str:
        r = self.rate
        return "—" if r is None else f"{r * 100:.1f}%"


@dataclass
class CadreRate(Rate):
    cadre: Cadre | None = None


def _attendance(team: WorkTeam, start: date | None, end: date | None, kinds=None):
    qs = Attendance.objects.filter(meeting__team=team)
    if start:
        qs = qs.filter(meeting__date__gte=start)
    if end:
        qs = qs.filter(meeting__date__lte=end)
    if kinds is not None:
        qs = qs.filter(meeting__kind__in=list(kinds))
    return qs


def attendance_rates(
    team: WorkTeam,
    *,
    start: date | None = None,
    end: date | None = None,
    kinds: Iterable[str] | None = None,
) -> dict[int, Rate]:
    """Per cadre id: meetings he was expected at and attended (optionally in a date range
    and for some kinds of meeting)."""
    rows = (
        _attendance(team, start, end, kinds)
        .values("cadre_id")
        .annotate(expected=Count("pk"), present=Count("pk", filter=Q(present=True)))
    )
    return {r["cadre_id"]: Rate(r["expected"], r["present"]) for r in rows}


def total_rate(
    team: WorkTeam,
    *,
    start: date | None = None,
    end: date | None = None,
    kinds: Iterable[str] | None = None,
) -> Rate:
    """Sum present / sum expected over the team's meetings."""
    agg = _attendance(team, start, end, kinds).aggregate(
        expected=Count("pk"), present=Count("pk", filter=Q(present=True))
    )
    return Rate(agg["expected"] or 0, agg["present"] or 0)


def branch_rate(team: WorkTeam, *, start: date | None = None, end: date | None = None) -> Rate:
    """The branch's attendance: its Party meetings (三会一课)."""
    return total_rate(team, start=start, end=end, kinds=PARTY_MEETINGS)


@dataclass
class AttendanceTable:
    rows: list[tuple[Cadre, Rate, Rate]]  # cadre, 三会一课, all meetings
    branch: Rate
    team: Rate


def attendance_table(team: WorkTeam, cadres: Iterable[Cadre]) -> AttendanceTable:
    party = attendance_rates(team, kinds=PARTY_MEETINGS)
    every = attendance_rates(team)
    rows = [(c, party.get(c.pk, Rate()), every.get(c.pk, Rate())) for c in cadres]
    branch = Rate(sum(r.expected for r in party.values()), sum(r.present for r in party.values()))
    whole = Rate(sum(r.expected for r in every.values()), sum(r.present for r in every.values()))
    return AttendanceTable(rows, branch, whole)


# --- rhythm ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # RhythmRule.Period
    start: date
    end: date

    @property
    def label(self) -> str:
        if self.kind == RhythmRule.Period.MONTH:
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"

    @property
    def display(self) -> str:
        if self.kind == RhythmRule.Period.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"

    def next(self) -> Period:
        return period_of(self.end + timedelta(days=1), self.kind)


def period_of(day: date, kind: str) -> Period:
    if kind == RhythmRule.Period.MONTH:
        first_month = day.month
        months = 1
    else:
        first_month = (day.month - 1) // 3 * 3 + 1
        months = 3
    start = date(day.year, first_month, 1)
    last_month = first_month + months - 1
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return Period(kind, start, end)


@dataclass
class PeriodStatus:
    period: Period
    held: int
    required: int
    current: bool

    @property
    def short(self) -> bool:
        return self.held < self.required

    @property
    def state(self) -> str:
        """ok, behind (a completed period that fell short) or due (the current one, short)."""
        if not self.short:
            return "ok"
        return "due" if self.current else "behind"

    def days_left(self, today: date) -> int:
        return (self.period.end - today).days + 1


@dataclass
class RuleStatus:
    rule: RhythmRule
    periods: list[PeriodStatus] = field(default_factory=list)

    @property
    def behind(self) -> list[PeriodStatus]:
        return [p for p in self.periods if p.state == "behind"]

    @property
    def due(self) -> PeriodStatus | None:
        return next((p for p in self.periods if p.state == "due"), None)

    @property
    def completed(self) -> list[PeriodStatus]:
        return [p for p in self.periods if not p.current]

    @property
    def current(self) -> PeriodStatus | None:
        return next((p for p in self.periods if p.current), None)


def rhythm_origin(team: WorkTeam, first_meeting: date | None = None) -> date:
    start = team.batch.start
    return min(start, first_meeting) if first_meeting else start


def rhythm_status(
    team: WorkTeam, today: date, rules: Iterable[RhythmRule] | None = None
) -> list[RuleStatus]:
    """For each rhythm rule of the team's programme: the periods from the team's start
    (its batch's start, or its first meeting if earlier) to today, each with the meetings
    of that kind held in it.

    Only whole periods count: a month or quarter that began before the team started, or
    ends after its batch's planned end, is not required. A completed period with fewer
    meetings than the rule asks is *behind*; the current period is *due* while still short.
    Meetings dated after today (planned) do not count yet.
    """
    if rules is None:
        rules = team.batch.programme.rhythm.all()
    rules = list(rules)
    if not rules:
        return []
    held = (
        Meeting.objects.filter(team=team, date__lte=today)
        .values_list("kind", "date")
        .order_by("date")
    )
    by_kind: dict[str, list[date]] = defaultdict(list)
    first = None
    for kind, day in held:
        first = first or day
        by_kind[kind].append(day)
    origin = rhythm_origin(team, first)
    last_day = min(today, team.batch.end)
    result = []
    for rule in sorted(rules, key=lambda r: (r.period, r.meeting_type)):
        status = RuleStatus(rule)
        period = period_of(origin, rule.period)
        if period.start < origin:
            period = period.next()
        days = by_kind.get(rule.meeting_type, [])
        while period.start <= last_day and period.end <= team.batch.end:
            n = sum(1 for d in days if period.start <= d <= period.end)
            current = period.start <= today <= period.end
            status.periods.append(PeriodStatus(period, n, rule.count, current))
            period = period.next()
        result.append(status)
    return result


def ensure_default_rhythm(programme: Programme) -> None:
    """A programme starts with the national practice (models.DEFAULT_RHYTHM); idempotent."""
    have = set(programme.rhythm.values_list("meeting_type", "period"))
    RhythmRule.objects.bulk_create(
        [
            RhythmRule(programme=programme, meeting_type=kind, period=period, count=count)
            for kind, period, count in DEFAULT_RHYTHM
            if (kind, period) not in have
        ]
    )


@transaction.atomic
def rhythm_save(*, programme: Programme, by: User, rows: Iterable[Mapping]) -> list[RhythmRule]:
    """Set the programme's rules to `rows` (each: meeting_type, period, count). A rule keeps
    its identity while its meeting type and period stay (reminder keys use it)."""
    _require_org(by, "programmes.change_programme")
    wanted: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["meeting_type"], row["period"])
        if key in wanted:
            label = f"{RhythmRule.Period(key[1]).label}{MeetingType(key[0]).label}"
            raise TeamError(f"“{label}”重复了，同一会议类型和周期只能设一条要求")
        count = int(row["count"])
        if not 1 <= count <= 31:
            raise TeamError("至少次数应在 1 到 31 之间")
        wanted[key] = count
    existing = {(r.meeting_type, r.period): r for r in programme.rhythm.all()}
    stale = [r.pk for key, r in existing.items() if key not in wanted]
    if stale:
        RhythmRule.objects.filter(pk__in=stale).delete()
    saved = []
    for (kind, period), count in wanted.items():
        rule = existing.get((kind, period))
        if rule is None:
            rule = RhythmRule.objects.create(
                programme=programme, meeting_type=kind, period=period, count=count
            )
        elif rule.count != count:
            rule.count = count
            rule.save()
        saved.append(rule)
    return saved


# --- pairings -------------------------------------------------------------------------------


@transaction.atomic
def pairing_create(
    *,
    team: WorkTeam,
    by: User,
    members: Iterable[Cadre],
    goals: str,
    started_on: date | None = None,
    today: date | None = None,
) -> Pairing:
    _require_manager(by, team)
    today = today or timezone.localdate()
    started_on = started_on or today
    members = list({c.pk: c for c in members}.values())
    if len(members) < 2:
        raise TeamError("结对至少需要两名成员")
    in_team = set(team.members().values_list("pk", flat=True))
    for c in members:
        if c.pk not in in_team:
            raise TeamError(f"{c.name} 不是本工作队的成员")
    if not goals.strip():
        raise TeamError("请填写帮带目标")
    if started_on > today:
        raise TeamError("结对日期不能晚于今天")
    pairing = Pairing.objects.create(
        team=team, goals=goals.strip(), started_on=started_on, created_by=by
    )
    pairing.members.set(members)
    return pairing


@transaction.atomic
def pairing_close(*, pairing: Pairing, by: User, note: str) -> Pairing:
    _require_manager(by, pairing.team)
    if pairing.status != Pairing.Status.ACTIVE:
        raise TeamError("该结对已结束")
    if not note.strip():
        raise TeamError("请填写结束说明")
    pairing.status = Pairing.Status.CLOSED
    pairing.closed_note = note.strip()[:200]
    pairing.save()
    return pairing


@transaction.atomic
def checkin_add(
    *, pairing: Pairing, by: User, date: date, content: str, today: date | None = None
) -> CheckIn:
    today = today or timezone.localdate()
    if pairing.status != Pairing.Status.ACTIVE:
        raise TeamError("该结对已结束，不能再记录交流")
    author = pairing.members.filter(user=by).first()
    if author is None or not access.can_check_in(by, pairing):
        raise TeamError("只有结对双方可以记录交流")
    if date > today:
        raise TeamError("交流日期不能晚于今天")
    if date < pairing.started_on:
        raise TeamError(f"交流日期不能早于结对日期 {pairing.started_on:%Y-%m-%d}")
    if not content.strip():
        raise TeamError("请填写交流内容")
    return CheckIn.objects.create(
        pairing=pairing, date=date, author=author, content=content.strip()
    )


_UNKNOWN = object()


def last_contact(pairing: Pairing, last_checkin=_UNKNOWN) -> date:
    """The last check-in (pass it when already known, even None), or the pairing's start
    when there is none yet."""
    if last_checkin is _UNKNOWN:
        last_checkin = pairing.checkins.aggregate(d=Max("date"))["d"]
    return max(last_checkin, pairing.started_on) if last_checkin else pairing.started_on


def overdue_pairings(pairings: QuerySet[Pairing], today: date) -> list[tuple[Pairing, date]]:
    """Active pairings with no check-in for more than the programme's `checkin_days`,
    with the day of their last contact."""
    rows = (
        pairings.filter(status=Pairing.Status.ACTIVE)
        .annotate(last=Max("checkins__date"))
        .select_related("team__batch__programme")
    )
    result = []
    for p in rows:
        last = last_contact(p, p.last)
        if (today - last).days > p.team.batch.programme.checkin_days:
            result.append((p, last))
    return result


# --- reminders ------------------------------------------------------------------------------

# The current period's reminder starts this many days before the period ends.
DUE_NOTICE_DAYS = {RhythmRule.Period.MONTH: 7, RhythmRule.Period.QUARTER: 15}


def active_teams(today: date) -> QuerySet[WorkTeam]:
    return WorkTeam.objects.filter(batch__start__lte=today, batch__end__gte=today)


def rhythm_dues(today: date) -> Iterable[Due]:
    """The leader and deputies of each serving team hear of periods that fell short and of the
    current period when it is still short with few days left."""
    teams = (
        active_teams(today)
        .select_related("batch__programme")
        .prefetch_related("deputies", "batch__programme__rhythm")
    )
    for team in teams:
        url = reverse("teams:detail", args=[team.pk])
        users = {team.leader_id, *(d.pk for d in team.deputies.all())}
        statuses = rhythm_status(team, today, team.batch.programme.rhythm.all())
        for status in statuses:
            rule = status.rule
            kind = rule.get_meeting_type_display()
            for p in status.periods:
                key = f"teams:rhythm:{team.pk}:{rule.pk}:{p.period.label}"
                if p.state == "behind":
                    text = (
                        f"{team.name}：{p.period.display}{kind}应至少召开 {p.required} 次，"
                        f"实际 {p.held} 次，低于规定频次"
                    )
                elif p.state == "due" and p.days_left(today) <= DUE_NOTICE_DAYS[rule.period]:
                    text = (
                        f"{team.name}：{p.period.display}{kind}还需召开 {p.required - p.held} 次，"
                        f"距本期结束还有 {p.days_left(today)} 天"
                    )
                else:
                    continue
                for user_id in users:
                    yield Due(user_id, key, "会议频次", text, url, p.period.end)


def checkin_dues(today: date) -> Iterable[Due]:
    """Each member of an active pairing hears when no one has written a check-in for more
    than the programme's `checkin_days`."""
    pairings = Pairing.objects.filter(team__in=active_teams(today))
    overdue = overdue_pairings(pairings, today)
    if not overdue:
        return
    members = defaultdict(list)
    through = Pairing.members.through.objects.filter(
        pairing_id__in=[p.pk for p, _ in overdue]
    ).select_related("cadre")
    for row in through:
        members[row.pairing_id].append(row.cadre)
    for pairing, last in overdue:
        cadres = members[pairing.pk]
        names = "、".join(c.name for c in cadres)
        days = (today - last).days
        limit = pairing.team.batch.programme.checkin_days
        url = reverse("teams:pairing", args=[pairing.pk])
        for cadre in cadres:
            if cadre.user_id is None:
                continue
            yield Due(
                cadre.user_id,
                f"teams:checkin:{pairing.pk}:{last:%Y-%m-%d}",
                "结对交流",
                f"结对帮带（{names}）已 {days} 天没有交流记录（要求每 {limit} 天至少一次），"
                "请及时交流并记录",
                url,
                last + timedelta(days=limit),
            )
