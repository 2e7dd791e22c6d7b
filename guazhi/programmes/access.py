"""The only way views, exports and the API reach programmes, batches, posts and placements.

Programmes, batches and posts are shared reference data: anyone holding the view permission
sees them all, and changing them needs the change permission with the "all" scope (the city
organisation department runs the programme). Placements belong to two units: the cadre's
sending unit and the host unit; a user sees a placement when either is in his scope, and a
cadre sees his own.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import require, scope_for
from guazhi.core.models import Role

from .models import Batch, Placement, Post, Programme


def _reference(user, perm: str, qs: QuerySet) -> QuerySet:
    return qs.none() if scope_for(user, perm).is_none else qs


def require_manager(user, perm: str) -> None:
    """Programme set-up is the city organisation department's: the "all" scope."""
    if require(user, perm).kind != Role.Scope.ALL:
        raise PermissionDenied


def _get(user, records: QuerySet, pk, perm: str, view_perm: str):
    """Missing or outside the view permission → 404; changing needs the manager's scope."""
    record = records.filter(pk=pk).first()
    if record is None:
        raise Http404
    if perm != view_perm:
        require_manager(user, perm)
    return record


def programmes_for(user) -> QuerySet[Programme]:
    return _reference(user, "programmes.view_programme", Programme.objects.all())


def access_programme(user, pk, perm: str = "programmes.view_programme") -> Programme:
    return _get(user, programmes_for(user), pk, perm, "programmes.view_programme")


def batches_for(user) -> QuerySet[Batch]:
    return _reference(user, "programmes.view_batch", Batch.objects.select_related("programme"))


def access_batch(user, pk, perm: str = "programmes.view_batch") -> Batch:
    return _get(user, batches_for(user), pk, perm, "programmes.view_batch")


def posts_for(user) -> QuerySet[Post]:
    return _reference(
        user, "programmes.view_post", Post.objects.select_related("host_unit", "batch")
    )


def access_post(user, pk, perm: str = "programmes.view_post") -> Post:
    return _get(user, posts_for(user), pk, perm, "programmes.view_post")


def _placement_q(user, perm: str) -> Q | None:
    scope = scope_for(user, perm)
    if scope.is_none:
        return None
    if scope.kind == Role.Scope.ALL:
        return Q()
    if scope.kind == Role.Scope.SELF:
        return Q(cadre__user_id=user.pk)
    if scope.kind == Role.Scope.SUBTREE:
        prefix = scope.unit.path
        return Q(cadre__unit__path__startswith=prefix) | Q(host_unit__path__startswith=prefix)
    return Q(cadre__unit_id=scope.unit.pk) | Q(host_unit_id=scope.unit.pk)


def placements_for(user, perm: str = "programmes.view_placement") -> QuerySet[Placement]:
    q = _placement_q(user, perm)
    if q is None:
        return Placement.objects.none()
    return Placement.objects.filter(q)


def access_placement(user, pk, perm: str = "programmes.view_placement") -> Placement:
    placement = (
        placements_for(user)
        .select_related("cadre__unit", "batch__programme", "post", "host_unit")
        .filter(pk=pk)
        .first()
    )
    if placement is None:
        raise Http404
    if (
        perm != "programmes.view_placement"
        and not placements_for(user, perm).filter(pk=pk).exists()
    ):
        raise PermissionDenied
    return placement


def can_placement(user, perm: str, placement: Placement) -> bool:
    return placements_for(user, perm).filter(pk=placement.pk).exists()


def hosted_cadres_q(user) -> Q | None:
    """Cadres placed (now or before) with a host unit in the user's scope."""
    scope = scope_for(user, "programmes.view_hosted_cadres")
    if scope.is_none:
        return None
    hosted = scope.filter(Placement.objects.all(), unit_field="host_unit")
    return Q(pk__in=hosted.values("cadre_id"))
