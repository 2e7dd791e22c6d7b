"""Reminders (提醒): each app registers a provider that says what is due for whom today;
`guazhi remind` (run daily from cron or a systemd timer) turns them into Notice rows, which
the notice list and the navbar badge show.

A provider is `(today: date) -> Iterable[Due]`. Keys identify a cause (e.g.
"records:week:2026-W47:cadre:12"): a notice is created once per user and key, keeps its read
state across runs, and is deleted once its cause is no longer reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from .models import Notice


@dataclass(frozen=True)
class Due:
    user_id: int
    key: str
    kind: str
    text: str
    url: str = ""
    due_on: date | None = None


PROVIDERS: list[Callable[[date], Iterable[Due]]] = []


@dataclass
class Summary:
    created: int = 0
    kept: int = 0
    removed: int = 0


@transaction.atomic
def remind(today: date) -> Summary:
    wanted: dict[tuple[int, str], Due] = {}
    for provider in PROVIDERS:
        for due in provider(today):
            wanted[(due.user_id, due.key)] = due
    summary = Summary()
    existing = {(n.user_id, n.key): n for n in Notice.objects.all()}
    stale = [n.pk for k, n in existing.items() if k not in wanted]
    summary.removed = Notice.objects.filter(pk__in=stale).delete()[0] if stale else 0
    new = []
    for k, due in wanted.items():
        notice = existing.get(k)
        if notice is None:
            new.append(
                Notice(
                    user_id=due.user_id,
                    key=due.key,
                    kind=due.kind,
                    text=due.text,
                    url=due.url,
                    due_on=due.due_on,
                )
            )
        else:
            if (notice.text, notice.url, notice.due_on) != (due.text, due.url, due.due_on):
                Notice.objects.filter(pk=notice.pk).update(
                    text=due.text, url=due.url, due_on=due.due_on
                )
            summary.kept += 1
    Notice.objects.bulk_create(new, batch_size=1000)
    summary.created = len(new)
    return summary


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notice.objects.filter(user=user, read_at__isnull=True).count()
