"""The organisation tree of a province city (市委组织部, fourteen districts with their
organisation departments and bureaus, the city's own bureaus), the accounts that act in it,
and the cadre registry: names, encrypted ID numbers with valid check digits, résumés, annual
results, expertise tags and the young-cadre reserve pool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.contrib.auth.hashers import make_password
from stdnum.cn import ric

from guazhi.cadres import demo
from guazhi.cadres.models import (
    AnnualAssessment,
    Cadre,
    ExpertiseTag,
    PoolMembership,
    Rank,
    ResumeEntry,
)
from guazhi.cadres.normalise import pinyin_initials
from guazhi.core.models import OrgUnit, Role, User

from .base import Context, apportion, write

K = OrgUnit.Kind


@dataclass
class District:
    code: str  # pinyin initials, used in unit codes and user names
    name: str
    region: str  # the ID number's six-digit address code
    org_dept: OrgUnit | None = None
    units: list | None = None


# A province city's districts and counties (Shenyang's, with the 沈抚 demonstration zone as the
# fourteenth); the region code is the ID number's address part.
DISTRICTS = [
    ("hp", "和平区", "210102"),
    ("sh", "沈河区", "210103"),
    ("dd", "大东区", "210104"),
    ("hg", "皇姑区", "210105"),
    ("tx", "铁西区", "210106"),
    ("sjt", "苏家屯区", "210111"),
    ("hn", "浑南区", "210112"),
    ("sb", "沈北新区", "210113"),
    ("yh", "于洪区", "210114"),
    ("lz", "辽中区", "210115"),
    ("kp", "康平县", "210123"),
    ("fk", "法库县", "210124"),
    ("xm", "新民市", "210181"),
    ("sf", "沈抚示范区", "210100"),
]
# Bureaus every district has (name, short name).
BUREAUS = [
    ("发展和改革局", "发改局"),
    ("商务局", "商务局"),
    ("工业和信息化局", "工信局"),
    ("科学技术局", "科技局"),
    ("农业农村局", "农业农村局"),
    ("教育局", "教育局"),
    ("卫生健康局", "卫健局"),
    ("民政局", "民政局"),
    ("人力资源和社会保障局", "人社局"),
    ("住房和城乡建设局", "住建局"),
    ("自然资源局", "自然资源局"),
    ("生态环境分局", "生态环境分局"),
    ("财政局", "财政局"),
    ("文化旅游和广播电视局", "文旅局"),
    ("市场监督管理局", "市场监管局"),
    ("营商环境建设局", "营商局"),
    ("应急管理局", "应急局"),
    ("城市管理局", "城管局"),
    ("司法局", "司法局"),
    ("交通运输局", "交通局"),
    ("审计局", "审计局"),
    ("统计局", "统计局"),
    ("医疗保障局", "医保局"),
    ("退役军人事务局", "退役军人局"),
    ("信访局", "信访局"),
    ("数据局", "数据局"),
    ("水利局", "水利局"),
    ("体育局", "体育局"),
]
CITY_BUREAUS = [
    ("沈阳市发展和改革委员会", "市发改委"),
    ("沈阳市商务局", "市商务局"),
    ("沈阳市工业和信息化局", "市工信局"),
    ("沈阳市科学技术局", "市科技局"),
    ("沈阳市农业农村局", "市农业农村局"),
    ("沈阳市教育局", "市教育局"),
    ("沈阳市卫生健康委员会", "市卫健委"),
    ("沈阳市财政局", "市财政局"),
    ("沈阳市自然资源局", "市自然资源局"),
    ("沈阳市营商环境建设局", "市营商局"),
]

TAGS = demo.TAGS  # the demo's expertise tags (cadres/demo.py)
# Names, schools and majors: the demo's lists (cadres/demo.py).
SURNAMES, GIVEN, SCHOOLS, MAJORS = demo.SURNAMES, demo.GIVEN, demo.SCHOOLS, demo.MAJORS
POSTS = [
    "科员",
    "副主任科员",
    "办公室副主任",
    "综合科科长",
    "项目推进科科长",
    "投资促进科副科长",
    "规划发展科科长",
    "副局长",
]
NATIVE = ["辽宁沈阳", "辽宁大连", "辽宁鞍山", "辽宁抚顺", "吉林长春", "山东烟台", "河北唐山"]


def person_name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2, 2])))


def mobile(rng) -> str:
    return rng.choice(["138", "139", "135", "136", "158", "186", "187"]) + (
        f"{rng.randrange(10**8):08d}"
    )


# Address codes a district had before its own existed (辽中县 until 2016, 新民县 until 1993);
# otherwise the city's code, which is valid for every year.
EARLIER_REGIONS = {"210115": ["210122"], "210181": ["210121"]}


def id_number(rng, region: str, birth_year: int, birth_month: int, male: bool) -> str:
    """A 公民身份号码 whose check digit is right (GB 11643, computed by python-stdnum) and
    whose address code existed in the birth year (python-stdnum checks both)."""
    day = rng.randint(1, 28)
    seq = rng.randrange(100)
    gender_digit = rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    code = _address_code(region, birth_year)
    first17 = f"{code}{birth_year:04d}{birth_month:02d}{day:02d}{seq:02d}{gender_digit}"
    return first17 + ric.calc_check_digit(first17 + "0")  # stdnum ignores the 18th character


@cache
def _address_code(region: str, year: int) -> str:
    """The district's code if it existed in `year`, else an earlier one (python-stdnum's
    table of address codes says; one look-up per district and year)."""
    for code in [region, *EARLIER_REGIONS.get(region, []), "210100"]:
        first17 = f"{code}{year:04d}0101001"
        if ric.is_valid(first17 + ric.calc_check_digit(first17 + "0")):
            return code
    raise ValueError(f"{region} {year}")


# --- org tree and accounts ----------------------------------------------------------------------


def _unit(ctx: Context, code: str, name: str, short: str, kind, region: str, parent, order: int):
    """An unsaved unit whose path is filled once its parent's primary key is known."""
    return OrgUnit(
        code=f"{ctx.prefix}-{code}" if code else ctx.prefix,
        name=name,
        short_name=short,
        kind=kind,
        region=region,
        parent=parent,
        sort_order=order,
    )


