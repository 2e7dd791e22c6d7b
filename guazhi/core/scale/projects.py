"""Enterprises (valid 统一社会信用代码, an encrypted contact), events, and cooperation projects
with a stage history as `projects.services` writes it: a lead registered by a placed cadre
during his placement (登记线索), moves forward with the evidence each stage asks for (a task
force lead before 专班, date and amount at 签约 — sometimes at an event —, date, amount and form
at 落地, date at 投产), moves back with a note, 终止 with a reason from the programme's list and
重新启动. The project row agrees with its history: current stage and the date it entered it,
the highest stage reached, finished, terminated, the evidence dates and the last progress."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from stdnum.cn import uscc

from guazhi.projects import services as project_services
from guazhi.projects.models import (
    Credit,
    Enterprise,
    EnterpriseContact,
    Event,
    Project,
    ProjectUpdate,
    Sector,
    StageChange,
    TaskForceMember,
)

from .base import Context, at, dated, insert, write
from .people import mobile, person_name

Kd = StageChange.Kind
ADVANCE = {1: 0.72, 2: 0.88, 3: 0.75, 4: 0.9, 5: 0.62}  # chance to move on from stage n
STAY = {1: (10, 60), 2: (10, 45), 3: (45, 190), 4: (25, 140), 5: (60, 280), 6: (30, 120)}
BACK_NOTES = [
    "企业调整投资计划，退回重新洽谈",
    "协议条款需重新商定",
    "选址方案变化，回到上一阶段重新对接",
]
REOPEN_NOTES = ["企业重新表达投资意向，重新启动", "要素条件已具备，恢复推进"]
TERMINATE_NOTES = ["经专班研究，暂停推进", "企业书面告知放弃在沈投资"]
ECONOMIC = (0, 1, 2, 3, 4)  # the districts' 发改、商务、工信、科技、农业农村 bureaus
WORDS = [
    "华信",
    "中科",
    "润禾",
    "博远",
    "东方",
    "启明",
    "天成",
    "京泰",
    "瑞丰",
    "恒通",
    "智联",
    "新程",
    "海川",
    "联创",
    "宏图",
    "万象",
    "金桥",
    "鼎盛",
    "蓝海",
    "云帆",
]
KINDS = {
    Sector.AGRICULTURE: ["智慧农业示范园", "预制菜加工"],
    Sector.MANUFACTURING: ["智能网联汽车零部件", "工业机器人整机"],
    Sector.ELECTRONICS: ["集成电路封装测试", "研发中心"],
    Sector.BIOMEDICINE: ["生物医药中试基地", "医疗器械研发生产"],
    Sector.ENERGY: ["新能源电池材料", "光伏组件"],
    Sector.MATERIALS: ["新材料产业园", "特种合金"],
    Sector.DIGITAL: ["数据中心", "工业互联网平台"],
    Sector.SERVICES: ["东北区域总部", "共享服务中心"],
    Sector.TOURISM: ["文旅综合体", "冰雪旅游"],
    Sector.LOGISTICS: ["冷链物流园", "跨境电商运营中心"],
    Sector.OTHER: ["综合服务"],
}
SUFFIX = {
    Sector.AGRICULTURE: "农业科技",
    Sector.MANUFACTURING: "智能装备",
    Sector.ELECTRONICS: "电子科技",
    Sector.BIOMEDICINE: "生物医药",
    Sector.ENERGY: "新能源",
    Sector.MATERIALS: "新材料",
    Sector.DIGITAL: "数字科技",
    Sector.SERVICES: "企业管理",
    Sector.TOURISM: "文化旅游",
    Sector.LOGISTICS: "供应链管理",
    Sector.OTHER: "实业",
}
CITY_PREFIX = {"北京市": "北京", "上海市": "上海", "深圳市": "深圳", "天津市": "天津",
               "苏州市": "苏州", "杭州市": "杭州", "塔城地区": "塔城", "那曲市": "那曲"}  # fmt: skip
REGION = {"北京市": "110105", "上海市": "310115", "深圳市": "440305", "天津市": "120116",
          "苏州市": "320506", "杭州市": "330106", "塔城地区": "654201", "那曲市": "540602"}  # fmt: skip


@dataclass
class Walk:
    """One project's history before it is written: (kind, from order, to order, day)."""

    final: int
    terminated: bool
    detours: list[str] = field(default_factory=list)
    steps: list[list] = field(default_factory=list)


