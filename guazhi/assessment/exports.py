"""Excel outputs: the 考核登记表 of one assessed cadre (one sheet laid out for printing on A4,
the form the organisation department files) and a round's results table.

Raters appear only as kinds with their averages — never by name — so the form can be
handed to the cadre himself. The views check who may export, say what the exporter may see
(`results`: the review and final scores, the grades and the raters' averages, provisional
until the round is confirmed; `comments`: the raters' comments) and audit every export."""

from __future__ import annotations

import io
from decimal import Decimal

from django.db.models import Avg, Count, Q
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from guazhi.core import xlsx

from .models import GRADES, Entry, IndicatorScore, PlanItem, Rating, Round

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
ASPECTS = [
    ("political", "政治表现"),
    ("conduct", "能力作风"),
    ("performance", "工作实绩"),
    ("integrity", "廉洁自律"),
]


def _num(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value.quantize(Decimal("0.01")))
    return value


def _print_setup(ws, *, landscape: bool = False, title_rows: str | None = None) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _date(value) -> str:
    return f"{value:%Y.%m.%d}" if value else ""


# --- 考核登记表 ------------------------------------------------------------------------------

WIDTH = 6  # columns A–F


class _Form:
    """Writes rows of a bordered form six columns wide."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 0

    def cell(self, col: int, value, *, span: int = 1, bold=False, align=LEFT, fill=None):
        ws = self.ws
        cell = ws.cell(self.row, col, xlsx.text(value))  # typed text never becomes a formula
        cell.alignment = align
        if bold:
            cell.font = BOLD
        if span > 1:
            ws.merge_cells(
                start_row=self.row, start_column=col, end_row=self.row, end_column=col + span - 1
            )
        for c in range(col, col + span):
            ws.cell(self.row, c).border = BOX
            if fill:
                ws.cell(self.row, c).fill = fill
        return cell

    def line(self, *cells, height: float | None = None):
        """cells: (value, span) or (value, span, options); label cells are bold and centred."""
        self.row += 1
        col = 1
        for spec in cells:
            value, span, *rest = spec
            options = rest[0] if rest else {}
            self.cell(col, value, span=span, **options)
            col += span
        if height:
            self.ws.row_dimensions[self.row].height = height

    def section(self, title: str):
        self.row += 1
        self.cell(1, title, span=WIDTH, bold=True, align=LEFT, fill=HEADER_FILL)
        self.ws.row_dimensions[self.row].height = 20


LABEL = {"bold": True, "align": CENTER}
HEAD = {"bold": True, "align": CENTER, "fill": HEADER_FILL}
MID = {"align": CENTER}


def _text_height(text: str, chars_per_line: int = 48, line: float = 15, least: float = 30):
    lines = sum(max(1, -(-len(part) // chars_per_line)) for part in (text or "").split("\n"))
    return max(least, min(409, lines * line))


def entry_form(entry: Entry, *, results: bool = True, comments: bool = True) -> bytes:
    """The 考核登记表 of one entry, as .xlsx bytes. Without `results` the review part, the
    total and the grades read "确认后填写"; without `comments` the comments are left out."""
    entry = (
        Entry.objects.select_related(
            "round__batch__programme",
            "placement__cadre__unit",
            "placement__post",
            "placement__host_unit",
        )
        .filter(pk=entry.pk)
        .get()
    )
    round_, placement = entry.round, entry.placement
    cadre = placement.cadre
    wb = Workbook()
    ws = wb.active
    ws.title = "考核登记表"
    for col, width in zip(range(1, WIDTH + 1), [15, 24, 11, 13, 13, 13], strict=True):
        ws.column_dimensions[get_column_letter(col)].width = width

    form = _Form(ws)
    form.row = 1
    ws.cell(1, 1, "挂职干部考核登记表").font = Font(bold=True, size=16)
    ws.cell(1, 1).alignment = CENTER
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=WIDTH)
    ws.row_dimensions[1].height = 30
    form.row = 2
    ws.cell(
        2,
        1,
        f"{round_.batch}  {round_.year}年{round_.get_kind_display()}"
        f"（考核期 {_date(round_.period_start)}–{_date(round_.period_end)}）",
    ).alignment = CENTER
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=WIDTH)
    ws.freeze_panes = "A3"

    end = placement.actual_end or placement.planned_end
    form.line(
        ("姓名", 1, LABEL),
        (cadre.name, 1, MID),
        ("性别", 1, LABEL),
        (cadre.get_gender_display(), 1, MID),
        ("出生年月", 1, LABEL),
        (f"{cadre.birth:%Y.%m}" if cadre.birth else "", 1, MID),
        height=22,
    )
    form.line(
        ("政治面貌", 1, LABEL),
        (cadre.political_status, 1, MID),
        ("民族", 1, LABEL),
        (getattr(cadre, "ethnicity", ""), 1, MID),
        ("学历", 1, LABEL),
        (cadre.fulltime_education or cadre.inservice_education, 1, MID),
        height=22,
    )
    form.line(
        ("派出单位及职务", 1, LABEL),
        (" ".join(p for p in [cadre.unit.name, cadre.current_post] if p), WIDTH - 1),
        height=22,
    )
    form.line(
        ("挂职单位及职务", 1, LABEL),
        (f"{placement.host_unit.name} {placement.post.title}", WIDTH - 1),
        height=22,
    )
    form.line(
        ("挂职时间", 1, LABEL),
        (f"{_date(placement.start)}–{_date(end)}", 2, MID),
        ("状态", 1, LABEL),
        (placement.get_status_display(), 2, MID),
        height=22,
    )

    # 一、指标完成情况
    form.section("一、考核指标完成情况")
    form.line(
        ("维度", 1, HEAD),
        ("指标", 1, HEAD),
        ("权重", 1, HEAD),
        ("目标值", 1, HEAD),
        ("完成值", 1, HEAD),
        ("得分", 1, HEAD),
    )
    scores = {s.item_id: s for s in IndicatorScore.objects.filter(entry=entry)}
    items = (
        list(PlanItem.objects.filter(plan_id=entry.plan_id).select_related("indicator"))
        if entry.plan_id
        else []
    )
    for item in items:
        score = scores.get(item.pk)
        unit = item.indicator.unit
        target = f"{_num(item.target):g}{unit}" if item.target is not None else "—"
        value = ""
        if score is not None and score.value is not None:
            value = f"{_num(score.value):g}{unit}"
        form.line(
            (item.indicator.get_dimension_display(), 1, MID),
            (item.indicator.name, 1),
            (_num(item.weight), 1, MID),
            (target, 1, MID),
            (value, 1, MID),
            (_num(score.score) if score else None, 1, MID),
        )
    if not items:
        form.line(("（无已审定的考核指标方案）", WIDTH, MID))
    form.line(("指标得分", WIDTH - 1, LABEL), (_num(entry.indicator_score), 1, MID), height=20)

    # 二、综合评价
    form.section("二、综合评价")
    form.line(
        ("评价方", 1, HEAD),
        *[(label, 1, HEAD) for _f, label in ASPECTS],
        ("平均分", 1, HEAD),
    )
    submitted = Q(submitted_at__isnull=False)
    rows = {
        row["rater_kind"]: row
        for row in Rating.objects.filter(entry=entry)
        .values("rater_kind")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=submitted),
            **{f: Avg(f, filter=submitted) for f, _label in ASPECTS},
        )
    }
    for kind, label in Rating.Rater.choices:
        row = rows.get(kind)
        if row is None:
            continue
        if not results:
            row = {**row, **{f: None for f, _label in ASPECTS}}
        values = [row[f] for f, _label in ASPECTS]
        average = sum(values) / 4 if all(v is not None for v in values) else None
        name = f"{label}（{row['done']}/{row['n']}）" if kind == Rating.Rater.PEER else str(label)
        form.line(
            (name, 1, MID),
            *[(round(v, 2) if v is not None else None, 1, MID) for v in values],
            (round(average, 2) if average is not None else None, 1, MID),
        )
    pending = "确认后填写"
    form.line(
        ("综合评价得分", WIDTH - 1, LABEL),
        (_num(entry.review_score) if results else pending, 1, MID),
        height=20,
    )

    # 三、考核结果
    form.section("三、考核结果")
    form.line(
        ("总分", 1, LABEL),
        (_num(entry.final_score) if results else pending, 1, MID),
        ("建议等次", 1, LABEL),
        (entry.proposed_grade if results else pending, 1, MID),
        ("确定等次", 1, LABEL),
        ((entry.grade or "") if results else pending, 1, {"align": CENTER, "bold": True}),
        height=24,
    )
    integrity = "有问题" if entry.integrity_finding else "未发现问题"
    if entry.integrity_note:
        integrity += f"：{entry.integrity_note}"
    form.line(("廉洁自律情况", 1, LABEL), (integrity, WIDTH - 1), height=22)

    # 四、个人总结
    form.section("四、个人总结")
    form.line(
        (entry.self_summary or "（未填写）", WIDTH, {"align": TOP_LEFT}),
        height=_text_height(entry.self_summary, least=90),
    )

    # 五、评价意见 (by rater kind; 民主测评 and 自评 comments stay out: they are anonymous or
    # already in the summary)
    form.section("五、评价意见")
    texts = (
        Rating.objects.filter(entry=entry, submitted_at__isnull=False)
        .exclude(comment="")
        .exclude(rater_kind__in=[Rating.Rater.PEER, Rating.Rater.SELF])
        .order_by("rater_kind", "pk")
    )
    labels = dict(Rating.Rater.choices)
    any_comment = False
    for rating in texts if comments else []:
        any_comment = True
        form.line(
            (str(labels[rating.rater_kind]), 1, LABEL),
            (rating.comment, WIDTH - 1, {"align": TOP_LEFT}),
            height=_text_height(rating.comment, chars_per_line=40),
        )
    if not any_comment:
        form.line(("（无）", WIDTH, MID))

    form.line(
        ("组织部门意见", 1, LABEL),
        (
            "\n\n（盖章）          年    月    日",
            WIDTH - 1,
            {"align": Alignment(horizontal="right", vertical="bottom", wrap_text=True)},
        ),
        height=70,
    )
    status = "已确认（冻结）" if round_.is_frozen else "未确认"
    form.row += 1
    ws.cell(form.row, 1, f"考核结果状态：{status}").font = Font(size=9, color="666666")
    ws.merge_cells(start_row=form.row, start_column=1, end_row=form.row, end_column=WIDTH)

    _print_setup(ws)
    ws.print_area = f"A1:{get_column_letter(WIDTH)}{form.row}"
    return _save(wb)


# --- results table -------------------------------------------------------------------------

RESULT_COLUMNS = [
    ("序号", 6),
    ("姓名", 10),
    ("性别", 6),
    ("派出单位", 24),
    ("挂职单位", 20),
    ("挂职岗位", 22),
    ("指标得分", 10),
    ("综合评价得分", 13),
    ("总分", 9),
    ("建议等次", 10),
    ("确定等次", 10),
    ("廉洁自律", 10),
]


def round_results(round_: Round, entries, *, results=lambda entry: True) -> tuple[bytes, int]:
    """The round's results table for `entries` (the ones the user may see), as .xlsx bytes,
    and how many rows it has. `results(entry)` says whether the exporter may see that
    entry's review and final scores and grades (else the cells read "确认后公布")."""
    entries = list(
        entries.select_related(
            "placement__cadre__unit", "placement__post", "placement__host_unit"
        ).order_by("placement__cadre__name", "pk")
    )
    if all(results(e) for e in entries):  # by score only when every score may be seen
        entries.sort(key=lambda e: (e.final_score is None, -(e.final_score or 0)))
    wb = Workbook()
    ws = wb.active
    ws.title = "考核结果"
    status = "已确认（冻结）" if round_.is_frozen else "未确认"
    ws.cell(1, 1, f"{round_} 考核结果（{status}，共 {len(entries)} 人）").font = Font(
        bold=True, size=14
    )
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(RESULT_COLUMNS))
    ws.row_dimensions[1].height = 26
    for col, (title, width) in enumerate(RESULT_COLUMNS, start=1):
        cell = ws.cell(2, col, title)
        cell.font = BOLD
        cell.alignment = CENTER
        cell.fill = HEADER_FILL
        cell.border = BOX
        ws.column_dimensions[get_column_letter(col)].width = width
    counts: dict[str, int] = {}
    for n, entry in enumerate(entries, start=1):
        placement = entry.placement
        shown = results(entry)
        grade = entry.grade or ""
        key = (grade or entry.proposed_grade or "未定") if shown else "未公布"
        counts[key] = counts.get(key, 0) + 1
        hidden = "确认后公布"
        row = [
            n,
            placement.cadre.name,
            placement.cadre.get_gender_display(),
            placement.cadre.unit.name,
            placement.host_unit.name,
            placement.post.title,
            _num(entry.indicator_score),
            _num(entry.review_score) if shown else hidden,
            _num(entry.final_score) if shown else hidden,
            entry.proposed_grade if shown else hidden,
            grade if shown else hidden,
            "有问题" if entry.integrity_finding and shown else "",
        ]
        ws.append([xlsx.text(value) for value in row])  # typed text never becomes a formula
        for col in range(1, len(RESULT_COLUMNS) + 1):
            cell = ws.cell(ws.max_row, col)
            cell.border = BOX
            cell.alignment = LEFT if col in (4, 5, 6) else CENTER
    ws.freeze_panes = "C3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(RESULT_COLUMNS))}{max(2, ws.max_row)}"
    _print_setup(ws, landscape=True, title_rows="2:2")

    dist = wb.create_sheet("等次分布")
    dist.append(["等次", "人数", "占比"])
    for cell in dist[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = CENTER
    total = len(entries) or 1
    for grade in [*GRADES, *[g for g in counts if g not in GRADES]]:
        n = counts.get(grade, 0)
        dist.append([grade, n, f"{n * 100 / total:.1f}%"])
        for cell in dist[dist.max_row]:
            cell.border = BOX
            cell.alignment = CENTER
    dist.column_dimensions["A"].width = 12
    dist.column_dimensions["B"].width = 8
    dist.column_dimensions["C"].width = 10
    dist.freeze_panes = "A2"
    _print_setup(dist, title_rows="1:1")
    return _save(wb), len(entries)


# --- the 考核登记表 as PDF ----------------------------------------------------------------


def entry_form_pdf(entry: Entry, *, results: bool = True, printed_by: str = "") -> bytes:
    """The 考核登记表 as a PDF for printing: the cadre, the posts, the assessment period, his
    summary, the indicator scores, the review and final scores, the grade and the opinion
    boxes to sign. Without `results` the review score, total and grades read "确认后公布"
    (as in the Excel form)."""
    from guazhi.core.pdf import Sheet

    entry = Entry.objects.select_related(
        "round__batch__programme",
        "placement__cadre__unit",
        "placement__cadre__rank",
        "placement__host_unit",
        "placement__post",
    ).get(pk=entry.pk)
    placement, cadre = entry.placement, entry.placement.cadre
    scores = list(
        IndicatorScore.objects.filter(entry=entry)
        .select_related("item__indicator")
        .order_by("item__indicator__dimension", "item__pk")
    )
    round_ = entry.round
    sheet = Sheet("挂职干部考核登记表", printed_by)
    sheet.heading(
        "挂职干部考核登记表",
        f"{round_}（考核期 {round_.period_start:%Y.%m.%d}—{round_.period_end:%Y.%m.%d}）",
    )
    sheet.grid(
        [
            [("姓名", cadre.name), ("性别", cadre.get_gender_display()),
             ("出生年月", _ym(cadre.birth))],
            [("政治面貌", cadre.political_status), ("学历", cadre.fulltime_education),
             ("职级", cadre.rank.name if cadre.rank else "")],
            [("派出单位及职务", f"{cadre.unit.name} {cadre.current_post}".strip(), 5)],
            [("挂职单位及职务", " ".join(filter(None, [
                placement.host_unit.name if placement.host_unit else "",
                placement.post.title if placement.post else "",
            ])), 5)],
            [("挂职时间", f"{placement.start:%Y.%m.%d}—{(placement.actual_end or placement.planned_end):%Y.%m.%d}", 5)],
        ]
    )  # fmt: skip
    sheet.block("个人总结", [entry.self_summary] if entry.self_summary.strip() else [])
    sheet.section("个性化指标完成情况")
    sheet.rows(
        ["指标", "权重", "目标值", "完成值", "得分"],
        [
            [
                s.item.indicator.name,
                s.item.weight,
                s.item.target if s.item.target is not None else "",
                s.value if s.value is not None else "",
                s.score if s.score is not None else "",
            ]
            for s in scores
        ],
        (82, 20, 24, 24, 24),
        numbers=(1, 2, 3, 4),
        empty="本次考核没有指标得分",
    )
    grade = entry.grade or (f"{entry.proposed_grade}（建议）" if entry.proposed_grade else "未评定")
    hidden = "确认后公布"
    sheet.ln(2)
    sheet.grid(
        [
            [("指标得分", str(entry.indicator_score or "")),
             ("评议得分", str(entry.review_score or "") if results else hidden),
             ("总分", str(entry.final_score or "") if results else hidden)],
            [("考核等次", grade if results else hidden), ("廉洁自律", "有问题" if entry.integrity_finding else "未发现问题"),
             ("说明", entry.integrity_note)],
        ]
    )  # fmt: skip
    sheet.ln(2)
    sheet.signatures(["派出单位意见", "接收单位意见", "组织部门审核意见"])
    return sheet.render()


def _ym(day) -> str:
    return day.strftime("%Y.%m") if day else ""
