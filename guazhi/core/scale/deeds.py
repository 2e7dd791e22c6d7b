"""Deeds for the public (办实事) as `deeds.services` leaves them: registered by the responsible
unit, worked on, done (with a look-back due `lookback_days` later, concluded when due: pass,
or 回炉返工 which reopens the deed with tasks and a new deadline), some closed; targets with
their progress; and the public's ratings — one per rater per deed, the rater a keyed hash of a
verified phone (`services.phone_key`) or of a panel member (`services.panel_key`), the phone
encrypted for the callback — where each of the two lowest levels opened a rectification with
its working-day deadline, most done, called back and re-rated, a few appealed."""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from guazhi.core import crypto
from guazhi.deeds import services as deed_services
from guazhi.deeds.models import (
    BAD_LEVELS,
    Appeal,
    Deed,
    Evidence,
    LookBack,
    PanelMember,
    Rating,
    Rectification,
    ReworkTask,
    StatusChange,
    Target,
)

from .base import Context, apportion, at, dated, insert, token, write
from .people import mobile, person_name

CAT = Deed.Category
TITLES = {
    CAT.EDUCATION: ("{c}社区托管服务", "托管学生", "人"),
    CAT.HEALTH: ("{c}社区义诊进小区", "服务群众", "人次"),
    CAT.ELDERLY: ("{c}社区养老助餐点建设", "助餐点", "个"),
    CAT.JOBS: ("{c}社区就业技能培训", "培训人数", "人"),
    CAT.HOUSING: ("{c}小区老旧管网改造", "改造管网", "米"),
    CAT.INFRASTRUCTURE: ("{c}路段路灯维修", "维修路灯", "盏"),
    CAT.ENVIRONMENT: ("{c}社区垃圾分类亭设置", "分类亭", "个"),
    CAT.SAFETY: ("{c}小区安防监控补装", "监控点位", "个"),
    CAT.AID: ("{c}社区困难家庭帮扶", "帮扶家庭", "户"),
    CAT.CULTURE: ("{c}社区文体广场修缮", "修缮面积", "平方米"),
    CAT.OTHER: ("{c}社区便民服务", "服务事项", "件"),
}
STREETS = ["北市", "南湖", "新华", "长白", "太原", "中山", "泉园", "北塔", "万莲", "大南"]
COMMUNITIES = ["文萃", "和平里", "光明", "幸福", "阳光", "锦华", "春和", "丽景", "翠湖", "长青"]
COMMENTS = {
    5: ["办得好，解决了大问题", "效率很高，点赞", ""],
    4: ["总体满意", "希望继续保持", ""],
    3: ["还可以，有待改进", ""],
    2: ["问题没有彻底解决", "进度太慢"],
    1: ["问题依旧，没人管", "施工扰民"],
}
LEVELS = [5, 4, 3, 2, 1]
LEVEL_WEIGHTS = [55, 25, 11, 5, 4]
PANEL_CHANNELS = [Rating.Channel.FIELD, Rating.Channel.ASK, Rating.Channel.FORUM,
                  Rating.Channel.ONLINE]  # fmt: skip


