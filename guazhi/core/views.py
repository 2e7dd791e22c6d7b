"""Platform pages: login and second factor, home, org units, users, roles, audit log,
site settings, the working-day calendar, personal settings, error pages. Views parse input, call access/services,
render."""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from rest_framework.authtoken.models import Token

from . import access, audit, services, workdays
from .forms import (
    AuditFilter,
    CalendarBulkForm,
    CalendarDayForm,
    LoginForm,
    OrgUnitForm,
    PasswordChangeForm,
    RoleForm,
    SiteSettingsForm,
    TokenForm,
    UnitFilter,
    UserCreateForm,
    UserEditForm,
    UserFilter,
    UserRolesForm,
)
from .models import CALENDAR_YEARS, AuditEntry, CalendarDay, Role, SiteSettings, User

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- login, second factor, logout ---------------------------------------------------------------

PENDING = "pending_2fa_user"


def _finish_login(request, user: User, device=None):
    next_url = request.session.pop("pending_next", None) or reverse("core:home")
    request.session.pop(PENDING, None)
    auth_login(request, user, backend="guazhi.core.backends.RoleBackend")
    if device is not None:
        otp_login(request, device)
    request.session["last_activity"] = timezone.now().timestamp()
    return redirect(next_url)


def login_view(request):
    if request.user.is_authenticated:
        return redirect("core:home")
    form = LoginForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_check(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except services.ServiceError as exc:
            error = str(exc)
        else:
            request.session.cycle_key()
            request.session["pending_next"] = _safe_next(request, reverse("core:home"))
            if not user.needs_second_factor():
                return _finish_login(request, user)
            request.session[PENDING] = user.pk
            request.session["pending_at"] = timezone.now().timestamp()
            if services.confirmed_device(user) is None:
                return redirect("core:otp_setup")
            return redirect("core:otp_verify")
    return render(
        request,
        "core/login.html",
        {"form": form, "error": error, "next": request.GET.get("next", "")},
    )


PENDING_SECONDS = 300


def _pending_user(request) -> User | None:
    """The account whose password was right, for five minutes while it passes the second
    factor."""
    pk = request.session.get(PENDING)
    started = request.session.get("pending_at", 0)
    if not pk or timezone.now().timestamp() - started > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def otp_verify(request):
    user = _pending_user(request)
    if user is None:
        return redirect("core:login")
    device = services.confirmed_device(user)
    if device is None:
        return redirect("core:otp_setup")
    form = TokenForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        allowed, info = device.verify_is_allowed()
        if not allowed:
            # django-otp's throttling: each wrong code doubles the wait before the next try.
            error = _("验证码错误次数过多，请稍等 %(s)d 秒后再试。") % {
                "s": 2 ** max(0, (info or {}).get("failure_count", 1) - 1)
            }
            return render(
                request, "core/otp_verify.html", {"form": form, "error": error, "who": user}
            )
        if device.verify_token(form.cleaned_data["token"].strip()):
            return _finish_login(request, user, device)
        error = _("验证码不正确或已过期，请输入验证器当前显示的 6 位数字。")
        audit.record(
            AuditEntry.Action.LOGIN_FAILED, obj=user, request=request, message="双因素验证码错误"
        )
    return render(request, "core/otp_verify.html", {"form": form, "error": error, "who": user})


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def _device_secret(device) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def otp_setup(request):
    """Enrolment of an authenticator app: during login (pending user) or from the profile."""
    user = request.user if request.user.is_authenticated else _pending_user(request)
    if user is None:
        return redirect("core:login")
    device = services.totp_device_pending(user)
    form = TokenForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except services.ServiceError as exc:
            error = str(exc)
        else:
            if request.user.is_authenticated:
                otp_login(request, device)
                messages.success(request, _("双因素认证已启用。"))
                return redirect("core:profile")
            return _finish_login(request, user, device)
    return render(
        request,
        "core/otp_setup.html",
        {
            "form": form,
            "error": error,
            "who": user,
            "qr_svg": _qr_svg(device.config_url),
            "secret": _device_secret(device),
        },
    )


@require_POST
def logout_view(request):
    auth_logout(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("core:login")


# --- home -------------------------------------------------------------------------------------------


@login_required
def home(request):
    user = request.user
    kinds = user.role_kinds()
    roles = list(user.roles.all())
    cards = []
    if user.has_perm("core.view_orgunit"):
        cards.append(
            {
                "label": _("范围内的单位"),
                "value": access.units_for(user).count(),
                "url": reverse("core:unit_list"),
            }
        )
    if user.has_perm("core.view_user"):
        cards.append(
            {
                "label": _("范围内的用户"),
                "value": access.users_for(user).count(),
                "url": reverse("core:user_list"),
            }
        )
    if "auditor" in kinds:
        cards.append(
            {
                "label": _("今日审计记录"),
                "value": AuditEntry.objects.filter(at__date=timezone.localdate()).count(),
                "url": reverse("core:audit_list"),
            }
        )
    if "sysadmin" in kinds:
        cards.append(
            {
                "label": _("被锁定的账号"),
                "value": User.objects.filter(locked_until__gt=timezone.now()).count(),
                "url": reverse("core:user_list") + "?locked=true",
            }
        )
    from .menu import HOME_CARDS

    for provider in HOME_CARDS:
        cards.extend(provider(user))
    return render(request, "core/home.html", {"roles": roles, "cards": cards})


# --- org units ---------------------------------------------------------------------------------------


@login_required
def unit_list(request):
    units = access.units_for(request.user)
    if not request.user.has_perm("core.view_orgunit"):
        raise PermissionDenied
    filterset = UnitFilter(request.GET or None, queryset=units.select_related("parent"))
    page = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "can_add": request.user.has_perm("core.add_orgunit"),
    }
    if request.htmx:
        return render(request, "core/unit_list.html#results", context)
    return render(request, "core/unit_list.html", context)


@login_required
def unit_detail(request, pk):
    unit = access.access_unit(request.user, pk)
    children = access.units_for(request.user).filter(parent=unit)
    users = (
        access.users_for(request.user).filter(unit=unit)
        if request.user.has_perm("core.view_user")
        else User.objects.none()
    )
    return render(
        request,
        "core/unit_detail.html",
        {
            "unit": unit,
            "ancestors": [
                a
                for a in unit.ancestors()
                if access.units_for(request.user).filter(pk=a.pk).exists()
            ],
            "children": children,
            "users": paginate(request, users),
            "can_change": access.scope_for(request.user, "core.change_orgunit").covers_unit(unit),
        },
    )


@login_required
def unit_create(request):
    scope = access.require(request.user, "core.add_orgunit")
    units = access.units_for(request.user, "core.add_orgunit")
    form = OrgUnitForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        parent = form.cleaned_data["parent"]
        if scope.kind != Role.Scope.ALL and (parent is None or not scope.covers_unit(parent)):
            form.add_error("parent", _("只能在本人管理范围内的单位下新增"))
        else:
            unit = form.save()
            messages.success(request, _("已新增单位“%(n)s”。") % {"n": unit.name})
            return redirect("core:unit_detail", pk=unit.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("新增单位"), "back": reverse("core:unit_list")},
    )