def _save_level(ctx: Context, units: list[OrgUnit]) -> None:
    """Insert one level of the tree, then set the materialised paths (/1/4/9/) and depths
    OrgUnit.save would have set, computed from the parents (already saved) in one
    bulk_update instead of a save per unit."""
    write(OrgUnit, units, ctx)
    for unit in units:
        parent_path = unit.parent.path if unit.parent_id else "/"
        unit.path = f"{parent_path}{unit.pk}/"
        unit.depth = unit.path.count("/") - 2
    OrgUnit.objects.bulk_update(units, ["path", "depth"], batch_size=1000)


def org_tree(ctx: Context, host_cities: list[tuple[str, str, list[str]]]) -> dict:
    """City root → district org depts → bureaus; the city's bureaus and the work-team units
    under the root; each partner city's org dept with its host units. Returns the host units
    by partner city code and the work-team units."""
    city = "沈阳市"
    name_tail = "" if ctx.run == 1 else f"（规模数据{ctx.run}）"
    root = _unit(ctx, "", f"沈阳市委组织部{name_tail}", "市委组织部", K.ORG_DEPT, city, None, 0)
    _save_level(ctx, [root])
    ctx.root = root
    level = []
    districts = []
    for i, (code, name, region) in enumerate(DISTRICTS, start=1):
        d = District(code=code, name=name, region=region)
        d.org_dept = _unit(
            ctx, code.upper(), f"{name}委组织部", f"{name}委组织部", K.ORG_DEPT, name, root, i
        )
        level.append(d.org_dept)
        districts.append(d)
    city_units = [
        _unit(ctx, f"SZ{i:02d}", n, s, K.SENDING, city, root, 100 + i)
        for i, (n, s) in enumerate(CITY_BUREAUS, start=1)
    ]
    level += city_units
    _save_level(ctx, level)
    bureaus = []
    for d in districts:
        d.units = [
            _unit(
                ctx,
                f"{d.code.upper()}-{i:02d}",
                f"{d.name}{n}",
                f"{d.name}{s}",
                K.SENDING,
                d.name,
                d.org_dept,
                i,
            )  # fmt: skip
            for i, (n, s) in enumerate(BUREAUS, start=1)
        ]
        bureaus += d.units
    _save_level(ctx, bureaus)
    ctx.districts = districts
    ctx.sending_units = city_units + bureaus
    # The partner cities: their org dept (a root) and host units.
    hosts: dict[str, list[OrgUnit]] = {}
    roots = []
    for j, (code, partner, _names) in enumerate(host_cities, start=1):
        roots.append(
            _unit(
                ctx,
                f"P{code}",
                f"{partner}委组织部（合作方）",
                f"{partner}委组织部",
                K.ORG_DEPT,
                partner,
                None,
                1000 + j,
            )  # fmt: skip
        )
    _save_level(ctx, roots)
    level = []
    for (code, partner, names), proot in zip(host_cities, roots, strict=True):
        hosts[code] = [
            _unit(ctx, f"P{code}-{i:02d}", f"{partner}{n}", n, K.HOST, partner, proot, i)
            for i, n in enumerate(names, start=1)
        ]
        level += hosts[code]
    teams = [
        _unit(
            ctx,
            f"GZD{j:02d}",
            f"沈阳市赴{partner}挂职干部工作队",
            f"赴{partner}工作队",
            K.OTHER,
            partner,
            root,
            200 + j,
        )  # fmt: skip
        for j, (_code, partner, _names) in enumerate(host_cities, start=1)
    ]
    level += teams
    _save_level(ctx, level)
    return {
        "hosts": hosts,
        "teams": dict(zip([c for c, _p, _n in host_cities], teams, strict=True)),
    }


