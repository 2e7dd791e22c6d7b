"""Assessment benchmark (issue 6: computing and confirming a round of 10,000 cadres with the
quota check in under 5 s).

A batch of 10,000 placements, each with an approved plan of six indicators (four computed
from daily records and meetings, two qualitative scored by hand), about eight daily records,
four team meetings, three quarterly results and five ratings per cadre (host unit, team
leader, org department, two peers). Timed: `round_create`, `round_compute` (first run, which
inserts the item scores, then re-runs) and `round_confirm` with a grade for every entry that
keeps to the 优秀 quota and the veto rules (each run on the re-opened round)."""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from guazhi.cadres import bench as cadre_bench
from guazhi.cadres.models import AnnualAssessment, Cadre
from guazhi.core.models import OrgUnit, Role, User
from guazhi.programmes.models import Placement

from . import services
from .models import Entry, IndicatorScore, Plan, PlanItem, QuarterResult, Rating, Round

D = Decimal
ITEMS = [  # name, weight, target
    ("走访企业次数", 20, 12),
    ("发现项目线索", 15, 3),
    ("工作纪实", 20, 10),
    ("参加学习研讨调研", 15, 4),
    ("工作作风", 15, None),
    ("履职能力提升", 15, None),
]
CATEGORIES = ["visit", "visit", "lead", "routine", "routine", "study", "coordination", "meeting"]


def _user(username: str, unit: OrgUnit, role: str) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"unit": unit, "full_name": username}
    )
    user.roles.set([Role.objects.get(code=role)])
    return User.objects.get(pk=user.pk)