@login_required
def unit_edit(request, pk):
    unit = access.access_unit(request.user, pk, "core.change_orgunit")
    units = access.units_for(request.user, "core.change_orgunit")
    form = OrgUnitForm(request.POST or None, instance=unit, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            form.instance.full_clean()
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form.save()
            messages.success(request, _("已保存。"))
            return redirect("core:unit_detail", pk=unit.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("编辑单位：%(n)s") % {"n": unit.name},
            "back": reverse("core:unit_detail", args=[unit.pk]),
        },
    )


# --- users ----------------------------------------------------------------------------------------------


@login_required
def user_list(request):
    access.require(request.user, "core.view_user")
    users = access.users_for(request.user).prefetch_related("roles")
    filterset = UserFilter(
        request.GET or None, queryset=users, units=access.units_for(request.user)
    )
    page = paginate(request, filterset.qs.distinct())
    context = {
        "filter": filterset,
        "page": page,
        "now": timezone.now(),
        "can_add": request.user.has_perm("core.add_user"),
    }
    if request.htmx:
        return render(request, "core/user_list.html#results", context)
    return render(request, "core/user_list.html", context)


@login_required
def user_detail(request, pk):
    target = access.access_user(request.user, pk)
    return render(
        request,
        "core/user_detail.html",
        {
            "target": target,
            "roles": target.roles.all(),
            "locked": target.is_locked(),
            "can_change": request.user.has_perm("core.change_user")
            and access.users_for(request.user, "core.change_user").filter(pk=pk).exists(),
            "can_unlock": request.user.has_perm("core.unlock_user"),
            "can_reveal": access.users_for(request.user, "core.reveal_personal")
            .filter(pk=pk)
            .exists(),
            "can_assign": request.user.has_perm("core.assign_role") and target != request.user,
        },
    )


