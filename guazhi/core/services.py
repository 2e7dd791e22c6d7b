"""Platform workflows: login with lockout, accounts, role assignment, second factor, tokens,
the working-day calendar.

Domain errors are raised as `ServiceError` with a Chinese message for the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from . import audit
from .access import scope_for
from .models import AuditEntry, CalendarDay, OrgUnit, Role, SiteSettings, User
from .roles import ADMIN_ONLY_PERMISSIONS


class ServiceError(Exception):
    """A rule of the platform refused the action; the message is for the user."""


class AccountLocked(ServiceError):
    def __init__(self, until: datetime, limit: int):
        self.until = until
        minutes = max(1, int((until - timezone.now()).total_seconds() + 59) // 60)
        super().__init__(
            _(
                "账号因连续 %(limit)d 次登录失败已被锁定，请在 %(minutes)d 分钟后"
                "（%(time)s 之后）再试，或联系系统管理员解锁。"
            )
            % {
                "limit": limit,
                "minutes": minutes,
                "time": timezone.localtime(until).strftime("%H:%M"),
            }
        )


# --- login -----------------------------------------------------------------------------------------


def login_check(*, request, username: str, password: str) -> User:
    """Check a password login, applying the lockout rule. Does not log the user in."""
    rules = SiteSettings.get()
    username = (username or "").strip()
    user = User.objects.filter(username=username).first()
    now = timezone.now()
    if user is not None and user.is_locked(now):
        audit.record(
            AuditEntry.Action.LOGIN_FAILED,
            obj=user,
            request=request,
            message="账号锁定期间尝试登录",
        )
        raise AccountLocked(user.locked_until, rules.login_failure_limit)
    authed = authenticate(request, username=username, password=password)
    if authed is None:
        if user is not None and user.is_active:
            User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
            user.refresh_from_db(fields=["failed_login_count"])
            if user.failed_login_count >= rules.login_failure_limit:
                until = now + rules.lockout_delta
                User.objects.filter(pk=user.pk).update(locked_until=until, failed_login_count=0)
                audit.record(
                    AuditEntry.Action.LOCKOUT,
                    obj=user,
                    request=request,
                    message=f"连续 {rules.login_failure_limit} 次登录失败，锁定 "
                    f"{rules.lockout_minutes} 分钟",
                )
                raise AccountLocked(until, rules.login_failure_limit)
            left = rules.login_failure_limit - user.failed_login_count
            raise ServiceError(
                _("用户名或密码错误。再失败 %(n)d 次，账号将被锁定 %(m)d 分钟。")
                % {"n": left, "m": rules.lockout_minutes}
            )
        raise ServiceError(_("用户名或密码错误。"))
    if authed.failed_login_count or authed.locked_until:
        User.objects.filter(pk=authed.pk).update(failed_login_count=0, locked_until=None)
        authed.failed_login_count, authed.locked_until = 0, None
    return authed


def unlock_user(*, target: User, by: User) -> None:
    if not by.has_perm("core.unlock_user"):
        raise PermissionDenied
    User.objects.filter(pk=target.pk).update(failed_login_count=0, locked_until=None)
    target.failed_login_count, target.locked_until = 0, None
    audit.record(AuditEntry.Action.UNLOCK, obj=target, actor=by, message="管理员解锁账号")


# --- accounts ------------------------------------------------------------------------------------


def set_password(*, user: User, password: str) -> None:
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()


@transaction.atomic
def user_create(
    *,
    by: User,
    username: str,
    full_name: str,
    unit: OrgUnit,
    password: str,
    email: str = "",
    mobile: str = "",
) -> User:
    if not scope_for(by, "core.add_user").covers_unit(unit):
        raise PermissionDenied
    if User.objects.filter(username=username).exists():
        raise ServiceError(_("用户名“%(u)s”已被使用。") % {"u": username})
    user = User(username=username, full_name=full_name, unit=unit, email=email, mobile=mobile)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    return user


def check_role_combination(roles: list[Role]) -> None:
    """三员分立: an administrator role stands alone — never with another administrator role
    and never with a business role."""
    admin = [r for r in roles if r.is_admin]
    if admin and len(roles) > 1:
        raise ServiceError(
            _("“%(r)s”是管理员角色，不能与其他角色同时授予同一账号（三员分立）。")
            % {"r": admin[0].name}
        )


@transaction.atomic
def roles_assign(*, target: User, roles: list[Role], by: User) -> None:
    if not by.has_perm("core.assign_role"):
        raise PermissionDenied
    if target.pk == by.pk:
        raise ServiceError(_("不能修改自己的角色。"))
    check_role_combination(roles)
    target.roles.set(roles)
    target.forget_roles()


@transaction.atomic
def role_save(*, role: Role, permissions: list, by: User) -> Role:
    if not by.has_perm("core.change_role"):
        raise PermissionDenied
    if role.is_admin:
        raise ServiceError(_("管理员角色的权限由系统固定，不能修改（三员分立）。"))
    names = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
    forbidden = sorted(names & ADMIN_ONLY_PERMISSIONS)
    if forbidden:
        raise ServiceError(_("业务角色不能拥有管理员专属权限：%(p)s") % {"p": "、".join(forbidden)})
    role.save()
    role.permissions.set(permissions)
    return role


def reveal_mobile(*, target: User, by: User) -> str:
    """Show a full mobile number: needs the reveal permission over the target, and is audited."""
    from .access import users_for

    if not users_for(by, "core.reveal_personal").filter(pk=target.pk).exists():
        raise PermissionDenied
    audit.record(
        AuditEntry.Action.REVEAL,
        obj=target,
        actor=by,
        message="查看完整手机号",
        changes={"field": "mobile"},
    )
    return target.mobile


# --- second factor --------------------------------------------------------------------------------


def totp_device_pending(user: User) -> TOTPDevice:
    """The unconfirmed device shown as a QR code until the user confirms a first code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="默认验证器", confirmed=False)
    return device


