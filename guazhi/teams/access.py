"""The only way views and the API reach work teams, branches, meetings, attachments and
pairings.

A team's inner work (meetings, minutes, attachments, pairings) is seen by:
- its leader and deputies (they also record meetings and set up pairings);
- its member cadres (a cadre sees his own team; he writes check-ins in his own pairings);
- users whose `teams.view_workteam` scope is "all" (the city organisation department) or
  covers the team's unit.
A district officer or sending unit sees the team only through the cadres of his scope
(their daily records, in records/access.py), not the team's minutes.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import scope_for
from guazhi.core.models import Role

from .models import Attachment, Meeting, Pairing, WorkTeam


def _team_q(user, perm: str = "teams.view_workteam") -> Q | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    scope = scope_for(user, perm)
    if scope.is_none:
        return None
    if scope.kind == Role.Scope.ALL:
        return Q()
    q = Q(leader=user) | Q(deputies=user) | Q(batch__placements__cadre__user=user)
    if scope.kind == Role.Scope.SUBTREE:
        q |= Q(unit__path__startswith=scope.unit.path)
    elif scope.kind == Role.Scope.UNIT:
        q |= Q(unit=scope.unit)
    return q


def teams_for(user, perm: str = "teams.view_workteam") -> QuerySet[WorkTeam]:
    q = _team_q(user, perm)
    if q is None:
        return WorkTeam.objects.none()
    if not q:  # the "all" scope
        return WorkTeam.objects.all()
    return WorkTeam.objects.filter(pk__in=WorkTeam.objects.filter(q).values("pk"))


def managed_teams(user) -> QuerySet[WorkTeam]:
    """Teams the user runs: leader or deputy, or the "all" scope of `teams.change_workteam`."""
    if user is None or not user.is_authenticated:
        return WorkTeam.objects.none()
    if scope_for(user, "teams.change_workteam").kind == Role.Scope.ALL:
        return WorkTeam.objects.all()
    return WorkTeam.objects.filter(
        pk__in=WorkTeam.objects.filter(Q(leader=user) | Q(deputies=user)).values("pk")
    )


def can_manage(user, team: WorkTeam) -> bool:
    return managed_teams(user).filter(pk=team.pk).exists()


def access_team(user, pk, *, manage: bool = False) -> WorkTeam:
    team = (
        teams_for(user).select_related("batch__programme", "unit", "leader").filter(pk=pk).first()
    )
    if team is None:
        raise Http404
    if manage and not can_manage(user, team):
        raise PermissionDenied
    return team


def meetings_for(user) -> QuerySet[Meeting]:
    return Meeting.objects.filter(team__in=teams_for(user))


def access_meeting(user, pk, *, manage: bool = False) -> Meeting:
    meeting = meetings_for(user).select_related("team__batch").filter(pk=pk).first()
    if meeting is None:
        raise Http404
    if manage and not can_manage(user, meeting.team):
        raise PermissionDenied
    return meeting


def access_attachment(user, pk) -> Attachment:
    attachment = Attachment.objects.filter(meeting__in=meetings_for(user), pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


def pairings_for(user) -> QuerySet[Pairing]:
    return Pairing.objects.filter(team__in=teams_for(user))


def access_pairing(user, pk) -> Pairing:
    pairing = pairings_for(user).select_related("team").filter(pk=pk).first()
    if pairing is None:
        raise Http404
    return pairing


def can_check_in(user, pairing: Pairing) -> bool:
    """Either side of the pair writes check-ins (through his own cadre record)."""
    return pairing.status == Pairing.Status.ACTIVE and pairing.members.filter(user=user).exists()


def led_teams(user) -> QuerySet[WorkTeam]:
    """Teams the user leads himself (leader or deputy), whatever his scope."""
    if user is None or not user.is_authenticated:
        return WorkTeam.objects.none()
    return WorkTeam.objects.filter(
        pk__in=WorkTeam.objects.filter(Q(leader=user) | Q(deputies=user)).values("pk")
    )


def team_cadres_q(user):
    """Cadres of the teams the user leads or deputises (registered into
    cadres.access.EXTRA_VISIBILITY: a team leader sees his team's profiles, never edits)."""
    from django.db.models import Q

    if user is None or not user.is_authenticated:
        return None
    batches = WorkTeam.objects.filter(Q(leader=user) | Q(deputies=user)).values("batch_id")
    return Q(placements__batch_id__in=batches)
