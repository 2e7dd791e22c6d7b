"""Demo cooperation projects (SPEC §6, issue 7): the seed's 360 京沈对口合作 projects, loaded by
`guazhi demo` after the operations demo (guazhi/returns/demo.py) wrote the cadres' daily records.

The story:

- Every project grew from a lead a cadre logged in his daily records (纪实, category 发现项目
  线索): the enterprise, the kind of project and the estimated investment come from that
  record, and the record's date is the day the lead was found. 70, 80, 90 and 120 leads of
  batches 1 to 4, so older batches have carried more projects to 投产 and ended more.
- Each lead then went its own way through 线索 → 专班 → 洽谈 → 签约 → 落地 → 投产: a task
  force (the cadre who led it, the responsible unit as liaison, sometimes a second cadre),
  split tasks, follow-up records, blockers — some escalated to the green channel, a few still
  waiting there — and, for about three in ten, 终止 with a reason from the list (a few reopened,
  a few moved back a stage with a note).
- 第三批 with 北京朝阳区 and 沈阳浑南区 held the 京沈科创产业生态共同体峰会 on 2024-10-25, where
  exactly 6 projects were signed (the seed's figure); 第四批 signed 4 more at the 京沈对口合作
  座谈会暨项目签约仪式 on 2026-09-16.
- The demo cadre `ganbu` (吴挂职, 沈阳市农业农村局 — the seed's 刘作军) found the 3亿元 project
  of an agricultural-internet enterprise on 2026-04-02: task force 04-12, 洽谈 04-20, signed
  at the ceremony, landed (registered) on 2026-10-19, six months after the talks began. He also
  owns the “猪肉进京” project and two red ones that have not moved for months.
- Active projects carry a stall light relative to the day the demo is loaded: about two in
  three green, the rest yellow or red, so the board, the owner's and team leader's lists and
  the reminders have something to show.
- Projects are owned by staff of the responsible units (accounts without a password, like the
  earlier team leaders), by `ganbu` for his own and by `duizhang` for a few of batch 4.

The rows are checked against the services' rules by tests/test_demo.py and written with
bulk_create (one audit entry per model says what was loaded). Deterministic for a given day
and idempotent: nothing happens once the programme has a project.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc

from guazhi.cadres.models import Cadre
from guazhi.core import audit
from guazhi.core.models import OrgUnit, User
from guazhi.programmes.models import Placement, Programme
from guazhi.records.models import DailyRecord

from . import services
from .models import (
    Blocker,
    Credit,
    Enterprise,
    EnterpriseContact,
    Event,
    Project,
    ProjectUpdate,
    Sector,
    StageChange,
    Task,
    TaskForceMember,
)

PROGRAMME = "京沈对口合作"
PER_BATCH = {1: 70, 2: 80, 3: 90, 4: 120}
S = Sector
SECTOR_OF = {
    "智能网联汽车零部件": S.MANUFACTURING,
    "工业机器人整机": S.MANUFACTURING,
    "生物医药中试基地": S.BIOMEDICINE,
    "数据中心": S.DIGITAL,
    "新能源电池材料": S.ENERGY,
    "冷链物流园": S.LOGISTICS,
    "预制菜加工": S.AGRICULTURE,
    "医疗器械研发生产": S.BIOMEDICINE,
    "东北区域总部": S.SERVICES,
    "研发中心": S.ELECTRONICS,
    "智慧农业示范园": S.AGRICULTURE,
    "集成电路封装测试": S.ELECTRONICS,
    "跨境电商运营中心": S.LOGISTICS,
}
TECH = {S.DIGITAL, S.ELECTRONICS, S.BIOMEDICINE}
# Districts of a cadre's home district unit → (landing district, responsible unit)
HOME_DISTRICT = {"HP": ("和平区", "HP-SWJ"), "SH": ("沈河区", "SH-GXJ"), "HN": ("浑南区", "HN-SWJ")}
CITY_DISTRICTS = {
    "agriculture": (["沈北新区", "辽中区", "新民市", "法库县"], "SY-NYNC"),
    "industry": (["铁西区", "大东区", "于洪区", "苏家屯区"], "SY-FGW"),
    "other": (["皇姑区", "大东区", "于洪区", "铁西区", "沈北新区"], "SY-SWJ"),
}
# Staff who own the projects of each responsible unit: (username, full name)
STAFF = {
    "SY-SWJ": ("xm_shiswj", "马骏"),
    "SY-FGW": ("xm_shifgw", "冯晓宁"),
    "SY-NYNC": ("xm_shinync", "田丰"),
    "HP-SWJ": ("xm_hpswj", "韩静"),
    "SH-GXJ": ("xm_shgxj", "沈立群"),
    "HN-SWJ": ("xm_hnswj", "罗建华"),
    "HN-KJJ": ("xm_hnkjj", "许晨"),
}
BEIJING_REGIONS = ["110101", "110102", "110105", "110106", "110108", "110112", "110115"]
CONTACT_TITLES = ["投资发展部总监", "董事会秘书", "战略发展部经理", "东北区域负责人", "副总裁"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许"
GIVEN = "伟芳敏静丽强磊军洋勇艳杰涛明超霞平刚华玲鹏飞宇浩博文琪晨"

# Days a project typically stays in stage n before it moves on, and what happens then.
STAY = {1: (10, 60), 2: (10, 45), 3: (45, 190), 4: (25, 140), 5: (60, 280)}
ADVANCE = {1: 0.72, 2: 0.88, 3: 0.75, 4: 0.9, 5: 0.62}
END = {1: 0.07, 2: 0.04, 3: 0.1, 4: 0.02, 5: 0.01}
# (name, kind, date, place, batch, projects signed there, district, unit, note)
SUMMIT = date(2024, 10, 25)
CEREMONY = date(2026, 9, 16)
EVENTS = [
    (
        "京沈对口合作招商推介会",
        Event.Kind.PROMOTION,
        date(2023, 5, 18),
        "北京市朝阳区",
        None,
        0,
        "推介沈阳营商环境和重点产业链，发布项目合作清单",
    ),
    (
        "“北京企业沈阳行”系列活动",
        Event.Kind.VISIT,
        date(2024, 6, 12),
        "沈阳市",
        None,
        0,
        "第三批赴京挂职工作队与北京赴沈挂职工作队联合组织北京国有企业与十余家沈阳企业对接商谈",
    ),
    (
        "京沈科创产业生态共同体峰会",
        Event.Kind.SUMMIT,
        SUMMIT,
        "沈阳市浑南区",
        3,
        6,
        "北京朝阳区和沈阳浑南区共同举办。现场签约6个项目，揭牌“京沈合作科技创新中心”，启动"
        "“自贸区沈阳片区——京沈高精尖产业智库服务平台”",
    ),
    (
        "京沈对口合作座谈会暨项目签约仪式",
        Event.Kind.SIGNING,
        CEREMONY,
        "沈阳市",
        4,
        4,
        "京沈两市领导出席，集中签约第四批挂职干部推动的合作项目",
    ),
]
BIG_ENTERPRISE = "北京润禾农业产业互联网科技有限公司"
BIG_TITLE = "农业产业互联网平台沈阳运营中心项目"
BIG_AMOUNT = Decimal(30000)
BIG_DATES = [date(2026, 4, 2), date(2026, 4, 12), date(2026, 4, 20), CEREMONY, date(2026, 10, 19)]
PORK_TITLE = "“猪肉进京”产销对接项目"

UPDATE_TEXTS = [
    "与企业{role}电话沟通，确认下一步对接安排",
    "陪同企业考察{district}备选地块，企业对区位条件表示认可",
    "组织{unit}与企业召开对接会，梳理企业诉求清单",
    "企业内部决策流程推进中，约定两周后再次会商",
    "向企业提供沈阳产业扶持政策汇编，解答用地、税收等问题",
    "工作专班碰头，更新项目推进计划和分工",
    "企业提交项目可行性研究报告初稿，专班组织审阅",
    "与企业就协议条款进行第二轮磋商",
]
ROLES = ["董事长", "总经理", "投资总监", "战略发展部负责人"]
TASKS = {
    2: ["制定项目推进计划和分工方案", "整理企业基本情况和投资意向"],
    3: ["梳理企业诉求清单并逐项答复", "对接备选地块并出具规划条件", "起草投资合作协议文本"],
    4: ["办理项目公司注册", "协调用地预审和规划许可", "落实协议约定的配套条件"],
    5: ["跟进设备进场和安装调试", "协调施工许可和电力增容", "对接人才招聘和员工公寓"],
}
BLOCKERS = [
    ("项目用地指标不足", "备选地块尚未纳入年度供地计划"),
    ("能耗指标待落实", "项目年综合能耗超过区级审批权限"),
    ("环评审批时间长", "企业希望压缩环评审批周期"),
    ("电力增容配套滞后", "园区变电站容量不足，需提前规划"),
    ("企业注册地址变更手续复杂", "跨省迁移涉及税务、社保多个部门"),
    ("人才公寓需求", "首批到岗技术人员需要过渡住房"),
    ("产业扶持政策兑现慢", "企业反映承诺的设备补贴尚未拨付"),
]
BLOCKER_OWNERS = ["SY-FGW", "SY-SWJ"]


@dataclass
class _Plan:
    """One project before it is written: where it came from and what happened to it."""

    record: DailyRecord
    placement: Placement
    title: str
    enterprise: str
    kind: str
    sector: str
    district: str
    unit: str
    planned: Decimal
    light: str = "green"
    sign_on: date | None = None  # forced signing day (an event)
    event: str = ""
    steps: list[tuple[str, int, int, date, str, str]] = field(default_factory=list)
    scripted: bool = False

    @property
    def cadre(self) -> Cadre:
        return self.placement.cadre


def _aware(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _clip(day: date, low: date, high: date) -> date:
    return max(low, min(day, high))


def _reasons() -> list[str]:
    from .models import DEFAULT_TERMINATION_REASONS

    return [r for r in DEFAULT_TERMINATION_REASONS if r not in ("重复线索", "其他")]


def _timeline(plan: _Plan, until: date, today: date, rng: random.Random):
    """The moves after the lead was registered: (kind, from, to, date, reason, note)."""
    steps: list[tuple[str, int, int, date, str, str]] = []
    order, day = 1, plan.record.date
    reopened = moved_back = False
    while order < 6:
        roll = rng.random()
        nxt = day + timedelta(days=rng.randint(*STAY[order]))
        if plan.sign_on is not None and order < 4:
            # Brought to the event's table: it advances in time to sign there.
            if order == 3:
                nxt = plan.sign_on
            else:
                room = (plan.sign_on - day).days // (4 - order)
                nxt = day + timedelta(days=max(1, min(rng.randint(5, 25), room - 1)))
            roll = END[order]  # advance
        if nxt > until:
            break
        if order == 3 and plan.sign_on is None and nxt in (SUMMIT, CEREMONY):
            nxt += timedelta(days=1)  # only the events' own projects sign on their day
            if nxt > until:
                break
        if roll < END[order]:
            reason = rng.choice(_reasons())
            steps.append(("terminate", order, order, nxt, reason, _end_note(reason)))
            back = nxt + timedelta(days=rng.randint(30, 120))
            if not reopened and rng.random() < 0.1 and back <= until:
                steps.append(("reopen", order, order, back, "", "企业重新表达投资意向，恢复推进"))
                reopened, day = True, back
                continue
            return steps
        if roll < END[order] + ADVANCE[order]:
            if order == 3 and not moved_back and plan.sign_on is None and rng.random() < 0.04:
                steps.append(("back", 3, 2, nxt, "", "企业更换对接团队，重新调整工作专班"))
                moved_back, order, day = True, 2, nxt
                continue
            steps.append(("advance", order, order + 1, nxt, "", ""))
            order, day = order + 1, nxt
            continue
        # Stalled. The units end most leads that have not moved for a year.
        end = nxt + timedelta(days=rng.randint(30, 90))
        if plan.record.date < today - timedelta(days=400) and end <= until and rng.random() < 0.5:
            steps.append(("terminate", order, order, end, "企业投资意向变化", _end_note("")))
        break
    return steps


def _end_note(reason: str) -> str:
    return {
        "被其他地区引走": "企业最终选择在其他城市布局，专班已做好后续联系",
        "政策条件未谈拢": "企业提出的政策条件超出可支持范围，经多轮磋商未达成一致",
        "用地、能耗等要素条件不具备": "项目所需用地和能耗指标短期内无法保障",
        "企业经营困难": "企业经营出现困难，暂停新增投资",
    }.get(reason, "长期无实质进展，企业暂无投资计划，经专班研究终止跟进")


def _enterprise_code(rng: random.Random, used: set[str]) -> str:
    while True:
        body = "91" + rng.choice(BEIJING_REGIONS) + f"{rng.randrange(10**8, 10**9):09d}"
        code = services.check_credit_code(body + uscc.calc_check_digit(body))
        if code not in used:
            used.add(code)
            return code


def _mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "186", "135", "158"]) + f"{rng.randrange(10**8):08d}"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))


def _place(record: DailyRecord, sector: str, rng: random.Random) -> tuple[str, str]:
    home = HOME_DISTRICT.get(record.cadre.unit.code.split("-")[0])
    if home is not None:
        district, unit = home
        if district == "浑南区" and sector in TECH:
            unit = "HN-KJJ"
        return district, unit
    if sector == S.AGRICULTURE:
        key = "agriculture"
    elif sector in (S.MANUFACTURING, S.ENERGY, S.MATERIALS):
        key = "industry"
    else:
        key = "other"
    districts, unit = CITY_DISTRICTS[key]
    return rng.choice(districts), unit


def _channel(content: str) -> str:
    """How the lead came, from the record's wording (通过…获悉)."""
    if "推荐" in content or "商会" in content:
        return Project.Channel.REFERRAL
    if "沙龙" in content or "座谈" in content or "例会" in content:
        return Project.Channel.EVENT
    return Project.Channel.VISIT


