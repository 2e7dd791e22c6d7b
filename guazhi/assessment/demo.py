"""Demo assessment for 京沈对口合作 (SPEC §6: "personalised plans and a finished assessment
round"):

- the default indicator library and the programme's policy (national defaults: raters
  host 30 / team 20 / org 30 / peers 20, indicators 60 % of the final score, 优秀 ≥ 90, quota
  20 %);
- approved personalised plans for every cadre of 第3批 and 第4批 (one 第4批 plan changed after
  approval: version 2 waits for the cadre's agreement and re-approval);
- confirmed 平时考核 for 第3批's quarters and for 第4批's second and third quarters of 2026;
- 第3批's 2024 年度考核 rated by the host units, the team and the org department, computed and
  confirmed within the 20 % 优秀 quota (results written to each cadre's record);
- 第4批's 2026 年度考核 open, with part of the ratings given, so raters have work to do.

Everything goes through the services (rules, freezing, audit) except plan agreement, which
needs each cadre's own account: most demo cadres have none, so agreement is recorded directly.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from guazhi.core import audit
from guazhi.core.models import User
from guazhi.programmes.models import Batch, Programme
from guazhi.teams.models import WorkTeam

from . import services
from .models import Indicator, Plan, QuarterResult, Rating, Round


def _plan_items(library: list[Indicator], rng: random.Random):
    """Six indicators, at least one per main dimension, weights summing to 100."""
    by_name = {i.name: i for i in library}
    names = [
        "走访企业次数",
        "发现项目线索",
        "解放思想转变作风",
        "履职能力提升",
        "参加学习研讨调研",
        "工作纪实",
    ]
    weights = [25, 20, 10, 15, 10, 20]
    items = []
    for name, weight in zip(names, weights, strict=True):
        indicator = by_name.get(name) or rng.choice(library)
        target = indicator.default_target
        if target is not None:
            target = (target * rng.choice([Decimal("1"), Decimal("1.2"), Decimal("0.8")])).quantize(
                Decimal("1")
            )
        items.append((indicator, weight, target))
    return items


def _approved_plan(placement, by, library, rng, cadre_user):
    plan = services.plan_start(placement=placement, by=by)
    if plan.status == Plan.Status.APPROVED:
        return plan
    plan = services.plan_save(
        plan=plan, items=_plan_items(library, rng), by=by, note="按岗位模板制定"
    )
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.AGREED, agreed_at=timezone.now())
    plan.refresh_from_db()
    return services.plan_approve(plan=plan, by=by)


def _rate_all(round_: Round, rng: random.Random, share: float = 1.0) -> None:
    ratings = list(Rating.objects.filter(entry__round=round_).select_related("rater"))
    for rating in ratings:
        if rng.random() > share:
            continue
        base = rng.randint(78, 96)
        services.rating_submit(
            rating=rating,
            by=rating.rater,
            political=min(100, base + rng.randint(0, 4)),
            conduct=min(100, base + rng.randint(-4, 3)),
            performance=min(100, base + rng.randint(-6, 4)),
            integrity=min(100, base + rng.randint(0, 5)),
            comment=rng.choice(
                ["工作扎实，作风务实", "招商意识强，服务企业主动", "融入快，协调能力强", ""]
            ),
        )


def _quarters(batch: Batch, leader: User, zzb: User, quarters, rng: random.Random) -> None:
    results = []
    for placement in batch.placements.all():
        for year, quarter in quarters:
            q_start, q_end = services.quarter_bounds(year, quarter)
            end = placement.actual_end or placement.planned_end
            if q_end < placement.start or q_start > end:
                continue
            grade = rng.choices(["好", "较好", "一般"], weights=[5, 4, 1])[0]
            results.append(
                services.quarter_propose(
                    placement=placement,
                    year=year,
                    quarter=quarter,
                    grade=grade,
                    note="依据本季度工作纪实和指标进展",
                    by=leader,
                )
            )
    services.quarter_confirm(results=results, by=zzb)


@transaction.atomic
def load() -> None:
    programme = Programme.objects.filter(name="京沈对口合作").first()
    zzb = User.objects.filter(username="zzb").first()
    if (
        programme is None
        or zzb is None
        or Round.objects.filter(batch__programme=programme).exists()
    ):
        return
    rng = random.Random(6)  # noqa: S311  (fictional demo data)
    batch3 = programme.batches.filter(number=3).first()
    batch4 = programme.batches.filter(number=4).first()
    if batch3 is None or batch4 is None:
        return
    with audit.acting_as("demo"):
        library = services.library_defaults()
        services.policy_for(programme)
        for batch in (batch3, batch4):
            for placement in batch.placements.select_related("cadre"):
                _approved_plan(placement, zzb, library, rng, placement.cadre.user)
        # One plan changed after approval: version 2 waits for agreement and re-approval.
        changed = batch4.placements.order_by("pk").first()
        current = services.plan_current(changed)
        items = [
            (i.indicator, i.weight, i.target) for i in current.items.select_related("indicator")
        ]
        items[0] = (items[0][0], items[0][1], (items[0][2] or 0) + 10)
        services.plan_save(plan=current, items=items, by=zzb, note="调整走访企业目标值")

        leader3 = WorkTeam.objects.filter(batch=batch3).values_list("leader", flat=True).first()
        leader4 = WorkTeam.objects.filter(batch=batch4).values_list("leader", flat=True).first()
        _quarters(batch3, User.objects.get(pk=leader3), zzb, [(2024, 2), (2024, 3), (2024, 4)], rng)
        _quarters(batch4, User.objects.get(pk=leader4), zzb, [(2026, 2), (2026, 3)], rng)

        # 第3批 2024 年度考核: rated, computed, confirmed within the quota.
        round3 = services.round_create(
            batch=batch3,
            kind=Round.Kind.ANNUAL,
            year=2024,
            period_start=batch3.start,
            period_end=date(2024, 12, 31),
            by=zzb,
        )
        _rate_all(round3, rng)
        services.round_compute(round=round3)
        policy = services.policy_for(programme)
        entries = list(round3.entries.order_by("-final_score", "pk"))
        allowed = services.quota_allowed(policy, len(entries))
        good = {}
        for pid, grade in QuarterResult.objects.filter(
            placement__batch=batch3, status=QuarterResult.Status.CONFIRMED
        ).values_list("placement_id", "grade"):
            n_good, n_all = good.get(pid, (0, 0))
            good[pid] = (n_good + (grade == "好"), n_all + 1)
        # The org department names the best within the quota who pass the veto rules.
        grades, excellent = {}, 0
        for entry in entries:
            n_good, n_all = good.get(entry.placement_id, (0, 0))
            grade = "称职" if entry.proposed_grade in ("", "优秀") else entry.proposed_grade
            if excellent < allowed and 2 * n_good >= n_all and not entry.integrity_finding:
                grade, excellent = "优秀", excellent + 1
            grades[entry.pk] = grade
        services.round_confirm(round=round3, by=zzb, grades=grades)

        # 第4批 2026 年度考核: open, about half of the ratings given.
        round4 = services.round_create(
            batch=batch4,
            kind=Round.Kind.ANNUAL,
            year=2026,
            period_start=batch4.start,
            period_end=date(2026, 12, 31),
            by=zzb,
        )
        _rate_all(round4, rng, share=0.5)
        services.round_compute(round=round4)
