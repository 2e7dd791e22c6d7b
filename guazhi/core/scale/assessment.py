"""Assessment (考核) of part of the batches, so that the round pages have data of a real
round: for every programme, its latest finished batch has a 期满考核 round, confirmed (frozen),
and its latest batch on post a 年度考核 round of this year, open, with part of the ratings
given. Every placement of those batches has an approved plan from the generic template,
confirmed 平时考核 for each quarter that has ended, and its team holds a 学习研讨 meeting a
month (the 参加学习研讨调研 indicator counts them).

Rounds go through the assessment app's own services — `round_create` (entries, the raters:
host unit, team leader, the city officer, every other team member for 民主测评 and the cadre
himself), `round_compute` and `round_confirm` (the 优秀 quota and the veto rules) — so their
rules hold by construction; only the raters' marks, the hand-scored qualitative items, the
self-summaries, the plans, the quarterly results and the meetings are written in bulk."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection

from guazhi.assessment import services as assess
from guazhi.assessment import sources
from guazhi.assessment.models import (
    Entry,
    Indicator,
    IndicatorScore,
    Plan,
    PlanItem,
    QuarterResult,
    Rating,
    Round,
)
from guazhi.programmes.models import Batch, Placement
from guazhi.teams.models import Attendance, Meeting, MeetingType, WorkTeam

from .base import Context, at, dated, write

QUARTER_GRADES = (["好", "较好", "一般", "较差"], [45, 38, 15, 2])
SUMMARY = (
    "挂职期间，围绕对口合作重点任务，走访企业、对接项目，协助接收单位推进招商引资和项目落地；"
    "坚持学习先进地区经验，按时参加工作队学习研讨，严格遵守纪律。"
)
COMMENTS = ["工作积极主动，成效明显", "作风扎实，团结同志", "较好完成挂职任务", ""]


def assessed_batches(ctx: Context) -> list[tuple[Batch, str]]:
    """(batch, kind): per programme its latest finished batch (期满) and its latest batch on
    post (年度)."""
    today = ctx.today
    chosen = []
    for prog in ctx.programmes:
        mine = sorted((b for b in ctx.batches if b.programme_id == prog.pk), key=lambda b: b.start)
        finished = [b for b in mine if b.end < today]
        serving = [b for b in mine if b.start <= today <= b.end]
        if finished:
            chosen.append((finished[-1], Round.Kind.TERM_END))
        if serving:
            chosen.append((serving[-1], Round.Kind.ANNUAL))
    return chosen


def assessment(ctx: Context) -> list[Round]:
    rng, today = ctx.rng, ctx.today
    chosen = assessed_batches(ctx)
    if not chosen:
        return []
    zzb = ctx.officers[f"{ctx.user_prefix}zzb"]
    batch_ids = {b.pk for b, _k in chosen}
    placements = [pl for pl in ctx.placements if pl.batch_id in batch_ids]
    by_batch: dict[int, list[Placement]] = defaultdict(list)
    for pl in placements:
        by_batch[pl.batch_id].append(pl)

    # A 学习研讨 meeting a month for each assessed batch's team, most members present.
    teams = {
        t.batch_id: t
        for t in WorkTeam.objects.filter(batch_id__in=batch_ids).select_related("leader")
    }
    meetings, present = [], []
    for b, _kind in chosen:
        team = teams[b.pk]
        day = b.start + timedelta(days=14)
        while day <= min(b.end, today - timedelta(days=1)):
            m = Meeting(
                team=team,
                kind=MeetingType.STUDY,
                date=day,
                place=f"{b.programme.partner_city}工作队驻地",
                topic="学习研讨：学习借鉴先进地区经验",
                host=team.leader.full_name,
                created_by=team.leader,
                created_at=at(day, rng, 18, 21),
            )
            meetings.append(m)
            present.append(
                [
                    pl.cadre_id
                    for pl in by_batch[b.pk]
                    if pl.start <= day <= (pl.actual_end or pl.planned_end) and rng.random() < 0.85
                ]
            )
            day += timedelta(days=30)
    with dated((Meeting, "created_at")):
        write(Meeting, meetings, ctx)
    write(
        Attendance,
        [
            Attendance(meeting=m, cadre_id=c)
            for m, ids in zip(meetings, present, strict=True)
            for c in ids
        ],
        ctx,
    )

    # The rounds' periods, and what the cadres did in them by each computed indicator.
    periods = {b.pk: _period(b, kind, today) for b, kind in chosen}
    template = list(assess.template_defaults().items.select_related("indicator"))
    codes = [t.indicator.source for t in template if assess.is_computed(t.indicator)]
    done: dict[int, dict] = {}
    for b, _kind in chosen:
        _year, start, end = periods[b.pk]
        done[b.pk] = sources.compute_many(codes, Placement.objects.filter(batch=b), start, end)

    # Plans: version 1 from the generic template, agreed by the cadre and approved by the
    # organisation department in the placement's first weeks (plan_start → agree → approve).
    # Targets as an organisation department sets them per post (对岗设标): for a computed
    # indicator about nine tenths of what the batch's cadres reach on average, so that most
    # reach it and some do not; else the template's.
    targets: dict[tuple[int, int], Decimal | None] = {}
    for b, _kind in chosen:
        for t in template:
            values = done[b.pk].get(t.indicator.source)
            target = t.target
            if assess.is_computed(t.indicator) and values:
                mean = sum(v for v, _text in values.values()) / len(by_batch[b.pk])
                target = max(Decimal(1), Decimal(round(mean * Decimal("0.9"))))
            targets[b.pk, t.pk] = target
    plans = []
    for pl in placements:
        created = at(pl.start + timedelta(days=rng.randint(3, 10)), rng)
        agreed = created + timedelta(days=rng.randint(1, 5))
        plans.append(
            Plan(
                placement=pl,
                version=1,
                status=Plan.Status.APPROVED,
                created_by=zzb,
                created_at=created,
                agreed_at=agreed,
                approved_by=zzb,
                approved_at=agreed + timedelta(days=rng.randint(1, 5)),
            )
        )
    with dated((Plan, "created_at")):
        write(Plan, plans, ctx)
    write(
        PlanItem,
        [
            PlanItem(
                plan=p,
                indicator_id=t.indicator_id,
                weight=t.weight,
                target=targets[p.placement.batch_id, t.pk],
            )
            for p in plans
            for t in template
        ],
        ctx,
    )

    # 平时考核: every quarter of the placement that has ended, proposed by the team leader and
    # confirmed by the organisation department after the quarter.
    results = []
    for pl in placements:
        leader = ctx.leader_of[pl.batch_id]
        end = min(pl.actual_end or pl.planned_end, today)
        for year, quarter in assess.quarters_in(pl.start, end):
            q_end = assess.quarter_bounds(year, quarter)[1]
            if q_end >= today:
                continue
            proposed = at(q_end + timedelta(days=rng.randint(1, 7)), rng)
            results.append(
                QuarterResult(
                    placement=pl,
                    year=year,
                    quarter=quarter,
                    grade=rng.choices(*QUARTER_GRADES)[0],
                    status=QuarterResult.Status.CONFIRMED,
                    proposed_by=leader,
                    proposed_at=proposed,
                    confirmed_by=zzb,
                    confirmed_at=proposed + timedelta(days=rng.randint(1, 7)),
                )
            )
    with dated((QuarterResult, "proposed_at")):
        write(QuarterResult, results, ctx)

    rounds = []
    for b, kind in chosen:
        year, start, end = periods[b.pk]
        r = assess.round_create(
            batch=b, kind=kind, year=year, period_start=start, period_end=end, by=zzb
        )
        confirm = kind == Round.Kind.TERM_END
        _fill(ctx, r, share=1.0 if confirm else 0.6, when=min(end, today))
        assess.round_compute(round=r)
        if confirm:
            assess.round_confirm(round=r, by=zzb, grades=_grades(r))
        rounds.append(r)
    ctx.add(Round._meta.label, len(rounds))
    ctx.add(Entry._meta.label, Entry.objects.filter(round__in=rounds).count())
    ctx.add(Rating._meta.label, Rating.objects.filter(entry__round__in=rounds).count())
    return rounds


def _period(b: Batch, kind: str, today: date) -> tuple[int, date, date]:
    """(year, start, end): 期满 the whole term, 年度 this year's part of it."""
    if kind == Round.Kind.TERM_END:
        return b.end.year, b.start, b.end
    return today.year, max(b.start, date(today.year, 1, 1)), min(b.end, date(today.year, 12, 31))