def enterprises(ctx: Context) -> None:
    rng = ctx.rng
    n = max(1, ctx.sizes.projects // 3)
    zzb = ctx.officers[f"{ctx.user_prefix}zzb"]
    names = set(Enterprise.objects.values_list("name", flat=True))
    codes = set(Enterprise.objects.values_list("credit_code", flat=True))
    cities = [p.partner_city for p in ctx.programmes] + ["沈阳市"]
    rows = []
    sectors = list(Sector)
    for i in range(n):
        city = rng.choice(cities)
        sector = rng.choice(sectors)
        prefix = CITY_PREFIX.get(city, "沈阳")
        name = f"{prefix}{rng.choice(WORDS)}{rng.choice(WORDS)}{SUFFIX[sector]}有限公司"
        if name in names:
            name = name.replace("有限公司", f"第{i}分公司")
        names.add(name)
        while True:
            body = "91" + REGION.get(city, "210100") + f"{rng.randrange(10**8, 10**9):09d}"
            try:
                code = project_services.check_credit_code(body + uscc.calc_check_digit(body))
            except project_services.ProjectError:
                continue
            if code not in codes:
                codes.add(code)
                break
        rows.append(
            Enterprise(name=name, credit_code=code, sector=sector, city=city, created_by=zzb)
        )
    with dated((Enterprise, "created_at")):
        for e in rows:
            e.created_at = at(ctx.today - timedelta(days=rng.randint(0, 3000)), rng)
        write(Enterprise, rows, ctx)
    contacts = []
    for e in rows:
        c = EnterpriseContact(enterprise=e, name=person_name(rng), title="投资发展部负责人")
        c.mobile = mobile(rng)  # the model's own encryption and mask
        contacts.append(c)
    write(EnterpriseContact, contacts, ctx)
    ctx.enterprises = rows


def projects(ctx: Context) -> list[tuple]:
    """Projects and their history; returns (placement, day, enterprise name) of each lead
    for the daily records."""
    rng, today = ctx.rng, ctx.today
    zzb = ctx.officers[f"{ctx.user_prefix}zzb"]
    stages, reasons, events = {}, {}, {}
    event_rows = []
    for prog in ctx.programmes:
        stages[prog.pk] = {s.order: s for s in project_services.stages_for(prog)}
        reasons[prog.pk] = project_services.policy_for(prog).reasons()
        first = min((b.start for b in ctx.batches if b.programme_id == prog.pk), default=today)
        span = max(1, (today - first).days)
        n_events = max(2, sum(1 for b in ctx.batches if b.programme_id == prog.pk))
        for _ in range(n_events):
            day = first + timedelta(days=rng.randrange(span))
            kind = rng.choice([Event.Kind.SIGNING, Event.Kind.SUMMIT, Event.Kind.PROMOTION])
            event_rows.append(
                Event(
                    programme=prog,
                    name=f"{prog.name}{'项目签约仪式' if kind == Event.Kind.SIGNING else '招商推介会'}（{day:%Y年%m月}）",
                    kind=kind,
                    date=day,
                    place=rng.choice([prog.partner_city, "沈阳市"]),
                    created_by=zzb,
                )
            )
    with dated((Event, "created_at")):
        for e in event_rows:
            e.created_at = at(e.date - timedelta(days=10), rng)
        write(Event, event_rows, ctx)
    for e in event_rows:
        events.setdefault(e.programme_id, []).append(e)
    for evs in events.values():
        evs.sort(key=lambda e: e.date)
    last_order = {pk: max(s) for pk, s in stages.items()}

    # Who found what: placements weighted by how long they have been on post.
    placements = ctx.placements
    weights = [max(1, (min(pl.actual_end or today, today) - pl.start).days) for pl in placements]
    n = ctx.sizes.projects
    chosen = rng.choices(placements, weights, k=n)
    walks = []
    for _pl in chosen:
        top = 6
        f = 1
        while f < top and rng.random() < ADVANCE.get(f, 0.5):
            f += 1
        walks.append(Walk(final=f, terminated=f < top and rng.random() < 0.35))
    _fit(rng, walks, ctx.sizes.stage_changes)

    units_by_district = [[d.units[i] for i in ECONOMIC] for d in ctx.districts]
    city_units = [u for u in ctx.sending_units if u.region == "沈阳市"]
    projects_rows, lead_days = [], []
    for pl, walk in zip(chosen, walks, strict=True):
        end = min(pl.actual_end or today, today)
        found_on = pl.start + timedelta(days=rng.randrange(max(1, (end - pl.start).days + 1)))
        _dates(rng, walk, found_on, today)
        enterprise = rng.choice(ctx.enterprises)
        d = rng.randrange(len(ctx.districts))
        unit = rng.choice(city_units) if rng.random() < 0.2 else rng.choice(units_by_district[d])
        owner = ctx.unit_staff[unit.pk]
        prog_id = pl.batch.programme_id
        planned = Decimal(int(rng.lognormvariate(8, 1.2)) + 100)
        p = Project(
            programme_id=prog_id,
            batch_id=pl.batch_id,
            title=f"{enterprise.name[:-4]}{rng.choice(KINDS[enterprise.sector])}项目"[:120],
            enterprise=enterprise,
            sector=enterprise.sector,
            district=ctx.districts[d].name,
            unit=unit,
            found_by_id=pl.cadre_id,
            found_on=found_on,
            channel=rng.choice(list(Project.Channel.values)),
            planned_amount=planned,
            owner=owner,
            created_by=owner,
        )
        p.walk = walk
        p.placement = pl
        _apply(rng, p, walk, stages[prog_id], reasons[prog_id], events.get(prog_id, []),
               last_order[prog_id], today)  # fmt: skip
        projects_rows.append(p)
        lead_days.append((pl, found_on, enterprise.name))
    with dated((Project, "created_at")):
        for p in projects_rows:
            p.created_at = at(p.found_on, rng)
        write(Project, projects_rows, ctx)

    columns = ["project_id", "kind", "from_stage_id", "to_stage_id", "date", "days_in_from",
               "note", "reason", "amount", "event_id", "by_id", "created_at"]  # fmt: skip

    def changes():
        for p in projects_rows:
            ids = stage_ids[p.programme_id]
            for kind, frm, to, day, extra in p.walk.steps:
                event = extra.get("event")
                yield (p.pk, kind, ids[frm] if frm else None, ids[to], day, extra.get("days"),
                       extra.get("note", ""), extra.get("reason", ""), extra.get("amount"),
                       event.pk if event else None, p.owner_id, at(day, rng))  # fmt: skip

    stage_ids = {pk: {o: s.pk for o, s in by_order.items()} for pk, by_order in stages.items()}
    insert(StageChange, columns, changes(), ctx)

    # Task force (a lead before 专班) and credit: the finder leads what reached 专班.
    members, credits = [], []
    for p in projects_rows:
        credits.append(
            Credit(
                project_id=p.pk,
                cadre_id=p.found_by_id,
                role=Credit.Role.FOUND,
                created_by_id=p.owner_id,
                created_at=p.created_at,
            )  # fmt: skip
        )
        if p.reached_order >= 2:
            entered = next(s[3] for s in p.walk.steps if s[2] == 2)
            added = at(entered, rng, 8, 9)
            members.append(
                TaskForceMember(
                    project_id=p.pk,
                    role=TaskForceMember.Role.LEAD,
                    cadre_id=p.found_by_id,
                    added_at=added,
                )  # fmt: skip
            )
            members.append(
                TaskForceMember(
                    project_id=p.pk,
                    role=TaskForceMember.Role.LIAISON,
                    unit_id=p.unit_id,
                    contact=p.owner.full_name,
                    added_at=added,
                )  # fmt: skip
            )
            credits.append(
                Credit(
                    project_id=p.pk,
                    cadre_id=p.found_by_id,
                    role=Credit.Role.DROVE,
                    created_by_id=p.owner_id,
                    created_at=added,
                )  # fmt: skip
            )
    with dated((TaskForceMember, "added_at"), (Credit, "created_at")):
        write(TaskForceMember, members, ctx)
        write(Credit, credits, ctx)

    # Follow-up notes keep about two thirds of the active projects green, as in the demo.
    updates = []
    for p in projects_rows:
        if p.status == Project.Status.ACTIVE and not p.is_finished and rng.random() < 0.6:
            day = today - timedelta(days=rng.randint(0, 25))
            if day > p.last_progress_on:
                updates.append(
                    ProjectUpdate(
                        project_id=p.pk,
                        date=day,
                        content="与企业沟通，跟进项目进展",
                        by_id=p.owner_id,
                        created_at=at(day, rng),
                    )  # fmt: skip
                )
                p.last_progress_on = day
    with dated((ProjectUpdate, "created_at")):
        write(ProjectUpdate, updates, ctx)
    Project.objects.bulk_update(
        _touched(updates, projects_rows), ["last_progress_on"], batch_size=2000
    )
    return lead_days


def _touched(updates, projects_rows):
    ids = {u.project_id for u in updates}
    return [p for p in projects_rows if p.pk in ids]


def _fit(rng, walks: list[Walk], target: int) -> None:
    """Give the walks detours so that their steps add up to `target` exactly: the plain path
    (create, an advance per stage, a termination) is the floor; a move back and forward again
    or a termination and reopening add two steps, a move back two stages three."""
    minimum = sum(w.final + w.terminated for w in walks)
    # Too few steps wanted: shorten paths (terminations first, then the furthest stages).
    while minimum > target:
        w = rng.choice(walks)
        if w.terminated:
            w.terminated = False
        elif w.final > 1:
            w.final -= 1
        else:
            continue
        minimum -= 1
    extra = target - minimum
    if extra % 2:
        growable = [w for w in walks if w.final < 6]
        if growable:
            rng.choice(growable).final += 1
        else:
            rng.choice([w for w in walks if w.final >= 3]).detours.append("back2")
            extra -= 2
        extra -= 1
    pairs = extra // 2
    if pairs:
        weights = [rng.lognormvariate(0, 0.8) * (1 + w.final) for w in walks]
        for i in rng.choices(range(len(walks)), weights, k=pairs):
            w = walks[i]
            w.detours.append("back1" if w.final >= 2 and rng.random() < 0.6 else "pause")


def _dates(rng, walk: Walk, found_on: date, today: date) -> None:
    """The walk's steps with their days: stays drawn per stage, squeezed to end by today."""
    f = walk.final
    # Where each detour happens: after main step j (0 = the lead's registration).
    slots: dict[int, list[str]] = {}
    for d in walk.detours:
        low = {"back1": 1, "back2": 2, "pause": 0}[d]
        slots.setdefault(rng.randint(low, f - 1), []).append(d)
    steps = [[Kd.CREATE, None, 1, 0, {}]]
    stage = 1
    for j in range(f):
        if j:
            steps.append([Kd.ADVANCE, j, j + 1, 0, {}])
            stage = j + 1
        for d in slots.get(j, []):
            if d == "pause":
                steps.append([Kd.TERMINATE, stage, stage, 0, {}])
                steps.append([Kd.REOPEN, stage, stage, 0, {}])
            else:
                down = 1 if d == "back1" else 2
                steps.append([Kd.BACK, stage, stage - down, 0, {}])
                for k in range(stage - down, stage):
                    steps.append([Kd.ADVANCE, k, k + 1, 0, {}])
    if walk.terminated:
        steps.append([Kd.TERMINATE, f, f, 0, {}])
    gaps = []
    for kind, frm, _to, _d, _x in steps[1:]:
        if kind == Kd.ADVANCE:
            lo, hi = STAY[frm]
        elif kind == Kd.REOPEN:
            lo, hi = 20, 200
        else:
            lo, hi = 5, 60
        gaps.append(rng.randint(lo, hi))
    room = (today - found_on).days
    total = sum(gaps)
    if total > room:
        gaps = [g * room // total for g in gaps]
    day = found_on
    steps[0][3] = day
    for step, g in zip(steps[1:], gaps, strict=True):
        day = day + timedelta(days=g)
        step[3] = day
    walk.steps = steps


def _apply(rng, p: Project, walk: Walk, stages, reasons, events, last: int, today) -> None:
    """Fill the project's row and the steps' details from the walk, as the services would:
    evidence at the first entry into 签约/落地/投产, days in the stage left, notes and reasons."""
    steps = walk.steps
    signed = (p.planned_amount * Decimal(rng.uniform(0.6, 1.2))).quantize(Decimal("0.01"))
    landed = (signed * Decimal(rng.uniform(0.2, 0.9))).quantize(Decimal("0.01"))
    evidence_order = {s.evidence: o for o, s in stages.items() if s.evidence}
    sign_at, land_at, prod_at = (
        evidence_order.get("signing"),
        evidence_order.get("landing"),
        evidence_order.get("production"),
    )
    # A first signing may happen at an event of the programme falling between its neighbours.
    for i, (kind, _frm, to, _day, extra) in enumerate(steps):
        if kind == Kd.ADVANCE and to == sign_at:
            if events and rng.random() < 0.3:
                lo = steps[i - 1][3]
                hi = steps[i + 1][3] if i + 1 < len(steps) else today
                k = bisect.bisect_left([e.date for e in events], lo)
                if k < len(events) and events[k].date <= hi:
                    steps[i][3] = events[k].date
                    extra["event"] = events[k]
                    p.signed_event = events[k]
            break
    entered = steps[0][3]
    p.status = Project.Status.ACTIVE
    for kind, _frm, to, day, extra in steps[1:]:
        if kind in (Kd.ADVANCE, Kd.BACK, Kd.TERMINATE):
            extra["days"] = (day - entered).days
        if kind == Kd.ADVANCE:
            if to == sign_at:
                extra["amount"] = signed
                if p.signed_on is None:
                    p.signed_on, p.signed_amount = day, signed
                    p.agreement_number = f"HZ-{day:%Y}-{rng.randrange(10000):04d}"
            elif to == land_at:
                extra["amount"] = landed
                if p.landed_on is None:
                    p.landed_on, p.landed_amount = day, landed
                    p.landing_form = rng.choice(list(Project.LandingForm.values))
            elif to == prod_at and p.production_on is None:
                p.production_on = day
            entered = day
        elif kind == Kd.BACK:
            extra["note"] = rng.choice(BACK_NOTES)
            entered = day
        elif kind == Kd.TERMINATE:
            extra["reason"] = rng.choice(reasons)
            extra["note"] = rng.choice(TERMINATE_NOTES)
            p.status = Project.Status.TERMINATED
            p.terminated_on, p.terminated_reason = day, extra["reason"]
            p.terminated_note = extra["note"]
        elif kind == Kd.REOPEN:
            extra["note"] = rng.choice(REOPEN_NOTES)
            p.status = Project.Status.ACTIVE
            p.terminated_on, p.terminated_reason, p.terminated_note = None, "", ""
            entered = day
    steps[0][4]["note"] = ""
    p.stage = stages[walk.final]
    p.stage_entered_on = entered
    p.reached_order = walk.final
    p.is_finished = walk.final == last
    p.last_progress_on = steps[-1][3]
