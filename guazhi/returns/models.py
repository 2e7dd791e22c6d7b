"""After the placement (返岗): the return to the home unit with the tasks and platforms given
(交任务、搭平台), follow-up evaluations at configured months, and career events (提拔, 重用,
交流, 评先评优) that make the programme's outcome figures."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.programmes.models import Placement


class ReturnRecord(models.Model):
    placement = models.OneToOneField(
        Placement,
        verbose_name=_("任职记录"),
        on_delete=models.PROTECT,
        related_name="return_record",
    )
    returned_on = models.DateField(_("返岗日期"))
    home_post = models.CharField(_("返岗后职务"), max_length=100)
    tasks = models.TextField(_("交任务"), blank=True, max_length=2000)
    platforms = models.TextField(_("搭平台"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("返岗记录")
        verbose_name_plural = _("返岗记录")
        ordering = ["-returned_on"]

    def __str__(self) -> str:
        return f"{self.placement.cadre} {self.returned_on:%Y-%m-%d} 返岗"


class FollowUp(models.Model):
    """A follow-up evaluation due some months after the return."""

    class Result(models.TextChoices):
        GOOD = "good", _("好")
        FAIR = "fair", _("较好")
        AVERAGE = "average", _("一般")
        POOR = "poor", _("较差")

    return_record = models.ForeignKey(
        ReturnRecord, on_delete=models.CASCADE, related_name="follow_ups"
    )
    months = models.PositiveSmallIntegerField(_("返岗后月数"))
    due_on = models.DateField(_("应评价日期"), db_index=True)
    done_on = models.DateField(_("评价日期"), null=True, blank=True)
    result = models.CharField(_("评价结果"), max_length=8, choices=Result.choices, blank=True)
    evaluation = models.TextField(_("评价意见"), blank=True, max_length=2000)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("跟踪评价")
        verbose_name_plural = _("跟踪评价")
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_record", "months"], name="one_follow_up_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.return_record.placement.cadre} 返岗{self.months}个月跟踪评价"


class CareerEvent(models.Model):
    class Kind(models.TextChoices):
        PROMOTED = "promoted", _("提拔")
        REUSED = "reused", _("重用")
        TRANSFERRED = "transferred", _("交流")
        HONOURED = "honoured", _("评先评优")

    # Promotions and reuse are the programme's outcome figure (SPEC §2: 22 promoted or reused).
    OUTCOME_KINDS = (Kind.PROMOTED, Kind.REUSED)

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="career_events"
    )
    placement = models.ForeignKey(
        Placement,
        verbose_name=_("挂职经历"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="career_events",
        help_text=_("该事件所跟踪的那次挂职"),
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("日期"))
    description = models.CharField(_("内容"), max_length=200)
    document_number = models.CharField(_("文号"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("职业发展")
        verbose_name_plural = _("职业发展")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.cadre} {self.date:%Y-%m-%d} {self.get_kind_display()}"