def totp_confirm(*, user: User, device: TOTPDevice, token: str) -> None:
    if not device.verify_token((token or "").strip()):
        raise ServiceError(_("验证码不正确或已过期，请输入验证器当前显示的 6 位数字。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save()


def totp_disable(*, user: User) -> None:
    if user.is_platform_admin:
        raise ServiceError(_("管理员账号必须使用双因素认证，不能关闭。"))
    for device in TOTPDevice.objects.filter(user=user):
        device.delete()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


# --- API tokens ------------------------------------------------------------------------------------


@transaction.atomic
def token_regenerate(*, user: User) -> Token:
    if user.is_platform_admin:
        # A token would bypass the administrators' mandatory second factor.
        raise ServiceError(_("管理员账号不能使用 API 令牌，请通过网页登录操作。"))
    for old in Token.objects.filter(user=user):
        old.delete()
    return Token.objects.create(user=user)


@transaction.atomic
def token_revoke(*, user: User) -> None:
    for old in Token.objects.filter(user=user):
        old.delete()


# --- working-day calendar ----------------------------------------------------------------------

CALENDAR_MAX_LINES = 1000

# Words accepted for each kind in pasted lines (lower-cased), besides the codes themselves.
CALENDAR_KIND_WORDS = {
    "holiday": CalendarDay.Kind.HOLIDAY,
    "休": CalendarDay.Kind.HOLIDAY,
    "假": CalendarDay.Kind.HOLIDAY,
    "放假": CalendarDay.Kind.HOLIDAY,
    "节假日": CalendarDay.Kind.HOLIDAY,
    "法定节假日": CalendarDay.Kind.HOLIDAY,
    "workday": CalendarDay.Kind.WORKDAY,
    "班": CalendarDay.Kind.WORKDAY,
    "上班": CalendarDay.Kind.WORKDAY,
    "补班": CalendarDay.Kind.WORKDAY,
    "调休上班": CalendarDay.Kind.WORKDAY,
    "调休上班日": CalendarDay.Kind.WORKDAY,
}
_LINE_SPLIT = re.compile(r"[\s,，、;；]+")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass(frozen=True)
class CalendarLine:
    number: int  # line number in the pasted text, from 1
    date: date
    kind: str
    name: str


@dataclass(frozen=True)
class CalendarImportResult:
    created: int
    updated: int
    unchanged: int
    years: tuple[int, ...]  # the years the lines touched, in order


class CalendarLinesError(ServiceError):
    """Some pasted lines are wrong; `errors` names each one (第 N 行：…)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


def _calendar_line_date(word: str) -> date:
    match = _DATE.match(word)
    if match is None:
        raise ValueError(_("日期“%(v)s”格式不对，应写成 2026-10-01") % {"v": word})
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(_("日期“%(v)s”不存在") % {"v": word}) from None


def _calendar_line(number: int, line: str) -> CalendarLine:
    parts = _LINE_SPLIT.split(line, maxsplit=2)
    if len(parts) < 3 or not parts[2].strip():
        raise ValueError(
            _("应有日期、类型和名称三项，如“2026-10-01 holiday 国庆节”，这一行只有 %(n)d 项")
            % {"n": len([p for p in parts if p])}
        )
    word, kind_word, name = parts[0], parts[1], parts[2].strip()
    day = _calendar_line_date(word)
    kind = CALENDAR_KIND_WORDS.get(kind_word.lower())
    if kind is None:
        raise ValueError(
            _("类型“%(v)s”无法识别，应为 holiday（休）或 workday（班）") % {"v": kind_word}
        )
    candidate = CalendarDay(date=day, kind=kind, name=name)
    try:
        candidate.full_clean(exclude=["created_by", "updated_by"], validate_unique=False)
    except ValidationError as exc:
        raise ValueError("；".join(exc.messages)) from None
    return CalendarLine(number, day, kind, name)


def calendar_lines_parse(text: str) -> list[CalendarLine]:
    """Read pasted lines "日期 类型 名称" (类型: holiday/休 or workday/班; blank lines and lines
    starting with # are skipped). Every line is checked; if any is wrong, CalendarLinesError
    names each wrong line by its number and nothing is returned."""
    lines: list[CalendarLine] = []
    errors: list[str] = []
    seen: dict[date, int] = {}
    numbered = list(enumerate((text or "").splitlines(), start=1))
    for number, raw in numbered:
        line = raw.strip().replace("\u3000", " ")
        if not line or line.startswith("#"):
            continue
        try:
            parsed = _calendar_line(number, line)
        except ValueError as exc:
            errors.append(_("第 %(n)d 行“%(l)s”：%(e)s") % {"n": number, "l": line[:40], "e": exc})
            continue
        if parsed.date in seen:
            errors.append(
                _("第 %(n)d 行：日期 %(d)s 与第 %(m)d 行重复")
                % {"n": number, "d": f"{parsed.date:%Y-%m-%d}", "m": seen[parsed.date]}
            )
            continue
        seen[parsed.date] = number
        lines.append(parsed)
    if len(lines) + len(errors) > CALENDAR_MAX_LINES:
        raise CalendarLinesError(
            [_("一次最多录入 %(n)d 行，请分批粘贴") % {"n": CALENDAR_MAX_LINES}]
        )
    if errors:
        raise CalendarLinesError(errors)
    if not lines:
        raise CalendarLinesError(
            [_("没有可录入的行：每行写“日期 类型 名称”，如“2026-10-01 holiday 国庆节”")]
        )
    return lines


@transaction.atomic
def calendar_days_import(*, text: str, by: User) -> CalendarImportResult:
    """Enter pasted calendar lines all or nothing: a date already in the calendar takes the
    line's kind and name. Each row is saved on its own, so each change is audited."""
    if not by.has_perm("core.change_calendarday"):
        raise PermissionDenied
    lines = calendar_lines_parse(text)
    existing = CalendarDay.objects.in_bulk([line.date for line in lines], field_name="date")
    created = updated = unchanged = 0
    for line in lines:
        day = existing.get(line.date)
        if day is None:
            CalendarDay.objects.create(
                date=line.date, kind=line.kind, name=line.name, created_by=by, updated_by=by
            )
            created += 1
        elif (day.kind, day.name) != (line.kind, line.name):
            day.kind, day.name, day.updated_by = line.kind, line.name, by
            day.save()
            updated += 1
        else:
            unchanged += 1
    years = tuple(sorted({line.date.year for line in lines}))
    return CalendarImportResult(created, updated, unchanged, years)


def calendar_day_save(*, day: CalendarDay, by: User) -> CalendarDay:
    """Save one validated calendar day (from the form), recording who entered or changed it."""
    if not by.has_perm("core.change_calendarday"):
        raise PermissionDenied
    if day.pk is None:
        day.created_by = by
    day.updated_by = by
    day.save()
    return day


def calendar_day_delete(*, day: CalendarDay, by: User) -> None:
    if not by.has_perm("core.change_calendarday"):
        raise PermissionDenied
    day.delete()
