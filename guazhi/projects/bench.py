"""Projects benchmark (issue 7: at 20,000 projects with 200,000 stage-history rows, the board
and the funnel answer in under 200 ms server time with a query count that does not grow with
the data).

The data is written in bulk: projects spread over the six default stages (one in eight ended),
ten history rows each (the moves forward, then moves back and forth or ends and reopenings),
progress dates over the last five months so every light colour occurs, a task and a blocker on
one project in four, and credits to 200 cadres. The pages are measured at a tenth of the size
and at full size, through Django's test client, for an org-department officer (the "all"
scope) and a district officer (a unit subtree: the scope's subqueries on credits, task-force
members, tasks and blockers are part of every query)."""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guazhi.cadres import bench as cadre_bench
from guazhi.cadres.models import Cadre
from guazhi.core.models import OrgUnit, Role, User
from guazhi.programmes.models import Batch, Programme

from . import access, services
from .models import Blocker, Credit, Project, Sector, StageChange, Task

HISTORY_ROWS = 10
DISTRICTS = ["和平区", "沈河区", "浑南区", "铁西区", "皇姑区", "大东区", "于洪区", "沈北新区"]


def _user(username: str, unit: OrgUnit, role: str) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"full_name": username, "unit": unit}
    )
    user.roles.set([Role.objects.get(code=role)])
    return user


def _setup(rng: random.Random):
    units = cadre_bench._units()
    root = units[0].parent
    programme = Programme.objects.create(name=f"基准合作项目{time.time_ns()}", owner_unit=root)
    batches = [
        Batch.objects.create(
            programme=programme,
            number=i,
            start=date(2022 + i, 3, 1),
            end=date(2023 + i, 3, 1),
            quota=50,
        )
        for i in (1, 2, 3, 4)
    ]
    before = set(Cadre.objects.values_list("pk", flat=True))
    cadre_bench._bulk_cadres(200, units, seed=77)
    cadres = list(Cadre.objects.exclude(pk__in=before).select_related("unit"))
    officer = _user("bench_org", root, "org_officer")
    district = _user("bench_district", units[3], "district_officer")
    owners = [_user(f"bench_owner{i}", units[i], "cadre") for i in range(8)]
    return programme, batches, cadres, units, officer, district, owners


