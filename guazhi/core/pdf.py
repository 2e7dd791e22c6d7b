"""Printable forms as PDF with Chinese text (fpdf2; see docs/dependencies.md).

The Chinese font is embedded (only the glyphs used), so the file prints the same everywhere.
It is the system's Noto CJK (Debian's fonts-noto-cjk: 宋体-like serif for the text, 黑体-like
sans for titles), found with fontconfig, or the file named by GUAZHI_PDF_FONT /
GUAZHI_PDF_FONT_BOLD ("path" or "path:index" for a .ttc collection).

`Sheet` is an A4 page with the helpers the forms share: a title, a grid of label/value cells,
a block of running text, a table, and a footer with the page number and who printed it when.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from fpdf import FPDF
from fpdf.fonts import FontFace

SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN", "Noto Sans CJK SC")
SANS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Noto Serif CJK SC")
PROBE = "中"


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0


def _has_chinese(font: FontFile) -> bool:
    from fontTools.ttLib import TTFont

    try:
        face = TTFont(font.path, fontNumber=font.index, lazy=True)
        return ord(PROBE) in face.getBestCmap()
    except Exception:  # noqa: BLE001 — any unreadable file is simply not a candidate
        return False


def _configured(variable: str) -> FontFile | None:
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    path, _sep, index = value.partition(":")
    font = FontFile(path, int(index) if index.isdigit() else 0)
    if not os.path.isfile(font.path) or not _has_chinese(font):
        raise ImproperlyConfigured(f"{variable}={value}：不是可用的中文字体文件")
    return font


def _fc_match(families: Sequence[str], style: str) -> FontFile | None:
    if shutil.which("fc-match") is None:
        return None
    for family in families:
        out = subprocess.run(  # noqa: S603 — fixed program, our own arguments
            ["fc-match", "-f", "%{file}\n%{index}\n%{family}", f"{family}:style={style}"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.split("\n")
        if len(out) >= 3 and family in out[2]:
            font = FontFile(out[0], int(out[1] or 0))
            if _has_chinese(font):
                return font
    return None


@functools.cache
def fonts() -> tuple[FontFile, FontFile]:
    """(text font, title font); ImproperlyConfigured with a Chinese message when the machine
    has no Chinese font."""
    regular = _configured("GUAZHI_PDF_FONT") or _fc_match(SERIF, "Regular")
    bold = _configured("GUAZHI_PDF_FONT_BOLD") or _fc_match(SANS, "Bold") or regular
    if regular is None:
        raise ImproperlyConfigured(
            "找不到中文字体，无法生成 PDF：请安装 fonts-noto-cjk，或用环境变量 "
            "GUAZHI_PDF_FONT 指定字体文件"
        )
    return regular, bold


LINE = 6.5  # mm per line of 10.5 pt text (五号)
LABEL_FILL = (242, 242, 242)


class Sheet(FPDF):
    """An A4 portrait page with 18 mm side margins."""

    def __init__(self, title: str, printed_by: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        regular, bold = fonts()
        self.add_font("song", fname=regular.path, collection_font_number=regular.index)
        self.add_font("hei", fname=bold.path, collection_font_number=bold.index)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=16)
        self.form_title = title
        self.printed = f"{printed_by} 打印于 {timezone.localtime():%Y-%m-%d %H:%M}".strip()
        self.set_title(title)
        self.set_creator("guazhi")
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("song", size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.form_title} · {self.printed}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="R")
        self.set_text_color(0)

    def heading(self, text: str, sub: str = "") -> None:
        self.set_font("hei", size=18)
        self.cell(0, 11, text, align="C", new_x="LMARGIN", new_y="NEXT")
        if sub:
            self.set_font("song", size=10.5)
            self.cell(0, 7, sub, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def section(self, text: str) -> None:
        self.ln(1.5)
        self.set_font("hei", size=12)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")

    def grid(self, rows: Sequence[Sequence[tuple[str, str] | tuple[str, str, int]]]) -> None:
        """Rows of (label, value[, value colspan]) pairs in a six-column grid: label cells
        shaded, values wrapping."""
        self.set_font("song", size=10.5)
        label = FontFace(emphasis=None, fill_color=LABEL_FILL)
        with self.table(
            col_widths=(22, 33, 22, 33, 22, 42),
            first_row_as_headings=False,
            line_height=LINE,
            text_align="CENTER",
            padding=1,
        ) as table:
            for pairs in rows:
                row = table.row()
                for pair in pairs:
                    row.cell(pair[0], style=label)
                    row.cell(pair[1] or "—", colspan=pair[2] if len(pair) > 2 else 1)

    def _boxes(self, rows: Sequence[tuple[str, str]], v_align: str = "M") -> None:
        """A two-column table: a shaded label cell and a box of text beside it."""
        self.set_font("song", size=10.5)
        with self.table(
            col_widths=(22, 152),
            first_row_as_headings=False,
            line_height=LINE,
            padding=(1.5, 2),
            v_align=v_align,
        ) as table:
            for label, text in rows:
                row = table.row()
                row.cell(label, style=FontFace(fill_color=LABEL_FILL), align="CENTER", v_align="M")
                row.cell(text)

    def block(self, label: str, lines: Sequence[str], empty: str = "（无）") -> None:
        """A labelled box of running text (a resume, a summary)."""
        self._boxes([(label, "\n".join(lines) if lines else empty)], v_align="TOP")

    def rows(
        self,
        headers: Sequence[str],
        data: Sequence[Sequence[str]],
        widths: Sequence[float],
        empty: str = "暂无记录",
        numbers: Sequence[int] = (),
    ) -> None:
        """A table with a shaded heading row, the columns at `numbers` right-aligned; an
        empty table says so in one row."""
        self.set_font("song", size=10)
        with self.table(
            col_widths=tuple(widths),
            line_height=6,
            text_align=tuple("RIGHT" if i in numbers else "LEFT" for i in range(len(widths))),
            padding=1,
            headings_style=FontFace(family="hei", fill_color=LABEL_FILL),
        ) as table:
            table.row(list(headers))
            if not data:
                table.row().cell(empty, colspan=len(headers), align="CENTER")
            for values in data:
                table.row([str(v) if v not in (None, "") else "—" for v in values])

    def signatures(self, boxes: Sequence[str]) -> None:
        """Opinion boxes to be signed on paper: 意见, 盖章, 年 月 日."""
        stamp = "\n\n" + " " * 60 + "（盖章）\n" + " " * 56 + "年    月    日"
        self._boxes([(label, stamp) for label in boxes])

    def render(self) -> bytes:
        return bytes(self.output())


def fits_one_page(sheet: Sheet) -> bool:
    return sheet.page_no() == 1
