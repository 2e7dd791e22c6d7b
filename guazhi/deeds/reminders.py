"""Reminder provider (`guazhi.core.notices.PROVIDERS`, run daily by `guazhi remind`):

- an open rectification → each holder of `deeds.change_rectification` whose scope covers the
  rectifying unit, one notice per rectification (with its working-day deadline);
- look-backs that have fallen due → each holder of `deeds.review_deed`, one notice with the
  count in his scope;
- a deed past its promised date and still open → the responsible cadre's account, if any.

Notices disappear on the next run once the cause is gone (see core.notices)."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from guazhi.core.access import scope_for
from guazhi.core.models import Role, User
from guazhi.core.notices import Due

from .models import Deed, LookBack, Rectification, Status


def _holders(codename: str):
    return (
        User.objects.filter(
            is_active=True,
            roles__permissions__content_type__app_label="deeds",
            roles__permissions__codename=codename,
        )
        .select_related("unit")
        .distinct()
    )


def _covers(user, perm: str, path: str) -> bool:
    scope = scope_for(user, perm)
    if scope.kind == Role.Scope.ALL:
        return True
    if scope.is_none or scope.unit is None:
        return False
    if scope.kind == Role.Scope.SUBTREE:
        return path.startswith(scope.unit.path)
    return path == scope.unit.path


def due(today: date):
    notices: list[Due] = []
    open_rects = list(
        Rectification.objects.filter(status=Rectification.Status.OPEN).values(
            "pk", "deadline", "unit__path", "deed__title"
        )
    )
    if open_rects:
        for user in _holders("change_rectification"):
            for r in open_rects:
                if not _covers(user, "deeds.change_rectification", r["unit__path"]):
                    continue
                late = "，已超期" if r["deadline"] < today else ""
                notices.append(
                    Due(
                        user_id=user.pk,
                        key=f"deeds:rect:{r['pk']}",
                        kind="差评整改",
                        text=f"实事“{r['deed__title']}”收到差评，请于 {r['deadline']:%m-%d} "
                        f"前整改并回访{late}",
                        url=reverse("deeds:rectification", args=[r["pk"]]),
                        due_on=r["deadline"],
                    )
                )
    lookbacks = list(
        LookBack.objects.filter(conclusion="", due_on__lte=today).values_list(
            "deed__unit__path", flat=True
        )
    )
    if lookbacks:
        for user in _holders("review_deed"):
            count = sum(1 for path in lookbacks if _covers(user, "deeds.review_deed", path))
            if count:
                notices.append(
                    Due(
                        user_id=user.pk,
                        key="deeds:lookbacks",
                        kind="回头看",
                        text=f"有 {count} 件已办结的实事到期待回头看",
                        url=reverse("deeds:lookbacks"),
                    )
                )
    for d in Deed.objects.filter(
        status__kind=Status.Kind.OPEN, promised_on__lt=today, cadre__user__isnull=False
    ).values("pk", "title", "promised_on", "cadre__user_id"):
        notices.append(
            Due(
                user_id=d["cadre__user_id"],
                key=f"deeds:overdue:{d['pk']}",
                kind="实事超期",
                text=f"您负责的实事“{d['title']}”已过承诺办结日期 {d['promised_on']:%Y-%m-%d}",
                url=reverse("deeds:detail", args=[d["pk"]]),
                due_on=d["promised_on"],
            )
        )
    return notices
