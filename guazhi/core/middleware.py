from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _

from . import audit
from .models import SiteSettings


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose another language (the language cookie): a browser's
    Accept-Language alone does not switch an organisation department's system to English."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and check_for_language(chosen):
            language = translation.get_supported_language_variant(chosen)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class AuditContextMiddleware:
    """Makes the current request (user, client address) known to audit entries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_request(request)
        try:
            return self.get_response(request)
        finally:
            audit.reset_request(token)


def _to_login(request, message: str):
    messages.warning(request, message)
    url = reverse("core:login")
    if request.method == "GET" and not request.path.startswith("/api/"):
        url += "?" + urlencode({"next": request.get_full_path()})
    if getattr(request, "htmx", False):
        from django.http import HttpResponse

        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


ACTIVITY_RESOLUTION_SECONDS = 60


class IdleTimeoutMiddleware:
    """Logs a session out after the configured minutes without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            idle = SiteSettings.cached().idle_timeout_minutes * 60
            last = request.session.get("last_activity")
            if last is not None and now - last > idle:
                request._logout_reason = "空闲超时自动退出"
                logout(request)
                return _to_login(
                    request,
                    _("您已超过 %(m)d 分钟未操作，为保护数据安全已自动退出，请重新登录。")
                    % {"m": idle // 60},
                )
            # Stored at most once a minute: writing it on every request cost every page a
            # session UPDATE and a commit. The timeout may so end up to a minute early.
            if last is None or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                request.session["last_activity"] = now
        return self.get_response(request)


class AdminSecondFactorMiddleware:
    """Defence in depth: an administrator session without a verified second factor is ended."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.needs_second_factor() and not user.is_verified():
            request._logout_reason = "缺少双因素认证"
            logout(request)
            return _to_login(request, _("该账号需要双因素认证，请重新登录。"))
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.user.is_authenticated:
            # Pages with personal data must not be kept by shared browsers or proxies.
            response.setdefault("Cache-Control", "no-store")
        return response
