"""Work teams (工作队) per batch, the temporary Party branch (临时党支部), meetings — 三会一课
plus study sessions and research trips — with attendance and attachments, the meeting rhythm
a branch must keep, and two-way pairings (双向结对帮带) with check-ins."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.core.models import OrgUnit
from guazhi.programmes.models import Batch, Programme


def is_party_member(cadre: Cadre) -> bool:
    return "党员" in (cadre.political_status or "")


class WorkTeam(models.Model):
    """赴京挂职干部工作队: one per batch. The members are the batch's placed cadres."""

    batch = models.OneToOneField(
        Batch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="team"
    )
    name = models.CharField(_("名称"), max_length=60)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="teams",
        help_text=_("工作队在组织机构中的单位，如 沈阳市赴京挂职干部工作队"),
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("队长"),
        on_delete=models.PROTECT,
        related_name="led_teams",
    )
    deputies = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("副队长"), blank=True, related_name="deputy_teams"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("工作队")
        verbose_name_plural = _("工作队")
        ordering = ["-batch__start"]

    def __str__(self) -> str:
        return self.name

    def members(self):
        """The cadres placed in this team's batch."""
        return Cadre.objects.filter(placements__batch_id=self.batch_id).distinct()

    def is_manager(self, user) -> bool:
        return user.pk == self.leader_id or self.deputies.filter(pk=user.pk).exists()


class PartyBranch(models.Model):
    """临时党支部 of a team: members are the team's Party-member cadres."""

    team = models.OneToOneField(WorkTeam, on_delete=models.CASCADE, related_name="branch")
    name = models.CharField(_("名称"), max_length=60)
    secretary = models.ForeignKey(
        Cadre,
        verbose_name=_("书记"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    committee = models.ManyToManyField(
        Cadre, verbose_name=_("支委委员"), blank=True, related_name="+"
    )
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("临时党支部")
        verbose_name_plural = _("临时党支部")

    def __str__(self) -> str:
        return self.name

    def members(self):
        return self.team.members().filter(political_status__contains="党员")


class MeetingType(models.TextChoices):
    BRANCH_ASSEMBLY = "assembly", _("支部党员大会")
    COMMITTEE = "committee", _("支委会")
    GROUP = "group", _("党小组会")
    LECTURE = "lecture", _("党课")
    STUDY = "study", _("学习研讨")
    RESEARCH = "research", _("调研")


PARTY_MEETINGS = {
    MeetingType.BRANCH_ASSEMBLY,
    MeetingType.COMMITTEE,
    MeetingType.GROUP,
    MeetingType.LECTURE,
}


class RhythmRule(models.Model):
    """How often a branch must hold a kind of meeting, e.g. one 党小组会 a month, one 党课 a
    quarter (制度 differ: the rule is data per programme)."""

    class Period(models.TextChoices):
        MONTH = "month", _("每月")
        QUARTER = "quarter", _("每季度")

    programme = models.ForeignKey(
        Programme, verbose_name=_("选派项目"), on_delete=models.CASCADE, related_name="rhythm"
    )
    meeting_type = models.CharField(_("会议类型"), max_length=12, choices=MeetingType.choices)
    period = models.CharField(_("周期"), max_length=8, choices=Period.choices)
    count = models.PositiveSmallIntegerField(
        _("至少次数"), default=1, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )

    class Meta:
        verbose_name = _("会议频次要求")
        verbose_name_plural = _("会议频次要求")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "meeting_type", "period"], name="one_rhythm_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()}{self.get_meeting_type_display()}≥{self.count}"


# The national practice (三会一课): 支部党员大会 each quarter, 支委会 and 党小组会 each month,
# 党课 each quarter. New programmes start with these; each programme may change them.
DEFAULT_RHYTHM = [
    (MeetingType.BRANCH_ASSEMBLY, RhythmRule.Period.QUARTER, 1),
    (MeetingType.COMMITTEE, RhythmRule.Period.MONTH, 1),
    (MeetingType.GROUP, RhythmRule.Period.MONTH, 1),
    (MeetingType.LECTURE, RhythmRule.Period.QUARTER, 1),
]


class Meeting(models.Model):
    team = models.ForeignKey(
        WorkTeam, verbose_name=_("工作队"), on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=MeetingType.choices)
    date = models.DateField(_("日期"), db_index=True)
    place = models.CharField(_("地点"), max_length=100)
    topic = models.CharField(_("主题"), max_length=200)
    host = models.CharField(_("主持人"), max_length=30)
    minutes = models.TextField(_("会议记录"), blank=True, max_length=20000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议活动")
        verbose_name_plural = _("会议活动")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["team", "kind", "date"], name="meeting_team_kind_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}：{self.topic}"

    @property
    def is_party(self) -> bool:
        return self.kind in PARTY_MEETINGS


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="attendance")
    present = models.BooleanField(_("出席"), default=True)
    absence_reason = models.CharField(_("缺席原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("出席情况")
        verbose_name_plural = _("出席情况")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "cadre"], name="one_attendance_row"),
            models.CheckConstraint(
                condition=Q(present=True) | ~Q(absence_reason=""),
                name="absence_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {'出席' if self.present else '缺席'}"


def _attachment_path(instance, filename: str) -> str:
    # Never the uploaded name on disk: a random name under the meeting's folder.
    return f"meetings/{instance.meeting_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.name


class Pairing(models.Model):
    """A two-way pair (or small group) inside a team, with goals and check-ins."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("进行中")
        CLOSED = "closed", _("已结束")

    team = models.ForeignKey(
        WorkTeam, verbose_name=_("工作队"), on_delete=models.PROTECT, related_name="pairings"
    )
    members = models.ManyToManyField(Cadre, verbose_name=_("结对成员"), related_name="pairings")
    goals = models.TextField(_("帮带目标"), max_length=2000)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    started_on = models.DateField(_("结对日期"), default=date.today)
    closed_note = models.CharField(_("结束说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("结对帮带")
        verbose_name_plural = _("结对帮带")
        ordering = ["status", "-started_on"]

    def __str__(self) -> str:
        return "、".join(m.name for m in self.members.all())


class CheckIn(models.Model):
    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="checkins")
    date = models.DateField(_("日期"))
    author = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="+")
    content = models.TextField(_("交流内容"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("结对交流")
        verbose_name_plural = _("结对交流")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.author}"