def accounts(ctx: Context, password: str, hosts: dict, teams: dict) -> None:
    """The officers who sign in (city officer, leader, one district officer per district, a
    host-unit officer per partner city) with `password`; a staff account per sending unit
    (owners of projects and deeds, no password). Roles written straight to the join table."""
    roles = {r.code: r for r in Role.objects.all()}
    p = ctx.user_prefix
    unusable = make_password(None)
    hashed = make_password(password) if password else unusable
    users: list[tuple[User, str]] = [
        (User(username=f"{p}zzb", full_name="规模市委组织部", unit=ctx.root), "org_officer"),
        (User(username=f"{p}lingdao", full_name="规模领导", unit=ctx.root), "leader"),
    ]
    for d in ctx.districts:
        users.append(
            (
                User(username=f"{p}{d.code}", full_name=f"{d.name}组织部", unit=d.org_dept),
                "district_officer",
            )  # fmt: skip
        )
    for code, units in hosts.items():
        users.append(
            (
                User(
                    username=f"{p}host_{code.lower()}",
                    full_name=f"{units[0].region}接收",
                    unit=units[0],
                ),
                "host_unit",
            )  # fmt: skip
        )
    for u, _role in users:
        u.password = hashed
    staff = []
    for i, unit in enumerate(ctx.sending_units, start=1):
        u = User(
            username=f"{p}u{i:04d}", full_name=person_name(ctx.rng), unit=unit, password=unusable
        )
        staff.append((u, "sending_unit"))
    write(User, [u for u, _r in users + staff], ctx)
    link_roles(ctx, [(u, roles[r]) for u, r in users + staff])
    ctx.officers = {u.username: u for u, _r in users}
    ctx.unit_staff = {u.unit_id: u for u, _r in staff}


def link_roles(ctx: Context, pairs: list) -> None:
    through = User.roles.through
    write(through, [through(user_id=u.pk, role_id=r.pk) for u, r in pairs], ctx)


# --- cadres -------------------------------------------------------------------------------------


def tags() -> list[ExpertiseTag]:
    have = {t.name: t for t in ExpertiseTag.objects.all()}
    missing = [ExpertiseTag(name=n, category=c) for n, c in TAGS if n not in have]
    if missing:
        ExpertiseTag.objects.bulk_create(missing)
        have = {t.name: t for t in ExpertiseTag.objects.all()}
    return [have[n] for n, _c in TAGS]


