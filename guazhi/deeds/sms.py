"""Sending a rating code (评价验证码) by SMS.

There is no real SMS gateway in this project: which one a jurisdiction uses (a carrier's,
a government messaging platform's, a cloud provider's) and its credentials are not known here.
`send_code()` hands the code to the backend named by `settings.GUAZHI_SMS_BACKEND`:

- ``"console"`` (the default): nothing is sent; the code is written to the log at INFO
  (``guazhi.deeds.sms``; the root logger shows INFO only with ``LOG_LEVEL=INFO``), with the
  phone masked. Outside production the public page also shows the code ("演示环境：验证码为
  …"), so the demo can be tried on a phone; in production it never does.
- ``"memory"``: kept in `outbox` (tests).
- a dotted path to a callable ``send(mobile: str, code: str) -> None``: the real gateway,
  written for the deployment. It raises on failure: `send_code` logs the error and raises
  `SendFailed` (a DeedError on the mobile field; the JSON endpoint answers 503).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

from guazhi.core.personal import mask_mobile

from .services import DeedError

log = logging.getLogger(__name__)

outbox: list[tuple[str, str]] = []


def _console(mobile: str, code: str) -> None:
    if settings.PRODUCTION:
        log.warning(
            "未配置短信网关（GUAZHI_SMS_BACKEND），评价验证码无法送达 %s", mask_mobile(mobile)
        )
    log.info("评价验证码 %s → %s（未接短信网关，仅记录日志）", code, mask_mobile(mobile))


def _memory(mobile: str, code: str) -> None:
    outbox.append((mobile, code))


BACKENDS: dict[str, Callable[[str, str], None]] = {"console": _console, "memory": _memory}


def backend_name() -> str:
    return getattr(settings, "GUAZHI_SMS_BACKEND", "") or "console"


class SendFailed(DeedError):
    pass


def send_code(mobile: str, code: str) -> None:
    """Send the one-time rating code to the phone through the configured backend."""
    name = backend_name()
    backend = BACKENDS.get(name) or import_string(name)
    try:
        backend(mobile, code)
    except Exception:
        log.exception("评价验证码短信发送失败（%s → %s）", name, mask_mobile(mobile))
        raise SendFailed("验证码短信发送失败，请稍后再试", "mobile") from None


def shows_code() -> bool:
    """Whether the page may show the code itself (demo and development only, never in
    production whatever the backend)."""
    return not settings.PRODUCTION