PHASES = ["", "（二期）", "（三期）", "（四期）"]
LINKED = re.compile(r"^(?P<enterprise>.+?)（(?P<kind>.+?)项目）$")
AMOUNT = re.compile(r"约(\d+(?:\.\d+)?)亿元")


def _plans(programme: Programme, ganbu: Cadre | None, rng: random.Random) -> list[_Plan]:
    """The leads that became projects: distinct (enterprise, kind) leads of each batch."""
    records = (
        DailyRecord.objects.filter(
            category=DailyRecord.Category.LEAD,
            placement__batch__programme=programme,
            placement__batch__number__in=PER_BATCH,
        )
        .select_related("cadre__unit", "placement__batch", "placement__cadre")
        .order_by("date", "pk")
    )
    by_batch: dict[int, list[_Plan]] = defaultdict(list)
    seen: set[tuple[int, str, str]] = set()
    phases: dict[tuple[str, str], set[int]] = defaultdict(set)
    for record in records:
        match = LINKED.match(record.linked or "")
        if match is None or match["kind"] not in SECTOR_OF:
            continue
        key = (match["enterprise"], match["kind"])
        number = record.placement.batch.number
        if (number, *key) in seen:
            continue
        seen.add((number, *key))
        phases[key].add(number)
        # A later batch taking up the same enterprise's project again: its next phase.
        phase = PHASES[sorted(phases[key]).index(number)]
        sector = SECTOR_OF[match["kind"]]
        district, unit = _place(record, sector, rng)
        amount = AMOUNT.search(record.content)
        planned = Decimal(amount.group(1)) * 10000 if amount else Decimal(5000)
        enterprise = match["enterprise"]
        brand = enterprise.removeprefix("北京")[:2]
        by_batch[number].append(
            _Plan(
                record=record,
                placement=record.placement,
                title=f"{brand}{match['kind']}项目{phase}",
                enterprise=enterprise,
                kind=match["kind"],
                sector=sector,
                district=district,
                unit=unit,
                planned=planned.quantize(Decimal(1)),
            )
        )
    plans = []
    for number, wanted in PER_BATCH.items():
        pool = by_batch[number]
        mine = [p for p in pool if ganbu is not None and p.cadre == ganbu][:8]
        others = [p for p in pool if p not in mine]
        chosen = mine + rng.sample(others, min(len(others), wanted - len(mine)))
        plans.extend(sorted(chosen, key=lambda p: (p.record.date, p.record.pk)))
    return plans


