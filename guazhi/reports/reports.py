"""The reports (see base.py). Each reads its rows through the owning app's access.py."""

from __future__ import annotations

import operator
from dataclasses import dataclass

from guazhi.assessment import access as assessment_access
from guazhi.cadres import access as cadres_access
from guazhi.cadres.models import mask_id_number
from guazhi.deeds import access as deeds_access
from guazhi.deeds.models import Deed
from guazhi.programmes import access as programmes_access
from guazhi.programmes import services as programmes_services
from guazhi.programmes.models import Batch, Placement
from guazhi.programmes.services import Composition
from guazhi.projects import access as projects_access
from guazhi.returns import access as returns_access
from guazhi.returns import services as returns_services

from .base import Col, Report, choices

LEVELS = ((5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意"))


def _placements(user, params):
    qs = programmes_access.placements_for(user).select_related(
        "cadre__unit", "batch__programme", "post", "host_unit"
    )
    if params.get("batch"):
        qs = qs.filter(batch_id=params["batch"])
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    return qs.order_by(
        "batch__programme__name", "batch__number", "cadre__unit__path", "cadre__name", "pk"
    )


def _placement_filters(user):
    batches = (
        programmes_access.batches_for(user)
        .select_related("programme")
        .order_by("programme__name", "number")
    )
    return [
        ("batch", "批次", choices((b.pk, f"{b.programme.name} {b.label}") for b in batches)),
        ("status", "状态", choices(Placement.Status.choices)),
    ]


PLACEMENTS = Report(
    slug="placements",
    title="任职台账",
    perm="programmes.view_placement",
    description="每条任职记录一行：批次、干部、派出与接收单位、岗位、起止日期和状态。",
    columns=[
        Col("选派项目", lambda p: p.batch.programme.name, 16),
        Col("批次", lambda p: p.batch.number, 6, "0"),
        Col("姓名", lambda p: p.cadre.name, 10),
        Col("性别", lambda p: p.cadre.get_gender_display(), 6),
        Col("出生年月", lambda p: p.cadre.birth.strftime("%Y.%m"), 10),
        Col("派出单位", lambda p: p.cadre.unit.name, 22),
        Col("接收单位", lambda p: p.host_unit.name if p.host_unit else "", 22),
        Col("挂职岗位", lambda p: p.post.title if p.post else "", 24),
        Col("到岗日期", lambda p: p.start, 12),
        Col("计划结束日期", lambda p: p.planned_end, 12),
        Col("实际结束日期", lambda p: p.actual_end, 12),
        Col("状态", lambda p: p.get_status_display(), 8),
    ],
    rows=_placements,
    filters=_placement_filters,
)


def _deeds(user, params):
    from django.db.models import Count, Q

    qs = deeds_access.deeds_for(user).select_related("unit", "cadre", "status")
    if params.get("category"):
        qs = qs.filter(category=params["category"])
    valid = Q(ratings__excluded=False)
    qs = qs.annotate(
        n_ratings=Count("ratings", filter=valid),
        **{
            f"n_{value}": Count("ratings", filter=valid & Q(ratings__level=value))
            for value, _label in LEVELS
        },
    )
    return qs.order_by("unit__path", "opened_on", "pk")


def _deed_filters(user):
    return [("category", "类别", choices(Deed.Category.choices))]


DEEDS = Report(
    slug="deeds",
    title="实事台账（含群众评价）",
    perm="deeds.view_deed",
    description="每件实事一行：责任单位和干部、承诺与办结日期、状态，以及各等次的有效评价数（申诉成立的不计）。",
    columns=[
        Col("实事", lambda d: d.title, 28),
        Col("类别", lambda d: d.get_category_display(), 10),
        Col("地点", lambda d: d.location, 20),
        Col("责任单位", lambda d: d.unit.name, 22),
        Col("责任干部", lambda d: d.cadre.name if d.cadre else "", 10),
        Col("登记日期", lambda d: d.opened_on, 12),
        Col("承诺办结", lambda d: d.promised_on, 12),
        Col("办结日期", lambda d: d.done_on, 12),
        Col("状态", lambda d: d.status.name, 8),
        Col("有效评价", lambda d: d.n_ratings, 8, "0"),
        *[Col(label, operator.attrgetter(f"n_{value}"), 8, "0") for value, label in LEVELS],
    ],
    rows=_deeds,
    filters=_deed_filters,
)


def _roster(user, params):
    reveal = params.get("reveal") == "1"
    perm = "cadres.reveal_cadre_personal" if reveal else "cadres.view_cadre"
    qs = cadres_access.cadres_for(user, perm).select_related("unit", "rank")
    if params.get("group") == "unit":
        return qs.order_by("unit__path", "unit__sort_order", "name", "pk")
    return qs.order_by("name", "pk")


def _roster_filters(user):
    filters = [("group", "排列", [("unit", "按单位分组")])]
    if user.has_perm("cadres.reveal_cadre_personal"):
        filters.append(("reveal", "身份证号", [("1", "显示完整号码（记入审计）")]))
    return filters


def _roster_columns(params):
    reveal = params.get("reveal") == "1"
    id_number = (lambda c: c.id_number) if reveal else (lambda c: mask_id_number(c.id_number))
    unit = Col("单位", lambda c: c.unit.name, 22)
    rest = [
        Col("姓名", lambda c: c.name, 10),
        Col("性别", lambda c: c.get_gender_display(), 6),
        Col("出生年月", lambda c: c.birth.strftime("%Y.%m"), 10),
        Col("民族", lambda c: c.ethnicity, 8),
        Col("籍贯", lambda c: c.native_place, 12),
        Col("政治面貌", lambda c: c.political_status, 10),
        Col("全日制学历", lambda c: c.fulltime_education, 12),
        Col("现任职务", lambda c: c.current_post, 24),
        Col("职级", lambda c: c.rank.name if c.rank else "", 12),
        Col("身份证号", id_number, 20),
    ]
    if params.get("group") == "unit":
        return [unit, *rest]
    return [*rest[:3], unit, *rest[3:]]


ROSTER = Report(
    slug="roster",
    title="干部花名册",
    perm="cadres.view_cadre",
    description="每名干部一行，可按单位分组；身份证号默认脱敏，有权限的用户可显示完整号码（查看和导出都记入审计）。",
    columns=_roster_columns({}),
    columns_for=_roster_columns,
    rows=_roster,
    filters=_roster_filters,
    sensitive=lambda params: params.get("reveal") == "1",
)


def _projects(user, params):
    qs = projects_access.projects_for(user).select_related(
        "enterprise", "stage", "owner", "batch", "unit"
    )
    if params.get("batch"):
        qs = qs.filter(batch_id=params["batch"])
    if params.get("stage"):
        qs = qs.filter(stage__name=params["stage"])
    return qs.order_by("stage__order", "-signed_amount", "pk")


def _project_filters(user):
    projects = projects_access.projects_for(user)
    stages = sorted(set(projects.values_list("stage__order", "stage__name")))
    names = list(dict.fromkeys(name for _order, name in stages))
    return [
        ("batch", "批次", _placement_filters(user)[0][2]),
        ("stage", "阶段", [(name, name) for name in names]),
    ]


MONEY = "#,##0.00"

PROJECTS = Report(
    slug="projects",
    title="合作项目台账",
    perm="projects.view_project",
    description="每个项目一行：企业、行业、拟落地区县、所处阶段与状态、计划/签约/到位金额（万元）和关键日期。",
    columns=[
        Col("项目名称", lambda p: p.title, 30),
        Col("企业", lambda p: p.enterprise.name if p.enterprise else "", 24),
        Col("行业", lambda p: p.get_sector_display(), 12),
        Col("拟落地区县", lambda p: p.district, 12),
        Col("阶段", lambda p: p.stage.name, 8),
        Col("状态", lambda p: p.get_status_display(), 8),
        Col("计划投资（万元）", lambda p: p.planned_amount, 14, MONEY),
        Col("签约金额（万元）", lambda p: p.signed_amount, 14, MONEY),
        Col("到位资金（万元）", lambda p: p.landed_amount, 14, MONEY),
        Col("发现日期", lambda p: p.found_on, 12),
        Col("签约日期", lambda p: p.signed_on, 12),
        Col("落地日期", lambda p: p.landed_on, 12),
        Col("负责人", lambda p: (p.owner.full_name or p.owner.username) if p.owner else "", 10),
    ],
    rows=_projects,
    filters=_project_filters,
)


def _results(user, params):
    qs = assessment_access.entries_for(user).select_related(
        "round__batch__programme", "placement__cadre__unit", "placement__post"
    )
    if params.get("round"):
        qs = qs.filter(round_id=params["round"])
    return qs.order_by("-round__period_end", "round_id", "-final_score", "pk")


def _result_filters(user):
    rounds = assessment_access.rounds_for(user).select_related("batch__programme")
    return [("round", "考核", choices((r.pk, str(r)) for r in rounds.order_by("-period_end")))]


RESULTS = Report(
    slug="results",
    title="考核结果",
    perm="assessment.view_round",
    description="每名干部每次考核一行：指标得分、评议得分、总分和等次（已确定的等次，否则为建议等次）。",
    columns=[
        Col("考核", lambda e: str(e.round), 26),
        Col("姓名", lambda e: e.placement.cadre.name, 10),
        Col("派出单位", lambda e: e.placement.cadre.unit.name, 22),
        Col("挂职岗位", lambda e: e.placement.post.title if e.placement.post else "", 24),
        Col("指标得分", lambda e: e.indicator_score, 10, "0.00"),
        Col("评议得分", lambda e: e.review_score, 10, "0.00"),
        Col("总分", lambda e: e.final_score, 10, "0.00"),
        Col("等次", lambda e: e.grade or e.proposed_grade, 8),
    ],
    rows=_results,
    filters=_result_filters,
)


def _programme_filters(user):
    programmes = programmes_access.programmes_for(user).order_by("-is_active", "name")
    return [("programme", "选派项目", choices((p.pk, p.name) for p in programmes))]


@dataclass
class BatchComposition:
    batch: Batch
    comp: Composition

    def count(self, counter: str, key: str) -> int:
        return getattr(self.comp, counter).get(key, 0)

    def text(self, counter: str) -> str:
        return "、".join(f"{k} {v}" for k, v in getattr(self.comp, counter).most_common())


def _compositions(user, params):
    placements = programmes_access.placements_for(user)
    if params.get("programme"):
        placements = placements.filter(batch__programme_id=params["programme"])
    by_batch = programmes_services.compositions(placements)
    batches = Batch.objects.filter(pk__in=by_batch).select_related("programme")
    return [
        BatchComposition(b, by_batch[b.pk]) for b in batches.order_by("programme__name", "number")
    ]


COHORTS = ("50后", "60后", "70后", "80后", "90后", "00后")

COMPOSITION = Report(
    slug="composition",
    title="批次干部构成",
    perm="programmes.view_placement",
    description="每个批次一行：选派人数、性别、年轻干部（按选派项目的年龄上限，以到岗日期计）、出生年代、职级、学历和派出单位构成。",
    columns=[
        Col("选派项目", lambda r: r.batch.programme.name, 16),
        Col("批次", lambda r: r.batch.number, 6, "0"),
        Col("选派人数", lambda r: r.comp.total, 8, "0"),
        Col("男", lambda r: r.count("gender", "男"), 6, "0"),
        Col("女", lambda r: r.count("gender", "女"), 6, "0"),
        Col("年轻干部", lambda r: r.comp.young, 8, "0"),
        Col("年轻干部占比", lambda r: r.comp.share_young, 10),
        *[Col(c, lambda r, c=c: r.count("cohorts", c), 6, "0") for c in COHORTS],
        Col("职级构成", lambda r: r.text("ranks"), 28),
        Col("学历构成", lambda r: r.text("education"), 28),
        Col("派出单位", lambda r: r.text("units"), 40),
    ],
    rows=_compositions,
    filters=_programme_filters,
)


@dataclass
class OutcomeLine:
    programme: str
    row: object  # returns.services.OutcomeRow


def _outcomes(user, params):
    placements = returns_access.placements_for(user)
    if params.get("programme"):
        placements = placements.filter(batch__programme_id=params["programme"])
    lines = []
    for outcome in returns_services.outcome_statistics(placements, returns_access.events_for(user)):
        lines += [OutcomeLine(outcome.programme.name, r) for r in [*outcome.rows, outcome.total]]
    return lines


OUTCOMES = Report(
    slug="outcomes",
    title="返岗成效",
    perm="returns.view_careerevent",
    description="每个批次一行、每个选派项目一行合计：选派与返岗人数，到岗之后的提拔、重用、交流和评先评优（按干部去重）。",
    columns=[
        Col("选派项目", lambda r: r.programme, 16),
        Col("批次", lambda r: r.row.label, 8),
        *[
            Col(str(header), lambda r, i=i: r.row.values()[i], 10, None if i == 5 else "0")
            for i, header in enumerate(returns_services.OUTCOME_HEADERS)
        ],
    ],
    rows=_outcomes,
    filters=_programme_filters,
)

REPORTS: dict[str, Report] = {
    r.slug: r for r in (ROSTER, COMPOSITION, PLACEMENTS, PROJECTS, RESULTS, DEEDS, OUTCOMES)
}
