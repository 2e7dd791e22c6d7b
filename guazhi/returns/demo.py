"""Demo story of the programme's operations (SPEC §6, issue 5), loaded by `guazhi demo` last,
after the selection demo created 京沈对口合作 with its batches 1–4 (73 placed cadres).

The story, as it stands on 2026-11-27 (`TODAY`, fixed so the demo is reproducible):

- Each of the four batches has its work team, 第N批赴京挂职干部工作队 (unit 沈阳市赴京挂职
  干部工作队). Batch 4 is led by the demo login `duizhang`; batches 1–3 by earlier leaders who
  are history only (inactive accounts without a password, like the selection demo's 沈河 officer).
  Every team has a temporary Party branch (第N批赴京挂职干部临时党支部) founded in its first
  week, with a secretary and two committee members; all 73 cadres are Party members.
- The programme keeps the national 三会一课 rhythm (teams.models.DEFAULT_RHYTHM). Each finished
  team held a year of meetings — 支委会 and 党小组会 every month, 支部党员大会 and 党课 every
  quarter, about six 学习研讨 and four 调研 — with attendance (about 92% present; absences have
  a reason) and short minutes. The serving batch-4 team met from March to November 2026 but
  held no 党小组会 in October (nor yet in November): its branch is behind the rhythm.
- Cadres work in pairs (some groups of three) with goals and roughly monthly check-ins by either
  side; the finished teams' pairings are closed. Two batch-4 pairings, one of them the demo
  cadre `ganbu`'s, have had no check-in for more than 40 days.
- Every cadre logged daily work records (纪实) on two or three days a week — enterprise visits
  and leads with the (fictional) enterprise, coordination, study, meetings, routine work — and
  the leaders commented on some, marking about one in ten as positive evidence and a few as
  negative. The demo cadre `ganbu` logged nothing in the last complete week (2026-11-16..22).
- Everyone of batches 1–3 and the batch-4 cadre who ended early (2026-09-30) has returned to
  his home unit with tasks and platforms (交任务、搭平台) and follow-up evaluations 6 and 12
  months after the return: done when due, except two batch-3 evaluations that are overdue.
  Exactly 22 of the 73 cadres were promoted (提拔) or given a more important post (重用) after
  returning (the seed's figure); a few others were transferred (交流) or honoured (评先评优).

The volumes (about 8,800 daily records, 3,000 attendance rows) are written with bulk_create,
which sends no signals: one audit entry per model says what was loaded in bulk. Teams,
branches, rhythm rules, pairings, returns, follow-ups and career events are saved one by one
(tracked). The history leaves the demo looking current when run on 2026-11-27.
Deterministic (seeded) and idempotent: nothing happens once a work team exists.
"""

from __future__ import annotations

import calendar
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Cast
from django.utils import timezone

from guazhi.cadres.models import Cadre
from guazhi.core import audit
from guazhi.core.models import OrgUnit, Role, User
from guazhi.programmes.models import Batch, Placement, Programme
from guazhi.records.models import DailyRecord
from guazhi.selection.demo import PROGRAMME
from guazhi.teams.models import (
    DEFAULT_RHYTHM,
    PARTY_MEETINGS,
    Attendance,
    CheckIn,
    Meeting,
    MeetingType,
    Pairing,
    PartyBranch,
    RhythmRule,
    WorkTeam,
)

from .models import CareerEvent, FollowUp, ReturnRecord

TODAY = date(2026, 11, 27)  # the demo's "today" (a Friday)
LAST_WEEK = (date(2026, 11, 16), date(2026, 11, 22))  # the last complete week before TODAY
TEAM_UNIT = "SY-GZD"
# Earlier team leaders: history only (inactive, no password). (username, full name)
HISTORIC_LEADERS = {
    1: ("duizhang2022", "韩建国"),
    2: ("duizhang2023", "高志远"),
    3: ("duizhang2024", "何立新"),
}
OUTCOME_CADRES = {1: 9, 2: 7, 3: 5}  # promoted or reused per batch, + the early returner = 22
OUTCOME_TOTAL = 22
BULK = 2000
M = MeetingType
K = CareerEvent.Kind
C = DailyRecord.Category


# --- dates ------------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _workday_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _chunks(pks: list[int], size: int = 900):
    for start in range(0, len(pks), size):
        yield pks[start : start + size]


def _backdate(model, rows: Iterable[tuple[int, date, datetime]]) -> None:
    """Set `created_at` (auto_now_add) of bulk-created rows to a time on each row's `date`:
    one UPDATE per distinct time of day (and chunk of rows), computed in the database."""
    groups: dict[timedelta, list[int]] = defaultdict(list)
    for pk, day, when in rows:
        groups[when - datetime.combine(day, time(0), tzinfo=UTC)].append(pk)
    for offset, pks in groups.items():
        stamp = ExpressionWrapper(
            Cast("date", DateTimeField()) + Value(offset), output_field=DateTimeField()
        )
        for chunk in _chunks(pks):
            model.objects.filter(pk__in=chunk).update(created_at=stamp)


# --- text -------------------------------------------------------------------------------------

