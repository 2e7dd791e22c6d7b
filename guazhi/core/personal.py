"""Personal data helpers: normalise, validate and mask (个人信息保护)."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(value: str) -> str:
    """Full-width digits, spaces, dashes and a +86 prefix are common in real input."""
    text = unicodedata.normalize("NFKC", value or "")
    text = re.sub(r"[\s\-()]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    return text


def validate_mobile(value: str) -> None:
    if value and not MOBILE_RE.match(value):
        raise ValidationError(
            _("手机号“%(v)s”格式不正确：应为 1 开头的 11 位数字（第二位为 3–9）。") % {"v": value},
            code="invalid_mobile",
        )


def mask_mobile(value: str) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"
