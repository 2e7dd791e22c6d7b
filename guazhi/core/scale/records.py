"""Daily work records (工作纪实) of the placed cadres: on working days inside each placement
(from the start to the actual end, or to today while on post), more for longer stays; one
发现项目线索 record for every project a cadre found, on the day he found it; the team
leader's comments and evidence marks on part of the older ones."""

from __future__ import annotations

from datetime import timedelta

from guazhi.records.models import DailyRecord

from .base import Context, apportion, at, insert, working_days

C = DailyRecord.Category
CATEGORIES = [
    (C.ENTERPRISE_VISIT, 22),
    (C.LEAD, 6),
    (C.COORDINATION, 18),
    (C.STUDY, 12),
    (C.MEETING, 14),
    (C.ROUTINE, 24),
    (C.OTHER, 4),
]
TEXTS = {
    C.ENTERPRISE_VISIT: [
        "走访{e}，了解企业在沈投资意向和用地需求",
        "陪同{host}负责同志走访{e}，介绍沈阳产业政策",
        "到{e}调研，梳理企业反映的三个问题并形成清单",
    ],
    C.LEAD: [
        "与{e}负责人座谈，获悉企业拟在东北布局区域总部，形成项目线索",
        "参加行业协会活动，了解到{e}有扩产计划，已报送线索",
    ],
    C.COORDINATION: [
        "协调{host}与沈阳相关部门召开视频会，推进合作事项",
        "为{e}协调办理项目手续，跟进审批进度",
        "对接派出单位，协调落实合作协议中的配套条件",
    ],
    C.STUDY: [
        "参加{host}组织的专题学习，学习营商环境改革经验",
        "围绕数字经济发展开展专题调研，形成调研报告初稿",
        "学习研讨：对照先进地区做法查找差距",
    ],
    C.MEETING: [
        "参加工作队周例会，汇报本周工作进展",
        "参加临时党支部主题党日活动",
        "参加{host}党组会议，列席听取工作部署",
    ],
    C.ROUTINE: [
        "处理分管处室日常工作，审核上报材料",
        "起草{host}年度合作工作要点",
        "整理本周工作台账，更新项目推进表",
    ],
    C.OTHER: ["参加志愿服务活动", "接待沈阳来访考察团"],
}
COMMENTS = {
    "positive": ["工作扎实，成效明显", "线索价值高，继续跟进", "主动作为，值得肯定"],
    "negative": ["记录过于简单，请补充具体内容", "未按要求及时报送"],
    "": ["已阅", "请继续跟进", "注意总结经验"],
}


def records(ctx: Context, lead_days: list[tuple[object, object, str]]) -> None:
    """ctx.sizes.records rows in all; `lead_days` = (placement, day, enterprise name) of the
    projects found, each written as the day's 发现项目线索 record."""
    rng, today = ctx.rng, ctx.today
    total = ctx.sizes.records
    lead_days = lead_days[:total]
    windows = []
    for pl in ctx.placements:
        end = min(pl.actual_end or today, today)
        days = working_days(pl.start, end) or [pl.start]
        windows.append(days)
    diligence = [(0.5 + rng.random()) * len(days) for days in windows]
    per_placement = apportion(total - len(lead_days), diligence)
    names = [e.name for e in ctx.enterprises] or ["沈阳某某科技有限公司"]
    leader_of = ctx.leader_of
    cats = [c for c, _w in CATEGORIES]
    weights = [w for _c, w in CATEGORIES]
    old = today - timedelta(days=7)

    columns = ["cadre_id", "placement_id", "date", "category", "content", "linked",
               "leader_comment", "evidence", "commented_by_id", "commented_at",
               "created_at", "updated_at"]  # fmt: skip

    def build(pl, day, category, linked):
        host = pl.post.host_unit.short_name
        text = rng.choice(TEXTS[category]).format(e=linked or rng.choice(names), host=host)
        created = at(day, rng, 17, 23)
        comment, mark, by, commented, updated = "", "", None, None, created
        if day <= old and rng.random() < 0.3:
            mark = rng.choices(["positive", "negative", ""], weights=[40, 3, 57])[0]
            comment = rng.choice(COMMENTS[mark])
            by = leader_of[pl.batch_id].pk
            commented = updated = at(min(day + timedelta(days=rng.randint(1, 6)), today), rng)
        return (pl.cadre_id, pl.pk, day, category, text, linked, comment, mark, by, commented,
                created, updated)  # fmt: skip

    def rows():
        for pl, day, enterprise in lead_days:
            yield build(pl, day, C.LEAD, enterprise)
        for pl, days, n in zip(ctx.placements, windows, per_placement, strict=True):
            for day in sorted(rng.choices(days, k=n)):
                category = rng.choices(cats, weights)[0]
                linked = (
                    rng.choice(names)
                    if category in (C.ENTERPRISE_VISIT, C.LEAD) and rng.random() < 0.7
                    else ""
                )
                yield build(pl, day, category, linked)

    insert(DailyRecord, columns, rows(), ctx)