def _script_story(plans: list[_Plan], ganbu: Cadre | None, today: date, rng) -> None:
    """The seed's projects: the summit's six, the ceremony's four (with the 3亿元 project) and
    `ganbu`'s pork and red projects."""
    mine = [p for p in plans if ganbu is not None and p.cadre == ganbu]
    if mine:
        big = mine[0]  # his first lead (2026-04-02)
        big.title, big.enterprise, big.sector, big.kind = (
            BIG_TITLE,
            BIG_ENTERPRISE,
            S.AGRICULTURE,
            "",
        )
        big.district, big.unit, big.planned = "沈北新区", "SY-NYNC", BIG_AMOUNT
        big.event, big.scripted = "京沈对口合作座谈会暨项目签约仪式", True
        big.steps = [
            ("advance", i + 1, i + 2, day, "", note)
            for i, (day, note) in enumerate(
                zip(
                    BIG_DATES[1:],
                    [
                        "组建由吴挂职牵头、市农业农村局和沈北新区参加的工作专班",
                        "与企业开始就运营中心选址、投资规模和扶持政策反复磋商",
                        "在京沈对口合作座谈会暨项目签约仪式上签约，总投资3亿元",
                        "项目公司在沈北新区注册，首期资金到位",
                    ],
                    strict=True,
                )
            )
        ]
        big.light = "green"
    if len(mine) > 1:
        pork = mine[1]
        pork.title, pork.sector, pork.kind = PORK_TITLE, S.AGRICULTURE, ""
        pork.district, pork.unit = "法库县", "SY-NYNC"
    for plan in mine[2:4]:  # two of his that reached 洽谈 in spring and have stalled since
        found = plan.record.date
        plan.light, plan.scripted = "red", True
        plan.steps = [
            ("advance", 1, 2, found + timedelta(days=10), "", ""),
            ("advance", 2, 3, found + timedelta(days=24), "", ""),
        ]
    for name, _kind, day, _place, batch, signed, *_rest in EVENTS:
        if not signed:
            continue
        already = sum(1 for p in plans if p.event == name)
        candidates = [
            p
            for p in plans
            if p.placement.batch.number == batch
            and not p.scripted
            and p.record.date <= day - timedelta(days=60)
            and p.light == "green"
            and p not in mine[:4]
        ]
        for plan in rng.sample(candidates, signed - already):
            plan.sign_on, plan.event = day, name
            if batch == 3:  # the summit of 北京朝阳区 and 沈阳浑南区
                plan.district = "浑南区"
                plan.unit = "HN-KJJ" if plan.sector in TECH else "HN-SWJ"


