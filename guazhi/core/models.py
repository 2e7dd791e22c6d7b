"""Organisation tree, users and roles, site settings, the working-day calendar, and the
append-only audit log."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth.models import (
    AbstractUser,
    Permission,
    UserManager,
    _user_has_module_perms,
    _user_has_perm,
)
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .personal import mask_mobile, validate_mobile


class OrgUnitQuerySet(models.QuerySet):
    def subtree_of(self, unit: OrgUnit) -> OrgUnitQuerySet:
        return self.filter(path__startswith=unit.path)


class OrgUnit(models.Model):
    """A node of the organisation tree (市委组织部 → 区委组织部 → units; host units)."""

    class Kind(models.TextChoices):
        ORG_DEPT = "org_dept", _("组织部门")
        SENDING = "sending", _("派出单位")
        HOST = "host", _("接收单位")
        OTHER = "other", _("其他单位")

    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    code = models.CharField(_("单位代码"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    region = models.CharField(_("所在地区"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of primary keys ("/1/4/9/"): "this unit and below" is a prefix match.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织单位")
        verbose_name_plural = _("组织单位")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.pk:
            parent = OrgUnit.objects.get(pk=self.parent_id)
            if parent.path.startswith(self.path or f"/{self.pk}/"):
                raise ValidationError({"parent": _("上级单位不能是本单位或其下级单位")})

    def save(self, *args, **kwargs) -> None:
        old_path = self.path
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        new_path = f"{parent_path}{self.pk}/"
        if new_path != old_path:
            depth = new_path.count("/") - 2
            OrgUnit.objects.filter(pk=self.pk).update(path=new_path, depth=depth)
            if old_path:
                # A move: rewrite the paths of the whole subtree in one pass.
                for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                    child_path = new_path + child.path[len(old_path) :]
                    OrgUnit.objects.filter(pk=child.pk).update(
                        path=child_path, depth=child_path.count("/") - 2
                    )
            self.path, self.depth = new_path, depth

    def ancestors(self) -> list[OrgUnit]:
        ids = [int(part) for part in self.path.strip("/").split("/")[:-1] if part]
        by_id = OrgUnit.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]


class Role(models.Model):
    """A named set of permissions with the data scope they apply in."""

    class Scope(models.TextChoices):
        ALL = "all", _("全部数据")
        SUBTREE = "subtree", _("本单位及下级")
        UNIT = "unit", _("本单位")
        SELF = "self", _("仅本人")

    class Kind(models.TextChoices):
        BUSINESS = "business", _("业务角色")
        SYSADMIN = "sysadmin", _("系统管理员")
        SECADMIN = "secadmin", _("安全管理员")
        AUDITOR = "auditor", _("审计管理员")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices, default=Kind.BUSINESS)
    scope = models.CharField(_("数据范围"), max_length=20, choices=Scope.choices)
    description = models.TextField(_("说明"), blank=True)
    permissions = models.ManyToManyField(Permission, verbose_name=_("权限"), blank=True)
    is_builtin = models.BooleanField(_("内置"), default=False, editable=False)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["kind", "id"]
        permissions = [("assign_role", _("可以为用户分配角色"))]

    def __str__(self) -> str:
        return self.name

    @property
    def is_admin(self) -> bool:
        return self.kind != self.Kind.BUSINESS


SCOPE_ORDER = {
    Role.Scope.SELF: 1,
    Role.Scope.UNIT: 2,
    Role.Scope.SUBTREE: 3,
    Role.Scope.ALL: 4,
}


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="users"
    )
    mobile = models.CharField(_("手机号"), max_length=11, blank=True, validators=[validate_mobile])
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), blank=True, related_name="users")
    failed_login_count = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    objects = UserManager()

    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["unit__path", "username"]
        permissions = [
            ("unlock_user", _("可以解锁被锁定的账号")),
            ("reveal_personal", _("可以查看完整的个人敏感信息（留痕）")),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    # Django's PermissionsMixin lets is_superuser bypass every check; here permissions come
    # only from roles, so the three administrators stay separated.
    def has_perm(self, perm, obj=None) -> bool:
        return self.is_active and _user_has_perm(self, perm, obj)

    def has_module_perms(self, app_label) -> bool:
        return self.is_active and _user_has_module_perms(self, app_label)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    def is_locked(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.locked_until and self.locked_until > now)

    def role_grants(self) -> list[tuple[str, str, frozenset[str]]]:
        """(kind, data scope, permissions as "app.codename") of each of the user's roles,
        read once per request in one query: the backend's permissions, the data scope
        (access.scope_for) and the administrator checks all come from here."""
        cache = getattr(self, "_role_grants", None)
        if cache is None:
            roles: dict[int, tuple[str, str, set[str]]] = {}
            rows = (
                Role.objects.filter(users=self).values_list(
                    "pk",
                    "kind",
                    "scope",
                    "permissions__content_type__app_label",
                    "permissions__codename",
                )
                if self.pk
                else []
            )
            for pk, kind, scope, app, codename in rows:
                perms = roles.setdefault(pk, (kind, scope, set()))[2]
                if codename:
                    perms.add(f"{app}.{codename}")
            cache = [(kind, scope, frozenset(perms)) for kind, scope, perms in roles.values()]
            self._role_grants = cache
        return cache

    def forget_roles(self) -> None:
        """Drop the roles read for this request (after they were changed)."""
        for attr in ("_role_grants", "_role_perm_cache"):
            self.__dict__.pop(attr, None)

    def role_kinds(self) -> set[str]:
        return {kind for kind, _scope, _perms in self.role_grants()}

    @property
    def is_platform_admin(self) -> bool:
        """One of the three separated administrators (三员)."""
        return bool(self.role_kinds() - {Role.Kind.BUSINESS})

    def needs_second_factor(self) -> bool:
        from django_otp import user_has_device

        return self.is_platform_admin or user_has_device(self, confirmed=True)


class SiteSettings(models.Model):
    """Run-time settings the system administrator manages (one row)."""

    site_name = models.CharField(_("系统名称"), max_length=60, default="挂职干部管理平台")
    login_failure_limit = models.PositiveSmallIntegerField(
        _("连续登录失败锁定次数"), default=5, help_text=_("连续失败达到该次数后锁定账号")
    )
    lockout_minutes = models.PositiveSmallIntegerField(_("锁定时长（分钟）"), default=15)
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("空闲超时（分钟）"), default=30, help_text=_("无操作超过该时长后自动退出")
    )

    class Meta:
        verbose_name = _("系统设置")
        verbose_name_plural = _("系统设置")

    def __str__(self) -> str:
        return str(_("系统设置"))

    def clean(self) -> None:
        errors = {}
        if not 3 <= self.login_failure_limit <= 20:
            errors["login_failure_limit"] = _("锁定次数应在 3 到 20 之间")
        if not 1 <= self.lockout_minutes <= 1440:
            errors["lockout_minutes"] = _("锁定时长应在 1 到 1440 分钟之间")
        if not 5 <= self.idle_timeout_minutes <= 240:
            errors["idle_timeout_minutes"] = _("空闲超时应在 5 到 240 分钟之间")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def get(cls) -> SiteSettings:
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj = cls(
                pk=1,
                login_failure_limit=settings.LOGIN_FAILURE_LIMIT,
                lockout_minutes=settings.LOGIN_LOCKOUT_MINUTES,
                idle_timeout_minutes=settings.SESSION_IDLE_MINUTES,
            )
        return obj

    @classmethod
    def cached(cls) -> SiteSettings:
        """For per-request checks: read at most every 30 seconds per process."""
        from django.core.cache import cache

        obj = cache.get("guazhi:site_settings")
        if obj is None:
            obj = cls.get()
            cache.set("guazhi:site_settings", obj, 30)
        return obj

    def save(self, *args, **kwargs) -> None:
        from django.core.cache import cache

        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete("guazhi:site_settings")

    @property
    def lockout_delta(self) -> timedelta:
        return timedelta(minutes=self.lockout_minutes)


WEEKDAY_NAMES = (
    _("星期一"),
    _("星期二"),
    _("星期三"),
    _("星期四"),
    _("星期五"),
    _("星期六"),
    _("星期日"),
)


# Years the calendar accepts: wide enough for any real schedule, narrow enough to catch a
# mistyped year (2062 for 2026 is not caught, 2206 is).
CALENDAR_YEARS = range(2000, 2101)


class CalendarDay(models.Model):
    """An exception to the weekly rule (Monday–Friday work, Saturday and Sunday rest): a public
    holiday on any day, or a make-up working day (调休上班) on a weekend. The system
    administrator enters each year's schedule; `core.workdays` counts with it."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日")
        WORKDAY = "workday", _("调休上班日")

    date = models.DateField(
        _("日期"), unique=True, error_messages={"unique": _("该日期已经登记过，请直接编辑")}
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=40, help_text=_("如“春节”“国庆节调休上班”"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("最后修改人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("最后修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"

    @property
    def weekday_name(self) -> str:
        return str(WEEKDAY_NAMES[self.date.weekday()])

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5

    def clean(self) -> None:
        # A holiday may fall on a weekend (a festival's whole span is entered as one block),
        # but a make-up working day on a weekday changes nothing: most likely a wrong date.
        if self.date and self.kind == self.Kind.WORKDAY and not self.is_weekend:
            raise ValidationError(
                {
                    "kind": _("%(d)s 是%(w)s，本来就是工作日；调休上班日只能登记在星期六或星期日")
                    % {"d": f"{self.date:%Y-%m-%d}", "w": self.weekday_name}
                }
            )
        if self.date and self.date.year not in CALENDAR_YEARS:
            raise ValidationError(
                {
                    "date": _("%(d)s 的年份应在 %(a)d 到 %(b)d 之间")
                    % {
                        "d": f"{self.date:%Y-%m-%d}",
                        "a": CALENDAR_YEARS.start,
                        "b": CALENDAR_YEARS.stop - 1,
                    }
                }
            )
        if not (self.name or "").strip():
            raise ValidationError({"name": _("请填写名称，如“春节”或“国庆节调休上班”")})


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit entry."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能修改")

    def delete(self):
        raise AppendOnlyError("审计日志只能追加，不能删除")

    _raw_delete = delete


class AuditEntry(models.Model):
    """One audited event. Rows are chained: each hash covers the previous row's hash."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        LOGIN = "login", _("登录成功")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出")
        LOCKOUT = "lockout", _("账号锁定")
        UNLOCK = "unlock", _("账号解锁")
        EXPORT = "export", _("导出")
        REVEAL = "reveal", _("查看敏感信息")
        SECURITY = "security", _("安全事件")

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("操作账号"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("客户端地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-seq"]
        permissions = [("export_auditentry", _("可以导出审计日志"))]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()} {self.object_repr}"

    def compute_hash(self) -> str:
        payload = [
            self.seq,
            self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            self.actor_id,
            self.actor_username,
            self.action,
            self.object_type,
            self.object_id,
            self.object_repr,
            self.changes,
            self.message,
            self.ip,
            self.user_agent,
            self.prev_hash,
        ]
        data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(data.encode()).hexdigest()

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AuditPending(models.Model):
    """An entry written by `audit.deferred()` code (the public rating burst): stored in the
    same transaction as the change it records, without taking the chain's head, and moved
    into the chain by the next append or `audit.chain_pending()` (see audit.py)."""

    payload = models.TextField()

    class Meta:
        verbose_name = _("待入链审计记录")

    def __str__(self) -> str:
        return f"pending #{self.pk}"


class AuditHead(models.Model):
    """The end of the chain: locked for every append, so entries are numbered without gaps
    and removing the newest entries is detected too."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.seq}"


class Notice(models.Model):
    """Something due for a user (提醒), written by `guazhi remind` from each app's reminder
    providers; a notice whose cause is gone is removed on the next run."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    key = models.CharField(max_length=120)
    kind = models.CharField(_("类别"), max_length=40)
    text = models.CharField(_("内容"), max_length=300)
    url = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(_("截止日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["read_at", "due_on", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notice_per_key")]

    def __str__(self) -> str:
        return self.text