# Fictional enterprise names: 北京 + a made-up brand + a trade + 有限公司.
_FIRST = [
    "星瀚",
    "云帆",
    "博睿",
    "启元",
    "智远",
    "恒泰",
    "瑞康",
    "鼎新",
    "华锐",
    "清研",
    "天工",
    "海纳",
    "金桥",
    "北辰",
    "锐思",
    "京泰",
    "中科微",
    "融创",
    "卓航",
    "泽达",
    "宏图",
    "凯德",
    "普安",
    "知行",
    "安泰",
    "明道",
    "领航",
    "弘毅",
    "润禾",
    "翔宇",
]
_TRADE = [
    "智能科技",
    "信息技术",
    "生物医药",
    "新能源科技",
    "机器人",
    "医疗器械",
    "数据科技",
    "供应链管理",
    "农业科技",
    "半导体",
    "环保科技",
    "文化传媒",
]
_PROJECTS = [
    "智能网联汽车零部件",
    "工业机器人整机",
    "生物医药中试基地",
    "数据中心",
    "新能源电池材料",
    "冷链物流园",
    "预制菜加工",
    "医疗器械研发生产",
    "东北区域总部",
    "研发中心",
    "智慧农业示范园",
    "集成电路封装测试",
    "跨境电商运营中心",
]
_ROLES = ["董事长", "总经理", "副总裁", "投资总监", "战略发展部负责人", "东北区域负责人"]
_VISIT_TOPICS = [
    "在东北地区布局生产基地",
    "拓展北方市场",
    "在沈设立区域总部",
    "研发中心落地",
    "与沈阳企业开展供应链配套合作",
    "参与沈阳老旧厂区改造",
]
_NEEDS = ["扩产计划和用地需求", "融资需求", "人才招引需求", "产业链配套需求", "市场拓展需求"]
_POLICIES = [
    "营商环境和产业扶持政策",
    "浑南科技城产业政策",
    "中德产业园政策",
    "人才引进政策",
    "沈阳“十五五”重点产业布局",
]
_RESPONSES = [
    "将派团赴沈考察",
    "有意向进一步洽谈",
    "将在年内作出投资决策",
    "暂无近期投资计划，愿保持联系",
    "将提供项目详细资料",
    "希望与沈阳相关区县建立对接机制",
]
_SOURCES = ["行业协会座谈", "接收单位招商例会", "企业家沙龙", "沈阳在京商会", "老乡企业家推荐"]
_NEXT = ["尽快安排赴沈考察", "由派出单位跟进对接", "列入工作队重点线索清单", "约请市投促局共同洽谈"]
_MATTERS = [
    "工商注册咨询",
    "项目备案手续",
    "人才公寓申请",
    "高新技术企业认定辅导",
    "产业基金对接",
    "展会参展报名",
]
_COORD_RESULTS = ["问题已初步解决", "已形成办理意见", "企业表示满意", "约定下周再次对接"]
_TRAININGS = [
    "营商环境改革专题培训",
    "“接诉即办”工作培训",
    "招商引资业务培训",
    "科技成果转化专题讲座",
    "数字经济发展专题报告会",
    "乡村振兴示范村建设现场学习",
]
_LEARN = [
    "“一网通办”",
    "“接诉即办”",
    "园区“管家式”服务",
    "产业链招商",
    "科技企业孵化",
    "重点项目“服务包”",
]
_MEETINGS = [
    "招商工作例会",
    "重点项目调度会",
    "党组理论学习中心组扩大学习",
    "年度工作部署会",
    "季度经济运行分析会",
]
_MEETING_ROLES = [
    "汇报京沈合作项目对接进展",
    "记录会议要点并整理成简报",
    "了解北京重点产业布局",
    "介绍沈阳相关产业基础",
]
_ROUTINE = [
    "起草分管领域月度工作总结",
    "办理公文{n}件",
    "参与处理“接诉即办”工单{n}件",
    "整理分管领域企业台账",
    "参加科室业务会，分工落实近期任务",
    "撰写挂职工作信息一篇，报工作队",
    "准备领导调研材料",
]
_POSITIVE = [
    "走访扎实，线索有价值，请持续跟进，记为工作实绩。",
    "协调及时，企业反映良好，记为工作实绩。",
    "学以致用，调研笔记质量高，可在队内交流。",
    "线索信息完整，已报市投促局，记为工作实绩。",
    "工作主动，对接成效明显，值得队员学习。",
]
_NEUTRAL = [
    "请补充企业联系人和下一步对接安排。",
    "内容较简略，请写明工作成效。",
    "已阅，继续跟进。",
]
_NEGATIVE = [
    "约定对接未按时到场，影响企业对接，已当面提醒，记为负面情况。",
    "当日未按规定请假即离开驻地，已谈话提醒，记为负面情况。",
    "纪实内容与实际工作不符，已要求更正并作说明，记为负面情况。",
]
_ABSENCES = [
    "公务出差",
    "公务出差",
    "参加北京市会议",
    "陪同接收单位领导外出调研",
    "返沈汇报工作",
    "病假",
    "事假（家中有事）",
    "参加接收单位招商活动",
]
_CHECKINS = [
    "与{other}交流本月走访企业情况，{other}分享了{tag}方面的经验，约定下月共同走访一家企业。",
    "{other}帮助修改了调研报告初稿，就如何提炼北京经验提出了具体建议。",
    "一起参加了接收单位组织的项目推介会，会后共同复盘对接情况，梳理出两条线索。",
    "交流挂职体会，互相提醒注意工作方法和纪律要求。",
    "向{other}请教{tag}相关政策，{other}推荐了学习材料并介绍了北京做法。",
    "共同整理本月纪实，对照帮带目标查找差距，明确下阶段分工。",
]
_CHECKIN_TOPICS = [
    "北京营商环境改革",
    "科技成果转化机制",
    "产业链招商",
    "基层治理创新",
    "农产品进京渠道",
]