def _choose_lights(plans: list[_Plan], today: date, rng: random.Random) -> None:
    for plan in plans:
        if plan.scripted or plan.light == "red" or plan.sign_on is not None:
            continue
        plan.light = rng.choices(["green", "yellow", "red"], weights=[66, 16, 18])[0]
        if plan.record.date > today - timedelta(days=70):
            plan.light = "green"


UNTIL = {"green": 0, "yellow": 31, "red": 62}


def _last_progress(plan: _Plan, today: date, rng: random.Random) -> date:
    """The day of the last progress: the last move for ended and finished projects; for an
    active one a day in the window of its light (never before its last move)."""
    last = plan.steps[-1][3] if plan.steps else plan.record.date
    kind, _f, to, *_rest = plan.steps[-1] if plan.steps else ("create", 1, 1)
    if kind == "terminate" or (kind == "advance" and to == 6):
        return last
    if plan.light == "green":
        low = max(last, today - timedelta(days=20))
        return low + timedelta(days=rng.randint(0, (today - low).days))
    if plan.light == "yellow":
        low, high = max(last, today - timedelta(days=57)), today - timedelta(days=31)
    else:
        low, high = max(last, today - timedelta(days=200)), today - timedelta(days=62)
    return low + timedelta(days=rng.randint(0, max(0, (high - low).days)))


