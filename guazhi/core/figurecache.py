"""Figures kept per viewer until a record behind them changes: the dashboard's overview and
rendered body (dashboard/), the project funnel's rendered body (projects/views.funnel).

A save, delete or many-to-many change through the ORM in a watched app bumps one version
number (`data_changed`, connected in dashboard/apps.py), and every key includes it, so nothing
kept before the edit is served after it. Bulk updates that bypass signals (imports,
seed-scale) are seen when the entry expires: settings.DASHBOARD_CACHE_SECONDS (default 120;
0 turns the cache off). The cache is Django's (CACHES): per worker process by default, so
another worker may serve figures up to that long after an edit it did not see; shared by every
worker and server with Redis (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# The apps whose records the figures count: a save or delete in any of them (and a change of
# roles) makes every cached figure stale at once.
WATCHED_APPS = frozenset({"cadres", "programmes", "projects", "assessment", "deeds", "returns"})
# From core only what changes a scope: units, roles, who holds them, and a user's own record
# (his unit is his scope) except a login's last_login (not the audit log or notices).
WATCHED_MODELS = frozenset(
    {"core.orgunit", "core.role", "core.user_roles", "core.role_permissions", "core.user"}
)
LOGIN_ONLY_FIELDS = frozenset({"last_login"})
VERSION_KEY = "dashboard:version"


def data_changed(sender, **kwargs) -> None:
    """Signal receiver: a new version number, so no cached figure matches."""
    meta = getattr(sender, "_meta", None)
    if meta is None or (
        meta.app_label not in WATCHED_APPS and meta.label_lower not in WATCHED_MODELS
    ):
        return
    update_fields = kwargs.get("update_fields")
    if (
        meta.label_lower == "core.user"
        and update_fields
        and set(update_fields) <= LOGIN_ONLY_FIELDS
    ):
        return
    try:
        cache.incr(VERSION_KEY)  # atomic: two edits at once give two new versions
    except ValueError:  # not set yet, or evicted: a start no earlier key can have used
        cache.set(VERSION_KEY, time.time_ns(), None)


def seconds() -> int:
    return max(settings.DASHBOARD_CACHE_SECONDS, 0)


def key(namespace: str, user, *parts, **filters) -> str:
    """The key of what `namespace` shows `user` under the current version and day, the given
    parts (a language, a query string) and filters (those empty are left out)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY, version)
    words = [str(version), str(user.pk), timezone.localdate().isoformat(), *map(str, parts)]
    words += [f"{k}={filters[k]}" for k in sorted(filters) if filters[k] not in (None, "")]
    return f"{namespace}:" + hashlib.sha256("|".join(words).encode()).hexdigest()


def get_or_build(cache_key: str, build: Callable[[], object]):
    """The value kept under `cache_key`, or `build()` kept there for `seconds()`."""
    timeout = seconds()
    if timeout <= 0:
        return build()
    value = cache.get(cache_key)
    if value is None:
        value = build()
        cache.set(cache_key, value, timeout)
    return value