def _enterprises(rng: random.Random) -> list[str]:
    names = sorted({f"北京{a}{b}有限公司" for a in _FIRST for b in _TRADE})
    return rng.sample(names, 120)


@dataclass
class _Member:
    cadre: Cadre
    placement: Placement
    until: date  # last day on post in the demo's view
    enterprises: list[str] = field(default_factory=list)

    def on_post(self, day: date) -> bool:
        return self.placement.start <= day <= self.until


@dataclass
class _Team:
    number: int
    batch: Batch
    leader: User
    members: list[_Member]
    last: date  # last day of the team's work shown in the demo
    team: WorkTeam | None = None
    branch: PartyBranch | None = None

    @property
    def serving(self) -> bool:
        return self.batch.status != Batch.Status.FINISHED


# --- teams, branches, rhythm ------------------------------------------------------------------


def _historic_leader(number: int, unit: OrgUnit, role: Role) -> User:
    username, full_name = HISTORIC_LEADERS[number]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=full_name, unit=unit, is_active=False)
        user.set_unusable_password()
        user.save()
        user.roles.set([role])
    return user


def _teams(programme: Programme, units, users, rng: random.Random) -> list[_Team]:
    role = Role.objects.get(code="team_leader")
    batches = {b.number: b for b in programme.batches.filter(number__lte=4)}
    enterprises = _enterprises(rng)
    teams = []
    for number in sorted(batches):
        batch = batches[number]
        leader = (
            users["duizhang"] if number == 4 else _historic_leader(number, units[TEAM_UNIT], role)
        )
        last = min(batch.end - timedelta(days=1), TODAY)
        members = []
        for placement in (
            batch.placements.select_related("cadre__unit", "cadre__rank", "host_unit", "post")
            .prefetch_related("cadre__tags")
            .order_by("pk")
        ):
            until = min(placement.actual_end or last, last)
            members.append(_Member(placement.cadre, placement, until, rng.sample(enterprises, 10)))
        teams.append(_Team(number, batch, leader, members, last))
    for t in teams:
        label = f"第{t.number}批赴京挂职干部"
        t.team = WorkTeam.objects.create(
            batch=t.batch, name=f"{label}工作队", unit=units[TEAM_UNIT], leader=t.leader
        )
        WorkTeam.objects.filter(pk=t.team.pk).update(
            created_at=_at(t.batch.start - timedelta(days=3), 10)
        )
        # The branch's officers: the most senior cadres who serve the whole year.
        staying = [m for m in t.members if m.placement.status != Placement.Status.ENDED_EARLY]
        senior = sorted(staying, key=lambda m: (-m.cadre.rank.order, m.cadre.birth, m.cadre.pk))
        t.branch = PartyBranch.objects.create(
            team=t.team,
            name=f"{label}临时党支部",
            secretary=senior[0].cadre,
            founded_on=_workday(t.batch.start + timedelta(days=6)),
        )
        t.branch.committee.set([senior[1].cadre, senior[2].cadre])
    for meeting_type, period, count in DEFAULT_RHYTHM:
        RhythmRule.objects.get_or_create(
            programme=programme, meeting_type=meeting_type, period=period, defaults={"count": count}
        )
    return teams


# --- meetings and attendance ------------------------------------------------------------------