def _fill(ctx: Context, round_: Round, share: float, when: date) -> None:
    """What the raters, the cadres and the organisation department enter before computing:
    the marks of `share` of the ratings, the hand-scored qualitative items, the self-summaries
    and a few integrity findings."""
    rng = ctx.rng
    # Written as the services write in bulk (Django's bulk_update builds a CASE over every
    # row of a batch, quadratic in the batch: minutes for the province's rounds).
    adapt = connection.ops.adapt_datetimefield_value
    rows = []
    for pk, kind in (
        Rating.objects.filter(entry__round=round_).order_by("pk").values_list("pk", "rater_kind")
    ):
        if rng.random() >= share:
            continue
        base = rng.randint(72, 95)
        marks = [min(100, max(60, base + rng.randint(-6, 6))) for _ in range(4)]
        comment = rng.choice(COMMENTS) if kind != Rating.Rater.PEER else ""
        submitted = adapt(at(when - timedelta(days=rng.randint(0, 10)), rng))
        rows.append((*marks, comment, submitted, pk))
    assess._bulk_update(
        Rating,
        [
            ("political", "integer"),
            ("conduct", "integer"),
            ("performance", "integer"),
            ("integrity", "integer"),
            ("comment", "text"),
            ("submitted_at", "timestamptz"),
        ],
        rows,
    )
    entries = list(Entry.objects.filter(round=round_).order_by("pk"))
    items = defaultdict(list)
    for pk, plan_id in PlanItem.objects.filter(
        plan_id__in=[e.plan_id for e in entries if e.plan_id],
        indicator__kind=Indicator.Kind.QUALITATIVE,
    ).values_list("pk", "plan_id"):
        items[plan_id].append(pk)
    scores = []
    for e in entries:
        if rng.random() >= share:
            continue
        for item_id in items.get(e.plan_id, []):
            scores.append(
                IndicatorScore(
                    entry=e,
                    item_id=item_id,
                    score=Decimal(rng.randint(65, 98)),
                    evidence="组织部门综合评定",
                )
            )
        e.self_summary = SUMMARY
        if rng.random() < 0.005:
            e.integrity_finding, e.integrity_note = True, "收受礼品未及时登记上交，已批评教育"
    write(IndicatorScore, scores, ctx)
    assess._bulk_update(
        Entry,
        [("self_summary", "text"), ("integrity_finding", "boolean"), ("integrity_note", "text")],
        [(e.self_summary, e.integrity_finding, e.integrity_note, e.pk) for e in entries],
    )


