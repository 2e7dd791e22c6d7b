"""Assessment (《挂职干部考核指标》): the indicator library in the six seed dimensions,
personalised plans per placement (versioned, agreed by the cadre, approved by the organisation
department), quarterly routine assessment (平时考核), and 年度/期满 rounds with several raters,
grades, the 优秀 quota and veto rules, freezing and appeals.

Every rule that differs between jurisdictions is data on `Policy` (one per programme)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guazhi.core.versioning import Versioned
from guazhi.programmes.models import Batch, Placement, Post, Programme

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Dimension(models.TextChoices):
    INVESTMENT = "investment", _("推进招商引资")
    PROJECTS = "projects", _("项目落实")
    MINDSET = "mindset", _("转变观念")
    ABILITY = "ability", _("提升能力")
    RESEARCH = "research", _("调研学习")
    ATTITUDE = "attitude", _("工作状态")


class Indicator(models.Model):
    class Kind(models.TextChoices):
        QUANTITATIVE = "quantitative", _("定量")
        QUALITATIVE = "qualitative", _("定性")

    name = models.CharField(_("指标名称"), max_length=60, unique=True)
    dimension = models.CharField(_("维度"), max_length=12, choices=Dimension.choices)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    unit = models.CharField(
        _("单位"), max_length=12, blank=True, help_text=_("定量指标，如 条、个、万元")
    )
    default_target = models.DecimalField(
        _("默认目标值"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(
        _("数据来源"),
        max_length=30,
        blank=True,
        help_text=_("定量指标自动取数的来源；空表示由考核人填报"),
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["dimension", "name"]

    def __str__(self) -> str:
        return self.name


class PlanTemplate(models.Model):
    """Indicators, weights and targets a post's plans start from."""

    name = models.CharField(_("名称"), max_length=60)
    post = models.OneToOneField(
        Post,
        verbose_name=_("岗位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="plan_template",
        help_text=_("空表示通用模板"),
    )

    class Meta:
        verbose_name = _("指标方案模板")
        verbose_name_plural = _("指标方案模板")

    def __str__(self) -> str:
        return self.name


class TemplateItem(models.Model):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(_("权重"), max_digits=5, decimal_places=2, validators=PERCENT)
    target = models.DecimalField(
        _("目标值"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["template", "indicator"], name="one_template_item")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.weight}"


class Plan(Versioned):
    """One version of a cadre's personalised indicator plan. Approved versions are never
    edited: a change makes a new draft version that needs agreement and approval again."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        AGREED = "agreed", _("干部已确认")
        APPROVED = "approved", _("已审定")
        SUPERSEDED = "superseded", _("已被新版本替代")

    placement = models.ForeignKey(
        Placement, verbose_name=_("任职记录"), on_delete=models.PROTECT, related_name="plans"
    )
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    agreed_at = models.DateTimeField(_("干部确认时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("审定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考核指标方案")
        verbose_name_plural = _("考核指标方案")
        ordering = ["placement", "-version"]
        permissions = [("approve_plan", _("可以审定考核指标方案"))]
        constraints = [
            models.UniqueConstraint(fields=["placement", "version"], name="one_plan_version"),
        ]

    def __str__(self) -> str:
        return f"{self.placement.cadre} 指标方案 v{self.version}"


class PlanItem(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(_("权重"), max_digits=5, decimal_places=2, validators=PERCENT)
    target = models.DecimalField(
        _("目标值"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["indicator__dimension", "indicator__name"]
        constraints = [models.UniqueConstraint(fields=["plan", "indicator"], name="one_plan_item")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.weight}"


class Policy(models.Model):
    """A programme's assessment rules (地方实施细则): national defaults, all editable."""

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="assessment_policy"
    )
    # 平时考核
    quarter_good_cap = models.PositiveSmallIntegerField(
        _("平时考核“好”等次上限（%）"),
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=_("空表示不限"),
    )
    # Rater weights (sum 100)
    weight_host = models.PositiveSmallIntegerField(
        _("接收单位评价权重"), default=30, validators=PERCENT
    )
    weight_leader = models.PositiveSmallIntegerField(
        _("工作队评价权重"), default=20, validators=PERCENT
    )
    weight_org = models.PositiveSmallIntegerField(
        _("组织部门评价权重"), default=30, validators=PERCENT
    )
    weight_peer = models.PositiveSmallIntegerField(
        _("民主测评权重"), default=20, validators=PERCENT
    )
    weight_self = models.PositiveSmallIntegerField(_("个人自评权重"), default=0, validators=PERCENT)
    # Final score = indicator part × w + review part × (100 − w)
    weight_indicators = models.PositiveSmallIntegerField(
        _("指标得分在总分中的权重（%）"),
        default=60,
        validators=PERCENT,
        help_text=_("总分 = 指标得分 × 该权重 + 综合评价得分 × (100 − 该权重)"),
    )
    # Grade bands (lower bounds)
    band_excellent = models.DecimalField(
        _("优秀分数线"), max_digits=5, decimal_places=2, default=Decimal("90")
    )
    band_competent = models.DecimalField(
        _("称职分数线"), max_digits=5, decimal_places=2, default=Decimal("70")
    )
    band_basic = models.DecimalField(
        _("基本称职分数线"), max_digits=5, decimal_places=2, default=Decimal("60")
    )
    # 优秀 quota
    excellent_quota = models.PositiveSmallIntegerField(
        _("优秀比例（%）"),
        default=20,
        validators=[MaxValueValidator(25)],
        help_text=_("默认 20%，向下取整；提高到 25% 以内须记录批准"),
    )
    quota_approval = models.CharField(_("提高比例的批准文件"), max_length=120, blank=True)
    # Veto rules
    veto_integrity = models.BooleanField(_("廉洁自律有问题的不得评为优秀"), default=True)
    veto_poor_quarter = models.BooleanField(_("有平时考核“较差”季度的不得评为优秀"), default=True)
    excellent_needs_good_quarters = models.BooleanField(
        _("评为优秀须至少一半季度平时考核为“好”"), default=True
    )

    class Meta:
        verbose_name = _("考核规则")
        verbose_name_plural = _("考核规则")

    def __str__(self) -> str:
        return f"{self.programme} 考核规则"

    def clean(self) -> None:
        errors = {}
        weights = [
            self.weight_host,
            self.weight_leader,
            self.weight_org,
            self.weight_peer,
            self.weight_self,
        ]
        if None not in weights and sum(weights) != 100:
            errors["weight_self"] = _("各评价方权重合计须为 100，当前合计 %(n)s") % {
                "n": sum(weights)
            }
        bands = [self.band_excellent, self.band_competent, self.band_basic]
        if None not in bands and not bands[0] > bands[1] > bands[2]:
            errors["band_basic"] = _("分数线须依次降低：优秀 > 称职 > 基本称职")
        if (self.excellent_quota or 0) > 20 and not (self.quota_approval or "").strip():
            errors["quota_approval"] = _(
                "优秀比例提高到 %(n)s%% 须填写批准文件（默认不超过 20%%）"
            ) % {"n": self.excellent_quota}
        if errors:
            raise ValidationError(errors)


