"""Printable forms (core/pdf.py): the one-page cadre profile (the 考核登记表 is the
assessment app's, exports.entry_form_pdf, beside its Excel twin).

Each reads through the owning apps' access.py for the viewer, so a form shows only what the
viewer could see on the pages; ID numbers and phones appear masked, never in full."""

from __future__ import annotations

from decimal import Decimal

from guazhi.assessment import access as assessment_access
from guazhi.cadres.models import Cadre
from guazhi.core.pdf import Sheet
from guazhi.programmes import access as programmes_access
from guazhi.projects import access as projects_access

# How many lines of each list fit on the profile's one page; the rest are counted.
RESUME_LINES = 10
PLACEMENT_LINES = 3
RESULT_LINES = 4
PROJECT_LINES = 6


def _ym(day) -> str:
    return day.strftime("%Y.%m") if day else ""


def _amount(value) -> str:
    return f"{value:,.2f}" if value is not None else ""


def _more(items: list, limit: int) -> tuple[list, str]:
    if len(items) <= limit:
        return items, ""
    return items[:limit], f"另有 {len(items) - limit} 条，见系统"


def _who(user) -> str:
    return getattr(user, "full_name", "") or getattr(user, "username", "")


def cadre_profile(user, cadre: Cadre) -> bytes:
    """干部简要情况（挂职）: basic facts, resume, placements, assessment results and the
    projects credited to him, on one A4 page (longer lists are cut and counted)."""
    placements = list(
        programmes_access.placements_for(user)
        .filter(cadre=cadre)
        .select_related("batch__programme", "host_unit", "post")
        .order_by("-start")
    )
    entries = list(
        assessment_access.entries_of_placements_for(user)
        .filter(placement__cadre=cadre)
        .select_related("round__batch__programme")
        .order_by("-round__period_end", "-pk")
    )
    for e in entries:  # provisional scores only for the org department and the cadre
        e.shown = assessment_access.sees_results(user, cadre.user_id, e.round.is_frozen)
    projects = []
    if user.has_perm("projects.view_project"):
        projects = list(
            projects_access.projects_for(user)
            .filter(credits__cadre=cadre)
            .select_related("stage")
            .distinct()
            .order_by("-signed_amount", "-pk")
        )
    annual = list(cadre.annual_results.order_by("-year")[:3])

    sheet = Sheet("干部简要情况", _who(user))
    sheet.heading("干部简要情况（挂职）", f"{cadre.unit.name}")
    age = cadre.age_on()
    sheet.grid(
        [
            [("姓名", cadre.name), ("性别", cadre.get_gender_display()),
             ("出生年月", f"{_ym(cadre.birth)}（{age}岁）")],
            [("民族", cadre.ethnicity), ("籍贯", cadre.native_place),
             ("政治面貌", cadre.political_status)],
            [("入党时间", _ym(cadre.party_join)), ("参加工作", _ym(cadre.work_start)),
             ("身份证号", cadre.id_masked)],
            [("全日制学历", " ".join(filter(None, [cadre.fulltime_education, cadre.fulltime_degree]))),
             ("毕业院校", cadre.fulltime_school, 3)],
            [("在职学历", " ".join(filter(None, [cadre.inservice_education, cadre.inservice_degree]))),
             ("毕业院校", cadre.inservice_school, 3)],
            [("现任职务", cadre.current_post, 3), ("职级", cadre.rank.name if cadre.rank else "")],
            [("近年考核", "，".join(f"{a.year}年{a.result}" for a in annual), 5)],
        ]
    )  # fmt: skip
    resume, more = _more([str(r) for r in cadre.resume.all()], RESUME_LINES)
    sheet.block("简历", [*resume, more] if more else resume)

    sheet.section("挂职经历")
    shown, more = _more(placements, PLACEMENT_LINES)
    sheet.rows(
        ["批次", "接收单位", "挂职岗位", "起止时间", "状态"],
        [
            [
                f"{p.batch.programme.name}{p.batch.label}",
                p.host_unit.name if p.host_unit else "",
                p.post.title if p.post else "",
                f"{_ym(p.start)}—{_ym(p.actual_end or p.planned_end)}",
                p.get_status_display(),
            ]
            for p in shown
        ],
        (38, 38, 46, 38, 14),
    )
    _note(sheet, more)

    sheet.section("挂职期间考核")
    shown, more = _more(entries, RESULT_LINES)
    sheet.rows(
        ["考核", "指标得分", "评议得分", "总分", "等次"],
        [
            [
                str(e.round),
                e.indicator_score,
                e.review_score,
                e.final_score,
                e.grade or (f"{e.proposed_grade}（建议）" if e.proposed_grade else ""),
            ]
            for e in shown
        ],  # fmt: skip
        (74, 24, 24, 24, 28),
        numbers=(1, 2, 3),
    )
    _note(sheet, more)

    sheet.section("引进和推进的合作项目")
    shown, more = _more(projects, PROJECT_LINES)
    sheet.rows(
        ["项目", "阶段", "签约金额（万元）", "到位资金（万元）"],
        [
            [p.title, p.stage.name, _amount(p.signed_amount), _amount(p.landed_amount)]
            for p in shown
        ],
        (90, 20, 32, 32),
        numbers=(2, 3),
    )
    if projects:
        signed = sum((p.signed_amount or Decimal(0)) for p in projects)
        _note(
            sheet,
            f"{more + '；' if more else ''}共 {len(projects)} 个项目，签约 {_amount(signed)} 万元",
        )
    return sheet.render()


def _note(sheet: Sheet, text: str) -> None:
    if text:
        sheet.set_font("song", size=9)
        sheet.cell(0, 5, text, align="R", new_x="LMARGIN", new_y="NEXT")
