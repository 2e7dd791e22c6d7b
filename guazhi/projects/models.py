"""Cooperation projects (项目闭环工作法): enterprises, the project pipeline from lead to
production with its stage history, task forces (工作专班), split tasks (分工), blockers (问题清单)
with the green channel (绿色通道), events such as a summit that signs several projects, follow-up
notes, and credit to the cadres who found or drove a project.

Rules that differ between jurisdictions are data: the stage list (`Stage`, per programme) and
the stall-light thresholds, the default blocker deadline and the termination reasons
(`ProjectPolicy`, per programme)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, CharField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.core import crypto
from guazhi.core.models import OrgUnit
from guazhi.core.personal import mask_mobile
from guazhi.core.versioning import Versioned
from guazhi.programmes.models import Batch, Programme

AMOUNT = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class Sector(models.TextChoices):
    AGRICULTURE = "agriculture", _("现代农业")
    MANUFACTURING = "manufacturing", _("装备制造")
    ELECTRONICS = "electronics", _("电子信息")
    BIOMEDICINE = "biomedicine", _("生物医药")
    ENERGY = "energy", _("新能源")
    MATERIALS = "materials", _("新材料")
    DIGITAL = "digital", _("数字经济")
    SERVICES = "services", _("现代服务业")
    TOURISM = "tourism", _("文化旅游")
    LOGISTICS = "logistics", _("商贸物流")
    OTHER = "other", _("其他")


# --- enterprises -------------------------------------------------------------------------------


class Enterprise(models.Model):
    name = models.CharField(_("企业名称"), max_length=100, unique=True)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        help_text=_("18 位，末位为 GB 32100 校验码"),
    )
    sector = models.CharField(_("行业"), max_length=16, choices=Sector.choices)
    city = models.CharField(_("总部所在城市"), max_length=30)
    address = models.CharField(_("地址"), max_length=120, blank=True)
    note = models.TextField(_("备注"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]
        permissions = [("reveal_contact", _("可以查看企业联系人完整手机号（留痕）"))]

    def __str__(self) -> str:
        return self.name


class EnterpriseContact(models.Model):
    """A person at the enterprise: the mobile number is personal data, stored encrypted and
    shown masked; revealing it is permission-checked and audited (services.contact_reveal)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("联系人"), max_length=30)
    title = models.CharField(_("职务"), max_length=40, blank=True)
    mobile_encrypted = models.TextField(_("手机号（密文）"), blank=True, editable=False)
    mobile_masked = models.CharField(_("手机号"), max_length=11, blank=True, editable=False)

    class Meta:
        verbose_name = _("企业联系人")
        verbose_name_plural = _("企业联系人")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.enterprise}）"

    @property
    def mobile(self) -> str:
        return crypto.decrypt(self.mobile_encrypted)

    @mobile.setter
    def mobile(self, value: str) -> None:
        self.mobile_encrypted = crypto.encrypt(value) if value else ""
        self.mobile_masked = mask_mobile(value)


# --- rules per programme -----------------------------------------------------------------------


DEFAULT_TERMINATION_REASONS = [
    "企业投资意向变化",
    "用地、能耗等要素条件不具备",
    "政策条件未谈拢",
    "被其他地区引走",
    "企业经营困难",
    "重复线索",
    "其他",
]


