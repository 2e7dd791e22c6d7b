"""Data scope: the only way views and API endpoints reach org units, users, roles, the audit
log and the working-day calendar.

A user's scope for a permission is the widest scope among the roles that grant it:
all > this unit and below > this unit > only self. Records outside the scope are reported as
missing (404) so their existence does not leak; records inside the view scope that the user
may not change are refused (403).

Other apps build their access.py on `Scope.filter()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import SCOPE_ORDER, CalendarDay, OrgUnit, Role, User

NONE = "none"


@dataclass(frozen=True)
class Scope:
    kind: str  # one of Role.Scope or NONE
    user: User | None
    unit: OrgUnit | None

    @property
    def is_none(self) -> bool:
        return self.kind == NONE

    def filter(
        self,
        qs: QuerySet,
        *,
        unit_field: str = "unit",
        self_q: Q | None = None,
    ) -> QuerySet:
        """Limit `qs` to this scope. `unit_field` leads from the record to its owning unit;
        `self_q` says which records count as the user's own (for the "only self" scope)."""
        if self.kind == Role.Scope.ALL:
            return qs
        if self.kind == Role.Scope.SUBTREE:
            return qs.filter(**{f"{unit_field}__path__startswith": self.unit.path})
        if self.kind == Role.Scope.UNIT:
            return qs.filter(**{unit_field: self.unit})
        if self.kind == Role.Scope.SELF and self_q is not None:
            return qs.filter(self_q)
        return qs.none()

    def covers_unit(self, unit: OrgUnit) -> bool:
        if self.kind == Role.Scope.ALL:
            return True
        if self.kind == Role.Scope.SUBTREE:
            return unit.path.startswith(self.unit.path)
        if self.kind in (Role.Scope.UNIT, Role.Scope.SELF):
            return unit.pk == self.unit.pk
        return False


def _role_scopes(user: User) -> list[tuple[str, frozenset[str]]]:
    return [(scope, perms) for _kind, scope, perms in user.role_grants()]


def scope_for(user, perm: str) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(NONE, None, None)
    best = None
    for scope, perms in _role_scopes(user):
        if perm in perms and (best is None or SCOPE_ORDER[scope] > SCOPE_ORDER[best]):
            best = scope
    if best is None:
        return Scope(NONE, user, None)
    return Scope(best, user, user.unit)


def require(user, perm: str) -> Scope:
    scope = scope_for(user, perm)
    if scope.is_none:
        raise PermissionDenied
    return scope


# --- org units -----------------------------------------------------------------------------------


def units_for(user, perm: str = "core.view_orgunit") -> QuerySet[OrgUnit]:
    scope = scope_for(user, perm)
    qs = OrgUnit.objects.all()
    if scope.kind == Role.Scope.ALL:
        return qs
    if scope.kind == Role.Scope.SUBTREE:
        return qs.filter(path__startswith=scope.unit.path)
    if scope.kind in (Role.Scope.UNIT, Role.Scope.SELF):
        return qs.filter(pk=scope.unit.pk)
    return qs.none()


def access_unit(user, pk, perm: str = "core.view_orgunit") -> OrgUnit:
    unit = units_for(user).filter(pk=pk).first()
    if unit is None:
        raise Http404
    if perm != "core.view_orgunit" and not scope_for(user, perm).covers_unit(unit):
        raise PermissionDenied
    return unit


# --- users ---------------------------------------------------------------------------------------


def users_for(user, perm: str = "core.view_user") -> QuerySet[User]:
    scope = scope_for(user, perm)
    return scope.filter(User.objects.select_related("unit"), self_q=Q(pk=getattr(user, "pk", None)))


def access_user(user, pk, perm: str = "core.view_user") -> User:
    target = users_for(user).filter(pk=pk).first()
    if target is None:
        raise Http404
    if perm != "core.view_user" and not users_for(user, perm).filter(pk=pk).exists():
        raise PermissionDenied
    return target


def roles_for(user, perm: str = "core.view_role") -> QuerySet[Role]:
    if scope_for(user, perm).is_none:
        return Role.objects.none()
    return Role.objects.all()


def access_role(user, pk, perm: str = "core.view_role") -> Role:
    role = roles_for(user).filter(pk=pk).first()
    if role is None:
        raise Http404
    if perm != "core.view_role" and scope_for(user, perm).is_none:
        raise PermissionDenied
    return role


def audit_entries_for(user):
    from .models import AuditEntry

    if scope_for(user, "core.view_auditentry").is_none:
        raise PermissionDenied
    return AuditEntry.objects.all()


# --- working-day calendar -------------------------------------------------------------------------


def calendar_days_for(user, perm: str = "core.view_calendarday") -> QuerySet[CalendarDay]:
    """The calendar is one for the whole platform (no data scope): all of it or 403."""
    require(user, perm)
    return CalendarDay.objects.all()


def access_calendar_day(user, pk, perm: str = "core.change_calendarday") -> CalendarDay:
    day = calendar_days_for(user, perm).filter(pk=pk).first()
    if day is None:
        raise Http404
    return day
