"""The only way views, exports and the API reach cadre records.

The home (sending) unit owns a cadre: scopes apply to `Cadre.unit`; a cadre with the "only
self" scope sees the record linked to his own account.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import scope_for

from .models import Cadre


def cadres_for(user, perm: str = "cadres.view_cadre") -> QuerySet[Cadre]:
    scope = scope_for(user, perm)
    return scope.filter(
        Cadre.objects.all(), unit_field="unit", self_q=Q(user_id=getattr(user, "pk", None))
    )


def access_cadre(user, pk, perm: str = "cadres.view_cadre") -> Cadre:
    cadre = cadres_for(user).select_related("unit", "rank").filter(pk=pk).first()
    if cadre is None:
        raise Http404
    if perm != "cadres.view_cadre" and not cadres_for(user, perm).filter(pk=pk).exists():
        raise PermissionDenied
    return cadre


def can(user, perm: str, cadre: Cadre) -> bool:
    return cadres_for(user, perm).filter(pk=cadre.pk).exists()
