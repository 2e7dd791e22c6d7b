"""The only way views and the API reach projects, enterprises, events and everything hanging
on a project (history, task force, tasks, blockers, updates, credits).

Who sees a project (`projects.view_project`):
- the "all" scope: every project;
- a unit scope ("this unit and below", "this unit"): projects whose responsible unit is in it,
  and projects credited to a cadre whose home unit is in it (a sending unit sees what its own
  cadres found or drove);
- everyone holding the permission, whatever the scope: projects he owns, is a task-force
  member of, is credited on, owns a task or a blocker of, and the projects of the batches
  whose work team he leads or deputises.

Who changes a project (`projects.change_project`: stage, tasks, blockers, task force,
credits, notes): the "all" scope; a unit scope covering the responsible unit; the owner; a
cadre leading its task force; the leader or a deputy of its batch's work team.

Enterprises and events are a shared directory: whoever holds the view permission sees all of
them; a contact's full mobile number needs `projects.reveal_contact` and is audited.
Outside the scope → 404; visible but not allowed → 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guazhi.core.access import scope_for
from guazhi.core.models import Role, User
from guazhi.teams.models import WorkTeam

from .models import (
    Blocker,
    Credit,
    Enterprise,
    EnterpriseContact,
    Event,
    Project,
    Task,
    TaskForceMember,
)


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def led_batches(user):
    """Batch ids of the work teams the user leads or deputises (a subquery)."""
    return WorkTeam.objects.filter(Q(leader=user) | Q(deputies=user)).values("batch_id")


def involved_q(user, prefix: str = "") -> Q:
    """Projects the user takes part in personally (as a Q on Project, or on a model that
    reaches a project through `prefix`, e.g. "project__")."""
    pk = getattr(user, "pk", None)
    ids = (
        Q(owner_id=pk)
        | Q(pk__in=TaskForceMember.objects.filter(cadre__user_id=pk).values("project_id"))
        | Q(pk__in=Credit.objects.filter(cadre__user_id=pk).values("project_id"))
        | Q(pk__in=Task.objects.filter(owner_id=pk).values("project_id"))
        | Q(pk__in=Blocker.objects.filter(owner_id=pk).values("project_id"))
        | Q(batch_id__in=led_batches(user))
    )
    if not prefix:
        return ids
    return Q(**{f"{prefix}in": Project.objects.filter(ids).values("pk")})


def _visible_q(user) -> Q | None:
    """None for everything (the "all" scope); a Q on Project otherwise."""
    scope = scope_for(user, "projects.view_project")
    if scope.kind == Role.Scope.ALL:
        return None
    if scope.is_none:
        return Q(pk__in=[])
    q = involved_q(user)
    if scope.kind == Role.Scope.SUBTREE:
        q |= Q(unit__path__startswith=scope.unit.path)
        q |= Q(
            pk__in=Credit.objects.filter(cadre__unit__path__startswith=scope.unit.path).values(
                "project_id"
            )
        )
    elif scope.kind == Role.Scope.UNIT:
        q |= Q(unit_id=scope.unit.pk)
        q |= Q(pk__in=Credit.objects.filter(cadre__unit_id=scope.unit.pk).values("project_id"))
    return q


def projects_for(user) -> QuerySet[Project]:
    if not _active(user):
        return Project.objects.none()
    q = _visible_q(user)
    return Project.objects.all() if q is None else Project.objects.filter(q)


def access_project(user, pk, *, change: bool = False) -> Project:
    project = (
        projects_for(user)
        .select_related("programme", "batch", "enterprise", "unit", "owner", "stage", "found_by")
        .filter(pk=pk)
        .first()
    )
    if project is None:
        raise Http404
    if change and not can_change(user, project):
        raise PermissionDenied
    return project


def _change_q(user) -> Q | None:
    scope = scope_for(user, "projects.change_project")
    if scope.kind == Role.Scope.ALL:
        return None
    if scope.is_none:
        return Q(pk__in=[])
    pk = getattr(user, "pk", None)
    q = (
        Q(owner_id=pk)
        | Q(
            pk__in=TaskForceMember.objects.filter(
                cadre__user_id=pk, role=TaskForceMember.Role.LEAD
            ).values("project_id")
        )
        | Q(batch_id__in=led_batches(user))
    )
    if scope.kind == Role.Scope.SUBTREE:
        q |= Q(unit__path__startswith=scope.unit.path)
    elif scope.kind == Role.Scope.UNIT:
        q |= Q(unit_id=scope.unit.pk)
    return q


def changeable_projects(user) -> QuerySet[Project]:
    """Projects the user may change (a subset of `projects_for`)."""
    if not _active(user):
        return Project.objects.none()
    q = _change_q(user)
    return Project.objects.all() if q is None else Project.objects.filter(q)


def can_change(user, project: Project) -> bool:
    if not _active(user):
        return False
    scope = scope_for(user, "projects.change_project")
    if scope.is_none:
        return False
    if scope.kind == Role.Scope.ALL:
        return True
    if scope.kind in (Role.Scope.SUBTREE, Role.Scope.UNIT) and scope.covers_unit(project.unit):
        return True
    return changeable_projects(user).filter(pk=project.pk).exists()


def can_add(user) -> bool:
    return _active(user) and not scope_for(user, "projects.add_project").is_none


def units_for_new_project(user):
    """Units a new project may be made responsible to: the add permission's scope; a cadre
    (only self) registers leads for his own unit."""
    from guazhi.core.models import OrgUnit

    scope = scope_for(user, "projects.add_project")
    if scope.is_none:
        return OrgUnit.objects.none()
    if scope.kind == Role.Scope.ALL:
        return OrgUnit.objects.exclude(kind=OrgUnit.Kind.HOST)
    if scope.kind == Role.Scope.SUBTREE:
        return OrgUnit.objects.filter(path__startswith=scope.unit.path)
    return OrgUnit.objects.filter(pk=scope.unit.pk)


def cadres_for(user):
    """Cadres a project's task force and credits may name: those the user may see."""
    from guazhi.cadres.access import cadres_for as visible_cadres

    return visible_cadres(user)