def deeds(ctx: Context):
    """The deeds, targets, progress and status history; returns what `ratings` finishes."""
    rng, today = ctx.rng, ctx.today
    statuses = deed_services.statuses()
    policy = deed_services.policy()
    registered = statuses[0]
    open_last = [s for s in statuses if s.kind == "open"][-1]
    done_status = next(s for s in statuses if s.kind == "done")
    closed_status = next(s for s in statuses if s.kind == "closed")
    cadres_by_unit = defaultdict(list)
    for c in ctx.cadres:
        cadres_by_unit[c.unit_id].append(c)
    district_units = [u for d in ctx.districts for u in d.units]
    city_units = [u for u in ctx.sending_units if u.region == "沈阳市"]
    district_names = [d.name for d in ctx.districts]
    keys = set(Deed.objects.values_list("public_key", flat=True))
    cats = list(CAT)

    rows: list[Deed] = []
    for _ in range(ctx.sizes.deeds):
        unit = rng.choice(city_units) if rng.random() < 0.15 else rng.choice(district_units)
        region = unit.region if unit.region != "沈阳市" else rng.choice(district_names)
        community = rng.choice(COMMUNITIES)
        location = f"{region}{rng.choice(STREETS)}街道{community}社区"
        category = rng.choice(cats)
        title = TITLES[category][0].format(c=community)
        opened = today - timedelta(days=rng.randint(0, 3 * 365))
        people = cadres_by_unit.get(unit.pk)
        key = token(rng, 12)
        while key in keys:
            key = token(rng, 12)
        keys.add(key)
        d = Deed(
            title=title,
            content=f"{location}群众反映：{title}需求迫切，由{unit.short_name}牵头办理",
            source=rng.choice(list(Deed.Source.values)),
            category=category,
            urgent=rng.random() < 0.3,
            location=location,
            unit=unit,
            cadre=rng.choice(people) if people and rng.random() < 0.6 else None,
            opened_on=opened,
            promised_on=opened + timedelta(days=rng.randint(14, 120)),
            status=registered,
            public_key=key,
            created_by=ctx.unit_staff[unit.pk],
        )
        d.steps = [(None, registered, opened, "登记")]
        d.plan_done = opened + timedelta(days=rng.randint(10, 150))
        rows.append(d)

    # Targets first (a done deed with unfinished targets needs a note).
    targets = []
    for d in rows:
        if rng.random() < 0.4:
            name, label = TITLES[d.category][1], TITLES[d.category][2]
            planned = Decimal(rng.choice([5, 10, 20, 50, 100, 200, 500]))
            t = Target(deed=d, name=name, unit_label=label, planned=planned)
            d.target = t
            targets.append(t)
        else:
            d.target = None

    # Statuses through time, as status_change() and lookback_conclude() move them.
    lookbacks, tasks = [], []
    for d in rows:
        age = (today - d.opened_on).days
        if age < 3:
            continue
        working_on = d.opened_on + timedelta(days=rng.randint(0, min(10, age)))
        d.steps.append((registered, open_last, working_on, ""))
        d.status = open_last
        if rng.random() < 0.03:  # closed without being done (not the unit's business)
            day = working_on + timedelta(days=rng.randint(0, 20))
            if day <= today:
                d.steps.append((open_last, closed_status, day, "经核实不属于本单位职责，已转办"))
                d.status, d.closed_on = closed_status, day
            continue
        if d.plan_done > today:
            continue
        done = max(d.plan_done, working_on)
        note = ""
        if d.target is not None:
            if rng.random() < 0.9:
                d.target.achieved = d.target.planned
            else:
                d.target.achieved = (d.target.planned * Decimal("0.6")).quantize(Decimal(1))
                note = "部分指标受客观条件限制未完成，已说明情况"
        d.steps.append((open_last, done_status, done, note))
        d.status, d.done_on = done_status, done
        due = done + timedelta(days=policy.lookback_days)
        lb = LookBack(deed=d, due_on=due)
        lookbacks.append(lb)
        review = due + timedelta(days=rng.randint(0, 10))
        if review > today:
            continue  # the look-back is due (or not yet): no conclusion
        lb.reviewed_on = review
        if rng.random() < 0.04:
            # 回炉返工: the need was not the real one; back to work with tasks and a deadline.
            lb.conclusion = LookBack.Conclusion.REWORK
            lb.real_need, lb.lasting, lb.mechanism = False, False, False
            lb.rework_deadline = review + timedelta(days=rng.randint(20, 60))
            tasks.append(
                ReworkTask(
                    lookback=lb, title="针对群众真实诉求重新制定方案", deadline=lb.rework_deadline
                )  # fmt: skip
            )
            d.steps.append((done_status, open_last, review, "回头看：回炉返工"))
            d.status, d.done_on, d.closed_on = open_last, None, None
            d.promised_on, d.reworks = lb.rework_deadline, 1
            continue
        lb.conclusion = LookBack.Conclusion.PASS
        lb.real_need, lb.lasting = True, True
        lb.mechanism = rng.random() < 0.5
        if rng.random() < 0.1:
            day = review + timedelta(days=rng.randint(30, 200))
            if day <= today:
                d.steps.append((done_status, closed_status, day, "事项办结并通过回头看，归档关闭"))
                d.status, d.closed_on = closed_status, day
    for d in rows:
        d.status_order = d.status.order
    write(Deed, rows, ctx)
    write(Target, targets, ctx)

    zzb = ctx.officers[f"{ctx.user_prefix}zzb"]
    history = (
        (
            d.pk,
            f.pk if f else None,
            t.pk,
            day,
            note,
            zzb.pk if note.startswith("回头看") else d.created_by_id,
            at(day, rng),
        )  # fmt: skip
        for d in rows
        for f, t, day, note in d.steps
    )
    columns = ["deed_id", "from_status_id", "to_status_id", "date", "note", "by_id", "created_at"]
    insert(StatusChange, columns, history, ctx)
    evidence = []
    for t in targets:
        d = t.deed
        if t.achieved:
            day = d.done_on or min(today, d.opened_on + timedelta(days=20))
            evidence.append(
                Evidence(
                    deed=d,
                    date=day,
                    note=f"{t.name}完成{t.achieved}{t.unit_label}",
                    target=t,
                    value=t.achieved,
                    by=d.created_by,
                    created_at=at(day, rng),
                )  # fmt: skip
            )
    with dated((Evidence, "created_at")):
        write(Evidence, evidence, ctx)

    return rows, lookbacks, tasks