def _staff(units: dict[str, OrgUnit]) -> dict[str, User]:
    staff = {}
    for code, (username, full_name) in STAFF.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name, unit=units[code])
            user.set_unusable_password()
            user.save()
        staff[code] = user
    return staff


def _enterprises(plans: list[_Plan], zzb: User, rng: random.Random) -> dict[str, Enterprise]:
    used: set[str] = set()
    rows, sectors = [], {}
    for plan in plans:
        sectors.setdefault(plan.enterprise, plan.sector)
    for name, sector in sectors.items():
        rows.append(
            Enterprise(
                name=name,
                credit_code=_enterprise_code(rng, used),
                sector=sector,
                city="北京市",
                address=f"北京市{rng.choice(['朝阳区', '海淀区', '大兴区', '通州区'])}"
                f"{rng.choice(['科创', '望京', '中关村', '亦庄'])}园区{rng.randint(1, 30)}号",
                note="农业互联网领域独角兽企业" if name == BIG_ENTERPRISE else "",
                created_by=zzb,
            )
        )
    enterprises = {e.name: e for e in Enterprise.objects.bulk_create(rows)}
    contacts = []
    for enterprise in enterprises.values():
        for _i in range(rng.choice([1, 1, 2])):
            contact = EnterpriseContact(
                enterprise=enterprise, name=_person(rng), title=rng.choice(CONTACT_TITLES)
            )
            contact.mobile = _mobile(rng)
            contacts.append(contact)
    EnterpriseContact.objects.bulk_create(contacts)
    return enterprises


@dataclass
class _Rows:
    changes: list = field(default_factory=list)
    members: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    blockers: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    credits: list = field(default_factory=list)


def _evidence(project: Project, plan: _Plan, to: int, day: date, rng, events) -> Decimal | None:
    """Fill the evidence of the stage entered; the amount recorded on the move."""
    if to == 4:
        share = Decimal(1) if plan.scripted else Decimal(rng.choice([6, 7, 8, 9, 10])) / 10
        project.signed_on = day
        project.signed_amount = (plan.planned * share).quantize(Decimal(1))
        project.agreement_number = f"JS-{day.year}-{rng.randint(1, 999):03d}"
        project.signed_event = events.get(plan.event) if plan.event else None
        return project.signed_amount
    if to == 5:
        share = Decimal(1) if plan.scripted else Decimal(rng.choice([2, 3, 5, 6, 8, 10])) / 10
        project.landed_on = day
        project.landed_amount = (project.signed_amount * share).quantize(Decimal(1))
        project.landing_form = (
            Project.LandingForm.REGISTERED
            if plan.scripted
            else rng.choice(Project.LandingForm.values)
        )
        return project.landed_amount
    if to == 6:
        project.production_on = day
    return None


