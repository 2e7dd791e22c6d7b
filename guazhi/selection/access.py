"""The only way views, exports and the API reach nominations.

A nomination belongs to its nominating (sending) unit: scopes apply to `nominating_unit`, and a
cadre sees his own nominations. Matching a batch needs `selection.match_batch` in the "all"
scope, because an assignment weighs every candidate of the batch against every post.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import require, scope_for
from guazhi.core.models import Role

from . import services
from .models import Nomination


def nominations_for(user, perm: str = "selection.view_nomination") -> QuerySet[Nomination]:
    scope = scope_for(user, perm)
    qs = scope.filter(
        Nomination.objects.all(),
        unit_field="nominating_unit",
        self_q=Q(cadre__user_id=getattr(user, "pk", None)),
    )
    if (
        perm == "selection.view_nomination"
        and not scope_for(user, "selection.review_nomination").is_none
    ):
        # A reviewer also sees what waits for him at his level, e.g. a city officer whose
        # view scope is narrower than the level he acts at.
        qs = qs | Nomination.objects.filter(services.review_queue_q(user))
    return qs


def access_nomination(user, pk, perm: str = "selection.view_nomination") -> Nomination:
    nomination = (
        nominations_for(user)
        .select_related("cadre__unit", "cadre__rank", "batch__programme", "level__role", "post")
        .filter(pk=pk)
        .first()
    )
    if nomination is None:
        raise Http404
    if (
        perm != "selection.view_nomination"
        and not nominations_for(user, perm).filter(pk=pk).exists()
    ):
        raise PermissionDenied
    return nomination


def require_matcher(user) -> None:
    if require(user, "selection.match_batch").kind != Role.Scope.ALL:
        raise PermissionDenied