def _grades(round_: Round) -> dict[int, str]:
    """A grade per entry that keeps to the 优秀 quota and the veto rules: 优秀 for the best
    scored entries that may be 优秀 (no integrity finding, no 较差 quarter, at least half of
    the quarters 好), up to the quota; the others their proposed grade, 优秀 → 称职."""
    policy = assess.policy_for(round_.batch.programme)
    rows = list(
        round_.entries.order_by("-final_score", "pk").values_list(
            "pk", "placement_id", "proposed_grade", "integrity_finding"
        )
    )
    period = set(assess.quarters_in(round_.period_start, round_.period_end))
    quarters: dict[int, list[str]] = defaultdict(list)
    for pid, year, quarter, grade in QuarterResult.objects.filter(
        placement__assessment_entries__round=round_, status=QuarterResult.Status.CONFIRMED
    ).values_list("placement_id", "year", "quarter", "grade"):
        if (year, quarter) in period:
            quarters[pid].append(grade)
    room = assess.quota_allowed(policy, len(rows))
    grades = {}
    for pk, pid, proposed, finding in rows:
        qs = quarters.get(pid, [])
        eligible = not finding and "较差" not in qs and 2 * qs.count("好") >= len(qs)
        if room and eligible and proposed in ("优秀", "称职"):
            grades[pk] = "优秀"
            room -= 1
        else:
            grades[pk] = "称职" if proposed in ("优秀", "") else proposed
    return grades