@login_required
@require_POST
def user_reveal_mobile(request, pk):
    target = access.access_user(request.user, pk)
    value = services.reveal_mobile(target=target, by=request.user)
    if request.htmx:
        return HttpResponse(value or "—")
    messages.info(request, _("%(n)s 的手机号：%(m)s（本次查看已留痕）") % {"n": target, "m": value})
    return redirect("core:user_detail", pk=pk)


@login_required
def user_create(request):
    access.require(request.user, "core.add_user")
    units = access.units_for(request.user, "core.add_user")
    form = UserCreateForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(by=request.user, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已新增用户“%(n)s”。") % {"n": user})
            return redirect("core:user_detail", pk=user.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("新增用户"), "back": reverse("core:user_list")},
    )


@login_required
def user_edit(request, pk):
    target = access.access_user(request.user, pk, "core.change_user")
    form = UserEditForm(
        request.POST or None,
        instance=target,
        units=access.units_for(request.user, "core.change_user"),
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存。"))
        return redirect("core:user_detail", pk=target.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("编辑用户：%(n)s") % {"n": target},
            "back": reverse("core:user_detail", args=[pk]),
        },
    )


@login_required
@require_POST
def user_unlock(request, pk):
    target = access.access_user(request.user, pk, "core.unlock_user")
    services.unlock_user(target=target, by=request.user)
    messages.success(request, _("已解锁账号“%(n)s”。") % {"n": target})
    return redirect("core:user_detail", pk=pk)


@login_required
def user_roles(request, pk):
    target = access.access_user(request.user, pk, "core.assign_role")
    form = UserRolesForm(request.POST or None, initial={"roles": target.roles.all()})
    if request.method == "POST" and form.is_valid():
        try:
            services.roles_assign(
                target=target, roles=list(form.cleaned_data["roles"]), by=request.user
            )
        except services.ServiceError as exc:
            form.add_error("roles", str(exc))
        else:
            messages.success(request, _("已更新“%(n)s”的角色。") % {"n": target})
            return redirect("core:user_detail", pk=pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("分配角色：%(n)s") % {"n": target},
            "back": reverse("core:user_detail", args=[pk]),
        },
    )


# --- roles -------------------------------------------------------------------------------------------------


@login_required
def role_list(request):
    access.require(request.user, "core.view_role")
    roles = access.roles_for(request.user).prefetch_related("permissions")
    return render(
        request,
        "core/role_list.html",
        {"roles": roles, "can_add": request.user.has_perm("core.add_role")},
    )


@login_required
def role_edit(request, pk=None):
    if pk is None:
        access.require(request.user, "core.add_role")
        role = Role(kind=Role.Kind.BUSINESS, scope=Role.Scope.UNIT)
    else:
        role = access.access_role(request.user, pk, "core.change_role")
    form = RoleForm(
        request.POST or None,
        instance=role,
        initial={"permissions": role.permissions.all() if role.pk else []},
    )
    if role.is_admin:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.role_save(
                role=form.instance,
                permissions=list(form.cleaned_data["permissions"]),
                by=request.user,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("角色已保存。"))
            return redirect("core:role_list")
    title = _("编辑角色：%(n)s") % {"n": role.name} if role.pk else _("新增角色")
    return render(
        request, "core/form.html", {"form": form, "title": title, "back": reverse("core:role_list")}
    )


