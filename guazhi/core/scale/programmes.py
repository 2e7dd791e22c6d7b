"""Programmes with their partner cities, batches every half year, posts with requirement
profiles in the host units, placements (on post, extended, finished, ended early — the last
two with the approved change request behind them), a work team per batch, the placed cadres'
own accounts and the cadres' 挂职状态 as `programmes.services.refresh_cadre_status` keeps it."""

from __future__ import annotations

import bisect
import math
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password

from guazhi.cadres.models import Cadre
from guazhi.core.models import Role, User
from guazhi.programmes.models import (
    Batch,
    Placement,
    PlacementChange,
    Post,
    PostRequirement,
    Programme,
)
from guazhi.teams.models import WorkTeam

from .base import Context, add_months, apportion, at, dated, write
from .people import link_roles, person_name

# (code, partner city, programme name, description)
PARTNERS = [
    ("BJ", "北京市", "京沈对口合作", "沈阳市与北京市对口合作，干部双向挂职"),
    ("SH", "上海市", "沪沈干部交流", "沈阳市赴上海市挂职学习先进经验"),
    ("SZ", "深圳市", "深沈产业协作", "沈阳市与深圳市对口合作，推动产业转移与招商"),
    ("TJ", "天津市", "津沈协同发展", "沈阳市与天津市干部交流挂职"),
    ("SU", "苏州市", "苏沈园区合作", "沈阳市赴苏州工业园区挂职"),
    ("HZ", "杭州市", "杭沈数字经济合作", "沈阳市赴杭州市挂职，学习数字经济发展经验"),
    ("TC", "塔城地区", "对口支援塔城", "沈阳市对口支援新疆塔城地区"),
    ("NQ", "那曲市", "对口支援那曲", "沈阳市对口支援西藏那曲市"),
]
HOST_UNITS = [
    "发展和改革委员会",
    "商务局",
    "经济和信息化局",
    "科学技术局",
    "农业农村局",
    "投资促进局",
    "经济技术开发区管理委员会",
    "高新技术产业开发区管理委员会",
    "国有资产监督管理委员会",
    "人民政府办公室",
]
POST_TITLES = [
    ("招商服务处副处长", "招商引资"),
    ("产业发展处副处长", "产业规划"),
    ("项目推进办公室副主任", "项目管理"),
    ("科技成果转化处副处长", "科技创新"),
    ("乡村振兴处副处长", "乡村振兴"),
    ("金融服务处副处长", "金融"),
    ("数字经济处副处长", "信息化"),
    ("综合协调处副处长", "文字综合"),
    ("营商环境处副处长", "基层治理"),
    ("对外合作处副处长", "外事外语"),
]
CHANGE_REASONS = {
    PlacementChange.Kind.EXTEND: "所负责合作项目处于关键阶段，接收单位商请延期",
    PlacementChange.Kind.END_EARLY: "因原单位工作需要，经派出单位申请提前结束挂职",
}


def host_cities(ctx: Context) -> list[tuple[str, str, list[str]]]:
    n = programme_count(ctx)
    return [(code, city, HOST_UNITS) for code, city, _n, _d in PARTNERS[:n]]


