"""Nominations and their review levels (逐级推荐、层层把关), and the user's pins and exclusions
for person–post matching (人岗相宜)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.core.models import OrgUnit, Role
from guazhi.programmes.models import Batch, Placement, Post, Programme


class ReviewLevel(models.Model):
    """One level a nomination passes, in order. The levels are data: a programme with two or
    four levels needs no code change."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("选派项目"), on_delete=models.CASCADE, related_name="levels"
    )
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("名称"), max_length=40)
    role = models.ForeignKey(
        Role,
        verbose_name=_("审核角色"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("持有该角色、且数据范围包含推荐单位的用户办理本级"),
    )
    assigns_post = models.BooleanField(
        _("本级确定岗位"),
        default=False,
        help_text=_("综合比选：通过本级前须经人岗匹配确定岗位"),
    )
    needs_document = models.BooleanField(
        _("需登记文号"), default=False, help_text=_("如报中组部审批备案：登记文号和日期")
    )

    class Meta:
        verbose_name = _("审核层级")
        verbose_name_plural = _("审核层级")
        ordering = ["programme", "order"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "order"], name="one_level_per_order")
        ]

    def __str__(self) -> str:
        return self.name


class NominationQuerySet(models.QuerySet):
    def active(self) -> NominationQuerySet:
        return self.filter(status__in=Nomination.ACTIVE_STATUSES)


class Nomination(models.Model):
    """A sending unit's recommendation of a cadre for a batch."""

    class Status(models.TextChoices):
        PENDING = "pending", _("审核中")
        APPROVED = "approved", _("已备案")
        REJECTED = "rejected", _("未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    ACTIVE_STATUSES = (Status.PENDING, Status.APPROVED)

    batch = models.ForeignKey(
        Batch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="nominations"
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="nominations"
    )
    nominating_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("推荐单位"), on_delete=models.PROTECT, related_name="nominations"
    )
    reason = models.TextField(_("推荐理由"), max_length=2000)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    level = models.ForeignKey(
        ReviewLevel,
        verbose_name=_("当前审核层级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("拟任岗位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    fit_score = models.DecimalField(
        _("匹配度"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    document_number = models.CharField(_("备案文号"), max_length=60, blank=True)
    document_date = models.DateField(_("备案日期"), null=True, blank=True)
    placement = models.OneToOneField(
        Placement,
        verbose_name=_("任职记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nomination",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("推荐时间"), auto_now_add=True)

    objects = NominationQuerySet.as_manager()

    class Meta:
        verbose_name = _("推荐人选")
        verbose_name_plural = _("推荐人选")
        ordering = ["-created_at"]
        permissions = [
            ("review_nomination", _("可以审核推荐人选（按审核层级）")),
            ("match_batch", _("可以进行人岗匹配并确定岗位")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "cadre"],
                condition=Q(status__in=["pending", "approved"]),
                name="one_active_nomination_per_batch",
            )
        ]
        indexes = [models.Index(fields=["batch", "status"], name="nomination_batch_status_idx")]

    def __str__(self) -> str:
        return f"{self.cadre} · {self.batch}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class NominationStep(models.Model):
    """Who did what at which level, when, and with what opinion. Never changed."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("推荐")
        APPROVE = "approve", _("通过")
        REJECT = "reject", _("不通过")
        WITHDRAW = "withdraw", _("撤回")
        ASSIGN = "assign", _("确定岗位")
        UNASSIGN = "unassign", _("取消岗位")

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="steps")
    level = models.ForeignKey(
        ReviewLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level_name = models.CharField(_("层级"), max_length=40, blank=True)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    opinion = models.TextField(_("意见"), blank=True, max_length=2000)
    document_number = models.CharField(_("文号"), max_length=60, blank=True)
    document_date = models.DateField(_("日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.level_name} {self.get_action_display()}"


class PairRule(models.Model):
    """A user's pin (must pair) or exclusion (must not pair) for the matching engine."""

    class Kind(models.TextChoices):
        PIN = "pin", _("固定")
        FORBID = "forbid", _("排除")

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="rules")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("类型"), max_length=6, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("匹配约束")
        verbose_name_plural = _("匹配约束")
        constraints = [
            models.UniqueConstraint(fields=["nomination", "post"], name="one_rule_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.nomination.cadre} → {self.post}"
