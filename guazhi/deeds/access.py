"""The only way views and the API reach deeds and what hangs on them (targets, progress,
look-backs, ratings, rectifications, appeals).

Who sees a deed (`deeds.view_deed`): the "all" scope every deed; a unit scope ("this unit and
below", "this unit") the deeds whose responsible unit is in it; the "self" scope (a cadre) the
deeds he is responsible for or registered. Changing (`deeds.change_deed`: progress, targets,
status) follows the same rule with the change permission. A look-back is concluded by a holder
of `deeds.review_deed` whose scope covers the deed; a rectification is worked by
`deeds.change_rectification` over the rectification's unit; an appeal is filed by whoever may
work the rectifications of the deed's unit and decided by a holder of `deeds.decide_appeal`
covering it, never by the one who filed it.

Ratings are shown without any identity of the rater: `rating_rows()` gives level, channel,
comment and dates only. The rater's phone is for the callback: `reveal_rater()` needs
`deeds.reveal_rater` and writes an audit entry. Outside the scope → 404; visible but not
allowed → 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from guazhi.core import audit, crypto
from guazhi.core.access import scope_for
from guazhi.core.models import AuditEntry, Role

from .models import Appeal, Deed, LookBack, Rating, Rectification


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _unit_q(user, perm: str, prefix: str = "") -> Q | None:
    """None for everything; a Q on the responsible unit (through `prefix`) otherwise."""
    scope = scope_for(user, perm)
    if scope.kind == Role.Scope.ALL:
        return None
    if scope.is_none:
        return Q(pk__in=[])
    if scope.kind == Role.Scope.SUBTREE:
        return Q(**{f"{prefix}unit__path__startswith": scope.unit.path})
    if scope.kind == Role.Scope.UNIT:
        return Q(**{f"{prefix}unit_id": scope.unit.pk})
    # self: the deeds he is responsible for or registered
    return Q(**{f"{prefix}cadre__user_id": user.pk}) | Q(**{f"{prefix}created_by_id": user.pk})


def require(user, perm: str) -> None:
    if not _active(user) or scope_for(user, perm).is_none:
        raise PermissionDenied


def deeds_for(user, perm: str = "deeds.view_deed") -> QuerySet[Deed]:
    if not _active(user):
        return Deed.objects.none()
    q = _unit_q(user, perm)
    return Deed.objects.all() if q is None else Deed.objects.filter(q)


def can(user, perm: str, deed: Deed) -> bool:
    return deeds_for(user, perm).filter(pk=deed.pk).exists()


def access_deed(user, pk, *, perm: str | None = None) -> Deed:
    deed = (
        deeds_for(user)
        .select_related("unit", "cadre", "status", "created_by")
        .filter(pk=pk)
        .first()
    )
    if deed is None:
        raise Http404
    if perm and not can(user, perm, deed):
        raise PermissionDenied
    return deed


def can_add(user) -> bool:
    return _active(user) and not scope_for(user, "deeds.add_deed").is_none


def units_for_new(user):
    """The responsible units a user may register a deed for."""
    from guazhi.core.models import OrgUnit

    scope = scope_for(user, "deeds.add_deed")
    qs = OrgUnit.objects.all()
    if scope.kind == Role.Scope.ALL:
        return qs
    if scope.kind == Role.Scope.SUBTREE:
        return qs.filter(path__startswith=scope.unit.path)
    if scope.is_none:
        return qs.none()
    return qs.filter(pk=scope.unit.pk)


# --- look-backs, rectifications, appeals -----------------------------------------------------


def lookbacks_for(user) -> QuerySet[LookBack]:
    if not _active(user):
        return LookBack.objects.none()
    q = _unit_q(user, "deeds.review_deed", "deed__")
    return LookBack.objects.all() if q is None else LookBack.objects.filter(q)


def access_lookback(user, pk) -> LookBack:
    lookback = lookbacks_for(user).select_related("deed__unit", "deed__status").filter(pk=pk)
    lookback = lookback.first()
    if lookback is None:
        if deeds_for(user).filter(lookbacks__pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return lookback


def rectifications_for(user, perm: str = "deeds.change_rectification") -> QuerySet[Rectification]:
    """Rectifications a user may work on (or, with perm="deeds.view_deed", see)."""
    if not _active(user):
        return Rectification.objects.none()
    q = _unit_q(user, perm, "deed__" if perm == "deeds.view_deed" else "")
    return Rectification.objects.all() if q is None else Rectification.objects.filter(q)


def access_rectification(user, pk, *, change: bool = False) -> Rectification:
    rectification = (
        rectifications_for(user, "deeds.view_deed")
        .select_related("deed__unit", "rating", "unit")
        .filter(pk=pk)
        .first()
    )
    if rectification is None:
        raise Http404
    if change and not rectifications_for(user).filter(pk=pk).exists():
        raise PermissionDenied
    return rectification


def appeals_to_decide(user) -> QuerySet[Appeal]:
    if not _active(user):
        return Appeal.objects.none()
    q = _unit_q(user, "deeds.decide_appeal", "rating__deed__")
    qs = Appeal.objects.exclude(filed_by=user)
    return qs if q is None else qs.filter(q)


def can_file_appeal(user, rating: Rating) -> bool:
    if not _active(user) or scope_for(user, "deeds.add_appeal").is_none:
        return False
    return rectifications_for(user).filter(deed=rating.deed_id).exists() or can(
        user, "deeds.change_deed", rating.deed
    )


# --- ratings ---------------------------------------------------------------------------------


def rating_rows(deed: Deed) -> QuerySet:
    """A deed's ratings as the units see them: no rater key, phone or panel member."""
    return deed.ratings.values(
        "pk", "level", "first_level", "comment", "channel", "created_at", "rerated_at", "excluded"
    ).order_by("-created_at", "-pk")


def reveal_rater(user, rating: Rating) -> str:
    """The rater's phone, for the callback (回访): permission-checked in scope and audited."""
    if not can(user, "deeds.reveal_rater", rating.deed):
        raise PermissionDenied
    audit.record(
        AuditEntry.Action.REVEAL,
        object_type=audit.label_of(Rating),
        object_id=rating.pk,
        object_repr=f"{rating.deed} 的评价",
        message="查看评价人手机号用于回访",
    )
    return crypto.decrypt(rating.mobile_encrypted)


def count_of(model, **filters):
    """How many `model` rows hang on each deed of a list, as a subquery: computed for the
    rows of the page only, where a join and GROUP BY multiplied and counted every deed."""
    rows = (
        model.objects.filter(deed=OuterRef("pk"), **filters)
        .order_by()
        .values("deed")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
