"""Province-scale data (`guazhi seed-scale`, issue 10): a consistent dataset of the size a
province's organisation department would hold — by default 20,000 cadres, 200 batches, 20,000
projects with 200,000 stage changes, 1,000,000 daily records, 50,000 deeds and 500,000
ratings — written with bulk inserts, for benchmarks of the lists, reports and dashboards.

"Consistent" means the rows look as the apps' own services would have left them (each module
says how for its domain); rows are inserted with bulk_create, so the audit log gets one
summary entry for the whole run instead of one per row. Like the demo (and reports), this
package reads every business app and nothing imports it.

The generator refuses a database that already holds programmes or cadres (it would mix
generated and real records) unless `force` is given; a forced run writes a separate set —
its unit codes start with SC<n>, its user names with sc<n>_ — beside what is there.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date

from django.db import transaction
from django.utils import timezone

from .base import SIZE_NAMES, Context, Sizes, Timer, ceiling

__all__ = ["SIZE_NAMES", "ScaleRefused", "Sizes", "generate"]


class ScaleRefused(Exception):
    """The database is not one to generate into; the message says why and what to do."""


def existing_data() -> tuple[int, int]:
    from guazhi.cadres.models import Cadre
    from guazhi.programmes.models import Programme

    return Programme.objects.count(), Cadre.objects.count()


def next_run() -> int:
    from guazhi.core.models import OrgUnit

    runs = [
        int(m.group(1))
        for code in OrgUnit.objects.filter(code__startswith="SC").values_list("code", flat=True)
        if (m := re.fullmatch(r"SC(\d+)", code))
    ]
    return max(runs, default=0) + 1


def generate(
    sizes: Sizes,
    *,
    seed: int = 2026,
    force: bool = False,
    password: str = "",
    today: date | None = None,
    write_line: Callable[[str], None] = print,
) -> Context:
    """Generate into the default database in one transaction; returns the run's context
    (counts per model in `ctx.counts`, phase timings in `ctx.timer`)."""
    problems = sizes.check()
    if problems:
        raise ScaleRefused("；".join(problems))
    programmes, cadres = existing_data()
    if (programmes or cadres) and not force:
        raise ScaleRefused(
            f"数据库中已有 {programmes} 个选派项目、{cadres} 名干部。规模数据不与已有数据混合："
            "请在只执行过 migrate 的空数据库上运行，或确认后加 --force，在已有数据旁另写一套"
            "独立的规模数据（单位代码以 SC<n> 开头，用户名以 sc<n>_ 开头）。"
            " (The database already holds programmes or cadres; use an empty database or "
            "--force.)"
        )
    from guazhi.core import audit

    from . import assessment, deeds, people, projects, records
    from . import programmes as progs

    timer = Timer(write_line)
    with ExitStack() as stack, transaction.atomic(), audit.acting_as("seed-scale"):
        run = next_run()
        rng = random.Random(seed if run == 1 else f"{seed}/{run}")  # noqa: S311 (fictional data)
        ctx = Context(rng=rng, today=today or timezone.localdate(), run=run, sizes=sizes)
        ctx.timer = timer
        stack.enter_context(ceiling(ctx.today))
        with timer.phase("组织机构与账号 org tree, accounts"):
            org = people.org_tree(ctx, progs.host_cities(ctx))
            people.accounts(ctx, password, org["hosts"], org["teams"])
        with timer.phase("干部名册 cadres"):
            people.cadres(ctx)
        with timer.phase("选派项目与任职 programmes, placements"):
            progs.programmes(ctx, org)
        with timer.phase("企业 enterprises"):
            projects.enterprises(ctx)
        with timer.phase("合作项目 projects, stage changes"):
            leads = projects.projects(ctx)
        with timer.phase("工作纪实 daily records"):
            records.records(ctx, leads)
        with timer.phase("办实事 deeds"):
            state = deeds.deeds(ctx)
        with timer.phase("群众评价 ratings, look-backs"):
            deeds.ratings(ctx, state)
        with timer.phase("考核 assessment rounds"):
            assessment.assessment(ctx)
        with timer.phase("审计摘要 audit summary"):
            audit.record(
                "create",
                object_type="core.scale",
                object_id=ctx.prefix,
                object_repr=f"规模数据 {ctx.prefix}",
                message=(
                    f"规模数据生成（seed={seed}）：干部 {sizes.cadres}、批次 {sizes.batches}、"
                    f"项目 {sizes.projects}、阶段变化 {sizes.stage_changes}、纪实 "
                    f"{sizes.records}、实事 {sizes.deeds}、评价 {sizes.ratings}"
                ),
                changes={"seed": seed, "counts": ctx.counts},
            )
    with timer.phase("统计信息 ANALYZE"):
        # Fresh planner statistics: without them PostgreSQL estimates a district's 425 units
        # as one row and picks nested loops over 500,000 ratings (0.7 s instead of 0.2 s).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return ctx
