"""Reminder provider (`guazhi.core.notices.PROVIDERS`, run daily by `guazhi remind`):

- a red project (no progress for the programme's red days) → its owner, one notice each;
- the red projects of a batch → the leader and deputies of its work team, one notice per team;
- the red projects in an officer's scope → each holder of `projects.change_project` with the
  "all" or "this unit and below" scope (the organisation departments), one notice each;
- an overdue open task → its owner; an overdue open blocker → its owner;
- blockers waiting on the green channel → each holder of `projects.view_green_channel`, one
  notice with the count in his scope.

Notices disappear on the next run once the project moves, is ended, or the task or blocker is
done (see core.notices)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.urls import reverse

from guazhi.core.access import scope_for
from guazhi.core.models import Role, User
from guazhi.core.notices import Due
from guazhi.teams.models import WorkTeam

from . import services
from .models import Blocker, Light, Project, Task


def _holders(codename: str):
    return (
        User.objects.filter(
            is_active=True,
            roles__permissions__content_type__app_label="projects",
            roles__permissions__codename=codename,
        )
        .select_related("unit")
        .distinct()
    )


def due(today: date):
    notices: list[Due] = []
    red = list(
        services.with_light(Project.objects.active(), today)
        .filter(light=Light.RED)
        .values("pk", "title", "owner_id", "batch_id", "unit__path", "last_progress_on")
    )
    for p in red:
        idle = (today - p["last_progress_on"]).days
        notices.append(
            Due(
                user_id=p["owner_id"],
                key=f"projects:red:{p['pk']}",
                kind="项目红灯",
                text=f"您负责的项目“{p['title']}”已 {idle} 天无进展（红灯），请推进或说明原因终止",
                url=reverse("projects:detail", args=[p["pk"]]),
            )
        )
    by_batch: dict[int, int] = defaultdict(int)
    for p in red:
        if p["batch_id"]:
            by_batch[p["batch_id"]] += 1
    red_url = reverse("projects:list") + "?light=red"
    for team in WorkTeam.objects.filter(batch_id__in=by_batch).prefetch_related("deputies"):
        for user_id in {team.leader_id, *(d.pk for d in team.deputies.all())}:
            notices.append(
                Due(
                    user_id=user_id,
                    key=f"projects:red:batch:{team.batch_id}",
                    kind="项目红灯",
                    text=f"工作队有 {by_batch[team.batch_id]} 个项目亮红灯，请督促推进",
                    url=f"{red_url}&batch={team.batch_id}",
                )
            )
    for user in _holders("change_project"):
        scope = scope_for(user, "projects.change_project")
        if scope.kind == Role.Scope.ALL:
            count = len(red)
        elif scope.kind == Role.Scope.SUBTREE:
            count = sum(1 for p in red if p["unit__path"].startswith(scope.unit.path))
        else:
            continue
        if count:
            notices.append(
                Due(
                    user_id=user.pk,
                    key="projects:red:scope",
                    kind="项目红灯",
                    text=f"范围内有 {count} 个项目亮红灯，请督办",
                    url=red_url,
                )
            )
    for task in Task.objects.filter(status__in=Task.OPEN, deadline__lt=today).values(
        "pk", "title", "owner_id", "deadline", "project_id", "project__title"
    ):
        notices.append(
            Due(
                user_id=task["owner_id"],
                key=f"projects:task:{task['pk']}",
                kind="分工任务逾期",
                text=f"项目“{task['project__title']}”的任务“{task['title']}”已过完成时限",
                url=reverse("projects:detail", args=[task["project_id"]]),
                due_on=task["deadline"],
            )
        )
    open_blockers = Blocker.objects.exclude(status=Blocker.Status.RESOLVED)
    for b in open_blockers.filter(deadline__lt=today).values(
        "pk", "title", "owner_id", "deadline", "project_id", "project__title"
    ):
        notices.append(
            Due(
                user_id=b["owner_id"],
                key=f"projects:blocker:{b['pk']}",
                kind="问题逾期",
                text=f"项目“{b['project__title']}”的问题“{b['title']}”已过解决时限",
                url=reverse("projects:detail", args=[b["project_id"]]),
                due_on=b["deadline"],
            )
        )
    escalated = list(
        open_blockers.filter(status=Blocker.Status.ESCALATED).values_list(
            "project__unit__path", flat=True
        )
    )
    if escalated:
        for user in _holders("view_green_channel"):
            scope = scope_for(user, "projects.view_green_channel")
            if scope.kind == Role.Scope.ALL:
                count = len(escalated)
            elif scope.kind == Role.Scope.SUBTREE:
                count = sum(1 for path in escalated if path.startswith(scope.unit.path))
            else:
                count = (
                    sum(1 for path in escalated if path.startswith(scope.unit.path))
                    if scope.unit
                    else 0
                )
            if count:
                notices.append(
                    Due(
                        user_id=user.pk,
                        key="projects:green",
                        kind="绿色通道",
                        text=f"绿色通道有 {count} 个问题待协调解决",
                        url=reverse("projects:green_channel"),
                    )
                )
    return notices