def programme_count(ctx: Context) -> int:
    return max(1, min(len(PARTNERS), ctx.sizes.batches // 25))


def programmes(ctx: Context, org: dict) -> None:
    """Programmes, batches, posts, placements, change requests, work teams, cadre accounts."""
    rng, today = ctx.rng, ctx.today
    n = programme_count(ctx)
    taken = set(Programme.objects.values_list("name", flat=True))
    progs = []
    for code, city, name, description in PARTNERS[:n]:
        if name in taken:
            name = f"{name}（规模数据{ctx.run}）"
        progs.append(
            Programme(
                name=name,
                partner_city=city,
                description=description,
                owner_unit=ctx.root,
                young_age_max=40,
            )
        )
        progs[-1].code = code
    write(Programme, progs, ctx)
    ctx.programmes = progs

    # Batches: every half year, a year long, the newest starting in the last few months.
    per_programme = apportion(ctx.sizes.batches, [1.0] * n)
    batches: list[Batch] = []
    for prog, k in zip(progs, per_programme, strict=True):
        lag = rng.randint(0, 150)
        for i in range(1, k + 1):
            start = add_months(today, -6 * (k - i)) - timedelta(days=lag)
            start = start.replace(day=1)
            end = add_months(start, 12) - timedelta(days=1)
            status = Batch.Status.FINISHED if end < today else Batch.Status.SERVING
            b = Batch(
                programme=prog,
                number=i,
                start=start,
                end=end,
                quota=1,
                status=status,
                min_young_share=50 if rng.random() < 0.5 else None,
                note="",
            )
            batches.append(b)
    # How many each batch sends: about 45 % of the cadres are sent once over the years.
    placed_total = min(len(ctx.cadres), max(len(batches), round(len(ctx.cadres) * 0.45)))
    quotas = apportion(placed_total, [0.6 + rng.random() for _ in batches])
    for b, q in zip(batches, quotas, strict=True):
        b.quota = max(1, q)
    write(Batch, batches, ctx)

    # Posts: about two seats each, in the partner city's host units, with what they ask for.
    from .people import tags

    tag_by_name = {t.name: t for t in tags()}
    posts: list[Post] = []
    for b in batches:
        hosts = org["hosts"][b.programme.code]
        n_posts = max(1, math.ceil(b.quota / 2))
        caps = apportion(b.quota, [1.0 + rng.random() for _ in range(n_posts)])
        for cap in caps:
            if cap < 1:
                continue
            title, tag = rng.choice(POST_TITLES)
            p = Post(
                batch=b,
                title=title,
                host_unit=rng.choice(hosts),
                capacity=min(cap, 50),
                duties=f"协助分管{tag}工作，对接沈阳相关部门和企业",
                cooperation_fields=tag,
                age_max=45 if rng.random() < 0.5 else None,
                experience_keywords="招商、项目" if tag == "招商引资" else "",
            )
            p.tag = tag_by_name[tag]
            posts.append(p)
    write(Post, posts, ctx)
    write(
        PostRequirement,
        [PostRequirement(post=p, tag=p.tag, weight=rng.randint(1, 5)) for p in posts],
        ctx,
    )

    # Placements, batch by batch in time order; a cadre serves one post at a time.
    cadres = ctx.cadres
    busy_until: dict[int, object] = {}
    by_batch: dict[int, list[Post]] = {}
    for p in posts:
        by_batch.setdefault(p.batch_id, []).append(p)
    placements: list[Placement] = []
    changes: list[tuple[Placement, str, object]] = []
    by_birth = sorted(cadres, key=lambda c: c.birth)
    births = [c.birth for c in by_birth]
    for b in sorted(batches, key=lambda x: (x.start, x.pk)):
        # Aged 25 to 40 at the start (Cadre.age_on; births are on the 1st): born after the
        # 1st of the start month 41 years before, and on or before that day 25 years before.
        oldest = bisect.bisect_right(births, date(b.start.year - 41, b.start.month, 1))
        youngest = bisect.bisect_right(births, date(b.start.year - 25, b.start.month, 1))
        young = by_birth[oldest:youngest] or cadres
        chosen: set[int] = set()
        for post in by_batch.get(b.pk, []):
            for _ in range(post.capacity):
                cadre = _pick(rng, young if rng.random() < 0.7 else cadres, b, busy_until, chosen)
                if cadre is None:
                    cadre = _pick(rng, cadres, b, busy_until, chosen, tries=200)
                if cadre is None:
                    continue
                chosen.add(cadre.pk)
                pl, change = _placement(rng, today, b, post, cadre)
                busy_until[cadre.pk] = pl.actual_end or max(pl.planned_end, today)
                placements.append(pl)
                if change:
                    changes.append((pl, *change))
    write(Placement, placements, ctx)
    ctx.placements = placements
    # Quota = the seats actually filled (a batch never sends more than its quota).
    filled: dict[int, int] = {}
    for pl in placements:
        filled[pl.batch_id] = filled.get(pl.batch_id, 0) + 1
    for b in batches:
        b.quota = max(1, filled.get(b.pk, 0))
    Batch.objects.bulk_update(batches, ["quota"], batch_size=1000)
    ctx.batches = batches

    # Work teams: a leader account per batch in the programme's work-team unit.
    roles = {r.code: r for r in Role.objects.filter(code__in=["team_leader", "cadre"])}
    leaders = []
    for b in batches:
        leaders.append(
            User(
                username=f"{ctx.user_prefix}dz{b.pk}",
                full_name=person_name(rng),
                unit=org["teams"][b.programme.code],
                password=ctx.officers[f"{ctx.user_prefix}zzb"].password,
            )
        )
    write(User, leaders, ctx)
    link_roles(ctx, [(u, roles["team_leader"]) for u in leaders])
    teams = [
        WorkTeam(
            batch=b,
            name=f"{b.programme.name}第{b.number}批工作队",
            unit=org["teams"][b.programme.code],
            leader=u,
        )
        for b, u in zip(batches, leaders, strict=True)
    ]
    with dated((WorkTeam, "created_at")):
        for t in teams:
            t.created_at = at(t.batch.start - timedelta(days=3), rng)
        write(WorkTeam, teams, ctx)
    ctx.leader_of = {b.pk: u for b, u in zip(batches, leaders, strict=True)}

    # The approved requests behind extensions and early ends: asked by the cadre's district
    # organisation department (the city officer for the city's bureaus), approved by another.
    zzb = ctx.officers[f"{ctx.user_prefix}zzb"]
    district_officer = {
        d.org_dept.pk: ctx.officers[f"{ctx.user_prefix}{d.code}"] for d in ctx.districts
    }
    unit_parent = {u.pk: u.parent_id for u in ctx.sending_units}
    rows = []
    for pl, kind, new_end in changes:
        asked_by = district_officer.get(unit_parent[pl.cadre.unit_id]) or ctx.leader_of[pl.batch_id]
        asked = at(min(new_end, today) - timedelta(days=rng.randint(20, 40)), rng)
        asked = max(asked, at(pl.start, rng))
        rows.append(
            PlacementChange(
                placement=pl,
                kind=kind,
                new_end=new_end,
                reason=CHANGE_REASONS[kind],
                requested_by=asked_by,
                requested_at=asked,
                status=PlacementChange.Status.APPROVED,
                decided_by=zzb,
                decided_at=asked + timedelta(days=rng.randint(1, 6)),
                decision_note="同意",
            )
        )
    with dated((PlacementChange, "requested_at")):
        write(PlacementChange, rows, ctx)

    _cadre_accounts(ctx, placements, roles["cadre"])


def _pick(rng, pool, batch, busy_until, chosen, tries: int = 40):
    for _ in range(tries):
        c = rng.choice(pool)
        if c.pk in chosen:
            continue
        if busy_until.get(c.pk) is not None and busy_until[c.pk] >= batch.start:
            continue
        if c.work_start and c.work_start > batch.start:
            continue
        return c
    return None


def _placement(rng, today, b: Batch, post: Post, cadre: Cadre):
    """One placement with a status true to its dates; the change request behind it, if any."""
    S = Placement.Status
    pl = Placement(
        cadre=cadre,
        batch=b,
        post=post,
        host_unit_id=post.host_unit_id,
        start=b.start,
        planned_end=b.end,
        status=S.ON_POST,
    )
    r = rng.random()
    change = None
    if r < 0.05:
        # 提前结束: approved, ended between the start and today (or the planned end).
        last = min(b.end, today) - timedelta(days=1)
        if last > b.start:
            end = b.start + timedelta(days=rng.randint(30, max(31, (last - b.start).days)))
            pl.actual_end = min(end, last)
            pl.status = S.ENDED_EARLY
            change = (PlacementChange.Kind.END_EARLY, pl.actual_end)
    elif r < 0.10:
        # 延期 by three or six months, then finished if that end has passed.
        new_end = add_months(b.end, rng.choice([3, 6]))
        pl.planned_end = new_end
        pl.status = S.EXTENDED
        change = (PlacementChange.Kind.EXTEND, new_end)
        if new_end < today:
            pl.status, pl.actual_end = S.FINISHED, new_end
    if pl.status == S.ON_POST and b.end < today:
        pl.status, pl.actual_end = S.FINISHED, b.end
    return pl, change


def _cadre_accounts(ctx: Context, placements: list[Placement], cadre_role: Role) -> None:
    """Every placed cadre has his own account (he writes his daily records); his 挂职状态 is
    his open placement's status, else his latest placement's (refresh_cadre_status)."""
    latest: dict[int, Placement] = {}
    for pl in placements:
        cur = latest.get(pl.cadre_id)
        if cur is None or (not cur.is_open and (pl.is_open or pl.start > cur.start)):
            latest[pl.cadre_id] = pl
    cadres = {c.pk: c for c in ctx.cadres}
    unusable = make_password(None)
    users = []
    placed = [cadres[pk] for pk in latest]
    for c in placed:
        users.append(
            User(
                username=f"{ctx.user_prefix}gb{c.pk}",
                full_name=c.name,
                unit_id=c.unit_id,
                password=unusable,
            )
        )
    write(User, users, ctx)
    link_roles(ctx, [(u, cadre_role) for u in users])
    for c, u in zip(placed, users, strict=True):
        c.user = u
        c.placement_status = latest[c.pk].status
    Cadre.objects.bulk_update(placed, ["user", "placement_status"], batch_size=2000)
