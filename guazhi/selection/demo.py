"""Demo story of 京沈对口合作 (SPEC §6), loaded by `guazhi demo` after the core and cadre demos.

The seed: 沈阳 sent four batches, 73 cadres in all, to Beijing under 京沈对口合作; the third
batch had 17 cadres, all young, the fourth 18, of whom 15 (83.3%) were born in the 1980s.

- Programme 京沈对口合作 (partner city 北京, run by 沈阳市委组织部, young = at most 40 at the
  batch start) with the national four review levels: 区委组织部审核 → 市委组织部综合比选
  (decides the posts) → 市委审批 → 报中组部备案 (document number and date).
- Batches 1–3 (2022, 2023, 2024; one year each) are finished: 20, 18 and 17 cadres (batch 3
  all young, picked first from the young-cadre reserve pool). Batch 4 (2026-03-01 → 2027-03-01)
  is serving: 18 cadres, exactly 15 born 1980–1989; one placement was extended (requested by
  和平区委组织部, approved by 市委组织部) and one ended early (requested by 浑南区委组织部,
  approved). Every cadre of batches 1–4 has a nomination that passed all four levels (steps
  dated before the batch start, one filing document per batch), a post in a Beijing host unit
  (朝阳、通州、亦庄、海淀) and a placement; a few other nominations were not chosen at the
  comprehensive comparison. A cadre serves in at most one of these batches.
- Batch 5 (2027-03-01 → 2028-03-01) is nominating now: 8 seats on 6 posts, at least 50% young
  cadres, at most 2 per sending unit, and the batch should cover 招商引资、科技创新、乡村振兴.
  24 cadres of 和平区 and 浑南区 units were nominated through the real workflow (by 派出单位
  和平区发改局 and the two district departments): most passed the district level and wait at
  市委组织部综合比选, where the matching page assigns their posts; three still wait at the
  district level, one was turned down there and one withdrawn. The candidates are chosen so
  that the best assignment without the policy would break it: the policy visibly matters.

The historical records are written directly (they are history: the services refuse to
nominate for finished batches); batch 5 goes through `selection.services`, so permissions are
exercised. Deterministic (seeded) and idempotent: nothing happens if the programme exists.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone
from scipy.optimize import linear_sum_assignment

from guazhi.cadres.models import Cadre, ExpertiseTag, PoolMembership, Rank
from guazhi.core import audit
from guazhi.core.models import OrgUnit, Role, User
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import (
    Batch,
    Placement,
    PlacementChange,
    Post,
    PostRequirement,
    Programme,
)

from . import scoring, services
from .models import Nomination, NominationStep, ReviewLevel

PROGRAMME = "京沈对口合作"
DESCRIPTION = (
    "根据京沈对口合作工作安排，沈阳市从市区两级优秀年轻干部中分批选派干部赴北京市挂职锻炼，"
    "每批一年。坚持精准选派、人岗相宜，逐级推荐、层层把关，经综合比选、市委审批后报中组部备案。"
)

# Host posts. tags: (tag, weight, mandatory); ranks: (min, max, mandatory); age: (max, mandatory).
# Each batch creates its own copies of the posts it needs (a post belongs to one batch).
POSTS: dict[str, dict] = {
    "cy-invest": {
        "host": "BJ-CY",
        "title": "朝阳区投资促进局副局长",
        "fields": "招商引资、总部经济",
        "duties": "协助分管重点产业招商，推动京沈两地企业对接和项目落地。",
        "tags": [("招商引资", 5, False), ("产业规划", 3, False), ("商贸流通", 2, False)],
        "keywords": "招商、投资促进、商务",
        "ranks": ("正科级", "三级调研员", True),
        "age": (45, False),
    },
    "cy-commerce": {
        "host": "BJ-CY",
        "title": "朝阳区商务局副局长",
        "fields": "商贸流通、金融服务",
        "duties": "协助分管商贸金融，对接两地商协会和金融机构。",
        "tags": [("金融", 5, False), ("商贸流通", 3, False), ("外事外语", 2, False)],
        "keywords": "商务、金融、投资促进",
        "ranks": ("一级主任科员", "三级调研员", False),
        "age": (45, False),
    },
    "cy-cbd": {
        "host": "BJ-CY",
        "title": "朝阳区CBD管委会招商服务处副处长",
        "fields": "招商引资、外资服务",
        "duties": "服务跨国公司和总部企业，挖掘赴沈投资线索。",
        "tags": [("招商引资", 4, False), ("外事外语", 3, False), ("金融", 2, False)],
        "keywords": "招商、投资促进",
        "ranks": ("正科级", "三级调研员", False),
        "age": (45, False),
    },
    "cy-edu": {
        "host": "BJ-CY",
        "title": "朝阳区教育委员会副主任",
        "fields": "教育合作",
        "duties": "推动京沈学校结对、名校长名师交流。",
        "tags": [("教育", 5, True), ("文字综合", 2, False)],
        "keywords": "教育",
        "ranks": ("一级主任科员", "三级调研员", False),
        "age": (48, False),
    },
    "cy-health": {
        "host": "BJ-CY",
        "title": "朝阳区卫生健康委员会副主任",
        "fields": "医疗卫生合作",
        "duties": "对接优质医疗资源，推动专科联盟和远程会诊合作。",
        "tags": [("医疗卫生", 5, True), ("基层治理", 2, False)],
        "keywords": "卫生、医疗",
        "ranks": ("一级主任科员", "三级调研员", False),
        "age": (48, False),
    },
    "cy-street": {
        "host": "BJ-CY",
        "title": "朝阳区望京街道办事处副主任",
        "fields": "基层治理",
        "duties": "学习“接诉即办”和街道治理经验。",
        "tags": [("基层治理", 5, False), ("城市规划", 2, False)],
        "keywords": "综合、办公室",
        "ranks": ("二级主任科员", "四级调研员", False),
        "age": (42, False),
    },
    "tz-agri": {
        "host": "BJ-TZ",
        "title": "通州区农业农村局副局长",
        "fields": "现代农业、乡村振兴",
        "duties": "推动沈阳农产品进京和都市现代农业项目合作。",
        "tags": [("乡村振兴", 5, True), ("农业农村", 4, False)],
        "keywords": "农业、农村",
        "ranks": ("二级主任科员", "三级调研员", True),
        "age": (None, False),
    },
    "tz-dev": {
        "host": "BJ-TZ",
        "title": "通州区发展和改革委员会规划科副科长",
        "fields": "产业规划、城市副中心建设",
        "duties": "参与城市副中心产业规划编制，研究可复制的政策经验。",
        "tags": [("产业规划", 4, False), ("城市规划", 3, False), ("文字综合", 2, False)],
        "keywords": "发展和改革、发改、规划",
        "ranks": ("二级主任科员", "正科级", True),
        "age": (40, False),
    },
    "tz-town": {
        "host": "BJ-TZ",
        "title": "通州区宋庄镇副镇长",
        "fields": "乡村振兴、文化产业",
        "duties": "协助分管招商和乡村建设。",
        "tags": [("乡村振兴", 3, False), ("基层治理", 3, False), ("招商引资", 2, False)],
        "keywords": "农村、招商、综合",
        "ranks": ("二级主任科员", "四级调研员", False),
        "age": (42, False),
    },
    "tz-project": {
        "host": "BJ-TZ",
        "title": "城市副中心管委会项目推进处副处长",
        "fields": "重大项目建设",
        "duties": "跟踪重大项目前期和建设进度，学习项目服务机制。",
        "tags": [("项目管理", 5, False), ("城市规划", 3, False)],
        "keywords": "项目",
        "ranks": ("正科级", "三级调研员", False),
        "age": (45, False),
    },
    "yz-invest": {
        "host": "BJ-YZ",
        "title": "亦庄经开区招商局局长助理",
        "fields": "招商引资、高端制造",
        "duties": "参与新一代信息技术和高端制造产业招商，推动产业链上下游企业赴沈布局。",
        "tags": [
            ("招商引资", 4, False),
            ("产业规划", 3, False),
            ("项目管理", 2, False),
            ("金融", 2, False),
        ],
        "keywords": "招商、产业、项目",
        "ranks": ("一级主任科员", "三级调研员", True),
        "age": (45, True),
    },
    "yz-tech": {
        "host": "BJ-YZ",
        "title": "亦庄经开区科技创新局副局长",
        "fields": "科技创新、成果转化",
        "duties": "对接科技园区和创新平台，推动科技成果在沈转化。",
        "tags": [("科技创新", 5, True), ("产业规划", 2, False), ("信息化", 2, False)],
        "keywords": "科学技术、科技",
        "ranks": ("正科级", "三级调研员", False),
        "age": (45, False),
    },
    "yz-finance": {
        "host": "BJ-YZ",
        "title": "亦庄经开区商务金融局副局长",
        "fields": "金融服务、商贸",
        "duties": "协助开展产业基金和企业融资服务。",
        "tags": [("金融", 5, False), ("商贸流通", 3, False)],
        "keywords": "商务、金融",
        "ranks": ("一级主任科员", "三级调研员", False),
        "age": (45, False),
    },
    "hd-transfer": {
        "host": "BJ-HD",
        "title": "海淀区科信局科技成果转化科副科长",
        "fields": "科技创新、成果转化",
        "duties": "对接高校院所技术转移机构，组织科技成果赴沈对接活动。",
        "tags": [("科技创新", 5, True), ("信息化", 3, False)],
        "keywords": "科学技术、科技、信息化",
        "ranks": ("副科级", "三级调研员", True),
        "age": (40, False),
    },
    "hd-info": {
        "host": "BJ-HD",
        "title": "海淀区科信局信息化推进科副科长",
        "fields": "数字经济、信息化",
        "duties": "参与数字政府和智慧城市项目，学习数据要素市场建设经验。",
        "tags": [("信息化", 5, False), ("科技创新", 2, False)],
        "keywords": "信息化、工业和信息化",
        "ranks": ("副科级", "四级调研员", False),
        "age": (40, False),
    },
    "hd-law": {
        "host": "BJ-HD",
        "title": "海淀区科信局政策法规科副科长",
        "fields": "营商环境、政策研究",
        "duties": "研究科技企业扶持政策和营商环境改革经验。",
        "tags": [("法律", 5, False), ("文字综合", 3, False)],
        "keywords": "政策、法规、办公室",
        "ranks": ("二级主任科员", "四级调研员", False),
        "age": (42, False),
    },
}

# number: (start, end, status, filing document number and date, cadres sent)
S = Batch.Status
HISTORY = {
    1: (
        date(2022, 3, 1),
        date(2023, 3, 1),
        S.FINISHED,
        ("组厅字〔2022〕6号", date(2022, 2, 10)),
        20,
    ),
    2: (
        date(2023, 3, 1),
        date(2024, 3, 1),
        S.FINISHED,
        ("组厅字〔2023〕9号", date(2023, 2, 14)),
        18,
    ),
    3: (
        date(2024, 3, 1),
        date(2025, 3, 1),
        S.FINISHED,
        ("组厅字〔2024〕12号", date(2024, 2, 9)),
        17,
    ),
    4: (date(2026, 3, 1), date(2027, 3, 1), S.SERVING, ("组厅字〔2026〕4号", date(2026, 2, 6)), 18),
}
HISTORY_POST_CAP = 3  # a finished batch took at most this many cadres on one post
BATCH3_SIZE, BATCH4_SIZE, BATCH4_EIGHTIES = 17, 18, 15
BATCH5 = {
    "start": date(2027, 3, 1),
    "end": date(2028, 3, 1),
    "quota": 8,
    "min_young_share": 50,
    "max_per_unit": 2,
    "required_tags": ["招商引资", "科技创新", "乡村振兴"],
    "posts": {
        "cy-invest": 2,
        "yz-invest": 2,
        "hd-transfer": 1,
        "tz-agri": 1,
        "tz-dev": 1,
        "cy-commerce": 1,
    },
}
BATCH5_PER_UNIT = 3  # young and as many not young, per 和平/浑南 sending unit

# The 沈河 district officer of the earlier batches (history only: no password, inactive).
HISTORIC_OFFICER = ("shenhe", "王沈河", "SH")


def _at(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, time(9, 0)) + timedelta(minutes=rng.randint(0, 480))
    )


def _reason(cadre: Cadre, batch: Batch) -> str:
    tags = "、".join(t.name for t in cadre.tags.all()) or "综合"
    return (
        f"{cadre.name}同志现任{cadre.current_post}，{cadre.specialty or '业务熟练'}，专长{tags}。"
        f"政治坚定、作风扎实，近三年年度考核均为称职以上，符合选派条件，推荐参加{batch.label}赴京挂职。"
    )


def _draft_post(batch: Batch, key: str, capacity: int, *, units, ranks) -> Post:
    spec = POSTS[key]
    rank_min, rank_max, rank_mandatory = spec["ranks"]
    age_max, age_mandatory = spec["age"]
    return Post(
        batch=batch,
        title=spec["title"],
        host_unit=units[spec["host"]],
        capacity=capacity,
        duties=spec["duties"],
        cooperation_fields=spec["fields"],
        rank_min=ranks[rank_min],
        rank_max=ranks[rank_max],
        rank_mandatory=rank_mandatory,
        age_max=age_max,
        age_mandatory=age_mandatory,
        experience_keywords=spec["keywords"],
    )


def _save_post(post: Post, key: str, tags) -> Post:
    post.save()
    for name, weight, mandatory in POSTS[key]["tags"]:
        PostRequirement.objects.create(
            post=post, tag=tags[name], weight=weight, mandatory=mandatory
        )
    return post


def _history_posts(batch: Batch, cadres: list[Cadre], *, units, tags, ranks):
    """The posts of an earlier batch and who took which: the assignment with the highest
    total fit, at most HISTORY_POST_CAP cadres on one post; only posts somebody took are kept,
    so the capacities add up to the batch size. Returns (cadre, post, fit) triples."""
    drafts = [
        (key, _draft_post(batch, key, HISTORY_POST_CAP, units=units, ranks=ranks)) for key in POSTS
    ]
    profiles = [
        scoring.PostProfile(
            post=post,
            requirements=[(tags[n].pk, n, w, m) for n, w, m in POSTS[key]["tags"]],
            keywords=post.keywords,
            rank_min=post.rank_min.order,
            rank_max=post.rank_max.order,
        )
        for key, post in drafts
    ]
    score, eligible = scoring.matrices(scoring.load_facts(cadres, batch.start), profiles)
    seats = [j for j in range(len(drafts)) for _ in range(HISTORY_POST_CAP)]
    rows, cols = linear_sum_assignment(
        np.where(eligible[:, seats], score[:, seats], -1000.0), maximize=True
    )
    assert len(rows) == len(cadres) and all(
        eligible[i, seats[k]] for i, k in zip(rows, cols, strict=True)
    )
    taken = Counter(seats[k] for k in cols)
    saved = {}
    for j, (key, post) in enumerate(drafts):
        if taken[j]:
            post.capacity = taken[j]
            saved[j] = _save_post(post, key, tags)
    return [
        (cadres[i], saved[seats[k]], float(score[i, seats[k]]))
        for i, k in zip(rows, cols, strict=True)
    ]


class _History:
    """Writes the nominations, steps and placements of a finished (or serving) batch."""

    def __init__(self, rng, levels: list[ReviewLevel], users: dict[str, User]):
        self.rng, self.levels, self.users = rng, levels, users
        self.steps: list[tuple[NominationStep, datetime]] = []

    def _nominator(self, cadre: Cadre) -> tuple[User, User]:
        """(who nominated, who reviewed at the district level)."""
        code, u = cadre.unit.code, self.users
        if code.startswith("HP-"):
            return (u["paichu"] if code == "HP-FGJ" else u["heping"]), u["heping"]
        if code.startswith("HN-"):
            return u["hunnan"], u["hunnan"]
        if code.startswith("SH-"):
            return u[HISTORIC_OFFICER[0]], u[HISTORIC_OFFICER[0]]
        return u["zzb"], u["zzb"]  # city units: the city department reviews them directly

    def _step(self, nomination, action, by, level, when, opinion="", number="", on=None):
        step = NominationStep.objects.create(
            nomination=nomination,
            level=level,
            level_name=level.name if level else "",
            action=action,
            user=by,
            unit=by.unit,
            opinion=opinion,
            document_number=number,
            document_date=on,
        )
        self.steps.append((step, when))

    def nominate(self, batch: Batch, cadre: Cadre, *, filed_on: date) -> Nomination:
        A, rng = NominationStep.Action, self.rng
        first, *_ = self.levels
        by, reviewer = self._nominator(cadre)
        submitted = _at(filed_on - timedelta(days=rng.randint(95, 110)), rng)
        nomination = Nomination.objects.create(
            batch=batch,
            cadre=cadre,
            nominating_unit=cadre.unit,
            reason=_reason(cadre, batch),
            level=first,
            created_by=by,
        )
        Nomination.objects.filter(pk=nomination.pk).update(created_at=submitted)
        nomination.created_at = submitted
        self._step(nomination, A.SUBMIT, by, None, submitted, nomination.reason)
        opinion = (
            "经区委组织部审核，人选符合选派条件，同意推荐。"
            if reviewer.unit.kind == OrgUnit.Kind.ORG_DEPT and reviewer.unit.parent_id
            else "市直单位人选，经市委组织部干部科审核，符合选派条件。"
        )
        self._step(nomination, A.APPROVE, reviewer, first, submitted + timedelta(days=12), opinion)
        return nomination

    def reject_at_comparison(self, nomination: Nomination, *, filed_on: date, opinion: str) -> None:
        level = self.levels[1]
        when = _at(filed_on - timedelta(days=60), self.rng)
        nomination.status, nomination.level = Nomination.Status.REJECTED, level
        nomination.save()
        self._step(
            nomination, NominationStep.Action.REJECT, self.users["zzb"], level, when, opinion
        )

    def approve(self, nomination, post, fit, *, document: tuple[str, date]) -> None:
        A, zzb = NominationStep.Action, self.users["zzb"]
        number, filed_on = document
        compare, approve, file = self.levels[1], self.levels[2], self.levels[3]
        when = _at(filed_on - timedelta(days=62), self.rng)
        self._step(nomination, A.ASSIGN, zzb, compare, when, f"拟任 {post}")
        self._step(
            nomination,
            A.APPROVE,
            zzb,
            compare,
            when + timedelta(days=2),
            "经综合分析、统筹比较，人岗相宜，同意。",
        )
        self._step(
            nomination,
            A.APPROVE,
            zzb,
            approve,
            _at(filed_on - timedelta(days=30), self.rng),
            "经市委审批同意。",
        )
        self._step(
            nomination,
            A.APPROVE,
            zzb,
            file,
            _at(filed_on, self.rng),
            "已报中组部审批备案。",
            number,
            filed_on,
        )
        nomination.status, nomination.level = Nomination.Status.APPROVED, None
        nomination.post, nomination.fit_score = post, round(fit, 1)
        nomination.document_number, nomination.document_date = document
        nomination.save()

    def backdate(self) -> None:
        for step, when in self.steps:
            NominationStep.objects.filter(pk=step.pk).update(at=when)


def _pick(rng: random.Random, pool: list[Cadre], count: int, *, first=()) -> list[Cadre]:
    chosen = [c for c in first if c in pool][:count]
    rest = [c for c in pool if c not in chosen]
    return chosen + rng.sample(rest, count - len(chosen))


def _batch5_candidates(batch: Batch, cadres: list[Cadre]) -> tuple[list[Cadre], dict[int, float]]:
    """Per 和平/浑南 sending unit, the three young and three other cadres who fit the batch-5
    posts best; the older ones are more experienced and usually score higher, so the
    unconstrained optimum breaks the young-share rule and the per-unit cap."""
    pool = [c for c in cadres if c.unit.code.startswith(("HP-", "HN-"))]
    score, _eligible = scoring.matrices(
        scoring.load_facts(pool, batch.start), scoring.load_posts(batch)
    )
    best = {c.pk: float(score[i].max()) for i, c in enumerate(pool)}
    picked = []
    for unit in sorted({c.unit.code for c in pool}):
        for young in (True, False):
            group = [c for c in pool if c.unit.code == unit and batch.is_young(c) == young]
            group.sort(key=lambda c: (-best[c.pk], c.pk))
            picked += group[:BATCH5_PER_UNIT]
    return picked, best


@transaction.atomic
def load() -> None:
    if Programme.objects.filter(name=PROGRAMME).exists():
        return
    units = {u.code: u for u in OrgUnit.objects.all()}
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["zzb", "heping", "hunnan", "paichu"])
    }
    cadres = list(
        Cadre.objects.filter(unit__kind=OrgUnit.Kind.SENDING, unit__code__in=list(units))
        .select_related("unit", "rank", "user")
        .prefetch_related("tags")
        .order_by("pk")
    )
    if len(users) < 4 or "SY" not in units or len(cadres) < 100:
        return  # the core and cadre demos have not been loaded
    rng = random.Random(20220301)  # noqa: S311  (fictional demo data, not security)
    tags = {t.name: t for t in ExpertiseTag.objects.all()}
    ranks = {r.name: r for r in Rank.objects.all()}
    with audit.acting_as("demo"):
        username, full_name, unit_code = HISTORIC_OFFICER
        officer = User.objects.filter(username=username).first()
        if officer is None:
            officer = User(
                username=username, full_name=full_name, unit=units[unit_code], is_active=False
            )
            officer.set_unusable_password()
            officer.save()
            officer.roles.set([Role.objects.get(code="district_officer")])
        users[username] = officer

        programme = Programme.objects.create(
            name=PROGRAMME,
            partner_city="北京",
            description=DESCRIPTION,
            owner_unit=units["SY"],
            young_age_max=40,
        )
        levels = services.levels_create_default(programme)

        # Batch 5 first: its candidates are kept out of the history.
        batch5 = Batch.objects.create(
            programme=programme,
            number=5,
            start=BATCH5["start"],
            end=BATCH5["end"],
            quota=BATCH5["quota"],
            status=Batch.Status.NOMINATING,
            min_young_share=BATCH5["min_young_share"],
            max_per_unit=BATCH5["max_per_unit"],
            note="名额 8 人：年轻干部不少于一半，每个派出单位不超过 2 人。",
        )
        batch5.required_tags.set([tags[n] for n in BATCH5["required_tags"]])
        for key, capacity in BATCH5["posts"].items():
            _save_post(_draft_post(batch5, key, capacity, units=units, ranks=ranks), key, tags)
        candidates, best = _batch5_candidates(batch5, cadres)

        # Who served in batches 1–4.
        batches = {}
        for number, (start, end, status, _document, size) in HISTORY.items():
            batches[number] = Batch.objects.create(
                programme=programme,
                number=number,
                start=start,
                end=end,
                quota=size,
                status=status,
                min_young_share=100 if number == 3 else None,
                note="全部从市区两级优秀年轻干部储备库中选派。" if number == 3 else "",
            )
        free = [c for c in cadres if c not in candidates]
        eighties = [c for c in free if 1980 <= c.birth.year <= 1989]
        nineties = [c for c in free if c.birth.year >= 1990]
        must = [c for c in free if c.user_id]  # the demo cadre login serves now
        must += [next(c for c in eighties if c.unit.code.startswith(p)) for p in ("HP-", "HN-")]
        serving = _pick(rng, eighties, BATCH4_EIGHTIES, first=[c for c in must if c in eighties])
        serving += _pick(rng, nineties, BATCH4_SIZE - BATCH4_EIGHTIES, first=must)
        served = {4: serving}
        free = [c for c in free if c not in serving]
        pooled = set(
            PoolMembership.objects.filter(cadre__in=free).values_list("cadre_id", flat=True)
        )
        young3 = [c for c in free if batches[3].is_young(c)]
        served[3] = _pick(
            rng,
            young3,
            BATCH3_SIZE,
            first=sorted((c for c in young3 if c.pk in pooled), key=lambda c: c.pk),
        )
        free = [c for c in free if c not in served[3]]
        for number in (2, 1):
            served[number] = _pick(rng, free, HISTORY[number][4])
            free = [c for c in free if c not in served[number]]
        not_chosen = {3: rng.sample(free, 1), 4: rng.sample(free, 2)}

        # Nominations, steps and placements of batches 1–4.
        history = _History(rng, levels, users)
        placements: dict[int, list[Placement]] = {}
        for number in sorted(HISTORY):
            batch, (_s, _e, status, document, _size) = batches[number], HISTORY[number]
            filed_on = document[1]
            for cadre in not_chosen.get(number, []):
                nomination = history.nominate(batch, cadre, filed_on=filed_on)
                history.reject_at_comparison(
                    nomination,
                    filed_on=filed_on,
                    opinion="经综合分析、统筹比较，与本批岗位需求匹配度不高，本批次未入选，纳入后备人选。",
                )
            placements[number] = []
            pairs = _history_posts(batch, served[number], units=units, tags=tags, ranks=ranks)
            for cadre, post, fit in sorted(pairs, key=lambda r: r[0].pk):
                nomination = history.nominate(batch, cadre, filed_on=filed_on)
                history.approve(nomination, post, fit, document=document)
                finished = status == Batch.Status.FINISHED
                placement = Placement.objects.create(
                    cadre=cadre,
                    batch=batch,
                    post=post,
                    host_unit=post.host_unit,
                    start=batch.start,
                    planned_end=batch.end,
                    actual_end=batch.end if finished else None,
                    status=Placement.Status.FINISHED if finished else Placement.Status.ON_POST,
                )
                Placement.objects.filter(pk=placement.pk).update(
                    created_at=timezone.make_aware(datetime.combine(batch.start, time(9, 0)))
                )
                nomination.placement = placement
                nomination.save(update_fields=["placement"])
                placements[number].append(placement)
        history.backdate()

        # Batch 4: one extension (和平区) and one early end (浑南区), both approved.
        zzb = users["zzb"]
        by_unit = {
            prefix: [p for p in placements[4] if p.cadre.unit.code.startswith(prefix)]
            for prefix in ("HP-", "HN-")
        }
        extended = next(p for p in by_unit["HP-"] if not p.cadre.user_id)
        change = programme_services.change_request(
            placement=extended,
            by=users["heping"],
            kind=PlacementChange.Kind.EXTEND,
            new_end=date(2027, 9, 1),
            reason=f"{extended.host_unit.short_name}商请延长挂职期限半年，以完成在谈重点合作项目的落地工作。",
        )
        programme_services.change_decide(
            change=change, by=zzb, approve=True, note="同意延期至2027年9月1日。"
        )
        _backdate_change(change, date(2026, 11, 10), date(2026, 11, 18))
        ended = by_unit["HN-"][0]
        change = programme_services.change_request(
            placement=ended,
            by=users["hunnan"],
            kind=PlacementChange.Kind.END_EARLY,
            new_end=date(2026, 9, 30),
            reason="因原单位重点工作需要，经京沈两地组织部门协商，提前结束挂职返回原单位。",
        )
        programme_services.change_decide(
            change=change, by=zzb, approve=True, note="同意，做好工作交接。"
        )
        _backdate_change(change, date(2026, 9, 8), date(2026, 9, 15))

        # Batch 5: the live workflow through the services.
        _batch5_nominations(batch5, candidates, best, users)

        for cadre in {c.pk: c for number in served for c in served[number]}.values():
            programme_services.refresh_cadre_status(cadre)
        for cadres_ in not_chosen.values():
            for cadre in cadres_:
                programme_services.refresh_cadre_status(cadre)
        _check(batches, served)


def _backdate_change(change: PlacementChange, requested: date, decided: date) -> None:
    rng = random.Random(change.pk)  # noqa: S311
    PlacementChange.objects.filter(pk=change.pk).update(
        requested_at=_at(requested, rng), decided_at=_at(decided, rng)
    )


def _batch5_nominations(
    batch: Batch, candidates: list[Cadre], best: dict[int, float], users
) -> None:
    """Nominate through the services; most pass the district level and wait at the
    comprehensive comparison, where the matching page decides the posts."""
    weakest = sorted(candidates, key=lambda c: (best[c.pk], c.pk))
    withdrawn = next(c for c in weakest if c.unit.code == "HP-FGJ" and batch.is_young(c))
    rejected = next(c for c in weakest if c.unit.code.startswith("HN-") and not batch.is_young(c))
    waiting = [c for c in weakest if c not in (withdrawn, rejected)][:3]

    def nominator(cadre: Cadre) -> User:
        if cadre.unit.code == "HP-FGJ":
            return users["paichu"]
        return users["heping"] if cadre.unit.code.startswith("HP-") else users["hunnan"]

    def district(cadre: Cadre) -> User:
        return users["heping"] if cadre.unit.code.startswith("HP-") else users["hunnan"]

    for cadre in sorted(candidates, key=lambda c: (c.unit.code, c.pk)):
        nomination = services.nominate(
            batch=batch, cadre=cadre, reason=_reason(cadre, batch), by=nominator(cadre)
        )
        if cadre == withdrawn:
            services.withdraw(
                nomination=nomination,
                by=users["paichu"],
                reason="本人家中老人病重需要照料，经单位党组研究，撤回本批次推荐。",
            )
        elif cadre == rejected:
            services.decide(
                nomination=nomination,
                by=district(cadre),
                approve=False,
                opinion="该同志正牵头区重点招商项目攻坚，工作暂时离不开，建议下一批次再推荐。",
            )
        elif cadre not in waiting:
            services.decide(
                nomination=nomination,
                by=district(cadre),
                approve=True,
                opinion="经区委组织部审核，人选符合选派条件，同意推荐。",
            )


def _check(batches: dict[int, Batch], served: dict[int, list[Cadre]]) -> None:
    """The seed's figures hold exactly."""
    sizes = {n: Placement.objects.filter(batch=b).count() for n, b in batches.items()}
    assert sizes == {1: 20, 2: 18, 3: 17, 4: 18}, sizes
    people = Placement.objects.filter(batch__in=batches.values()).values("cadre").distinct().count()
    assert people == 73, people
    assert all(batches[3].is_young(c) for c in served[3])
    cohorts = Counter(c.cohort for c in served[4])
    assert cohorts["80后"] == BATCH4_EIGHTIES, cohorts
