"""The only way views and the API reach daily records (工作纪实).

- A cadre sees and edits only his own records (`records.add_dailyrecord` with the "only self"
  scope: the record's cadre is linked to his account).
- The team leader and deputies see the records of their team's cadres and comment on them.
- The sending side (sending unit, district and city organisation departments) sees its own
  cadres' records through `records.view_dailyrecord` scoped on the cadre's home unit.
- The host unit sees the records of the cadres placed with it (SPEC §3).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import scope_for
from guazhi.core.models import Role
from guazhi.teams.models import WorkTeam

from .models import DailyRecord


def _led_batches(user):
    return WorkTeam.objects.filter(Q(leader=user) | Q(deputies=user)).values("batch_id")


def _visible_q(user, placement: str) -> Q | None:
    """The rule above as a Q, read from a record (`placement="placement__"`) or from a
    placement (`placement=""`); None means everything (the "all" scope)."""
    scope = scope_for(user, "records.view_dailyrecord")
    if scope.kind == Role.Scope.ALL:
        return None
    q = Q(pk__in=[])
    if not scope.is_none:
        q |= Q(cadre__user=user)
        if scope.kind == Role.Scope.SUBTREE:
            q |= Q(cadre__unit__path__startswith=scope.unit.path)
        elif scope.kind == Role.Scope.UNIT:
            q |= Q(cadre__unit=scope.unit)
        q |= Q(**{f"{placement}batch_id__in": _led_batches(user)})
    hosted = scope_for(user, "programmes.view_hosted_cadres")
    if not hosted.is_none:
        q |= Q(**{f"{placement}host_unit__path__startswith": hosted.unit.path})
    return q


def records_for(user) -> QuerySet[DailyRecord]:
    if user is None or not user.is_authenticated or not user.is_active:
        return DailyRecord.objects.none()
    q = _visible_q(user, "placement__")
    return DailyRecord.objects.all() if q is None else DailyRecord.objects.filter(q)


def access_record(user, pk) -> DailyRecord:
    record = records_for(user).select_related("cadre", "placement").filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


def can_edit(user, record: DailyRecord) -> bool:
    """Only the cadre himself, and only until the leader has marked it as evidence."""
    return (
        record.cadre.user_id == user.pk
        and not record.is_locked
        and not scope_for(user, "records.add_dailyrecord").is_none
    )


def can_comment(user, record: DailyRecord) -> bool:
    """The leader or a deputy of the cadre's team, or the "all" scope of the comment
    permission; never on one's own record."""
    if record.cadre.user_id == user.pk:
        return False
    scope = scope_for(user, "records.comment_dailyrecord")
    if scope.is_none:
        return False
    if scope.kind == Role.Scope.ALL:
        return True
    return _led_batches(user).filter(batch_id=record.placement.batch_id).exists()


def require_own_placement(user):
    """The cadre's open placement, where new records go; refused for anyone else."""
    from guazhi.programmes.models import Placement

    if scope_for(user, "records.add_dailyrecord").is_none:
        raise PermissionDenied
    placement = Placement.objects.current().filter(cadre__user=user).select_related("cadre").first()
    if placement is None:
        raise PermissionDenied
    return placement


def led_batches(user):
    """Batch ids of the teams the user leads or deputises (a subquery)."""
    return _led_batches(user)


def leads_a_team(user) -> bool:
    return bool(user and user.is_authenticated) and _led_batches(user).exists()


def record_placements_for(user):
    """Placements whose cadre's records the user may see: the rules of `records_for` read
    from the placement's side, so pages can list the cadres who have written nothing yet."""
    from guazhi.programmes.models import Placement

    if user is None or not user.is_authenticated or not user.is_active:
        return Placement.objects.none()
    q = _visible_q(user, "")
    return Placement.objects.all() if q is None else Placement.objects.filter(q)


def can_view_cadre_records(user, cadre) -> bool:
    return record_placements_for(user).filter(cadre=cadre).exists()


def sees_only_own(user) -> bool:
    """A cadre's view: his own records and nothing else (no team, no unit, no host scope)."""
    scope = scope_for(user, "records.view_dailyrecord")
    return (
        scope.kind == Role.Scope.SELF
        and scope_for(user, "programmes.view_hosted_cadres").is_none
        and not leads_a_team(user)
    )


def can_delete(user, record: DailyRecord) -> bool:
    """As for changing: the cadre himself until the leader has marked it."""
    return can_edit(user, record)


def awaiting_comment(user) -> QuerySet[DailyRecord]:
    """Records of the teams the user leads or deputises that nobody has commented on yet."""
    return records_for(user).filter(
        commented_at__isnull=True, placement__batch_id__in=_led_batches(user)
    )