# (topic, first day, last day): topics tied to a time are used only then.
_STUDY = [
    ("学习习近平总书记关于东北全面振兴的重要论述", None, None),
    ("学习北京市优化营商环境经验做法", None, None),
    ("京沈对口合作重点项目推进专题研讨", None, None),
    ("学习中关村科技成果转化机制", None, None),
    ("专题研讨：如何把北京经验带回沈阳", None, None),
    ("学习北京城市副中心建设经验", None, None),
    ("学习“接诉即办”改革经验，提升为民服务能力", None, None),
    ("学习贯彻党的二十大精神", date(2022, 10, 23), date(2023, 12, 31)),
    (
        "学习贯彻习近平新时代中国特色社会主义思想主题教育专题研讨",
        date(2023, 4, 3),
        date(2023, 12, 31),
    ),
    ("党纪学习教育：学习《中国共产党纪律处分条例》", date(2024, 4, 1), date(2024, 7, 31)),
    ("学习贯彻党的二十届三中全会精神", date(2024, 7, 19), date(2025, 3, 1)),
    ("学习贯彻党的二十届四中全会精神", date(2025, 10, 24), date(2027, 3, 1)),
    ("学习研讨“十五五”规划建议，谋划京沈合作新空间", date(2025, 10, 24), date(2027, 3, 1)),
]
_RESEARCH = [
    ("赴亦庄经开区调研高端制造产业链招商", "北京经济技术开发区"),
    ("赴中关村科学城调研科技成果转化", "海淀区中关村科学城"),
    ("赴城市副中心调研重大项目服务机制", "通州区城市副中心"),
    ("赴朝阳区望京街道调研“接诉即办”", "朝阳区望京街道"),
    ("赴北京新发地调研沈阳农产品进京渠道", "丰台区新发地农产品批发市场"),
    ("京沈合作项目对接：赴{enterprise}调研", "{enterprise}"),
    ("赴首钢园调研老工业区更新改造", "石景山区首钢园"),
]
_LECTURES = [
    "坚定理想信念，在京沈合作中践行初心使命",
    "以实绩论英雄，做新时代好干部",
    "严守纪律规矩，树立挂职干部良好形象",
    "传承红色基因：从香山革命纪念地说起",
    "学习北京经验，服务东北全面振兴",
    "把挂职锻炼作为党性修养的大熔炉",
]
_COMMITTEE = [
    "研究{month}月份支部工作安排",
    "研究{month}月份学习计划和党员教育管理事项",
    "研究工作队纪实管理和结对帮带推进情况",
    "研究{month}月份主题党日活动方案",
]
_GROUP = [
    "交流{month}月份挂职工作情况，开展批评与自我批评",
    "交流走访企业和项目对接情况",
    "学习《中国共产党支部工作条例（试行）》",
    "交流学习体会，查找工作中的不足",
]


def _topic(pool, day: date, rng: random.Random) -> str:
    timely = [t for t, a, b in pool if a and a <= day <= b]
    return (
        rng.choice(timely)
        if timely and rng.random() < 0.6
        else rng.choice([t for t, a, _ in pool if not a])
    )


def _day_in(month_first: date, low: int, high: int, rng: random.Random, last: date) -> date | None:
    end = calendar.monthrange(month_first.year, month_first.month)[1]
    day = _workday(month_first.replace(day=min(rng.randint(low, high), end)))
    if day.month != month_first.month:
        day = _workday_before(month_first.replace(day=end))
    if day > last:
        day = _workday_before(last)
    return day if day >= month_first else None


