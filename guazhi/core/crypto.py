"""Encryption at rest for personal fields (ID numbers, mobile numbers).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the `cryptography`
package). FIELD_ENCRYPTION_KEYS holds one or more keys: the first encrypts, all decrypt, so a
key can be rotated by putting a new key first and running `guazhi rotate-keys`, which
re-encrypts every stored value with it; the old key can then be removed.

Exact-match lookups (finding a cadre by ID number on re-import) use a keyed hash (HMAC-SHA256
with FIELD_HASH_KEY), which does not change when the encryption keys rotate.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("未配置 FIELD_ENCRYPTION_KEYS")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS 中的密钥格式不正确（应为 Fernet 密钥，32 字节的 URL 安全 base64）"
        ) from exc


def reset_cache() -> None:
    _fernet.cache_clear()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "无法解密个人信息字段：密钥不匹配（检查 FIELD_ENCRYPTION_KEYS）"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt with the primary key (no-op for empty values)."""
    if not token:
        return ""
    return _fernet().rotate(token.encode()).decode()


def blind_index(value: str) -> str:
    if not value:
        return ""
    key = settings.FIELD_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