def cadres(ctx: Context) -> None:
    """ctx.sizes.cadres cadres over the sending units (districts weighted like a city: the
    central districts and the city's bureaus send more), mostly 80后 as in the seed."""
    rng, today = ctx.rng, ctx.today
    ranks = list(Rank.objects.filter(order__lte=130).order_by("order"))
    tag_list = tags()
    units = ctx.sending_units
    weights = [3.0 if u.region == "沈阳市" else 1.0 + rng.random() for u in units]
    per_unit = apportion(ctx.sizes.cadres, weights)
    region_of = {u.pk: _region(ctx, u) for u in units}
    used = set(Cadre.objects.values_list("id_number_hash", flat=True))
    rows: list[Cadre] = []
    extras = []  # (cadre index, tags, resume, annual, pool)
    year_now = today.year
    for unit, n in zip(units, per_unit, strict=True):
        for _ in range(n):
            male = rng.random() < 0.64
            year = rng.choices(
                [1968, 1972, 1976, 1980, 1983, 1986, 1989, 1992, 1995],
                weights=[1, 2, 3, 5, 6, 6, 5, 3, 1],
            )[0] + rng.randint(0, 2)
            month = rng.randint(1, 12)
            while True:
                ident = id_number(rng, region_of[unit.pk], year, month, male)
                key = Cadre.hash_id_number(ident)
                if key not in used:
                    used.add(key)
                    break
            name = person_name(rng)
            school, major = rng.choice(SCHOOLS), rng.choice(MAJORS)
            grad = year + 22
            work_start = date(grad, 7, 1)
            postgraduate = rng.random() < 0.45
            service = max(0, year_now - grad)
            posts = POSTS[: min(len(POSTS), 2 + service // 4)]
            post = posts[-1] if rng.random() < 0.6 else rng.choice(posts)
            rank = ranks[min(len(ranks) - 1, max(0, service // 3 + rng.randint(-1, 1)))]
            c = Cadre(
                name=name,
                name_initials=pinyin_initials(name),
                gender="男" if male else "女",
                birth=date(year, month, 1),
                ethnicity=rng.choices(
                    ["汉族", "满族", "朝鲜族", "回族", "锡伯族"], weights=[85, 8, 3, 3, 1]
                )[0],  # fmt: skip
                native_place=rng.choice(NATIVE),
                birthplace=rng.choice(NATIVE[:4]),
                political_status="中共党员" if rng.random() < 0.92 else "群众",
                party_join=date(year + rng.randint(20, 26), rng.randint(1, 12), 1),
                work_start=work_start,
                health="健康",
                fulltime_education="大学",
                fulltime_degree="学士",
                fulltime_school=f"{school}{major}专业",
                inservice_education="研究生" if postgraduate else "",
                inservice_degree="硕士" if postgraduate else "",
                inservice_school=f"{rng.choice(SCHOOLS)}公共管理专业" if postgraduate else "",
                professional_title=rng.choice(["", "", "经济师", "高级经济师", "工程师"]),
                specialty=f"熟悉{rng.choice(['招商引资', '项目管理', '产业政策', '农业农村工作', '科技创新'])}工作",
                unit=unit,
                current_post=f"{unit.short_name}{post}",
                rank=rank,
                assessment_text="",
            )
            if c.party_join > today or c.political_status != "中共党员":
                c.party_join = None
            c.id_number = ident  # the model's own encryption, hash and mask
            c.mobile = mobile(rng)
            rows.append(c)
            resume = [
                (date(year + 18, 9, 1), work_start, f"{school}{major}专业学习"),
                (work_start, None, f"{unit.name}{post}"),
            ]
            annual = [
                (y, rng.choices(["优秀", "称职", "基本称职"], weights=[25, 73, 2])[0])
                for y in (year_now - 3, year_now - 2, year_now - 1)
                if y >= grad
            ]
            extras.append((rng.sample(tag_list, k=rng.randint(1, 3)), resume, annual))
    write(Cadre, rows, ctx)
    through = Cadre.tags.through
    write(
        through,
        [
            through(cadre_id=c.pk, expertisetag_id=t.pk)
            for c, (ts, _r, _a) in zip(rows, extras, strict=True)
            for t in ts
        ],
        ctx,
    )
    write(
        ResumeEntry,
        [
            ResumeEntry(cadre_id=c.pk, start=s, end=e, content=text, sort=i)
            for c, (_t, resume, _a) in zip(rows, extras, strict=True)
            for i, (s, e, text) in enumerate(resume)
            if s <= today
        ],
        ctx,
    )
    write(
        AnnualAssessment,
        [
            AnnualAssessment(cadre_id=c.pk, year=y, result=r, source="录入")
            for c, (_t, _r, annual) in zip(rows, extras, strict=True)
            for y, r in annual
        ],
        ctx,
    )
    # The reserve pool (年轻干部储备库): about a third of the cadres under 40.
    pool = []
    for c in rows:
        if c.age_on(today) <= 40 and rng.random() < 0.35:
            pool.append(
                PoolMembership(
                    cadre_id=c.pk,
                    level=rng.choice(["city", "district"]),
                    joined_on=date(today.year - rng.randint(0, 3), rng.randint(1, 12), 1),
                    recommending_unit_id=c.unit_id if rng.random() < 0.7 else ctx.root.pk,
                )
            )
    for m in pool:
        if m.joined_on > today:
            m.joined_on = date(today.year, 1, 1)
    write(PoolMembership, pool, ctx)
    ctx.cadres = rows


def _region(ctx: Context, unit: OrgUnit) -> str:
    for d in ctx.districts:
        if unit.parent_id == d.org_dept.pk:
            return d.region
    return "210100"