def _setup(n: int, rng: random.Random):
    from guazhi.programmes.models import Batch, Post, Programme
    from guazhi.records.models import DailyRecord
    from guazhi.teams.models import Attendance, Meeting, WorkTeam

    units = cadre_bench._units()
    city = units[0].parent
    host, _ = OrgUnit.objects.get_or_create(
        code="B-HOST", defaults={"name": "基准接收单位", "kind": "host"}
    )
    stamp = time.time_ns()
    officer = _user(f"bench-org-{stamp}", city, "org_officer")
    _user(f"bench-host-{stamp}", host, "host_unit")  # rates every entry (接收单位)
    leader = _user(f"bench-leader-{stamp}", city, "team_leader")
    peers = [_user(f"bench-peer{i}-{stamp}", city, "cadre") for i in range(2)]
    programme = Programme.objects.create(name=f"基准考核{stamp}", owner_unit=city)
    batch = Batch.objects.create(
        programme=programme, number=1, start=date(2027, 3, 1), end=date(2028, 3, 1), quota=n
    )
    team = WorkTeam.objects.create(batch=batch, name="基准工作队", unit=city, leader=leader)
    posts = Post.objects.bulk_create(
        [
            Post(batch=batch, title=f"基准岗位{i}", host_unit=host, capacity=n // 100 + 1)
            for i in range(100)
        ]
    )
    before = set(Cadre.objects.values_list("pk", flat=True))
    cadre_bench._bulk_cadres(n, units, seed=66)
    cadre_ids = sorted(set(Cadre.objects.values_list("pk", flat=True)) - before)
    indicators = {i.name: i for i in services.library_defaults()}
    with transaction.atomic():
        Placement.objects.bulk_create(
            [
                Placement(
                    cadre_id=cid,
                    batch=batch,
                    post=posts[i % len(posts)],
                    host_unit=host,
                    start=batch.start,
                    planned_end=batch.end,
                )
                for i, cid in enumerate(cadre_ids)
            ],
            batch_size=2000,
        )
        placements = list(Placement.objects.filter(batch=batch).order_by("pk"))
        now = timezone.now()
        Plan.objects.bulk_create(
            [
                Plan(
                    placement=p,
                    version=1,
                    status=Plan.Status.APPROVED,
                    created_by=officer,
                    agreed_at=now,
                    approved_by=officer,
                    approved_at=now,
                )
                for p in placements
            ],
            batch_size=2000,
        )
        plans = list(Plan.objects.filter(placement__batch=batch).values_list("pk", flat=True))
        PlanItem.objects.bulk_create(
            [
                PlanItem(
                    plan_id=plan_id,
                    indicator=indicators[name],
                    weight=D(weight),
                    target=None if target is None else D(target),
                )
                for plan_id in plans
                for name, weight, target in ITEMS
            ],
            batch_size=5000,
        )
        records = []
        for p in placements:
            for _ in range(rng.randint(4, 12)):
                records.append(
                    DailyRecord(
                        cadre_id=p.cadre_id,
                        placement=p,
                        date=date(2027, 3, 1) + timedelta(days=rng.randint(0, 300)),
                        category=rng.choice(CATEGORIES),
                        content="基准工作纪实",
                        linked=rng.choice(["", "北京某科技有限公司", "某产业园项目"]),
                        evidence=rng.choice(["", "", "", "positive"]),
                    )
                )
        DailyRecord.objects.bulk_create(records, batch_size=5000)
        for day in (date(2027, 4, 10), date(2027, 6, 10), date(2027, 9, 10), date(2027, 11, 10)):
            meeting = Meeting.objects.create(
                team=team,
                kind="study",
                date=day,
                place="驻京办",
                topic="学习研讨",
                host="队长",
                created_by=leader,
            )
            Attendance.objects.bulk_create(
                [
                    Attendance(meeting=meeting, cadre_id=p.cadre_id)
                    for p in placements
                    if rng.random() < 0.85
                ],
                batch_size=5000,
            )
        QuarterResult.objects.bulk_create(
            [
                QuarterResult(
                    placement=p,
                    year=2027,
                    quarter=q,
                    grade=rng.choices(["好", "较好", "一般", "较差"], [40, 40, 18, 2])[0],
                    status=QuarterResult.Status.CONFIRMED,
                    proposed_by=leader,
                    confirmed_by=officer,
                    confirmed_at=now,
                )
                for p in placements
                for q in (2, 3, 4)
            ],
            batch_size=5000,
        )
    return batch, officer, peers, len(records)


def _fill_round(round_: Round, peers: list[User], rng: random.Random) -> int:
    """Marks on the round's ratings, two peer ratings per entry, hand-set qualitative scores
    and a few integrity findings (bulk, not timed)."""
    entry_ids = list(round_.entries.values_list("pk", flat=True))
    now = timezone.now()
    raw_now = connection.ops.adapt_datetimefield_value(now)

    def mark():
        return rng.randint(70, 100)

    with transaction.atomic():
        services._executemany(
            f"UPDATE {services._table(Rating)} SET political = %s, conduct = %s, "  # noqa: S608
            "performance = %s, integrity = %s, submitted_at = %s WHERE id = %s",
            [
                (mark(), mark(), mark(), mark(), raw_now, pk)
                for pk in Rating.objects.filter(entry__round=round_).values_list("pk", flat=True)
            ],
        )
        Rating.objects.bulk_create(
            [
                Rating(
                    entry_id=e,
                    rater_kind=Rating.Rater.PEER,
                    rater=u,
                    political=mark(),
                    conduct=mark(),
                    performance=mark(),
                    integrity=mark(),
                    submitted_at=now,
                )
                for e in entry_ids
                for u in peers
            ],
            batch_size=5000,
        )
        qualitative = list(
            PlanItem.objects.filter(
                plan__placement__batch=round_.batch, indicator__kind="qualitative"
            ).values_list("pk", "plan_id")
        )
        entry_of_plan = dict(round_.entries.values_list("plan_id", "pk"))
        IndicatorScore.objects.bulk_create(
            [
                IndicatorScore(
                    entry_id=entry_of_plan[plan_id],
                    item_id=item_id,
                    score=D(rng.randint(60, 100)),
                    evidence="组织部门评定",
                )
                for item_id, plan_id in qualitative
            ],
            batch_size=5000,
        )
        Entry.objects.filter(pk__in=rng.sample(entry_ids, len(entry_ids) // 200)).update(
            integrity_finding=True, integrity_note="基准"
        )
    return Rating.objects.filter(entry__round=round_).count()


def _grades(round_: Round, policy) -> dict[int, str]:
    """A grade for every entry keeping to the quota and the vetoes: 优秀 for the best scored
    that may be 优秀, the proposed grade (优秀 → 称职) for the others."""
    rows = list(
        round_.entries.order_by("-final_score", "pk").values_list(
            "pk", "placement_id", "proposed_grade", "integrity_finding"
        )
    )
    quarters: dict[int, list[str]] = {}
    for pid, grade in QuarterResult.objects.filter(
        placement__batch=round_.batch, status="confirmed"
    ).values_list("placement_id", "grade"):
        quarters.setdefault(pid, []).append(grade)
    quota = services.quota_allowed(policy, len(rows))
    grades = {}
    for pk, pid, proposed, finding in rows:
        qs = quarters.get(pid, [])
        eligible = not finding and "较差" not in qs and 2 * qs.count("好") >= len(qs)
        if quota and eligible:
            grades[pk] = "优秀"
            quota -= 1
        else:
            grades[pk] = "称职" if proposed in ("优秀", "") else proposed
    return grades


def _reopen(round_: Round) -> None:
    with transaction.atomic():
        Round.objects.filter(pk=round_.pk).update(status="open", confirmed_at=None)
        Entry.objects.filter(round=round_).update(grade="")
        # Raw: a queryset delete would audit each row, which is not what is timed here.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {services._table(AnnualAssessment)} WHERE year = %s AND "  # noqa: S608
                f"cadre_id IN (SELECT cadre_id FROM {services._table(Placement)} "
                "WHERE batch_id = %s)",
                [round_.year, round_.batch_id],
            )
    round_.refresh_from_db()


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(out, quick: bool = False) -> None:
    n = 1000 if quick else 10_000
    rng = random.Random(6)  # noqa: S311  (benchmark data)
    out.write("\n## Assessment: computing and confirming a round (issue 6)\n\n")
    started = time.perf_counter()
    batch, officer, peers, n_records = _setup(n, rng)
    setup = time.perf_counter() - started
    policy = services.policy_for(batch.programme)

    round_ = None

    def create():
        nonlocal round_
        round_ = services.round_create(
            batch=batch,
            kind=Round.Kind.ANNUAL,
            year=2027,
            period_start=date(2027, 3, 1),
            period_end=date(2027, 12, 31),
            by=officer,
        )

    t_create = _timed(create)
    n_ratings = _fill_round(round_, peers, rng)

    t_first = _timed(lambda: services.round_compute(round=round_))
    n_scores = IndicatorScore.objects.filter(entry__round=round_).count()
    recompute = [_timed(lambda: services.round_compute(round=round_)) for _ in range(3)]
    grades = _grades(round_, policy)
    confirms = []
    for i in range(3):
        if i:
            _reopen(round_)
        confirms.append(
            _timed(lambda: services.round_confirm(round=round_, by=officer, grades=grades))
        )
    dist = services.grade_distribution(round_)
    annual = AnnualAssessment.objects.filter(cadre__placements__batch=batch, year=2027).count()
    c_first, c_again, c_confirm = t_first, statistics.median(recompute), statistics.median(confirms)
    out.write(
        f"{n:,} placements, {n_records:,} daily records, {n_ratings:,} ratings, "
        f"{n_scores:,} item scores; {connection.vendor}; set-up {setup:.1f} s (not timed below)."
        "\n\n| Step | Seconds |\n|---|---|\n"
        f"| `round_create` ({n:,} entries with their raters) | {t_create:.2f} |\n"
        f"| `round_compute`, first run (computes and inserts the item scores) | {c_first:.2f} |\n"
        f"| `round_compute`, again (median of 3) | {c_again:.2f} |\n"
        f"| `round_confirm` with the quota and veto checks, {annual:,} annual results written "
        f"(median of 3) | {c_confirm:.2f} |\n"
        f"| **compute (first run) + confirm** | **{c_first + c_confirm:.2f}** |\n\n"
        f"Grades: {', '.join(f'{g} {k:,}' for g, k in dist.items())} "
        f"(quota {policy.excellent_quota}%: at most {services.quota_allowed(policy, n):,}).\n"
    )