class QuarterResult(models.Model):
    """平时考核: the team leader proposes, the organisation department confirms."""

    class Grade(models.TextChoices):
        GOOD = "好", _("好")
        FAIR = "较好", _("较好")
        AVERAGE = "一般", _("一般")
        POOR = "较差", _("较差")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待确认")
        CONFIRMED = "confirmed", _("已确认")

    placement = models.ForeignKey(
        Placement,
        verbose_name=_("任职记录"),
        on_delete=models.PROTECT,
        related_name="quarter_results",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(
        _("季度"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    grade = models.CharField(_("等次"), max_length=4, choices=Grade.choices)
    note = models.TextField(_("评价意见"), blank=True, max_length=2000)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("平时考核")
        verbose_name_plural = _("平时考核")
        ordering = ["-year", "-quarter"]
        permissions = [("confirm_quarterresult", _("可以确认平时考核"))]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "year", "quarter"], name="one_quarter_result"
            )
        ]

    def __str__(self) -> str:
        return f"{self.placement.cadre} {self.year}Q{self.quarter} {self.grade}"


class Round(models.Model):
    """年度 or 期满 assessment of a batch's placements."""

    class Kind(models.TextChoices):
        ANNUAL = "annual", _("年度考核")
        TERM_END = "term_end", _("期满考核")

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CONFIRMED = "confirmed", _("已确认（冻结）")

    batch = models.ForeignKey(
        Batch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="rounds"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("考核年度"))
    period_start = models.DateField(_("考核期起"))
    period_end = models.DateField(_("考核期止"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("考核轮次")
        verbose_name_plural = _("考核轮次")
        ordering = ["-year", "-created_at"]
        permissions = [("confirm_round", _("可以确认考核结果"))]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "kind", "year"], name="one_round_per_kind_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch} {self.year}年{self.get_kind_display()}"

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.CONFIRMED


GRADES = ["优秀", "称职", "基本称职", "不称职"]


class Entry(models.Model):
    """One assessed cadre in a round: computed scores, the proposed and the decided grade."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entries")
    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, related_name="assessment_entries"
    )
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    self_summary = models.TextField(_("个人总结"), blank=True, max_length=5000)
    indicator_score = models.DecimalField(
        _("指标得分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    review_score = models.DecimalField(
        _("综合评价得分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    final_score = models.DecimalField(
        _("总分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    proposed_grade = models.CharField(_("建议等次"), max_length=4, blank=True)
    grade = models.CharField(
        _("确定等次"), max_length=4, blank=True, choices=[(g, g) for g in GRADES]
    )
    integrity_finding = models.BooleanField(_("廉洁自律有问题"), default=False)
    integrity_note = models.CharField(_("廉洁自律情况说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("考核对象")
        verbose_name_plural = _("考核对象")
        ordering = ["-final_score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "placement"], name="one_entry_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.placement.cadre}"


class IndicatorScore(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="indicator_scores")
    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("完成值"), max_digits=12, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    evidence = models.TextField(_("依据"), blank=True, max_length=5000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "item"], name="one_score_per_item")]

    def __str__(self) -> str:
        return f"{self.item} {self.score}"


class Rating(models.Model):
    """One rater's comprehensive review of one entry (政治表现, 能力作风, 工作实绩, 廉洁自律).
    Peer ratings are anonymous to the cadre: only their average is shown to him."""

    class Rater(models.TextChoices):
        HOST = "host", _("接收单位")
        LEADER = "leader", _("工作队")
        ORG = "org", _("组织部门")
        PEER = "peer", _("民主测评")
        SELF = "self", _("个人自评")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="ratings")
    rater_kind = models.CharField(_("评价方"), max_length=8, choices=Rater.choices)
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    political = models.PositiveSmallIntegerField(
        _("政治表现"), null=True, blank=True, validators=PERCENT
    )
    conduct = models.PositiveSmallIntegerField(
        _("能力作风"), null=True, blank=True, validators=PERCENT
    )
    performance = models.PositiveSmallIntegerField(
        _("工作实绩"), null=True, blank=True, validators=PERCENT
    )
    integrity = models.PositiveSmallIntegerField(
        _("廉洁自律"), null=True, blank=True, validators=PERCENT
    )
    comment = models.TextField(_("评价意见"), blank=True, max_length=2000)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "rater_kind", "rater"], name="one_rating_per_rater"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry} {self.get_rater_kind_display()}"

    @property
    def average(self) -> Decimal | None:
        parts = [self.political, self.conduct, self.performance, self.integrity]
        if any(p is None for p in parts):
            return None
        return Decimal(sum(parts)) / 4


class Appeal(models.Model):
    """申诉: the only way a confirmed (frozen) result changes, with the re-decision recorded."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        UPHELD = "upheld", _("维持原等次")
        CHANGED = "changed", _("改变等次")

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="appeals")
    reason = models.TextField(_("申诉理由"), max_length=2000)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    old_grade = models.CharField(_("原等次"), max_length=4)
    new_grade = models.CharField(_("复核等次"), max_length=4, blank=True)
    decision = models.TextField(_("复核意见"), blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-filed_at"]
        permissions = [("decide_appeal", _("可以复核申诉"))]

    def __str__(self) -> str:
        return f"{self.entry} 申诉"