def _plan(t: _Team, rng: random.Random) -> list[tuple[str, date, str, str]]:
    """(kind, date, topic, place) of the team's meetings over its placement year."""
    start = t.batch.start
    founded = t.branch.founded_on
    base = "工作队驻地会议室"
    plans = [(M.BRANCH_ASSEMBLY, founded, "临时党支部成立大会，选举支部委员会", base)]
    months = []
    first = start.replace(day=1)
    while first <= t.last:
        months.append(first)
        first = _add_months(first, 1)
    quarters = defaultdict(list)
    for month in months:
        quarters[(month.year, (month.month - 1) // 3)].append(month)
    for i, month in enumerate(months):
        name = f"{month.month}"
        day = _day_in(month, 3, 9, rng, t.last)
        if day:
            if day <= founded:
                day = _workday(founded + timedelta(days=1))
            plans.append((M.COMMITTEE, day, rng.choice(_COMMITTEE).format(month=name), base))
        behind = t.serving and (month.year, month.month) in ((2026, 10), (2026, 11))
        day = _day_in(month, 12, 20, rng, t.last)
        if day and not behind:
            plans.append((M.GROUP, day, rng.choice(_GROUP).format(month=name), base))
        if i % 2 == 1:
            day = _day_in(month, 10, 24, rng, t.last)
            if day:
                plans.append((M.STUDY, day, _topic(_STUDY, day, rng), base))
        if i in (2, 4, 7, 10):
            day = _day_in(month, 8, 26, rng, t.last)
            if day:
                topic, place = _RESEARCH[(i + t.number) % len(_RESEARCH)]
                enterprise = rng.choice(t.members).enterprises[0]
                plans.append(
                    (
                        M.RESEARCH,
                        day,
                        topic.format(enterprise=enterprise),
                        place.format(enterprise=enterprise),
                    )
                )
    lectures = rng.sample(_LECTURES, len(_LECTURES))
    for q, in_quarter in enumerate(quarters[key] for key in sorted(quarters)):
        # 支部党员大会 in the quarter's last month (the founding one counts for the first
        # quarter); 党课 in its middle month, or in its only month.
        if q > 0:
            month = in_quarter[-1]
            day = _day_in(month, 20, 26, rng, t.last)
            if day:
                topic = (
                    "挂职工作总结暨党员大会"
                    if month == months[-1] and not t.serving
                    else "“七一”主题党日暨党员大会：重温入党誓词"
                    if month.month == 6
                    else "年度组织生活会暨民主评议党员"
                    if month.month == 12
                    else "通报支部工作，专题学习研讨"
                )
                plans.append((M.BRANCH_ASSEMBLY, day, topic, base))
        month = in_quarter[min(1, len(in_quarter) - 1)]
        day = _day_in(month, 22 if q == 0 else 10, 25, rng, t.last)
        if day:
            lecture = lectures[q % len(lectures)]
            place = "香山革命纪念馆" if "香山" in lecture else base
            plans.append((M.LECTURE, day, lecture, place))
    return sorted(plans, key=lambda p: (p[1], p[0]))


def _meetings(teams: list[_Team], rng: random.Random) -> tuple[int, int, float]:
    meetings, rows, stamps = [], [], []
    for t in teams:
        secretary = t.branch.secretary.name
        committee = [c.name for c in t.branch.committee.all()]
        for kind, day, topic, place in _plan(t, rng):
            expected = [m for m in t.members if m.on_post(day)]
            # 三会一课 are for the branch's members, the Party members (as
            # teams.services.expected_attendees); all the demo's cadres happen to be members.
            if kind in PARTY_MEETINGS:
                expected = [m for m in expected if "党员" in (m.cadre.political_status or "")]
            host = (
                t.leader.full_name
                if kind in (M.STUDY, M.RESEARCH) or (kind == M.LECTURE and rng.random() < 0.5)
                else rng.choice(committee)
                if kind == M.GROUP
                else secretary
            )
            attendance = []
            for m in expected:
                here = rng.random() < 0.92
                attendance.append(
                    Attendance(
                        cadre=m.cadre,
                        present=here,
                        absence_reason="" if here else rng.choice(_ABSENCES),
                    )
                )
            absent = [f"{a.cadre.name}（{a.absence_reason}）" for a in attendance if not a.present]
            minutes = (
                f"{host}主持。应到{len(attendance)}人，实到{len(attendance) - len(absent)}人"
                + (f"，{'、'.join(absent)}缺席" if absent else "")
                + f"。\n会议围绕“{topic}”进行了学习和讨论，与会同志结合挂职岗位工作谈了体会。"
                "\n会议要求：把学习成果转化为推动京沈合作的实际成效，按时填写工作纪实，"
                "严守工作纪律和廉洁纪律。"
            )
            meeting = Meeting(
                team=t.team,
                kind=kind,
                date=day,
                place=place,
                topic=topic[:200],
                host=host,
                minutes=minutes,
                created_by=t.leader,
            )
            meetings.append((meeting, attendance))
    Meeting.objects.bulk_create([m for m, _ in meetings], batch_size=BULK)
    for meeting, attendance in meetings:
        for a in attendance:
            a.meeting = meeting
        rows += attendance
        stamps.append((meeting.pk, meeting.date, _at(meeting.date, 17, 30)))
    Attendance.objects.bulk_create(rows, batch_size=BULK)
    _backdate(Meeting, stamps)
    share = sum(a.present for a in rows) / len(rows)
    return len(meetings), len(rows), share


# --- pairings and check-ins -------------------------------------------------------------------


def _groups(members: list[_Member], rng: random.Random) -> list[list[_Member]]:
    """Pairs, and one or two groups of three, so that everybody is in exactly one group. The
    batch-4 cadre who ended early is the third of a group: the pair goes on without him."""
    early = [m for m in members if m.placement.status == Placement.Status.ENDED_EARLY]
    order = [m for m in members if m not in early]
    rng.shuffle(order)
    order[2:2] = early
    triples = 1 if len(members) % 2 else 2
    groups = [order[i : i + 3] for i in range(0, 3 * triples, 3)]
    return groups + [order[i : i + 2] for i in range(3 * triples, len(order), 2)]


def _first_tag(m: _Member) -> str:
    tags = list(m.cadre.tags.all())
    return tags[0].name if tags else ""


def _pairings(teams: list[_Team], ganbu: Cadre | None, rng: random.Random) -> tuple[int, int]:
    checkins, count = [], 0
    for t in teams:
        groups = _groups(t.members, rng)
        started = _workday(t.batch.start + timedelta(days=14))
        silent = set()
        if t.serving:
            # Two pairings went quiet: the demo cadre's (so that his reminder shows; only
            # cadres with an account hear of it) and another one.
            own = next(
                (g for g, group in enumerate(groups) if ganbu in [m.cadre for m in group]), 0
            )
            silent = {own, rng.choice([g for g in range(len(groups)) if g != own])}
        for g, group in enumerate(groups):
            a, b = group[0], group[1]
            goals = (
                f"{a.cadre.name}发挥{_first_tag(a) or '综合文字'}专长、{b.cadre.name}发挥"
                f"{_first_tag(b) or '综合协调'}专长，结对互学互促："
                "一是每月至少交流一次挂职工作体会；"
                f"二是共同走访企业不少于{rng.choice([6, 8, 10])}家，联合挖掘项目线索；"
                f"三是合作完成一篇关于{rng.choice(_CHECKIN_TOPICS)}的调研报告。"
            )
            closed = not t.serving
            pairing = Pairing.objects.create(
                team=t.team,
                goals=goals,
                status=Pairing.Status.CLOSED if closed else Pairing.Status.ACTIVE,
                started_on=started,
                closed_note="挂职期满，结对帮带结束，调研报告已报工作队。" if closed else "",
                created_by=t.leader,
            )
            pairing.members.set([m.cadre for m in group])
            count += 1
            month = started.replace(day=1)
            stop = date(2026, 10, 8) if g in silent else t.last
            while month <= stop:
                day = month.replace(day=rng.randint(1, 28))
                if started <= day <= stop and day < TODAY and rng.random() < 0.9:
                    authors = [m for m in group if m.on_post(day)]
                    author = rng.choice(authors)
                    other = rng.choice([m for m in authors if m is not author] or [author])
                    text = rng.choice(_CHECKINS).format(
                        other=other.cadre.name, tag=_first_tag(other) or "业务"
                    )
                    checkins.append(
                        CheckIn(pairing=pairing, date=day, author=author.cadre, content=text)
                    )
                month = _add_months(month, 1)
            if t.serving:
                # The last check-in: in the last three weeks, or 44–49 days ago for the quiet.
                back = rng.randint(44, 49) if g in silent else rng.randint(3, 20)
                day = _workday(TODAY - timedelta(days=back))
                author = rng.choice([m for m in group if m.on_post(day)])
                checkins.append(
                    CheckIn(
                        pairing=pairing,
                        date=day,
                        author=author.cadre,
                        content="对照帮带目标小结近期进展，商定年底前完成调研报告初稿。",
                    )
                )
    CheckIn.objects.bulk_create(checkins, batch_size=BULK)
    _backdate(CheckIn, [(c.pk, c.date, _at(c.date, 21)) for c in checkins])
    return count, len(checkins)


# --- daily records ----------------------------------------------------------------------------

_WEIGHTS = [
    (C.ENTERPRISE_VISIT, 22),
    (C.LEAD, 10),
    (C.COORDINATION, 18),
    (C.STUDY, 15),
    (C.MEETING, 15),
    (C.ROUTINE, 20),
]


def _content(category: str, m: _Member, rng: random.Random) -> tuple[str, str]:
    host = m.placement.host_unit.short_name or m.placement.host_unit.name
    enterprise = rng.choice(m.enterprises)
    if category == C.ENTERPRISE_VISIT:
        return (
            f"走访{enterprise}，与企业{rng.choice(_ROLES)}就{rng.choice(_VISIT_TOPICS)}进行座谈，"
            f"了解企业{rng.choice(_NEEDS)}，介绍沈阳{rng.choice(_POLICIES)}，"
            f"企业表示{rng.choice(_RESPONSES)}。",
            enterprise,
        )
    if category == C.LEAD:
        project = rng.choice(_PROJECTS)
        return (
            f"通过{rng.choice(_SOURCES)}获悉{enterprise}拟新建{project}项目，初步估算投资约"
            f"{rng.choice([0.5, 1, 2, 3, 5, 8, 10, 15, 20])}亿元，已整理项目线索报工作队和"
            f"{m.cadre.unit.short_name}，建议{rng.choice(_NEXT)}。",
            f"{enterprise}（{project}项目）",
        )
    if category == C.COORDINATION:
        return (
            f"协调{host}相关部门，为{enterprise}办理{rng.choice(_MATTERS)}，"
            f"{rng.choice(_COORD_RESULTS)}。",
            enterprise,
        )
    if category == C.STUDY:
        if rng.random() < 0.5:
            return f"参加{host}组织的{rng.choice(_TRAININGS)}，整理学习笔记。", ""
        return (
            f"学习{host}{rng.choice(_LEARN)}经验做法，对照沈阳实际形成调研笔记一篇。",
            "",
        )
    if category == C.MEETING:
        return (
            f"参加{host}{rng.choice(_MEETINGS)}，{rng.choice(_MEETING_ROLES)}。",
            "",
        )
    task = rng.choice(_ROUTINE).format(n=rng.randint(2, 9))
    return f"{m.placement.post.title}岗位日常工作：{task}。", ""


def _records(teams: list[_Team], ganbu: Cadre | None, rng: random.Random) -> int:
    categories = [c for c, _ in _WEIGHTS]
    weights = [w for _, w in _WEIGHTS]
    records, stamps = [], []
    negatives = 0
    for t in teams:
        for m in t.members:
            monday = m.placement.start - timedelta(days=m.placement.start.weekday())
            while monday <= m.until:
                days = rng.choices([1, 2, 3, 4], weights=[8, 45, 40, 7])[0]
                week = [monday + timedelta(days=i) for i in range(5)]
                for day in sorted(rng.sample(week, days)):
                    if not m.on_post(day) or day >= TODAY:
                        continue  # nothing written yet today
                    if m.cadre == ganbu and LAST_WEEK[0] <= day <= LAST_WEEK[1]:
                        continue  # his reminder for the last complete week
                    category = rng.choices(categories, weights)[0]
                    content, linked = _content(category, m, rng)
                    record = DailyRecord(
                        cadre=m.cadre,
                        placement=m.placement,
                        date=day,
                        category=category,
                        content=content,
                        linked=linked[:120],
                    )
                    roll = rng.random()
                    fresh = day > TODAY - timedelta(days=10)
                    if not fresh and roll < 0.14:
                        if category in (C.ENTERPRISE_VISIT, C.LEAD, C.COORDINATION) or roll < 0.05:
                            record.evidence = DailyRecord.Evidence.POSITIVE
                            record.leader_comment = rng.choice(_POSITIVE)
                        else:
                            record.leader_comment = rng.choice(_NEUTRAL)
                    elif not fresh and roll > 0.9985 and negatives < 8:
                        negatives += 1
                        record.evidence = DailyRecord.Evidence.NEGATIVE
                        record.leader_comment = rng.choice(_NEGATIVE)
                    if record.leader_comment:
                        record.commented_by = t.leader
                        record.commented_at = _at(
                            _workday(day + timedelta(days=rng.randint(1, 3))), 16
                        )
                    records.append(record)
                    stamps.append(rng.choice((12, 17, 18, 20, 21)))
                monday += timedelta(days=7)
    DailyRecord.objects.bulk_create(records, batch_size=BULK)
    _backdate(
        DailyRecord,
        [(r.pk, r.date, _at(r.date, hour)) for r, hour in zip(records, stamps, strict=True)],
    )
    # Last changed when written, or when the leader commented.
    for chunk in _chunks([r.pk for r in records]):
        rows = DailyRecord.objects.filter(pk__in=chunk)
        rows.filter(commented_at=None).update(updated_at=F("created_at"))
        rows.exclude(commented_at=None).update(updated_at=F("commented_at"))
    return len(records)


# --- returns, follow-ups, career events -------------------------------------------------------

_TASKS = [
    "继续跟进挂职期间对接的{n}个项目线索，推动{enterprise}赴沈考察",
    "牵头本单位京沈对口合作日常联络工作",
    "负责整理推广北京{learn}经验，形成本单位改进方案",
    "承担本单位重点招商项目跟踪服务",
]
_PLATFORMS = [
    "安排到{unit}重点项目专班任副组长",
    "推荐参加市级优秀年轻干部专题培训班",
    "安排牵头{unit}营商环境改革专项工作",
    "在{unit}党组理论学习中心组作挂职体会交流",
    "参与市京沈合作项目库管理",
]
_EVALUATIONS = {
    FollowUp.Result.GOOD: "返岗后把北京经验用于本职工作，牵头任务推进有力，单位评价好。",
    FollowUp.Result.FAIR: "返岗后较快进入角色，交办任务完成较好，项目跟进需进一步加强。",
    FollowUp.Result.AVERAGE: "返岗后工作总体平稳，挂职成果转化不够明显，需加强跟踪指导。",
}


def _officer(cadre: Cadre, users) -> User:
    code = cadre.unit.code
    if code.startswith("HP-"):
        return users["heping"]
    if code.startswith("HN-"):
        return users["hunnan"]
    return users["zzb"]


def _document(cadre: Cadre, kind: str, day: date, rng: random.Random) -> str:
    district = {"HP-": "和", "HN-": "浑", "SH-": "沈河"}.get(cadre.unit.code[:3])
    if kind == K.HONOURED:
        prefix = "沈委" if rng.random() < 0.5 else "沈组发"
    elif kind == K.TRANSFERRED:
        prefix = f"{district}组干" if district else "沈组干"
    else:
        prefix = f"{district}委干" if district else "沈委干"
    return f"{prefix}〔{day.year}〕{rng.randint(3, 60)}号"


def _promotion(cadre: Cadre) -> str:
    post, unit = cadre.current_post or "", cadre.unit.short_name
    if post.endswith("副科长"):
        return f"提拔为{post[: -len('副科长')]}科长"
    if post.endswith("副局长"):
        return f"提拔为{unit}局长"
    return f"提拔为{unit}副局长"


def _reuse(cadre: Cadre, rng: random.Random) -> str:
    unit = cadre.unit.short_name
    return rng.choice(
        [
            f"调任{unit}重点项目推进办公室主任，牵头京沈合作项目跟踪服务",
            f"任{unit}营商环境建设专班负责人（主持日常工作）",
            f"平职调整到{unit}招商服务中心主持工作",
        ]
    )


def _returns(
    teams: list[_Team], users, programme: Programme, rng: random.Random
) -> tuple[int, int, int]:
    returned = [
        m
        for t in teams
        for m in t.members
        if m.placement.status in (Placement.Status.FINISHED, Placement.Status.ENDED_EARLY)
    ]
    records = {}
    for m in returned:
        back = _workday(m.placement.actual_end + timedelta(days=rng.randint(2, 6)))
        officer = _officer(m.cadre, users)
        unit = m.cadre.unit.short_name
        record = ReturnRecord.objects.create(
            placement=m.placement,
            returned_on=back,
            home_post=m.cadre.current_post or unit,
            tasks="；".join(rng.sample(_TASKS, 2)).format(
                n=rng.randint(2, 6), enterprise=m.enterprises[0], learn=rng.choice(_LEARN)
            )
            + "。",
            platforms="；".join(rng.sample(_PLATFORMS, 2)).format(unit=unit) + "。",
            created_by=officer,
        )
        ReturnRecord.objects.filter(pk=record.pk).update(
            created_at=_at(back + timedelta(days=7), 10)
        )
        records[m.placement.pk] = (m, record)

    # Follow-ups: done when due, except two overdue batch-3 ones at 12 months.
    batch3 = [r for m, r in records.values() if m.placement.batch.number == 3]
    open_ones = {r.pk for r in rng.sample(batch3, 2)}
    follow_ups = 0
    for m, record in records.values():
        for months in programme.follow_up_schedule:
            due = _add_months(record.returned_on, months)
            done = due < TODAY and not (
                months == max(programme.follow_up_schedule) and record.pk in open_ones
            )
            on = (
                min(_workday(due + timedelta(days=rng.randint(0, 18))), TODAY - timedelta(days=1))
                if done
                else None
            )
            result = rng.choices(list(_EVALUATIONS), weights=[60, 32, 8])[0] if done else ""
            FollowUp.objects.create(
                return_record=record,
                months=months,
                due_on=due,
                done_on=on,
                result=result,
                evaluation=_EVALUATIONS[result] if done else "",
                evaluated_by=_officer(m.cadre, users) if done else None,
            )
            follow_ups += 1

    # Career events: exactly OUTCOME_TOTAL cadres promoted or reused after their return.
    by_batch = defaultdict(list)
    for m, record in records.values():
        by_batch[m.placement.batch.number].append((m, record))
    chosen = []
    for number, size in OUTCOME_CADRES.items():
        chosen += rng.sample(by_batch[number], size)
    chosen += by_batch[4]  # the cadre called back early was given a key post at home
    events = 0
    latest = TODAY - timedelta(days=5)

    def event(m, kind, day, text):
        nonlocal events
        created = CareerEvent.objects.create(
            cadre=m.cadre,
            placement=m.placement,
            kind=kind,
            date=day,
            description=text[:200],
            document_number=_document(m.cadre, kind, day, rng),
            created_by=_officer(m.cadre, users),
        )
        CareerEvent.objects.filter(pk=created.pk).update(
            created_at=_at(min(_workday(day + timedelta(days=3)), TODAY), 11)
        )
        events += 1

    def later(record, low, high):
        day = _workday(
            _add_months(record.returned_on, rng.randint(low, high))
            + timedelta(days=rng.randint(0, 20))
        )
        return min(day, _workday_before(latest))

    for m, record in chosen:
        if m.placement.batch.number == 4:
            event(
                m, K.REUSED, _workday(record.returned_on + timedelta(days=14)), _reuse(m.cadre, rng)
            )
            continue
        horizon = 20 if m.placement.batch.number < 3 else 16
        first = later(record, 2, horizon)
        if rng.random() < 0.65:
            event(m, K.PROMOTED, first, _promotion(m.cadre))
            if m.placement.batch.number == 1 and rng.random() < 0.4:
                event(m, K.REUSED, later(record, horizon + 1, 40), _reuse(m.cadre, rng))
        else:
            event(m, K.REUSED, first, _reuse(m.cadre, rng))
    outcome = {m.placement.pk for m, _r in chosen}
    others = [(m, r) for m, r in records.values() if m.placement.pk not in outcome]
    for m, record in rng.sample(others, 6):
        target = rng.choice(
            [
                u
                for u in ("市商务局", "市发改委", "浑南区商务局", "和平区商务局")
                if u != m.cadre.unit.short_name
            ]
        )
        event(m, K.TRANSFERRED, later(record, 3, 24), f"交流到{target}任职，平职交流")
    honours = [
        "被评为京沈对口合作工作先进个人",
        "年度考核被确定为优秀等次",
        "被评为沈阳市优秀共产党员",
        "被评为全市招商引资工作先进个人",
    ]
    for m, record in rng.sample(list(records.values()), 12):
        event(m, K.HONOURED, later(record, 1, 12), rng.choice(honours))
    return len(records), follow_ups, events


def _outcome(programme: Programme) -> int:
    return (
        CareerEvent.objects.filter(
            kind__in=CareerEvent.OUTCOME_KINDS,
            placement__batch__programme=programme,
            placement__batch__number__lte=4,
        )
        .values("cadre")
        .distinct()
        .count()
    )


@transaction.atomic
def load() -> dict[str, int] | None:
    """Returns the counts written (None when there was nothing to do)."""
    if WorkTeam.objects.exists():
        return None
    programme = Programme.objects.filter(name=PROGRAMME).first()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["zzb", "heping", "hunnan", "duizhang"])
    }
    units = {u.code: u for u in OrgUnit.objects.filter(code=TEAM_UNIT)}
    if programme is None or len(users) < 4 or not units:
        return None  # the core and selection demos have not been loaded
    rng = random.Random(20261127)  # noqa: S311  (fictional demo data, not security)
    ganbu = Cadre.objects.filter(user__username="ganbu").first()
    with audit.acting_as("demo"):
        teams = _teams(programme, units, users, rng)
        meetings, attendance, share = _meetings(teams, rng)
        pairings, checkins = _pairings(teams, ganbu, rng)
        records = _records(teams, ganbu, rng)
        returns, follow_ups, events = _returns(teams, users, programme, rng)
        for model, count, what in (
            (Meeting, meetings, "会议活动"),
            (Attendance, attendance, "出席情况"),
            (CheckIn, checkins, "结对交流"),
            (DailyRecord, records, "工作纪实"),
        ):
            audit.record(
                "create",
                object_type=audit.label_of(model),
                message=f"演示数据：批量载入{what} {count} 条",
            )
    outcome = _outcome(programme)
    assert outcome == OUTCOME_TOTAL, outcome
    return {
        "teams": len(teams),
        "meetings": meetings,
        "attendance": attendance,
        "present_per_mille": round(share * 1000),
        "pairings": pairings,
        "checkins": checkins,
        "records": records,
        "returns": returns,
        "follow_ups": follow_ups,
        "events": events,
        "promoted_or_reused": outcome,
    }