def ratings(ctx: Context, state) -> None:
    """The ratings of the deeds, their rectifications and appeals; then the look-backs,
    concluded with the ratings given by then."""
    rng = ctx.rng
    rows, lookbacks, tasks = state
    policy = deed_services.policy()
    zzb = ctx.officers[f"{ctx.user_prefix}zzb"]
    ratings = _ratings(ctx, rows)

    # Look-backs concluded with the figures of the ratings given by then and the same-place
    # recurrences (services.recurrences: same category and place, opened after done).
    by_place = defaultdict(list)
    for d in rows:
        by_place[(d.category, deed_services._location_key(d.location))].append(d.opened_on)
    for v in by_place.values():
        v.sort()
    rated = defaultdict(list)
    for r in ratings:
        rated[r.deed.pk].append(r)
    weight = policy.basic_weight
    window = policy.recurrence_days
    for lb in lookbacks:
        if not lb.conclusion:
            continue
        d = lb.deed
        done = lb.due_on - timedelta(days=policy.lookback_days)
        dates = by_place[(d.category, deed_services._location_key(d.location))]
        until = min(done + timedelta(days=window), lb.reviewed_on)
        lb.recurrences = bisect.bisect_right(dates, until) - bisect.bisect_right(dates, done)
        if lb.recurrences and lb.conclusion == LookBack.Conclusion.PASS:
            lb.mechanism = True  # a pass with recurrences needs the lasting mechanism
        reviewed = at(lb.reviewed_on, rng)
        seen = [r for r in rated.get(d.pk, []) if r.created_at <= reviewed and not r.excluded]
        counts = defaultdict(int)
        for r in seen:
            counts[r.level] += 1
        lb.ratings = len(seen)
        if seen:
            happy = counts[5] + counts[4] + weight * counts[3]
            lb.satisfaction = (Decimal(100) * happy / len(seen)).quantize(Decimal("0.1"))
        lb.real_note = "经实地核实，所办事项是群众反映集中的急难愁盼问题"
        if lb.conclusion == LookBack.Conclusion.REWORK:
            lb.real_note = "经实地核实，所办事项并非群众最迫切的需求"
        lb.lasting_note = "效果持续，已建立长效机制" if lb.mechanism else "效果持续"
        lb.happy_note = f"有效评价 {lb.ratings} 条"
        lb.reviewed_by = zzb
        lb.reviewed_at = reviewed
    write(LookBack, lookbacks, ctx)
    write(ReworkTask, tasks, ctx)


class _Rating:
    """A rating before it is written (a plain object: half a million model instances would
    cost more than writing them)."""

    __slots__ = ("deed", "level", "first_level", "comment", "created_at", "channel",
                 "rater_key", "panel_member_id", "mobile_encrypted", "rerated_at", "excluded")  # fmt: skip

    def __init__(self, deed, level, comment, created_at):
        self.deed, self.level, self.first_level = deed, level, level
        self.comment, self.created_at = comment, created_at
        self.panel_member_id, self.rerated_at, self.excluded = None, None, False

    def row(self) -> tuple:
        return (self.deed.pk, self.level, self.first_level, self.comment, self.channel,
                self.rater_key, self.panel_member_id, self.mobile_encrypted, self.created_at,
                self.rerated_at, self.excluded)  # fmt: skip