def _build(plan, project, stages, owner, last, staff, serving, rows, events, today, rng):
    """The history, task force, tasks, blockers, notes and credits of one project."""
    found = plan.record.date
    entered, order = found, 1
    rows.changes.append(
        StageChange(
            project=project,
            kind=StageChange.Kind.CREATE,
            to_stage=stages[1],
            date=found,
            note=project.source_note[:500],
            by=owner,
        )
    )
    force_day = None
    for kind, frm, to, day, reason, note in plan.steps:
        amount = None
        if kind == "advance":
            amount = _evidence(project, plan, to, day, rng, events)
        rows.changes.append(
            StageChange(
                project=project,
                kind=kind,
                from_stage=stages[frm],
                to_stage=stages[to],
                date=day,
                days_in_from=None if kind == "reopen" else (day - entered).days,
                note=note,
                reason=reason,
                amount=amount,
                event=project.signed_event if amount is not None and to == 4 else None,
                by=owner,
            )
        )
        if kind in ("advance", "back", "reopen"):
            entered, order = day, to
        if kind == "advance" and to == 2 and force_day is None:
            force_day = day
        if kind == "terminate":
            project.status = Project.Status.TERMINATED
            project.terminated_on, project.terminated_reason = day, reason
            project.terminated_note = note
        elif kind == "reopen":
            project.status = Project.Status.ACTIVE
            project.terminated_on, project.terminated_reason, project.terminated_note = None, "", ""
    project.stage = stages[order]
    project.stage_entered_on = entered
    project.reached_order = max([1] + [s[2] for s in plan.steps])
    project.is_finished = order == 6 and project.status == Project.Status.ACTIVE
    project.last_progress_on = last
    active = project.status == Project.Status.ACTIVE

    # Credit and the task force: the finder; a lead cadre (usually the finder) from 专班 on.
    rows.credits.append(
        Credit(project=project, cadre=plan.cadre, role=Credit.Role.FOUND, created_by=owner)
    )
    if force_day is not None:
        mates = [c for c in serving(plan.placement.batch_id, force_day) if c != plan.cadre]
        lead = (
            plan.cadre if plan.scripted or rng.random() < 0.75 or not mates else rng.choice(mates)
        )
        rows.members.append(
            TaskForceMember(
                project=project,
                role=TaskForceMember.Role.LEAD,
                cadre=lead,
                note="牵头对接企业，统筹推进",
            )
        )
        rows.members.append(
            TaskForceMember(
                project=project,
                role=TaskForceMember.Role.LIAISON,
                unit=project.unit,
                contact=staff[plan.unit].full_name,
                note="负责项目在沈落地的要素保障",
            )
        )
        rows.credits.append(
            Credit(project=project, cadre=lead, role=Credit.Role.DROVE, created_by=owner)
        )
        helpers = [c for c in mates if c != lead]
        if helpers and rng.random() < 0.4:
            helper = rng.choice(helpers)
            rows.members.append(
                TaskForceMember(
                    project=project,
                    role=TaskForceMember.Role.SERVICE,
                    cadre=helper,
                    note="协助联络企业和服务保障",
                )
            )
            rows.credits.append(
                Credit(project=project, cadre=helper, role=Credit.Role.ASSISTED, created_by=owner)
            )
        _tasks(project, plan, owner, force_day, last, active, order, rows, today, rng)
        _blockers(project, plan, owner, force_day, last, active, staff, rows, rng)
    _updates(project, plan, owner, last, rows, rng)


def _tasks(project, plan, owner, force_day, last, active, order, rows, today, rng):
    first = TASKS[2][0]
    done = _clip(force_day + timedelta(days=rng.randint(3, 14)), force_day, last)
    rows.tasks.append(
        Task(
            project=project,
            title=first,
            owner=owner,
            deadline=force_day + timedelta(days=14),
            status=Task.Status.DONE,
            done_on=done,
            created_by=owner,
        )
    )
    if not active:
        if order < 6 and rng.random() < 0.5:
            rows.tasks.append(
                Task(
                    project=project,
                    title=rng.choice(TASKS[min(max(order, 2), 5)]),
                    owner=owner,
                    deadline=project.terminated_on,
                    status=Task.Status.CANCELLED,
                    note="项目终止，任务取消",
                    created_by=owner,
                )
            )
        return
    if order == 6:
        return
    titles = rng.sample(TASKS[max(order, 2)], k=min(2, len(TASKS[max(order, 2)])))
    for i, title in enumerate(titles):
        if plan.light == "red":
            deadline = last + timedelta(days=rng.randint(10, 30))  # passed long ago
            status = rng.choice([Task.Status.TODO, Task.Status.DOING])
        elif i == 0 and rng.random() < 0.4:
            deadline, status = last, Task.Status.DONE
        else:
            deadline = max(today, last) + timedelta(days=rng.randint(-5, 40))
            status = rng.choice([Task.Status.TODO, Task.Status.DOING])
        rows.tasks.append(
            Task(
                project=project,
                title=title,
                owner=owner,
                deadline=deadline,
                status=status,
                done_on=_clip(deadline, project.stage_entered_on, last)
                if status == Task.Status.DONE
                else None,
                created_by=owner,
            )
        )


