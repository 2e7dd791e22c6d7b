"""The only way views and the API reach return records, follow-up evaluations and career
events: they belong to the cadre's home unit (the sending side), and a cadre sees his own."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.cadres.models import Cadre
from guazhi.core.access import scope_for
from guazhi.core.models import Role
from guazhi.programmes.models import Placement

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


# --- placements and cadres seen from the return side ------------------------------------------

ENDED_STATUSES = (Placement.Status.FINISHED, Placement.Status.ENDED_EARLY)


def _home_scoped(user, perm: str, qs: QuerySet, unit_field: str, self_q: Q) -> QuerySet:
    return scope_for(user, perm).filter(qs, unit_field=unit_field, self_q=self_q)


def placements_for(user, perm: str = "returns.view_returnrecord") -> QuerySet[Placement]:
    """Placements (open or ended) whose cadre's home unit is in the scope; a cadre his own.
    The host unit's side does not count here: the return belongs to the sending side."""
    return _home_scoped(
        user,
        perm,
        Placement.objects.all(),
        "cadre__unit",
        Q(cadre__user_id=getattr(user, "pk", None)),
    )


def ended_placements_for(user, perm: str = "returns.view_returnrecord") -> QuerySet[Placement]:
    return placements_for(user, perm).filter(status__in=ENDED_STATUSES)


def access_placement(user, pk, perm: str | None = None) -> Placement:
    qs = placements_for(user).select_related("cadre__unit", "batch__programme", "post", "host_unit")
    return _get(qs, pk, user, perm, placements_for(user, perm) if perm else None)


def cadres_for(user, perm: str = "returns.view_careerevent") -> QuerySet[Cadre]:
    return _home_scoped(
        user, perm, Cadre.objects.all(), "unit", Q(user_id=getattr(user, "pk", None))
    )


def access_cadre(user, pk, perm: str | None = None) -> Cadre:
    qs = cadres_for(user).select_related("unit")
    return _get(qs, pk, user, perm, cadres_for(user, perm) if perm else None)


def scope_covers(scope, user, cadre: Cadre) -> bool:
    """Whether a scope reaches this cadre: his home unit in it, or (only self) himself.
    `cadre.unit` should be loaded (no query then)."""
    if scope.is_none:
        return False
    if scope.kind == Role.Scope.SELF:
        return cadre.user_id is not None and cadre.user_id == getattr(user, "pk", None)
    return scope.covers_unit(cadre.unit)


def covers(user, perm: str, cadre: Cadre) -> bool:
    return scope_covers(scope_for(user, perm), user, cadre)