def _ratings(ctx: Context, rows: list[Deed]) -> list[_Rating]:
    """ctx.sizes.ratings ratings over the deeds being worked on or done; returns them."""
    rng, today = ctx.rng, ctx.today
    total = ctx.sizes.ratings
    rateable = [d for d in rows if len(d.steps) > 1]  # worked on, not just registered
    weights = [(3.0 if d.done_on else 1.0) * (0.3 + rng.random()) for d in rateable]
    per_deed = apportion(total, weights)
    # The panel (群众评议团): a few members per district, invited by its officer.
    members = []
    for dist in ctx.districts:
        for _ in range(max(1, min(20, total // 25_000))):
            m = PanelMember(
                name=person_name(rng),
                community=f"{dist.name}{rng.choice(COMMUNITIES)}社区",
                token=token(rng, 18),
                created_by=ctx.officers[f"{ctx.user_prefix}{dist.code}"],
            )
            m.mobile = mobile(rng)
            members.append(m)
    write(PanelMember, members, ctx)
    panel_keys = [(m, deed_services.panel_key(m)) for m in members]
    pool = max(1000, total // 3, max(per_deed, default=0) * 2)
    phones: dict[int, tuple[str, str]] = {}

    def phone(i: int) -> tuple[str, str]:
        if i not in phones:
            number = f"1{rng.choice('3589')}{i % 10}{i:08d}"[-11:]
            phones[i] = (number, deed_services.phone_key(number))
        return phones[i]

    ratings: list[_Rating] = []
    for d, k in zip(rateable, per_deed, strict=True):
        if not k:
            continue
        start = d.done_on or d.steps[1][2]
        end = d.closed_on or today
        if end < start:
            start = d.steps[1][2]
        span = (end - start).days
        n_panel = min(len(panel_keys), sum(1 for _ in range(k) if rng.random() < 0.05))
        panel = rng.sample(panel_keys, n_panel)
        raters = rng.sample(range(pool), k - n_panel)
        for j in range(k):
            level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
            day = start + timedelta(days=rng.randint(0, span)) if span > 0 else start
            r = _Rating(d, level, rng.choice(COMMENTS[level]), at(day, rng))
            if j < n_panel:
                member, key = panel[j]
                r.channel, r.rater_key, r.panel_member_id = (
                    rng.choice(PANEL_CHANNELS),
                    key,
                    member.pk,
                )
                r.mobile_encrypted = member.mobile_encrypted
            else:
                number, key = phone(raters[j - n_panel])
                r.channel, r.rater_key = Rating.Channel.PUBLIC, key
                r.mobile_encrypted = crypto.encrypt(number)
            ratings.append(r)
    # Bad ratings: the rectification they opened, done, called back, re-rated; some appealed.
    deadline_of: dict = {}
    rects, appeals = [], []
    for r in ratings:
        if r.first_level not in BAD_LEVELS:
            continue
        d = r.deed
        opened = r.created_at.date()
        if opened not in deadline_of:
            deadline_of[opened] = deed_services.rectification_deadline(opened)
        staff = d.created_by
        rect = Rectification(
            deed=d,
            unit_id=d.unit_id,
            opened_on=opened,
            deadline=deadline_of[opened],
            rerate_token=token(rng, 18),
        )
        done = opened + timedelta(days=rng.randint(1, 7))
        if done <= today and rng.random() < 0.9:
            rect.status, rect.done_on, rect.done_by = Rectification.Status.DONE, done, staff
            rect.action = "已安排专人现场处理，问题已解决"
            callback = done + timedelta(days=rng.randint(0, 3))
            if callback <= today and rng.random() < 0.8:
                rect.callback_on, rect.callback_by = callback, staff
                rect.callback_note = "电话回访，群众认可整改结果"
                rerated = callback + timedelta(days=rng.randint(0, 2))
                if rerated <= today and rng.random() < 0.6:
                    r.level = rng.choice([3, 4, 4, 5])
                    r.rerated_at = at(rerated, rng)
        rects.append((r, rect))
        if rng.random() < 0.05:
            filed = r.created_at + timedelta(days=rng.randint(1, 3))
            a = Appeal(reason="评价人与所办事项无关，疑为恶意差评", filed_by=staff, filed_at=filed)
            if filed.date() + timedelta(days=7) <= today:
                upheld = rng.random() < 0.4
                a.decision = Appeal.Decision.UPHELD if upheld else Appeal.Decision.REJECTED
                a.decision_note = "经核查属实" if upheld else "评价内容属实，维持评价"
                a.decided_by = ctx.officers[f"{ctx.user_prefix}zzb"]
                a.decided_at = filed + timedelta(days=rng.randint(1, 7))
                r.excluded = upheld
            appeals.append((r, a))
    columns = ["deed_id", "level", "first_level", "comment", "channel", "rater_key",
               "panel_member_id", "mobile_encrypted", "created_at", "rerated_at", "excluded"]  # fmt: skip
    insert(Rating, columns, (r.row() for r in ratings), ctx)
    # The bad ones' primary keys, by their unique (deed, rater) pair.
    ids = {
        (deed_id, key): pk
        for pk, deed_id, key in Rating.objects.filter(
            deed_id__gte=rows[0].pk, deed_id__lte=rows[-1].pk, first_level__in=BAD_LEVELS
        ).values_list("pk", "deed_id", "rater_key")
    }
    for r, x in rects + appeals:
        x.rating_id = ids[(r.deed.pk, r.rater_key)]
    write(Rectification, [x for _r, x in rects], ctx)
    write(Appeal, [x for _r, x in appeals], ctx)
    return ratings
