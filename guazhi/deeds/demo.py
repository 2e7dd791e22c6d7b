"""Demo deeds (SPEC §6, issue 8): the seed's 办实事 examples with their targets, look-backs,
public and panel ratings across all five levels, a rectification with its callback and
re-rating, and one upheld appeal. Dates are relative to the day the demo is loaded.

- 推进集团化办学 (沈河区教育局): 22 紧密型教育集团 planned, 16 formed; 普惠制幼儿园 places.
- 第一书记爱心团队助学 (the volunteer team): 8.2 万元 raised of 8, 2,000+ beneficiaries, 100
  students helped; done, look-back passed.
- 文萃小区 (和平区): a flower bed built while the pipes kept failing — the look-back finds the
  need was not real (实不实) and sends it back (回炉返工) with the pipe work as its task; the
  pipe deed itself is under way.
- 农民工工资支付保障 (和平区发改局): done; the same complaint at the same site came back within
  the window (好不好), and the look-back passed only because a lasting mechanism was built.
- About a dozen more deeds over the demo units, some overdue, some done with a look-back due.
- A citizen panel (群众评议团) of three invited members with their channels; public ratings from
  verified phones (fictional numbers); one 不满意 rating was rectified within the working-day
  deadline, called back and re-rated 满意; one 非常不满意 rating was found malicious on appeal
  and excluded from the figures (kept in the record).

Everything goes through the services except what only time can do (ratings are written with
their keys as a verified phone would leave them; dates are back-dated). Idempotent: nothing
happens once a deed exists."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from guazhi.cadres.models import Cadre
from guazhi.core import audit, crypto
from guazhi.core.models import OrgUnit, User

from . import services
from .models import Deed, Level, LookBack, Rating, Rectification

D = Decimal


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _status(kind: str, last: bool = False):
    items = [s for s in services.statuses() if s.kind == kind]
    return items[-1] if last else items[0]


def _rate(deed, level, key, *, channel="public", member=None, day=None, comment=""):
    mobile = f"139{key:08d}" if isinstance(key, int) else ""
    rating = Rating.objects.create(
        deed=deed,
        level=level,
        first_level=level,
        comment=comment,
        channel=channel,
        rater_key=services.panel_key(member) if member else services.phone_key(mobile),
        panel_member=member,
        mobile_encrypted=member.mobile_encrypted if member else crypto.encrypt(mobile),
    )
    if day is not None:
        Rating.objects.filter(pk=rating.pk).update(created_at=_at(day))
    return rating


def _rectify(rating, day: date, by, action: str | None) -> Rectification:
    """The rectification the bad rating opened on `day` (done the same week when `action`)."""
    rect = services.rectification_open(rating)
    Rectification.objects.filter(pk=rect.pk).update(
        opened_on=day, deadline=services.rectification_deadline(day)
    )
    rect.refresh_from_db()
    if action:
        services.rectification_done(rectification=rect, by=by, action=action)
        Rectification.objects.filter(pk=rect.pk).update(done_on=day + timedelta(days=3))
        rect.refresh_from_db()
    return rect


@transaction.atomic
def load() -> dict[str, int] | None:
    zzb = User.objects.filter(username="zzb").first()
    heping = User.objects.filter(username="heping").first()
    paichu = User.objects.filter(username="paichu").first()
    units = {
        u.code: u
        for u in OrgUnit.objects.filter(
            code__in=["HP-FGJ", "SH-JYJ", "HN-KJJ", "SY-NYNC", "HP-SWJ", "SH-GXJ"]
        )
    }
    if zzb is None or heping is None or paichu is None or len(units) < 6 or Deed.objects.exists():
        return None
    today = timezone.localdate()
    rng = random.Random(8)  # noqa: S311  (fictional demo data)
    ganbu = Cadre.objects.filter(user__username="ganbu").first()
    ago = lambda n: today - timedelta(days=n)  # noqa: E731
    with audit.acting_as("demo"):
        services.policy()
        working = _status("open", last=True)
        done = _status("done")

        def deed(title, unit, *, opened, promised, by=zzb, **values):
            values.setdefault("source", Deed.Source.VISIT)
            values.setdefault("content", title)
            return services.deed_create(
                by=by,
                title=title,
                unit=units[unit],
                opened_on=ago(opened),
                promised_on=today + timedelta(days=promised),
                **values,
            )

        def move(d, status, days_ago, note=""):
            return services.status_change(
                deed=d, to_status=status, by=zzb, day=ago(days_ago), note=note
            )

        # 推进集团化办学: 22 planned, 16 formed so far.
        school = deed(
            "推进集团化办学，组建紧密型教育集团",
            "SH-JYJ",
            opened=150,
            promised=120,
            category=Deed.Category.EDUCATION,
            source=Deed.Source.ASSIGNED,
            urgent=True,
            location="沈河区",
            content="围绕人事、经费、教学、资源配置、考核奖惩“五个统一”，"
            "组建紧密型教育集团，破解“择校热”。",
            targets=[("组建紧密型教育集团", "个", D(22)), ("新增普惠制幼儿园学位", "个", D(600))],
        )
        move(school, working, 140)
        groups, places = school.targets.order_by("pk")
        for days, n, m, note in (
            (100, 6, 120, "首批 6 个教育集团挂牌"),
            (60, 11, 300, "第二批组建完成"),
            (20, 16, 420, "累计组建 16 个，普惠制幼儿园新增学位 420 个"),
        ):
            services.evidence_add(
                deed=school, by=zzb, day=ago(days), note=note, target=groups, value=D(n)
            )
            services.evidence_add(
                deed=school,
                by=zzb,
                day=ago(days),
                note=f"新增学位 {m} 个",
                target=places,
                value=D(m),
            )

        # 第一书记爱心团队助学募捐: done, look-back passed.
        charity = deed(
            "第一书记爱心团队助学募捐",
            "SY-NYNC",
            opened=200,
            promised=-40,
            category=Deed.Category.AID,
            source=Deed.Source.VOICE,
            urgent=True,
            location="抚顺县救兵镇",
            cadre=ganbu,
            content="爱心团队成员自掏腰包募集善款，资助品学兼优、家庭困难的学生和急难群众。",
            targets=[
                ("募集善款", "万元", D(8)),
                ("受益群众", "人", D(2000)),
                ("资助困难学生", "名", D(100)),
            ],
        )
        money, people, students = charity.targets.order_by("pk")
        for target, value in ((money, D("8.2")), (people, D(2030)), (students, D(104))):
            services.evidence_add(
                deed=charity,
                by=zzb,
                day=ago(70),
                note="年度募捐和资助完成",
                target=target,
                value=value,
            )
        move(charity, done, 60)

        # 文萃小区: the pipes are the need; a flower bed was built instead.
        pipes = deed(
            "文萃小区供水管网改造",
            "HP-FGJ",
            opened=90,
            promised=30,
            category=Deed.Category.HOUSING,
            urgent=True,
            location="和平区南湖街道文萃小区",
            content="小区管网老化，三天两头出问题，居民出入经常需要抬脚而行。",
            targets=[("更换供水管网", "米", D(1200))],
        )
        move(pipes, working, 80)
        services.evidence_add(
            deed=pipes,
            by=paichu,
            day=ago(10),
            note="已更换 700 米",
            target=pipes.targets.get(),
            value=D(700),
        )
        flowers = deed(
            "文萃小区修建花坛",
            "HP-FGJ",
            opened=120,
            promised=-60,
            category=Deed.Category.HOUSING,
            location="和平区南湖街道 文萃小区",
            content="美化小区环境，修建花坛两处。",
        )
        move(flowers, done, 70)

        # 农民工工资: done; the complaint came back at the same site.
        wages = deed(
            "农民工工资支付保障",
            "HP-FGJ",
            opened=160,
            promised=-90,
            category=Deed.Category.JOBS,
            source=Deed.Source.HOTLINE,
            urgent=True,
            location="和平区长白岛某建设工地",
            content="处理工地农民工工资拖欠投诉。",
        )
        move(wages, done, 120)
        again = deed(
            "农民工工资拖欠再次投诉",
            "HP-FGJ",
            opened=90,
            promised=-80,
            category=Deed.Category.JOBS,
            source=Deed.Source.HOTLINE,
            location="和平区长白岛某建设工地",
            content="同一工地再次出现工资拖欠投诉。",
        )
        move(again, done, 85)

        # More deeds over the units, some overdue, some done with a look-back due.
        more = [
            ("浑南区科技企业人才公寓申请服务", "HN-KJJ", Deed.Category.HOUSING, "浑南区"),
            ("老年人助餐点建设", "HP-FGJ", Deed.Category.ELDERLY, "和平区北市场街道"),
            ("背街小巷路灯修复", "SH-GXJ", Deed.Category.INFRASTRUCTURE, "沈河区大南街道"),
            ("社区卫生服务站延时服务", "HP-SWJ", Deed.Category.HEALTH, "和平区太原街道"),
            ("农村饮水安全巩固提升", "SY-NYNC", Deed.Category.INFRASTRUCTURE, "辽中区养士堡镇"),
            ("高校毕业生就业见习岗位对接", "HN-KJJ", Deed.Category.JOBS, "浑南区"),
            ("小区垃圾分类设施更新", "SH-GXJ", Deed.Category.ENVIRONMENT, "沈河区五里河街道"),
            ("校园周边交通安全整治", "SH-JYJ", Deed.Category.SAFETY, "沈河区文艺路"),
            ("农产品冷链设施共享", "SY-NYNC", Deed.Category.JOBS, "新民市"),
            ("社区文化活动室改造", "HP-SWJ", Deed.Category.CULTURE, "和平区集贤街道"),
        ]
        others = []
        for i, (title, unit, category, place) in enumerate(more):
            d = deed(
                title,
                unit,
                opened=rng.randint(40, 150),
                promised=rng.choice([-20, -5, 15, 40]),
                category=category,
                location=place,
                urgent=i % 3 == 0,
                source=rng.choice(Deed.Source.values),
                cadre=ganbu if i == 0 else None,
            )
            if i % 3 != 2:
                move(d, working, (today - d.opened_on).days - 5)
            if i % 2 == 0:
                move(d, done, max(0, (today - d.opened_on).days - rng.randint(20, 35)))
            others.append(d)

        # The citizen panel and the ratings.
        panel = [
            services.panel_member_add(by=zzb, name=name, community=place, mobile=mobile)
            for name, place, mobile in (
                ("王秀兰", "文萃小区", "13700000001"),
                ("刘志刚", "南湖街道", "13700000002"),
                ("陈桂芳", "沈河区家长代表", "13700000003"),
            )
        ]
        key = iter(range(1, 10**6))
        for d, levels in (
            (charity, [5, 5, 5, 4, 5, 4, 5]),
            (school, [5, 4, 4, 3, 4, 5, 2]),
            (wages, [4, 3, 4, 5]),
            (flowers, [3, 2, 3]),
            (pipes, [4, 4, 5]),
        ):
            for level in levels:
                day = ago(rng.randint(8, 30))
                rating = _rate(d, level, next(key), day=day)
                if level <= Level.BAD:
                    _rectify(rating, day, paichu, "已向评价群众说明情况并落实改进措施")
        for member, (d, level, channel) in zip(
            panel,
            [(charity, 5, "field"), (flowers, 2, "ask"), (school, 4, "forum")],
            strict=True,
        ):
            rating = _rate(d, level, None, channel=channel, member=member, day=ago(12))
            if level <= Level.BAD:
                _rectify(rating, ago(12), paichu, None)  # still open: the reminder has work
        for d in others:
            for _ in range(rng.randint(0, 4)):
                _rate(d, rng.choice([5, 5, 4, 4, 4, 3, 3]), next(key), day=ago(rng.randint(1, 30)))

        # One 不满意 rectified, called back and re-rated.
        bad = _rate(
            school, Level.BAD, next(key), day=ago(9), comment="孩子所在学校还没纳入集团，希望尽快"
        )
        rect = _rectify(bad, ago(9), zzb, None)
        services.rectification_done(
            rectification=rect, by=zzb, action="将该校纳入第三批集团化办学名单，并向家长公开时间表"
        )
        Rectification.objects.filter(pk=rect.pk).update(done_on=ago(5))
        rect.refresh_from_db()
        services.callback_record(
            rectification=rect, by=heping, day=ago(4), note="电话回访家长，对整改安排表示认可"
        )
        services.rerate(token=rect.rerate_token, level=Level.GOOD, comment="学校已确定纳入")

        # One 非常不满意 found malicious on appeal: excluded, kept.
        malicious = _rate(
            wages, Level.VERY_BAD, next(key), day=ago(15), comment="（与实事无关的攻击性内容）"
        )
        rect2 = services.rectification_open(malicious)
        appeal = services.appeal_file(
            rating=malicious, by=paichu, reason="评价内容与该实事无关，评价人并非投诉当事人"
        )
        services.appeal_decide(
            appeal=appeal, by=zzb, decision="upheld", note="经核实为恶意评价，不计入统计，保留记录"
        )
        services.rectification_done(
            rectification=rect2, by=paichu, action="经复核为恶意评价，无需整改"
        )

        # An open bad rating waiting for the unit (so the reminder and list have one).
        services.rectification_open(
            _rate(pipes, Level.BAD, next(key), day=ago(2), comment="施工期间停水没有提前通知")
        )

        # Look-backs: the charity passed, the flower bed sent back, the wages passed with a
        # lasting mechanism despite the complaint coming back.
        def review(d, conclusion, **values):
            lookback = LookBack.objects.get(deed=d, conclusion="")
            return services.lookback_conclude(
                lookback=lookback, by=zzb, conclusion=conclusion, **values
            )

        review(
            charity,
            "pass",
            real_need=True,
            real_note="资助对象均为困难家庭学生和急难群众",
            lasting=True,
            mechanism=True,
            lasting_note="团队形成每月助学机制，已持续三年",
            happy_note="受助家庭普遍满意",
        )
        review(
            flowers,
            "rework",
            real_need=False,
            real_note="居民最急的是供水管网老化，花坛属于“锦上添花”",
            lasting=False,
            mechanism=False,
            lasting_note="管网问题未解决",
            happy_note="评价以基本满意、不满意为主",
            tasks=[("并入供水管网改造一并实施", today + timedelta(days=20))],
            rework_deadline=today + timedelta(days=30),
        )
        review(
            wages,
            "pass",
            real_need=True,
            real_note="农民工工资拖欠是急难问题",
            lasting=True,
            mechanism=True,
            lasting_note="同一工地再次投诉后，建立工资支付、线索核查、应急处置和综合治理机制",
            happy_note="",
        )
    return {"deeds": Deed.objects.count(), "ratings": Rating.objects.count()}
