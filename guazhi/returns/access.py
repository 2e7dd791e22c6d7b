"""The only way views and the API reach return records, follow-up evaluations and career
events: they belong to the cadre's home unit (the sending side), and a cadre sees his own."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import scope_for

from .models import CareerEvent, FollowUp, ReturnRecord


def _scoped(user, perm: str, qs: QuerySet, cadre_path: str) -> QuerySet:
    scope = scope_for(user, perm)
    return scope.filter(
        qs,
        unit_field=f"{cadre_path}__unit",
        self_q=Q(**{f"{cadre_path}__user_id": getattr(user, "pk", None)}),
    )


def returns_for(user, perm: str = "returns.view_returnrecord") -> QuerySet[ReturnRecord]:
    return _scoped(user, perm, ReturnRecord.objects.all(), "placement__cadre")


def follow_ups_for(user, perm: str = "returns.view_returnrecord") -> QuerySet[FollowUp]:
    return _scoped(user, perm, FollowUp.objects.all(), "return_record__placement__cadre")


def events_for(user, perm: str = "returns.view_careerevent") -> QuerySet[CareerEvent]:
    return _scoped(user, perm, CareerEvent.objects.all(), "cadre")


def _get(qs, pk, user, perm, perm_qs):
    record = qs.filter(pk=pk).first()
    if record is None:
        raise Http404
    if perm is not None and not perm_qs.filter(pk=pk).exists():
        raise PermissionDenied
    return record


def access_return(user, pk, perm: str | None = None) -> ReturnRecord:
    return _get(returns_for(user), pk, user, perm, returns_for(user, perm) if perm else None)


def access_follow_up(user, pk, perm: str | None = None) -> FollowUp:
    return _get(follow_ups_for(user), pk, user, perm, follow_ups_for(user, perm) if perm else None)


def access_event(user, pk, perm: str | None = None) -> CareerEvent:
    return _get(events_for(user), pk, user, perm, events_for(user, perm) if perm else None)