def _history(project: Project, stages, last_order: int, ended: bool, want: int, rng, by):
    """About `want` history rows: create, the moves forward to `last_order`, then moves back
    and forth (or ends and reopenings for a project still at its first stage); `ended` makes
    the last row a termination. A project below 洽谈 cannot make an odd number of extra rows
    and writes one fewer. Sets the project's stage fields from them."""
    rows, day = [], project.found_on
    entered, stage = day, stages[0]
    rows.append(StageChange(project=project, kind="create", to_stage=stage, date=day, by=by))

    def move(kind, to, days=None):
        nonlocal day, entered, stage
        day = day + timedelta(days=days or rng.randint(3, 30))
        rows.append(
            StageChange(
                project=project,
                kind=kind,
                from_stage=stage,
                to_stage=to,
                date=day,
                days_in_from=None if kind == "reopen" else (day - entered).days,
                note="基准" if kind in ("back", "terminate", "reopen") else "",
                reason="其他" if kind == "terminate" else "",
                by=by,
            )
        )
        if kind != "terminate":
            entered, stage = day, to

    for order in range(1, last_order):
        move("advance", stages[order], rng.randint(5, 60))
    spare = want - len(rows) - (1 if ended else 0)
    if spare % 2 and last_order >= 3:  # back two stages, then forward twice
        move("back", stages[last_order - 3])
        move("advance", stages[last_order - 2])
        move("advance", stages[last_order - 1])
        spare -= 3
    for _pair in range(spare // 2):
        if last_order > 1:
            move("back", stages[last_order - 2])
            move("advance", stages[last_order - 1])
        else:
            move("terminate", stage)
            move("reopen", stage)
    if ended:
        move("terminate", stage)
    project.stage = stage
    project.stage_entered_on = entered
    project.reached_order = last_order
    project.is_finished = last_order == len(stages) and not ended
    project.status = Project.Status.TERMINATED if ended else Project.Status.ACTIVE
    project.terminated_on = day if ended else None
    project.terminated_reason = "其他" if ended else ""
    return rows, day


def _fill(n: int, programme, batches, cadres, units, owners, rng: random.Random) -> None:
    stages = services.stages_for(programme)
    today = timezone.localdate()
    projects, histories, debt = [], [], 0
    for i in range(n):
        owner = rng.choice(owners)
        cadre = rng.choice(cadres)
        found = today - timedelta(days=rng.randint(700, 1400))  # history ends before today
        last_order = rng.choices(range(1, 7), weights=[25, 15, 25, 12, 13, 10])[0]
        project = Project(
            programme=programme,
            batch=rng.choice(batches),
            title=f"基准项目{i}",
            sector=rng.choice(Sector.values),
            district=rng.choice(DISTRICTS),
            unit=rng.choice(units),
            found_by=cadre,
            found_on=found,
            channel=Project.Channel.VISIT,
            planned_amount=Decimal(rng.randint(500, 50000)),
            owner=owner,
            created_by=owner,
        )
        rows, last_day = _history(
            project, stages, last_order, rng.random() < 0.12, HISTORY_ROWS + debt, rng, owner
        )
        debt = HISTORY_ROWS + debt - len(rows)
        if project.reached_order >= 4:
            project.signed_on, project.signed_amount = found, project.planned_amount
        if project.reached_order >= 5:
            project.landed_on, project.landed_amount = found, project.planned_amount / 2
            project.landing_form = Project.LandingForm.REGISTERED
        if project.reached_order >= 6:
            project.production_on = found
        project.last_progress_on = max(
            min(last_day, today), today - timedelta(days=rng.randint(0, 150))
        )
        projects.append(project)
        histories.append(rows)
    with transaction.atomic():
        Project.objects.bulk_create(projects, batch_size=1000)
        StageChange.objects.bulk_create(
            (row for rows in histories for row in rows), batch_size=2000
        )
        credits, tasks, blockers = [], [], []
        for project in projects:
            credits.append(
                Credit(
                    project=project,
                    cadre=project.found_by,
                    role=Credit.Role.FOUND,
                    created_by=project.owner,
                )
            )
            if rng.random() < 0.25:
                tasks.append(
                    Task(
                        project=project,
                        title="基准任务",
                        owner=rng.choice(owners),
                        deadline=today + timedelta(days=rng.randint(-20, 20)),
                        created_by=project.owner,
                    )
                )
                blockers.append(
                    Blocker(
                        project=project,
                        title="基准问题",
                        owner=rng.choice(owners),
                        deadline=today + timedelta(days=rng.randint(-10, 10)),
                        raised_by=project.owner,
                        raised_at=timezone.now() - timedelta(days=rng.randint(1, 60)),
                    )
                )
        Credit.objects.bulk_create(credits, batch_size=2000)
        Task.objects.bulk_create(tasks, batch_size=2000)
        Blocker.objects.bulk_create(blockers, batch_size=2000)
    if connection.vendor == "postgresql":
        # Fresh planner statistics, as autovacuum keeps them on a live database: PostgreSQL
        # plans the scope's subqueries from them. (SQLite, the embedded default, is measured
        # as users run it: Django never runs its ANALYZE.)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _measure(client: Client, url: str) -> tuple[float, int]:
    response = client.get(url)  # warm caches
    assert response.status_code == 200, (url, response.status_code)
    times, queries = [], []
    for _ in range(15):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
        queries.append(len(ctx.captured_queries))
    # The usual count: a session may be saved on one request of the fifteen.
    return statistics.median(times), statistics.mode(queries)


def run(out, quick: bool = False) -> None:
    rng = random.Random(7)  # noqa: S311  (benchmark data)
    target = 2_000 if quick else 20_000
    programme, batches, cadres, units, officer, district, owners = _setup(rng)
    pages = {
        "看板 /projects/board/": f"/projects/board/?programme={programme.pk}",
        "漏斗与统计 /projects/funnel/": f"/projects/funnel/?programme={programme.pk}",
        "漏斗 API /api/v1/projects/funnel/": f"/api/v1/projects/funnel/?programme={programme.pk}",
    }
    viewers = {"市委组织部（全部）": officer, "区委组织部（本单位及下级）": district}
    table = []
    for size in (target // 10, target):
        have = Project.objects.filter(programme=programme).count()
        t0 = time.perf_counter()
        _fill(size - have, programme, batches, cadres, units, owners, rng)
        fill_s = time.perf_counter() - t0
        history = StageChange.objects.filter(project__programme=programme).count()
        for who, user in viewers.items():
            client = Client()
            client.force_login(user)
            visible = access.projects_for(user).filter(programme=programme).count()
            for label, url in pages.items():
                ms, queries = _measure(client, url)
                table.append((size, history, who, visible, label, ms, queries))
        out.write(f"(filled to {size:,} projects in {fill_s:.1f} s)\n")
    out.write(
        f"\n## Cooperation projects: board and funnel (issue 7, {connection.vendor})\n\n"
        "| 项目数 | 阶段历史行数 | 用户（可见项目） | 页面 | 中位响应时间 ms | 查询数 |\n"
        "|---|---|---|---|---|---|\n"
    )
    for size, history, who, visible, label, ms, queries in table:
        out.write(
            f"| {size:,} | {history:,} | {who}（{visible:,}） | {label} | {ms:.1f} | {queries} |\n"
        )
