"""Demo cadres (SPEC §6): about 120 fictional cadres across the demo units, with résumés,
annual results, expertise tags and a young-cadre reserve pool. Deterministic and idempotent."""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction
from stdnum.cn import ric

from guazhi.core import audit
from guazhi.core.models import OrgUnit, User

from .models import Cadre, ExpertiseTag, PoolMembership, Rank
from .services import CadreData, cadre_save

TAGS = [
    ("招商引资", "经济"),
    ("项目管理", "经济"),
    ("产业规划", "经济"),
    ("金融", "经济"),
    ("商贸流通", "经济"),
    ("农业农村", "农业"),
    ("乡村振兴", "农业"),
    ("科技创新", "科技"),
    ("信息化", "科技"),
    ("城市规划", "城建"),
    ("教育", "社会"),
    ("医疗卫生", "社会"),
    ("基层治理", "社会"),
    ("法律", "综合"),
    ("文字综合", "综合"),
    ("外事外语", "综合"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏飞宇浩然思远博文佳琪晨曦子涵欣怡梓轩一鸣志远海峰立新建国晓东丹阳雪梅"
SCHOOLS = [
    "东北大学",
    "辽宁大学",
    "沈阳工业大学",
    "东北财经大学",
    "大连理工大学",
    "沈阳农业大学",
    "吉林大学",
    "中国人民大学",
    "北京师范大学",
    "哈尔滨工业大学",
]
MAJORS = [
    "经济学",
    "工商管理",
    "法学",
    "计算机科学与技术",
    "农学",
    "汉语言文学",
    "金融学",
    "城市规划",
    "行政管理",
    "国际贸易",
]
DISTRICT_CODES = {"HP": "210102", "SH": "210103", "HN": "210112"}
POSTS = [
    "科员",
    "副主任科员",
    "办公室副主任",
    "综合科科长",
    "项目推进科科长",
    "投资促进科副科长",
    "规划发展科科长",
    "副局长",
    "产业发展处副处长",
    "招商服务中心主任",
]


def _id_number(rng: random.Random, region: str, birth: date, male: bool) -> str:
    seq = rng.randrange(0, 99)
    gender_digit = rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    first17 = f"{region}{birth:%Y%m}{rng.randint(1, 28):02d}{seq:02d}{gender_digit}"
    return first17 + ric.calc_check_digit(first17 + "0")  # stdnum ignores the last character


def _cadre(rng: random.Random, index: int, unit: OrgUnit, ranks: list[Rank], tags):
    male = rng.random() < 0.64
    # Mostly young: 80后 dominate, as in the seed's fourth batch.
    year = rng.choices([1972, 1976, 1981, 1984, 1987, 1990, 1993], weights=[1, 2, 5, 6, 5, 3, 1])[
        0
    ] + rng.randint(0, 2)
    birth = date(year, rng.randint(1, 12), 1)
    region = next(
        (code for prefix, code in DISTRICT_CODES.items() if unit.code.startswith(prefix)), "210100"
    )
    ident = _id_number(rng, region, birth, male)
    born = ric.get_birth_date(ident)
    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
    school, major = rng.choice(SCHOOLS), rng.choice(MAJORS)
    grad_year = born.year + 22
    work_start = date(grad_year, 7, 1)
    postgraduate = rng.random() < 0.45
    resume = [(date(born.year + 18, 9, 1), date(grad_year, 7, 1), f"{school}{major}专业学习")]
    posts = rng.sample(POSTS[: 4 + (2026 - grad_year) // 3], k=min(3, 1 + (2026 - grad_year) // 6))
    posts.sort(key=POSTS.index)
    start = work_start
    for i, post in enumerate(posts):
        end = (
            None
            if i == len(posts) - 1
            else date(min(start.year + rng.randint(3, 6), 2025), rng.randint(1, 12), 1)
        )
        resume.append((start, end, f"{unit.name}{post}"))
        if end:
            start = end
    rank_index = min(len(ranks) - 1, max(0, (2026 - grad_year) // 3 + rng.randint(-1, 1)))
    annual = [(y, rng.choices(["优秀", "称职"], weights=[1, 3])[0]) for y in (2023, 2024, 2025)]
    return CadreData(
        id_number=ident,
        unit=unit,
        values={
            "name": name,
            "gender": "男" if male else "女",
            "birth": birth,
            "ethnicity": rng.choices(
                ["汉族", "满族", "朝鲜族", "回族", "锡伯族"], weights=[85, 8, 3, 3, 1]
            )[0],
            "native_place": rng.choice(
                ["辽宁沈阳", "辽宁大连", "辽宁鞍山", "吉林长春", "山东烟台", "河北唐山", "辽宁铁岭"]
            ),
            "birthplace": rng.choice(["辽宁沈阳", "辽宁抚顺", "辽宁本溪"]),
            "political_status": "中共党员",
            "party_join": date(born.year + rng.randint(20, 26), rng.randint(1, 12), 1),
            "work_start": work_start,
            "health": "健康",
            "fulltime_education": "大学",
            "fulltime_degree": "学士",
            "fulltime_school": f"{school}{major}专业",
            "inservice_education": "研究生" if postgraduate else "",
            "inservice_degree": "硕士" if postgraduate else "",
            "inservice_school": f"{rng.choice(SCHOOLS)}公共管理专业" if postgraduate else "",
            "professional_title": rng.choice(["", "", "经济师", "高级经济师", "工程师"]),
            "specialty": f"熟悉{rng.choice(['招商引资', '项目管理', '产业政策', '农业农村工作', '科技创新'])}工作",
            "current_post": f"{unit.short_name or unit.name}{posts[-1]}",
            "rewards": rng.choice(["", "", "2022年度优秀公务员", "2021年嘉奖一次"]),
            "assessment_text": "",
        },
        rank=ranks[rank_index],
        mobile=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
        tags=rng.sample(tags, k=rng.randint(1, 3)),
        resume=[(s, e, c) for s, e, c in resume if not e or e > s],
        annual=annual,
    )


@transaction.atomic
def load(count: int = 120) -> None:
    if Cadre.objects.filter(id_masked__startswith="21").count() >= count:
        return
    rng = random.Random(20261127)  # noqa: S311  (fictional demo data, not security)
    with audit.acting_as("demo"):
        tags = [
            ExpertiseTag.objects.get_or_create(name=n, defaults={"category": c})[0] for n, c in TAGS
        ]
        ranks = list(Rank.objects.filter(order__lte=130).order_by("order"))
        units = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.SENDING).order_by("path"))
        if not units or not ranks:
            return
        cadres = []
        for index in range(count):
            data = _cadre(rng, index, units[index % len(units)], ranks, tags)
            cadre, _outcome = cadre_save(data=data, by=None)
            cadres.append(cadre)
        # The demo cadre login sees his own record.
        account = User.objects.filter(username="ganbu").first()
        if account and not Cadre.objects.filter(user=account).exists():
            own = next(c for c in cadres if c.unit.code == "SY-NYNC")
            Cadre.objects.filter(pk=own.pk).update(user=account, name=account.full_name)
        city = OrgUnit.objects.get(code="SY")
        young = [c for c in cadres if c.birth.year >= 1985]
        for cadre in young[:40]:
            PoolMembership.objects.get_or_create(
                cadre=cadre,
                left_on=None,
                defaults={
                    "level": rng.choice(["city", "district"]),
                    "joined_on": date(2024, rng.randint(1, 12), 1),
                    "recommending_unit": cadre.unit if rng.random() < 0.7 else city,
                },
            )
        # One cadre who left the pool and rejoined, to show the history.
        if young:
            cadre = young[0]
            PoolMembership.objects.filter(cadre=cadre, left_on__isnull=True).update(
                left_on=date(2025, 3, 1),
                left_reason="提拔任职后按规定出库",
                joined_on=date(2023, 4, 1),
            )
            PoolMembership.objects.create(
                cadre=cadre,
                level="city",
                joined_on=date(2025, 9, 1),
                recommending_unit=city,
                note="重新推荐入库",
            )