def _blockers(project, plan, owner, force_day, last, active, staff, rows, rng):
    if plan.title == BIG_TITLE:
        # 行动要快一点: the land question went to the green channel and was settled in 12 days.
        raised = BIG_DATES[2] + timedelta(days=30)
        handler = staff["SY-FGW"]
        rows.blockers.append(
            Blocker(
                project=project,
                title="运营中心用地和设施农业用地备案",
                detail="企业希望签约前明确运营中心用地和配套设施农业用地的办理路径",
                owner=handler,
                deadline=raised + timedelta(days=15),
                status=Blocker.Status.RESOLVED,
                raised_by=owner,
                raised_at=_aware(raised, 10),
                responded_at=_aware(raised + timedelta(days=1), 9),
                responded_by=handler,
                response_note="已受理，会同沈北新区研究",
                escalated_at=_aware(raised + timedelta(days=3), 16),
                escalated_by=owner,
                escalation_note="涉及市区两级多个部门，提请绿色通道办理",
                resolved_at=_aware(raised + timedelta(days=12), 17),
                resolved_by=handler,
                resolution="市发改委牵头召开专题会，明确用地方案和备案流程，企业表示满意",
            )
        )
        return
    open_now = active and not project.is_finished
    if rng.random() > (0.35 if open_now else 0.2):
        return
    title, detail = rng.choice(BLOCKERS)
    handler = staff[rng.choice(BLOCKER_OWNERS)]
    span = (last - force_day).days
    current = open_now and rng.random() < 0.5
    if current:
        raised = last - timedelta(days=rng.randint(0, min(span, 15)))
    elif span >= 6:
        raised = force_day + timedelta(days=rng.randint(0, span - 6))
    else:
        return
    blocker = Blocker(
        project=project,
        title=title,
        detail=detail,
        owner=handler,
        deadline=raised + timedelta(days=7),
        raised_by=owner,
        raised_at=_aware(raised, 9, rng.randint(0, 59)),
    )
    limit = (last - raised).days
    response = min(limit, rng.choice([0, 1, 1, 2, 3]))
    escalate = rng.random() < (0.5 if current else 0.3)
    if not current or rng.random() < 0.7:
        blocker.responded_at = _aware(raised + timedelta(days=response), 15, rng.randint(0, 59))
        blocker.responded_by = handler
        blocker.response_note = "已受理，正在协调相关部门"
    if escalate and blocker.responded_at is not None:
        up = raised + timedelta(days=min(limit, response + rng.randint(0, 3)))
        blocker.status = Blocker.Status.ESCALATED
        blocker.escalated_at = _aware(up, 17)
        blocker.escalated_by = owner
        blocker.escalation_note = "涉及多个部门，区级层面难以协调，提请绿色通道办理"
        blocker.deadline = up + timedelta(days=15)
    if not current:
        done = raised + timedelta(days=rng.randint(max(response, 3), min(limit, 30)))
        blocker.status = Blocker.Status.RESOLVED
        blocker.resolved_at = max(_aware(done, 18), blocker.escalated_at or _aware(done, 18))
        blocker.resolved_by = handler
        blocker.resolution = "经协调，相关部门已出具意见，问题解决"
    rows.blockers.append(blocker)


def _updates(project, plan, owner, last, rows, rng):
    day = plan.record.date + timedelta(days=rng.randint(10, 40))
    texts = []
    while day < last:
        texts.append(day)
        day += timedelta(days=rng.randint(15, 45))
    move_days = {s[3] for s in plan.steps}
    if last not in move_days and last != plan.record.date:
        texts.append(last)
    for when in texts[-8:]:
        rows.updates.append(
            ProjectUpdate(
                project=project,
                date=when,
                content=rng.choice(UPDATE_TEXTS).format(
                    role=rng.choice(ROLES), district=project.district, unit=project.unit.short_name
                ),
                by=owner,
            )
        )