# --- audit ---------------------------------------------------------------------------------------------------


@login_required
def audit_list(request):
    entries = access.audit_entries_for(request.user)
    audit.chain_pending()
    filterset = AuditFilter(request.GET or None, queryset=entries)
    context = {
        "filter": filterset,
        "page": paginate(request, filterset.qs, 50),
        "can_export": request.user.has_perm("core.export_auditentry"),
    }
    if request.htmx:
        return render(request, "core/audit_list.html#results", context)
    return render(request, "core/audit_list.html", context)


@login_required
def audit_detail(request, pk):
    entry = access.audit_entries_for(request.user).filter(pk=pk).first()
    if entry is None:
        from django.http import Http404

        raise Http404
    return render(request, "core/audit_detail.html", {"entry": entry})


@login_required
def audit_export(request):
    entries = access.audit_entries_for(request.user)
    if not request.user.has_perm("core.export_auditentry"):
        raise PermissionDenied
    filterset = AuditFilter(request.GET or None, queryset=entries)
    qs = filterset.qs
    audit.record(
        AuditEntry.Action.EXPORT,
        object_type="core.auditentry",
        object_repr="审计日志",
        message=f"导出审计日志 {qs.count()} 条，条件：{request.GET.urlencode() or '全部'}",
    )
    response = StreamingHttpResponse(audit.export_rows(qs), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@login_required
@require_POST
def audit_verify(request):
    access.audit_entries_for(request.user)
    result = audit.verify()
    if result.ok:
        messages.success(request, _("审计链完整：已校验 %(n)d 条记录。") % {"n": result.checked})
    else:
        messages.error(request, _("审计链校验失败：%(p)s") % {"p": result.problem})
    return redirect("core:audit_list")


# --- settings and profile -----------------------------------------------------------------------------------


@login_required
def site_settings(request):
    access.require(request.user, "core.change_sitesettings")
    form = SiteSettingsForm(request.POST or None, instance=SiteSettings.get())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("系统设置已保存。"))
        return redirect("core:site_settings")
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("系统设置"), "back": reverse("core:home")},
    )


# --- working-day calendar ------------------------------------------------------------------------


def _calendar_year(request) -> int:
    """The year asked for in ?year=, or this year with a message saying why."""
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "").strip()
    if not raw:
        return this_year
    if raw.isdigit() and int(raw) in CALENDAR_YEARS:
        return int(raw)
    messages.warning(
        request,
        _("年份“%(v)s”无效，应为 %(a)d 到 %(b)d 之间的四位数字；已显示 %(y)d 年。")
        % {
            "v": raw[:20],
            "a": CALENDAR_YEARS.start,
            "b": CALENDAR_YEARS.stop - 1,
            "y": this_year,
        },
    )
    return this_year


def _calendar_url(year: int) -> str:
    return f"{reverse('core:calendar_list')}?year={year}"


@login_required
def calendar_list(request):
    days = access.calendar_days_for(request.user)
    year = _calendar_year(request)
    rows = list(days.filter(date__year=year))
    context = {
        "year": year,
        "days": rows,
        "working_days": workdays.working_days_in_year(year),
        "holidays": sum(1 for d in rows if d.kind == CalendarDay.Kind.HOLIDAY),
        "makeup_days": sum(1 for d in rows if d.kind == CalendarDay.Kind.WORKDAY),
        "previous_year": year - 1 if year - 1 in CALENDAR_YEARS else None,
        "next_year": year + 1 if year + 1 in CALENDAR_YEARS else None,
        "min_year": CALENDAR_YEARS.start,
        "max_year": CALENDAR_YEARS.stop - 1,
        "can_change": request.user.has_perm("core.change_calendarday"),
    }
    return render(request, "core/calendar_list.html", context)


