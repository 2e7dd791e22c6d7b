"""Deeds for the public (我为群众办实事), their look-back reviews (回头看) and the public's
good/bad ratings (好差评) with the rectification loop for bad ones.

- A deed (`Deed`) has a source, a category, the 急难愁盼 flag, a place, the responsible unit
  and cadre, a promised date, quantitative targets (`Target`) with dated progress and evidence
  (`Evidence`, photos allowed), and a status from a configurable list (`Status`, each of kind
  open / done / closed); every status change is kept (`StatusChange`).
- A look-back (`LookBack`) falls due a configurable time after the deed is done. It records
  the three looks — 实不实, 好不好 (with recurrences found automatically), 乐不乐 (the ratings
  at the time) — and concludes pass, or rework (回炉返工) which reopens the deed with tasks
  (`ReworkTask`) and a new deadline.
- Ratings (`Rating`): five levels, one per rater per deed — a rater is a verified phone
  (stored as a keyed hash, plus encrypted for the callback) or an invited panel member
  (`PanelMember`, 群众评议团) with the channel used. The rated units never see who rated.
- The two lowest levels open a rectification (`Rectification`) with a working-day deadline, a
  callback (回访) and the rater's re-rating. Appeals (`Appeal`, 申诉复核) are decided by a
  reviewer; an upheld appeal excludes the rating from the figures but keeps it.

Rules that differ between jurisdictions are data (`Policy`, one row; `Status`)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.core import crypto
from guazhi.core.models import OrgUnit
from guazhi.core.personal import mask_mobile
from guazhi.core.versioning import Versioned

AMOUNT = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class Policy(models.Model):
    """The rules that are configurable (one row, see services.policy())."""

    lookback_days = models.PositiveSmallIntegerField(
        _("回头看间隔（天）"),
        default=28,
        validators=[MinValueValidator(1)],
        help_text=_("实事办结后多少天进行回头看，默认 4 周"),
    )
    recurrence_days = models.PositiveSmallIntegerField(
        _("问题反弹判定期（天）"),
        default=180,
        validators=[MinValueValidator(1)],
        help_text=_("办结后多少天内同一地点再次出现同类问题，视为问题反弹"),
    )
    rectify_working_days = models.PositiveSmallIntegerField(
        _("差评整改时限（工作日）"), default=5, validators=[MinValueValidator(1)]
    )
    basic_weight = models.DecimalField(
        _("“基本满意”计入满意的权重"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("满意率 =（非常满意 + 满意 + 权重 × 基本满意）÷ 有效评价数"),
    )

    class Meta:
        verbose_name = _("办实事规则")
        verbose_name_plural = _("办实事规则")

    def __str__(self) -> str:
        return str(_("办实事规则"))


class Status(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("办理中")
        DONE = "done", _("已办结")
        CLOSED = "closed", _("已关闭")

    order = models.PositiveSmallIntegerField(_("顺序"), validators=[MinValueValidator(1)])
    name = models.CharField(_("状态名称"), max_length=20, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("实事状态")
        verbose_name_plural = _("实事状态")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


DEFAULT_STATUSES = [
    ("已登记", Status.Kind.OPEN),
    ("办理中", Status.Kind.OPEN),
    ("已办结", Status.Kind.DONE),
    ("已关闭", Status.Kind.CLOSED),
]


class Deed(Versioned):
    class Source(models.TextChoices):
        VISIT = "visit", _("走访")
        HOTLINE = "hotline", _("12345 热线")
        ASSIGNED = "assigned", _("上级交办")
        VOICE = "voice", _("群众呼声")
        OTHER = "other", _("其他")

    class Category(models.TextChoices):
        EDUCATION = "education", _("教育")
        HEALTH = "health", _("医疗卫生")
        ELDERLY = "elderly", _("养老托幼")
        JOBS = "jobs", _("就业增收")
        HOUSING = "housing", _("住房和老旧小区")
        INFRASTRUCTURE = "infrastructure", _("道路管网设施")
        ENVIRONMENT = "environment", _("环境卫生")
        SAFETY = "safety", _("平安法治")
        AID = "aid", _("困难帮扶")
        CULTURE = "culture", _("文化体育")
        OTHER = "other", _("其他")

    title = models.CharField(_("实事名称"), max_length=120)
    content = models.TextField(_("具体内容"), max_length=4000)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    urgent = models.BooleanField(_("急难愁盼"), default=False)
    location = models.CharField(_("地点"), max_length=120, help_text=_("如：某街道某小区"))
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="deeds"
    )
    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("责任干部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deeds",
    )
    opened_on = models.DateField(_("登记日期"))
    promised_on = models.DateField(_("承诺办结日期"))
    status = models.ForeignKey(
        Status, verbose_name=_("状态"), on_delete=models.PROTECT, related_name="deeds"
    )
    # The status's place in the workflow, copied here (save(), statuses_save, bulk writers)
    # so that the lists' order (status, promised date) walks an index instead of sorting
    # every deed joined to its status: 72 ms → under 1 ms at 50,000 deeds.
    status_order = models.PositiveSmallIntegerField(default=0, editable=False)
    done_on = models.DateField(_("办结日期"), null=True, blank=True)
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)
    reworks = models.PositiveSmallIntegerField(_("回炉返工次数"), default=0)
    public_key = models.CharField(max_length=24, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("实事项目")
        verbose_name_plural = _("实事项目")
        ordering = ["-opened_on", "-id"]
        permissions = [
            ("review_deed", _("可以进行回头看")),
            ("decide_appeal", _("可以复核差评申诉")),
            ("reveal_rater", _("可以查看评价人手机号用于回访（留痕）")),
            ("export_deed", _("可以导出实事台账（留痕）")),
        ]
        indexes = [
            models.Index(fields=["category", "location"], name="deed_recurrence_idx"),
            models.Index(fields=["unit", "status"], name="deed_unit_status_idx"),
            # The list's order (-opened_on, -id) and its date filter; "overdue" (promised
            # before today, still open). Text search: a trigram index on PostgreSQL
            # (migration 0004_filter_indexes).
            models.Index(fields=["opened_on", "id"], name="deed_opened_idx"),
            models.Index(fields=["promised_on"], name="deed_promised_idx"),
            # The lists' order: status, promised date, id (LIST_ORDER).
            models.Index(fields=["status_order", "promised_on", "id"], name="deed_list_order_idx"),
        ]

    # The deed lists' order (page and API): by the status's place in the workflow, then the
    # promised date.
    LIST_ORDER = ("status_order", "promised_on", "pk")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if self.status_id is not None:
            self.status_order = self.status.order
            fields = kwargs.get("update_fields")
            if fields is not None and "status" in fields:
                kwargs["update_fields"] = {*fields, "status_order"}
        super().save(*args, **kwargs)


class Target(models.Model):
    """A quantitative target: e.g. 紧密型教育集团 22 个 planned, 16 formed."""

    deed = models.ForeignKey(Deed, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(_("指标"), max_length=60)
    unit_label = models.CharField(_("单位"), max_length=10, blank=True)
    planned = models.DecimalField(_("目标值"), **AMOUNT)
    achieved = models.DecimalField(_("已完成"), default=Decimal(0), **AMOUNT)

    class Meta:
        verbose_name = _("量化目标")
        verbose_name_plural = _("量化目标")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["deed", "name"], name="deed_target_once"),
        ]
        # The dashboard's largest targets: walk the index, not sort every target.
        indexes = [models.Index(fields=["-planned"], name="deed_target_planned_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.achieved}/{self.planned}{self.unit_label}"

    @property
    def percent(self) -> int:
        if not self.planned:
            return 0
        return min(100, round(100 * self.achieved / self.planned))


class Evidence(models.Model):
    """Dated progress with its evidence: a note, optionally a target's new value and a photo."""

    deed = models.ForeignKey(Deed, on_delete=models.CASCADE, related_name="evidence")
    date = models.DateField(_("日期"))
    note = models.TextField(_("进展情况"), max_length=2000)
    target = models.ForeignKey(
        Target,
        verbose_name=_("更新指标"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    value = models.DecimalField(_("指标完成值"), null=True, blank=True, **AMOUNT)
    photo = models.FileField(_("照片"), upload_to="deeds/%Y/%m/", blank=True)
    photo_name = models.CharField(max_length=120, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("进展佐证")
        verbose_name_plural = _("进展佐证")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.deed} {self.date:%Y-%m-%d}"


class StatusChange(models.Model):
    deed = models.ForeignKey(Deed, on_delete=models.CASCADE, related_name="history")
    from_status = models.ForeignKey(
        Status, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("状态变化")
        verbose_name_plural = _("状态变化")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.deed} {self.date:%Y-%m-%d} → {self.to_status}"


class LookBack(models.Model):
    """回头看: the three looks and the conclusion."""

    class Conclusion(models.TextChoices):
        PASS = "pass", _("通过")
        REWORK = "rework", _("回炉返工")

    deed = models.ForeignKey(Deed, on_delete=models.CASCADE, related_name="lookbacks")
    due_on = models.DateField(_("应回头看日期"))
    # 一看事实实不实
    real_need = models.BooleanField(_("解决的是群众急难愁盼"), null=True)
    real_note = models.TextField(_("实不实：核实情况"), blank=True, max_length=2000)
    # 二看效果好不好
    recurrences = models.PositiveSmallIntegerField(_("同地同类问题再次反映（件）"), default=0)
    lasting = models.BooleanField(_("效果持续"), null=True)
    mechanism = models.BooleanField(_("建立长效机制"), null=True)
    lasting_note = models.TextField(_("好不好：效果与机制"), blank=True, max_length=2000)
    # 三看群众乐不乐 (the ratings when the review was concluded)
    ratings = models.PositiveIntegerField(_("有效评价数"), default=0)
    satisfaction = models.DecimalField(
        _("满意率（%）"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    happy_note = models.TextField(_("乐不乐：群众评价"), blank=True, max_length=2000)
    conclusion = models.CharField(_("结论"), max_length=10, choices=Conclusion.choices, blank=True)
    rework_deadline = models.DateField(_("返工完成时限"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("回头看时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("回头看")
        verbose_name_plural = _("回头看")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on", "id"], name="lookback_due_idx")]

    def __str__(self) -> str:
        return f"{self.deed} 回头看 {self.due_on:%Y-%m-%d}"

    @property
    def is_done(self) -> bool:
        return bool(self.conclusion)


class ReworkTask(models.Model):
    lookback = models.ForeignKey(LookBack, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("返工任务"), max_length=120)
    deadline = models.DateField(_("完成时限"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("返工任务")
        verbose_name_plural = _("返工任务")
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return self.title


class PanelMember(models.Model):
    """A member of the citizen review panel (群众评议团), invited by a personal link."""

    name = models.CharField(_("姓名"), max_length=30)
    community = models.CharField(_("所在社区或单位"), max_length=60, blank=True)
    mobile_encrypted = models.TextField(blank=True, editable=False)
    mobile_masked = models.CharField(_("手机号"), max_length=11, blank=True, editable=False)
    token = models.CharField(max_length=32, unique=True, editable=False)
    active = models.BooleanField(_("有效"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评议团成员")
        verbose_name_plural = _("评议团成员")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def mobile(self) -> str:
        return crypto.decrypt(self.mobile_encrypted)

    @mobile.setter
    def mobile(self, value: str) -> None:
        self.mobile_encrypted = crypto.encrypt(value) if value else ""
        self.mobile_masked = mask_mobile(value)


class Level(models.IntegerChoices):
    VERY_GOOD = 5, _("非常满意")
    GOOD = 4, _("满意")
    FAIR = 3, _("基本满意")
    BAD = 2, _("不满意")
    VERY_BAD = 1, _("非常不满意")


BAD_LEVELS = (Level.BAD, Level.VERY_BAD)


class Rating(models.Model):
    class Channel(models.TextChoices):
        PUBLIC = "public", _("公开评价页")
        FIELD = "field", _("实地看")
        ASK = "ask", _("现场问")
        FORUM = "forum", _("座谈议")
        ONLINE = "online", _("网络评")

    deed = models.ForeignKey(Deed, on_delete=models.CASCADE, related_name="ratings")
    level = models.PositiveSmallIntegerField(_("评价"), choices=Level.choices)
    first_level = models.PositiveSmallIntegerField(_("首次评价"), choices=Level.choices)
    comment = models.CharField(_("意见建议"), max_length=500, blank=True)
    channel = models.CharField(_("评价方式"), max_length=10, choices=Channel.choices)
    # Who rated, never shown to the rated units: a keyed hash of the verified phone or of the
    # panel member, unique per deed; the phone itself only encrypted, for the callback.
    rater_key = models.CharField(max_length=64, editable=False)
    panel_member = models.ForeignKey(
        PanelMember, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    mobile_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("评价时间"), auto_now_add=True)
    rerated_at = models.DateTimeField(_("再评价时间"), null=True, blank=True)
    excluded = models.BooleanField(_("申诉成立，不计入统计"), default=False)

    class Meta:
        verbose_name = _("群众评价")
        verbose_name_plural = _("群众评价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deed", "rater_key"], name="rating_once_per_rater"),
        ]

    def __str__(self) -> str:
        return f"{self.deed} {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        return self.first_level in BAD_LEVELS


class Rectification(models.Model):
    """整改 of a bad rating: the responsible unit acts by a working-day deadline, someone calls
    the rater back (回访), and the rater is invited to rate again."""

    class Status(models.TextChoices):
        OPEN = "open", _("整改中")
        DONE = "done", _("已整改")

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="rectification")
    deed = models.ForeignKey(Deed, on_delete=models.CASCADE, related_name="rectifications")
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("整改单位"), on_delete=models.PROTECT, related_name="+"
    )
    opened_on = models.DateField(_("启动日期"))
    deadline = models.DateField(_("整改时限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    action = models.TextField(_("整改措施"), blank=True, max_length=2000)
    done_on = models.DateField(_("整改完成日期"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    callback_on = models.DateField(_("回访日期"), null=True, blank=True)
    callback_note = models.TextField(_("回访情况"), blank=True, max_length=2000)
    callback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rerate_token = models.CharField(max_length=32, unique=True, editable=False)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        ordering = ["deadline", "id"]
        # "整改中" first and the overdue ones (open, deadline before today).
        indexes = [models.Index(fields=["status", "deadline"], name="rectification_status_idx")]

    def __str__(self) -> str:
        return f"{self.deed} 整改"


class Appeal(models.Model):
    """申诉复核 against a rating thought malicious or mistaken."""

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("申诉不成立")

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="appeals")
    reason = models.TextField(_("申诉理由"), max_length=2000)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("申诉时间"))
    decision = models.CharField(_("复核结论"), max_length=10, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("复核意见"), blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申诉复核")
        verbose_name_plural = _("申诉复核")
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.rating} 申诉"


class PhoneCode(models.Model):
    """A one-time code sent to a phone before it may rate (stored hashed, short-lived)."""

    phone_key = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评价验证码")
        verbose_name_plural = _("评价验证码")

    def __str__(self) -> str:
        return f"验证码 {self.created_at:%Y-%m-%d %H:%M}"


class Throttle(models.Model):
    """Fixed-window counters for the public endpoints (per client address, per phone)."""

    key = models.CharField(max_length=120)
    slot = models.BigIntegerField()  # the window's number: epoch seconds // window length
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "slot"], name="throttle_key_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.slot} {self.count}"


class RatingTally(models.Model):
    """Per deed, the counts its figures need: valid ratings per current level, excluded ones,
    bad ones (first rating 不满意 or 非常不满意, not excluded) and those of them rectified.
    A deed's counts are the sums of its rows: usually one (shard 0); a burst of raters of the
    same deed adds rows rather than queueing for one (tally.py).

    Kept by database triggers (migration 0002, `tally.py`) on every insert, update and delete
    of ratings and rectifications, whatever wrote them — the services, the public rating's
    single statement on PostgreSQL, bulk loads — by adding each change's difference, which
    stays right when raters of one deed commit at the same time. The figures of many deeds
    (dashboard, per-unit figures) sum these rows instead of scanning every rating. Never
    written by the application; `tally.recount()` rebuilds them from the ratings."""

    deed = models.ForeignKey(
        Deed,
        on_delete=models.DO_NOTHING,  # the deed's delete trigger removes the rows
        db_constraint=False,  # ratings are deleted before their deed and update the rows
        related_name="tallies",
    )
    shard = models.PositiveSmallIntegerField()
    n_1 = models.IntegerField(default=0)
    n_2 = models.IntegerField(default=0)
    n_3 = models.IntegerField(default=0)
    n_4 = models.IntegerField(default=0)
    n_5 = models.IntegerField(default=0)
    n_excluded = models.IntegerField(default=0)
    n_bad = models.IntegerField(default=0)
    n_fixed = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deed", "shard"], name="rating_tally_deed_shard")
        ]

    def __str__(self) -> str:
        return (
            f"{self.deed_id}/{self.shard}: {self.n_1}/{self.n_2}/{self.n_3}/{self.n_4}/{self.n_5}"
        )