@transaction.atomic
def load() -> dict[str, int] | None:
    """Returns the counts written (None when there was nothing to do)."""
    programme = Programme.objects.filter(name=PROGRAMME).first()
    zzb = User.objects.filter(username="zzb").first()
    duizhang = User.objects.filter(username="duizhang").first()
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=STAFF)}
    if (
        programme is None
        or zzb is None
        or duizhang is None
        or len(units) < len(STAFF)
        or Project.objects.filter(programme=programme).exists()
    ):
        return None
    today = timezone.localdate()
    rng = random.Random(20070360)  # noqa: S311  (fictional demo data, not security)
    ganbu = Cadre.objects.filter(user__username="ganbu").select_related("user").first()
    plans = _plans(programme, ganbu, rng)
    if not plans:
        return None  # the operations demo (daily records) has not been loaded
    with audit.acting_as("demo"):
        services.policy_for(programme)
        stages = {s.order: s for s in services.stages_for(programme)}
        staff = _staff(units)
        _script_story(plans, ganbu, today, rng)
        _choose_lights(plans, today, rng)
        events = {}
        for name, kind, day, place, _batch, _signed, note in EVENTS:
            events[name] = services.event_save(
                by=zzb, programme=programme, name=name, kind=kind, day=day, place=place, note=note
            )
        enterprises = _enterprises(plans, zzb, rng)
        placements = list(
            Placement.objects.filter(batch__programme=programme).select_related("cadre")
        )

        def serving(batch_id: int, day: date) -> list[Cadre]:
            return [
                p.cadre
                for p in placements
                if p.batch_id == batch_id and p.start <= day <= (p.actual_end or p.planned_end)
            ]

        projects, lasts, owners = [], [], []
        for plan in plans:
            if not plan.scripted:
                plan.steps = _timeline(plan, today - timedelta(days=UNTIL[plan.light]), today, rng)
            last = _last_progress(plan, today, rng)
            if ganbu is not None and plan.cadre == ganbu:
                owner = ganbu.user
            elif plan.placement.batch.number == 4 and rng.random() < 0.12:
                owner = duizhang
            else:
                owner = staff[plan.unit]
            project = Project(
                programme=programme,
                batch=plan.placement.batch,
                title=plan.title,
                enterprise=enterprises[plan.enterprise],
                sector=plan.sector,
                district=plan.district,
                unit=units[plan.unit],
                description=f"{plan.enterprise}拟在沈阳{plan.district}投资建设{plan.title}。",
                found_by=plan.cadre,
                found_on=plan.record.date,
                channel=_channel(plan.record.content),
                source_note=f"见{plan.cadre.name} {plan.record.date:%Y-%m-%d} 工作纪实："
                f"{plan.record.content}"[:300],
                planned_amount=plan.planned,
                owner=owner,
                stage=stages[1],
                stage_entered_on=plan.record.date,
                reached_order=1,
                last_progress_on=last,
                created_by=owner,
            )
            projects.append(project)
            lasts.append(last)
            owners.append(owner)
        rows = _Rows()
        for plan, project, last, owner in zip(plans, projects, lasts, owners, strict=True):
            _build(plan, project, stages, owner, last, staff, serving, rows, events, today, rng)
        Project.objects.bulk_create(projects)
        for model, objects in (
            (StageChange, rows.changes),
            (TaskForceMember, rows.members),
            (Task, rows.tasks),
            (Blocker, rows.blockers),
            (ProjectUpdate, rows.updates),
            (Credit, rows.credits),
        ):
            model.objects.bulk_create(objects, batch_size=500)
        for model, count, what in (
            (Enterprise, len(enterprises), "企业"),
            (Project, len(projects), "合作项目"),
            (StageChange, len(rows.changes), "阶段变更记录"),
            (TaskForceMember, len(rows.members), "工作专班成员"),
            (Task, len(rows.tasks), "分工任务"),
            (Blocker, len(rows.blockers), "问题清单"),
            (ProjectUpdate, len(rows.updates), "跟进记录"),
            (Credit, len(rows.credits), "项目贡献"),
        ):
            audit.record(
                "create",
                object_type=audit.label_of(model),
                message=f"演示数据：批量载入{what} {count} 条",
            )
    return {
        "enterprises": len(enterprises),
        "projects": len(projects),
        "changes": len(rows.changes),
        "members": len(rows.members),
        "tasks": len(rows.tasks),
        "blockers": len(rows.blockers),
        "updates": len(rows.updates),
        "credits": len(rows.credits),
    }