@login_required
def calendar_edit(request, pk=None):
    if pk is None:
        access.require(request.user, "core.change_calendarday")
        day = CalendarDay()
    else:
        day = access.access_calendar_day(request.user, pk)
    form = CalendarDayForm(request.POST or None, instance=day)
    if request.method == "POST" and form.is_valid():
        day = services.calendar_day_save(day=form.instance, by=request.user)
        messages.success(request, _("已保存 %(d)s。") % {"d": day})
        return redirect(_calendar_url(day.date.year))
    back_year = day.date.year if day.pk else timezone.localdate().year
    title = _("编辑工作日历：%(d)s") % {"d": day} if day.pk else _("登记节假日或调休上班日")
    return render(
        request, "core/form.html", {"form": form, "title": title, "back": _calendar_url(back_year)}
    )


@login_required
def calendar_delete(request, pk):
    day = access.access_calendar_day(request.user, pk)
    if request.method == "POST":
        year = day.date.year
        label = str(day)
        services.calendar_day_delete(day=day, by=request.user)
        messages.success(request, _("已删除 %(d)s，这一天恢复按星期计算。") % {"d": label})
        return redirect(_calendar_url(year))
    return render(
        request,
        "core/calendar_confirm_delete.html",
        {"day": day, "back": _calendar_url(day.date.year)},
    )


@login_required
def calendar_bulk(request):
    access.require(request.user, "core.change_calendarday")
    form = CalendarBulkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.calendar_days_import(text=form.cleaned_data["lines"], by=request.user)
        except services.CalendarLinesError as exc:
            for error in exc.errors:
                form.add_error("lines", error)
        else:
            messages.success(
                request,
                _("已录入：新增 %(c)d 天，更新 %(u)d 天，未变 %(s)d 天。")
                % {"c": result.created, "u": result.updated, "s": result.unchanged},
            )
            return redirect(_calendar_url(result.years[0]))
    return render(
        request,
        "core/calendar_bulk.html",
        {"form": form, "back": _calendar_url(timezone.localdate().year)},
    )


@login_required
def profile(request):
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(user=user, password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            form.add_error("new_password", exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。"))
            return redirect("core:profile")
    return render(
        request,
        "core/profile.html",
        {
            "form": form,
            "has_device": services.confirmed_device(user) is not None,
            "token": Token.objects.filter(user=user).first(),
            "new_token": request.session.pop("new_token", None),
        },
    )


@login_required
@require_POST
def otp_disable(request):
    try:
        services.totp_disable(user=request.user)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("双因素认证已关闭。"))
    return redirect("core:profile")


@login_required
@require_POST
def token_regenerate(request):
    try:
        token = services.token_regenerate(user=request.user)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        # Shown once, right after creation; afterwards only its first characters.
        request.session["new_token"] = token.key
    return redirect("core:profile")


@login_required
@require_POST
def token_revoke(request):
    services.token_revoke(user=request.user)
    messages.success(request, _("API 令牌已作废。"))
    return redirect("core:profile")


# --- error pages --------------------------------------------------------------------------------------------


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        # An API client gets the same JSON as DRF's own 404 (e.g. /api/v1/cadres/abc/).
        from rest_framework.exceptions import NotFound

        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("服务器内部错误，请稍后重试或联系系统管理员。")}, status=500
        )
    return render(request, "500.html", status=500)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@transaction.non_atomic_requests
def healthz_json(request):
    """The benchmarks' floor (docs/benchmarks.md): the smallest JSON answer through the whole
    middleware stack, without database work (no request transaction; a session is read only
    when the request carries one)."""
    return JsonResponse({"ok": True})


# --- notices -----------------------------------------------------------------------------------


@login_required
def notice_list(request):
    from .models import Notice

    notices = Notice.objects.filter(user=request.user)
    page = paginate(request, notices)
    return render(request, "core/notice_list.html", {"page": page})


@login_required
@require_POST
def notice_read(request):
    """Mark one notice (`pk`) or all of the user's notices as read; only his own."""
    from .models import Notice

    mine = Notice.objects.filter(user=request.user, read_at__isnull=True)
    if request.POST.get("pk", "").isdigit():
        mine = mine.filter(pk=int(request.POST["pk"]))
    mine.update(read_at=timezone.now())
    return redirect("core:notices")
