"""Daily work records (工作纪实): what a seconded cadre did, day by day, with the team leader's
comment and mark as positive or negative evidence — the facts the assessment later reads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.programmes.models import Placement


class DailyRecord(models.Model):
    class Category(models.TextChoices):
        ENTERPRISE_VISIT = "visit", _("走访企业")
        LEAD = "lead", _("发现项目线索")
        COORDINATION = "coordination", _("协调服务")
        STUDY = "study", _("学习调研")
        MEETING = "meeting", _("会议活动")
        ROUTINE = "routine", _("岗位日常工作")
        OTHER = "other", _("其他")

    class Evidence(models.TextChoices):
        NONE = "", _("未标记")
        POSITIVE = "positive", _("正面实绩")
        NEGATIVE = "negative", _("负面情况")

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="daily_records"
    )
    placement = models.ForeignKey(
        Placement, verbose_name=_("任职"), on_delete=models.PROTECT, related_name="daily_records"
    )
    date = models.DateField(_("日期"))
    category = models.CharField(_("类别"), max_length=14, choices=Category.choices)
    content = models.TextField(_("工作内容"), max_length=4000)
    linked = models.CharField(
        _("关联企业或项目"),
        max_length=120,
        blank=True,
        help_text=_("有则填写，如 北京某某科技有限公司"),
    )
    leader_comment = models.TextField(_("队长点评"), blank=True, max_length=2000)
    evidence = models.CharField(
        _("实绩标记"), max_length=10, choices=Evidence.choices, blank=True, default=""
    )
    commented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("填写时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作纪实")
        verbose_name_plural = _("工作纪实")
        ordering = ["-date", "-id"]
        permissions = [("comment_dailyrecord", _("可以点评工作纪实并标记实绩"))]
        indexes = [
            models.Index(fields=["cadre", "date"], name="record_cadre_date_idx"),
            # The list's order (-date, -id) and its date/week filters over all cadres; the
            # leader's "not yet commented" queue (a partial index: only those rows).
            models.Index(fields=["date", "id"], name="record_date_idx"),
            models.Index(
                fields=["date", "id"],
                condition=models.Q(commented_at__isnull=True),
                name="record_uncommented_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.date:%Y-%m-%d} {self.get_category_display()}"

    @property
    def is_locked(self) -> bool:
        """Once the leader has marked it as evidence, the cadre can no longer change it."""
        return bool(self.evidence)