class ProjectPolicy(models.Model):
    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="project_policy"
    )
    yellow_days = models.PositiveSmallIntegerField(
        _("黄灯天数"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("连续多少天无进展（无阶段变化、任务或跟进记录）亮黄灯"),
    )
    red_days = models.PositiveSmallIntegerField(
        _("红灯天数"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("连续多少天无进展亮红灯，须大于黄灯天数"),
    )
    blocker_days = models.PositiveSmallIntegerField(
        _("问题默认办结时限（天）"), default=7, validators=[MinValueValidator(1)]
    )
    termination_reasons = models.TextField(
        _("终止原因"),
        default="\n".join(DEFAULT_TERMINATION_REASONS),
        help_text=_("每行一个，终止项目时从中选择"),
    )

    class Meta:
        verbose_name = _("项目规则")
        verbose_name_plural = _("项目规则")

    def __str__(self) -> str:
        return f"{self.programme} 项目规则"

    def reasons(self) -> list[str]:
        return [line.strip() for line in self.termination_reasons.splitlines() if line.strip()]


class Stage(models.Model):
    """One stage of a programme's pipeline; `order` runs 1, 2, 3…. The evidence a stage asks
    for is fixed by its `evidence` kind, whatever the stage is called."""

    class Evidence(models.TextChoices):
        NONE = "", _("无")
        TASK_FORCE = "task_force", _("组建专班：须有牵头人")
        SIGNING = "signing", _("签约：签约日期与签约金额")
        LANDING = "landing", _("落地：落地日期、到位金额与落地形式")
        PRODUCTION = "production", _("投产：投产日期")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("顺序"), validators=[MinValueValidator(1)])
    name = models.CharField(_("阶段名称"), max_length=20)
    evidence = models.CharField(
        _("需要的佐证"), max_length=12, choices=Evidence.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("项目阶段")
        verbose_name_plural = _("项目阶段")
        ordering = ["programme", "order"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "order"], name="stage_order_unique"),
            models.UniqueConstraint(fields=["programme", "name"], name="stage_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


# Stages a new programme starts with (SPEC §4.5): name, evidence.
DEFAULT_STAGES = [
    ("线索", Stage.Evidence.NONE),
    ("专班", Stage.Evidence.TASK_FORCE),
    ("洽谈", Stage.Evidence.NONE),
    ("签约", Stage.Evidence.SIGNING),
    ("落地", Stage.Evidence.LANDING),
    ("投产", Stage.Evidence.PRODUCTION),
]


# --- events ------------------------------------------------------------------------------------


class Event(models.Model):
    class Kind(models.TextChoices):
        SUMMIT = "summit", _("峰会、论坛")
        SIGNING = "signing", _("签约仪式")
        PROMOTION = "promotion", _("招商推介会")
        VISIT = "visit", _("考察对接")
        OTHER = "other", _("其他")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="events")
    name = models.CharField(_("活动名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    note = models.TextField(_("说明"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


# --- projects ----------------------------------------------------------------------------------


class Light(models.TextChoices):
    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")
    DONE = "done", _("已完成")
    ENDED = "ended", _("已终止")


class ProjectQuerySet(models.QuerySet):
    def active(self) -> ProjectQuerySet:
        return self.filter(status=Project.Status.ACTIVE)

    def with_light(self, today: date, policies: dict[int, tuple[int, int]]) -> ProjectQuerySet:
        """Annotate `light`: ended and finished projects have none; an active one turns yellow
        and red after the programme's days without progress. `policies` maps programme id →
        (yellow_days, red_days) — see services.light_thresholds() — so the annotation is one
        CASE expression and costs no extra query."""
        red, yellow = Q(pk__in=[]), Q(pk__in=[])
        for programme_id, (yellow_days, red_days) in policies.items():
            red |= Q(
                programme_id=programme_id,
                last_progress_on__lte=today - timedelta(days=red_days),
            )
            yellow |= Q(
                programme_id=programme_id,
                last_progress_on__lte=today - timedelta(days=yellow_days),
            )
        return self.annotate(
            light=Case(
                When(status=Project.Status.TERMINATED, then=Value(Light.ENDED)),
                When(is_finished=True, then=Value(Light.DONE)),
                When(red, then=Value(Light.RED)),
                When(yellow, then=Value(Light.YELLOW)),
                default=Value(Light.GREEN),
                output_field=CharField(),
            )
        )


class Project(Versioned):
    class Status(models.TextChoices):
        ACTIVE = "active", _("推进中")
        TERMINATED = "terminated", _("已终止")

    class Channel(models.TextChoices):
        VISIT = "visit", _("走访企业")
        EVENT = "event", _("招商活动")
        REFERRAL = "referral", _("以商招商、中介推荐")
        INBOUND = "inbound", _("企业来访")
        ASSIGNED = "assigned", _("上级交办")
        OTHER = "other", _("其他")

    class LandingForm(models.TextChoices):
        REGISTERED = "registered", _("注册")
        STARTED = "started", _("开工")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="projects")
    batch = models.ForeignKey(
        Batch,
        verbose_name=_("批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        help_text=_("发现线索的挂职干部所在批次"),
    )
    title = models.CharField(_("项目名称"), max_length=120)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    sector = models.CharField(_("行业"), max_length=16, choices=Sector.choices)
    district = models.CharField(_("拟落地区县"), max_length=30)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="projects",
        help_text=_("负责推进的单位，决定谁能看到和管理该项目"),
    )
    description = models.TextField(_("项目简介"), blank=True, max_length=4000)

    # Where the lead came from.
    found_by = models.ForeignKey(
        Cadre,
        verbose_name=_("线索发现人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="found_projects",
    )
    found_on = models.DateField(_("发现日期"))
    channel = models.CharField(_("线索来源"), max_length=10, choices=Channel.choices)
    source_note = models.CharField(_("来源说明"), max_length=300, blank=True)

    # Amounts in 万元.
    planned_amount = models.DecimalField(_("计划投资（万元）"), default=Decimal(0), **AMOUNT)
    signed_amount = models.DecimalField(_("签约金额（万元）"), default=Decimal(0), **AMOUNT)
    landed_amount = models.DecimalField(_("到位资金（万元）"), default=Decimal(0), **AMOUNT)

    # Evidence of the stages that ask for it (kept current; the history keeps each step).
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    agreement_number = models.CharField(_("协议编号"), max_length=60, blank=True)
    signed_event = models.ForeignKey(
        Event,
        verbose_name=_("签约活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_projects",
    )
    landed_on = models.DateField(_("落地日期"), null=True, blank=True)
    landing_form = models.CharField(
        _("落地形式"), max_length=10, choices=LandingForm.choices, blank=True
    )
    production_on = models.DateField(_("投产日期"), null=True, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        related_name="owned_projects",
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("阶段"), on_delete=models.PROTECT, related_name="projects"
    )
    stage_entered_on = models.DateField(_("进入本阶段日期"))
    reached_order = models.PositiveSmallIntegerField(
        _("到达过的最高阶段"), help_text=_("阶段顺序号，漏斗据此统计")
    )
    is_finished = models.BooleanField(_("已到最后阶段"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    terminated_on = models.DateField(_("终止日期"), null=True, blank=True)
    terminated_reason = models.CharField(_("终止原因"), max_length=60, blank=True)
    terminated_note = models.CharField(_("终止说明"), max_length=500, blank=True)
    last_progress_on = models.DateField(
        _("最近进展日期"), help_text=_("阶段变化、任务或跟进记录的最近日期，决定红黄绿灯")
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("合作项目")
        verbose_name_plural = _("合作项目")
        ordering = ["-last_progress_on", "-id"]
        permissions = [("export_project", _("可以导出项目台账（留痕）"))]
        indexes = [
            models.Index(fields=["programme", "stage"], name="project_programme_stage_idx"),
            models.Index(fields=["status", "last_progress_on"], name="project_light_idx"),
            models.Index(fields=["stage", "status", "last_progress_on"], name="project_board_idx"),
            models.Index(fields=["district"], name="project_district_idx"),
            models.Index(fields=["sector"], name="project_sector_idx"),
            # The list's "found between" filter. Text search: a trigram index on PostgreSQL
            # (migration 0003_filter_indexes).
            models.Index(fields=["found_on"], name="project_found_idx"),
            # The lists' order (-last_progress_on, -id): the first page from the index.
            models.Index(fields=["last_progress_on", "id"], name="project_progress_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class StageChange(models.Model):
    """One line of a project's history. `date` is when it happened (entered by the user, not
    after today); `days_in_from` is how long the project had been in `from_stage`, kept for the
    funnel's median days per stage."""

    class Kind(models.TextChoices):
        CREATE = "create", _("登记线索")
        ADVANCE = "advance", _("推进")
        BACK = "back", _("回退")
        TERMINATE = "terminate", _("终止")
        REOPEN = "reopen", _("重新启动")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))
    days_in_from = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    reason = models.CharField(_("终止原因"), max_length=60, blank=True)
    amount = models.DecimalField(_("金额（万元）"), null=True, blank=True, **AMOUNT)
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("阶段变化")
        verbose_name_plural = _("阶段变化")
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["from_stage", "kind", "days_in_from"], name="change_days_idx"),
            models.Index(fields=["project", "date"], name="change_project_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.date:%Y-%m-%d} {self.get_kind_display()} {self.to_stage}"


class TaskForceMember(models.Model):
    """A member of the project's 工作专班: a cadre, or a unit (with its contact person)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        LIAISON = "liaison", _("联络")
        SERVICE = "service", _("服务保障")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("专班职责"), max_length=10, choices=Role.choices)
    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("干部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="task_forces",
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="task_forces",
    )
    contact = models.CharField(_("单位联系人"), max_length=30, blank=True)
    note = models.CharField(_("分工说明"), max_length=200, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("专班成员")
        verbose_name_plural = _("专班成员")
        ordering = ["role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(cadre__isnull=False, unit__isnull=True))
                | (Q(cadre__isnull=True, unit__isnull=False)),
                name="member_is_cadre_or_unit",
            ),
            models.UniqueConstraint(
                fields=["project", "cadre"],
                condition=Q(cadre__isnull=False),
                name="member_cadre_once",
            ),
            models.UniqueConstraint(
                fields=["project", "unit"], condition=Q(unit__isnull=False), name="member_unit_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre or self.unit}（{self.get_role_display()}）"


class Task(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("未开始")
        DOING = "doing", _("进行中")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    OPEN = (Status.TODO, Status.DOING)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("任务"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        related_name="project_tasks",
    )
    deadline = models.DateField(_("完成时限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.TODO)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("分工任务")
        verbose_name_plural = _("分工任务")
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.deadline < today


class Blocker(models.Model):
    """问题清单: raised with an owner and a deadline; first response, escalation to the green
    channel and resolution are timed, so "行动要快一点" can be measured."""

    class Status(models.TextChoices):
        OPEN = "open", _("待解决")
        ESCALATED = "escalated", _("绿色通道")
        RESOLVED = "resolved", _("已解决")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="blockers")
    title = models.CharField(_("问题"), max_length=120)
    detail = models.TextField(_("具体情况"), blank=True, max_length=2000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        related_name="project_blockers",
    )
    deadline = models.DateField(_("解决时限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("提出时间"))
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response_note = models.CharField(_("响应说明"), max_length=500, blank=True)
    escalated_at = models.DateTimeField(_("提交绿色通道时间"), null=True, blank=True)
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation_note = models.CharField(_("提交理由"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(_("解决情况"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题清单")
        ordering = ["deadline", "id"]
        permissions = [("view_green_channel", _("可以查看绿色通道问题清单"))]
        indexes = [models.Index(fields=["status", "deadline"], name="blocker_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.deadline < today

    @property
    def response_hours(self) -> float | None:
        if self.responded_at is None:
            return None
        return round((self.responded_at - self.raised_at).total_seconds() / 3600, 1)

    @property
    def resolution_days(self) -> float | None:
        if self.resolved_at is None:
            return None
        return round((self.resolved_at - self.raised_at).total_seconds() / 86400, 1)


class ProjectUpdate(models.Model):
    """跟进记录: a dated note of what was done; it counts as progress for the stall light."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    date = models.DateField(_("日期"))
    content = models.TextField(_("跟进情况"), max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.project} {self.date:%Y-%m-%d}"


class Credit(models.Model):
    """Credit to a cadre for a project (发现线索, 牵头推动, 协助): read by the assessment's
    sources (leads found, projects signed, amount landed) and shown on the cadre's profile."""

    class Role(models.TextChoices):
        FOUND = "found", _("发现线索")
        DROVE = "drove", _("牵头推动")
        ASSISTED = "assisted", _("协助推进")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="credits")
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="project_credits"
    )
    role = models.CharField(_("贡献"), max_length=10, choices=Role.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("项目贡献")
        verbose_name_plural = _("项目贡献")
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "cadre", "role"], name="credit_once")
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.get_role_display()} {self.project}"
