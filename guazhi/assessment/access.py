"""The only way views and the API reach plans, quarterly results, rounds, entries, ratings and
appeals.

A placement's assessment is seen by the same people who see its daily records: the cadre
himself, his team's leader and deputies, the sending side in scope (cadre's home unit), and
the host unit. Running the assessment (indicator library, policies, rounds, confirming) is the
city organisation department's: the "all" scope. A rater sees the ratings he must give — and
nothing of the others' ratings; a cadre never sees who rated him in 民主测评.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import require, scope_for
from guazhi.core.models import Role
from guazhi.programmes.models import Placement
from guazhi.teams.models import WorkTeam

from .models import Appeal, Entry, Plan, QuarterResult, Rating, Round


def require_manager(user, perm: str) -> None:
    if require(user, perm).kind != Role.Scope.ALL:
        raise PermissionDenied


def is_manager(user, perm: str = "assessment.change_round") -> bool:
    return scope_for(user, perm).kind == Role.Scope.ALL


def led_batches(user):
    return WorkTeam.objects.filter(Q(leader=user) | Q(deputies=user)).values("batch_id")


def placement_q(user, perm: str, prefix: str = "") -> Q | None:
    """Placements (through `prefix`) whose assessment the user may see with `perm`;
    None means all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    scope = scope_for(user, perm)
    if scope.kind == Role.Scope.ALL:
        return None
    q = Q(pk__in=[])
    if scope.is_none:
        return q
    q |= Q(**{f"{prefix}cadre__user": user})
    if scope.kind == Role.Scope.SUBTREE:
        q |= Q(**{f"{prefix}cadre__unit__path__startswith": scope.unit.path})
        q |= Q(**{f"{prefix}host_unit__path__startswith": scope.unit.path})
    elif scope.kind == Role.Scope.UNIT:
        q |= Q(**{f"{prefix}cadre__unit": scope.unit}) | Q(**{f"{prefix}host_unit": scope.unit})
    q |= Q(**{f"{prefix}batch_id__in": led_batches(user)})
    return q


def _filtered(qs: QuerySet, q: Q | None) -> QuerySet:
    return qs if q is None else qs.filter(q)


def placements_for(user, perm: str = "assessment.view_plan") -> QuerySet[Placement]:
    return _filtered(Placement.objects.all(), placement_q(user, perm))


def plans_for(user, perm: str = "assessment.view_plan") -> QuerySet[Plan]:
    return _filtered(Plan.objects.all(), placement_q(user, perm, "placement__"))


def access_plan(user, pk) -> Plan:
    plan = (
        plans_for(user)
        .select_related("placement__cadre", "placement__batch__programme")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise Http404
    return plan


def quarter_results_for(user) -> QuerySet[QuarterResult]:
    return _filtered(
        QuarterResult.objects.all(),
        placement_q(user, "assessment.view_quarterresult", "placement__"),
    )


def entries_for(user) -> QuerySet[Entry]:
    q = placement_q(user, "assessment.view_round", "placement__")
    rated = Q(ratings__rater=user) if user is not None and user.is_authenticated else Q(pk__in=[])
    if q is None:
        return Entry.objects.all()
    return Entry.objects.filter(pk__in=Entry.objects.filter(q | rated).values("pk"))


def sees_results(user, cadre_user_id, frozen: bool) -> bool:
    """Review and final scores, the proposed grade and the raters' averages are provisional
    until the round is confirmed: meanwhile only the organisation department sees them, and
    the cadre his own; once confirmed, everyone who sees the entry."""
    return frozen or cadre_user_id == user.pk or is_manager(user)


def entries_of_placements_for(user) -> QuerySet[Entry]:
    """The entries of the placements in the user's assessment scope — not those he can see
    only because he rated them as a reviewer (for printed forms and files)."""
    return _filtered(Entry.objects.all(), placement_q(user, "assessment.view_round", "placement__"))


def access_entry(user, pk) -> Entry:
    entry = (
        entries_for(user)
        .select_related("round__batch__programme", "placement__cadre", "placement__post")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def rounds_for(user) -> QuerySet[Round]:
    if scope_for(user, "assessment.view_round").kind == Role.Scope.ALL:
        return Round.objects.all()
    return Round.objects.filter(pk__in=entries_for(user).values("round_id"))


def access_round(user, pk, *, manage: bool = False) -> Round:
    round_ = rounds_for(user).select_related("batch__programme").filter(pk=pk).first()
    if round_ is None:
        raise Http404
    if manage:
        require_manager(user, "assessment.change_round")
    return round_


def my_ratings(user) -> QuerySet[Rating]:
    """The ratings this user must give (or gave)."""
    if user is None or not user.is_authenticated:
        return Rating.objects.none()
    return Rating.objects.filter(rater=user)


def access_my_rating(user, pk) -> Rating:
    rating = (
        my_ratings(user)
        .select_related("entry__round", "entry__placement__cadre")
        .filter(pk=pk)
        .first()
    )
    if rating is None:
        raise Http404
    return rating


def appeals_for(user) -> QuerySet[Appeal]:
    return Appeal.objects.filter(entry__in=entries_for(user))


def can_see_rater_names(user, entry: Entry) -> bool:
    """Peers are anonymous to the rated cadre; managers see who rated (for follow-up)."""
    return entry.placement.cadre.user_id != getattr(user, "pk", None) and is_manager(user)
