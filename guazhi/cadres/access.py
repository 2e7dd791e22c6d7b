"""The only way views, exports and the API reach cadre records.

The home (sending) unit owns a cadre: scopes apply to `Cadre.unit`; a cadre with the "only
self" scope sees the record linked to his own account. Apps that build on cadres may widen
what a user *sees* (never what he may change) through EXTRA_VISIBILITY: e.g. a host unit sees
the cadres placed with it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import scope_for
from guazhi.core.models import Role

from .models import Cadre

# Functions (user) -> Q | None, consulted for the view permission only.
EXTRA_VISIBILITY: list[Callable[[object], Q | None]] = []


def cadres_for(user, perm: str = "cadres.view_cadre") -> QuerySet[Cadre]:
    scope = scope_for(user, perm)
    qs = scope.filter(
        Cadre.objects.all(), unit_field="unit", self_q=Q(user_id=getattr(user, "pk", None))
    )
    if perm != "cadres.view_cadre" or scope.kind == Role.Scope.ALL:
        return qs
    extra = [q for q in (f(user) for f in EXTRA_VISIBILITY) if q is not None]
    if not extra:
        return qs
    widened = Q(pk__in=qs.values("pk"))
    for q in extra:
        # As a subquery: a condition through placements would otherwise join them and list a
        # cadre once per matching placement.
        widened |= Q(pk__in=Cadre.objects.filter(q).values("pk"))
    return Cadre.objects.filter(widened)


def access_cadre(user, pk, perm: str = "cadres.view_cadre") -> Cadre:
    cadre = cadres_for(user).select_related("unit", "rank").filter(pk=pk).first()
    if cadre is None:
        raise Http404
    if perm != "cadres.view_cadre" and not cadres_for(user, perm).filter(pk=pk).exists():
        raise PermissionDenied
    return cadre


def can(user, perm: str, cadre: Cadre) -> bool:
    return cadres_for(user, perm).filter(pk=cadre.pk).exists()