# --- things hanging on a project -----------------------------------------------------------


def tasks_for(user) -> QuerySet[Task]:
    return Task.objects.filter(project__in=projects_for(user))


def access_task(user, pk) -> Task:
    task = tasks_for(user).select_related("project__unit", "owner").filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


def can_update_task(user, task: Task) -> bool:
    """Its owner reports progress on it; whoever may change the project manages it."""
    return task.owner_id == getattr(user, "pk", None) or can_change(user, task.project)


def blockers_for(user) -> QuerySet[Blocker]:
    return Blocker.objects.filter(project__in=projects_for(user))


def access_blocker(user, pk) -> Blocker:
    blocker = (
        blockers_for(user)
        .select_related("project__unit", "project__programme", "owner")
        .filter(pk=pk)
        .first()
    )
    if blocker is None:
        raise Http404
    return blocker


def can_work_blocker(user, blocker: Blocker) -> bool:
    """Respond to and resolve: the blocker's owner, or whoever may change the project."""
    return blocker.owner_id == getattr(user, "pk", None) or can_change(user, blocker.project)


def green_channel_for(user) -> QuerySet[Blocker]:
    """Blockers escalated to the green channel, for the organisation department and leaders
    (`projects.view_green_channel`), within the projects they see."""
    if not _active(user) or scope_for(user, "projects.view_green_channel").is_none:
        raise PermissionDenied
    return blockers_for(user).filter(escalated_at__isnull=False)


def sees_green_channel(user) -> bool:
    return _active(user) and not scope_for(user, "projects.view_green_channel").is_none


def members_for(user) -> QuerySet[TaskForceMember]:
    return TaskForceMember.objects.filter(project__in=projects_for(user))


def credits_for(user) -> QuerySet[Credit]:
    return Credit.objects.filter(project__in=projects_for(user))


# --- the shared directory ------------------------------------------------------------------


def enterprises_for(user) -> QuerySet[Enterprise]:
    if not _active(user) or scope_for(user, "projects.view_enterprise").is_none:
        return Enterprise.objects.none()
    return Enterprise.objects.all()


def access_enterprise(user, pk, perm: str | None = None) -> Enterprise:
    enterprise = enterprises_for(user).filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    if perm and scope_for(user, perm).is_none:
        raise PermissionDenied
    return enterprise


def access_contact(user, pk) -> EnterpriseContact:
    contact = (
        EnterpriseContact.objects.filter(enterprise__in=enterprises_for(user))
        .select_related("enterprise")
        .filter(pk=pk)
        .first()
    )
    if contact is None:
        raise Http404
    return contact


def can_reveal_contact(user) -> bool:
    return _active(user) and not scope_for(user, "projects.reveal_contact").is_none


def events_for(user) -> QuerySet[Event]:
    if not _active(user) or scope_for(user, "projects.view_event").is_none:
        return Event.objects.none()
    return Event.objects.all()


def access_event(user, pk, perm: str | None = None) -> Event:
    event = events_for(user).select_related("programme").filter(pk=pk).first()
    if event is None:
        raise Http404
    if perm and scope_for(user, perm).is_none:
        raise PermissionDenied
    return event


def require(user, perm: str) -> None:
    if not _active(user) or scope_for(user, perm).is_none:
        raise PermissionDenied


def owners_for(user) -> QuerySet[User]:
    """Users a project, task or blocker may be given to: active business users (the three
    administrators never own business records)."""
    return User.objects.filter(is_active=True, roles__kind=Role.Kind.BUSINESS).distinct()
