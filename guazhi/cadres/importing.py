"""The shape every importer (Excel roster, .lrmx files) reports in, and the one way a checked
import is written: all rows or, after an explicit choice, only the valid ones, in one
transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction

from guazhi.core.models import User

from .services import CadreData, CadreError, cadre_save


@dataclass
class RowResult:
    """One row of a roster (or one .lrmx file). `where` names it for people: "第5行" or a
    file name. `errors` are complete sentences: "第5行 第3列(出生年月): …"."""

    where: str
    data: CadreData | None
    errors: list[str] = field(default_factory=list)
    name: str = ""

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors


@dataclass
class Report:
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)  # the file as a whole is unusable

    @property
    def valid_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.ok]

    @property
    def invalid_rows(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and bool(self.rows) and not self.invalid_rows

    @property
    def errors(self) -> list[str]:
        return self.file_errors + [e for r in self.rows for e in r.errors]


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return (
            f"新增 {self.created} 人，更新 {self.updated} 人，无变化 {self.unchanged} 人，"
            f"跳过有错误的 {self.skipped} 行"
        )


class ImportRefused(Exception):
    pass


@transaction.atomic
def apply(report: Report, *, by: User | None, valid_only: bool = False) -> Summary:
    """Write a checked report. Without `valid_only` a report with any error writes nothing."""
    if report.file_errors:
        raise ImportRefused("文件无法读取，未导入任何数据：" + "；".join(report.file_errors))
    if not report.is_valid and not valid_only:
        raise ImportRefused(
            f"文件中有 {len(report.invalid_rows)} 行存在错误，未导入任何数据。"
            "请修改后重新上传，或确认“仅导入无误的行”。"
        )
    summary = Summary(skipped=len(report.invalid_rows))
    for row in report.valid_rows:
        try:
            _cadre, outcome = cadre_save(data=row.data, by=by)
        except CadreError as exc:  # a rule only the database state can tell (rare)
            raise ImportRefused(f"{row.where}：{exc}") from exc
        except PermissionDenied as exc:
            raise ImportRefused(f"{row.where}：无权修改该干部所在单位的记录") from exc
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    return summary


def apply_file(report: Report, filename: str, *, by: User | None, valid_only: bool) -> Summary:
    """Write a checked upload: rosters through the bulk writer (10,000 rows in seconds),
    .lrmx files (a few at a time) through the per-cadre service."""
    if filename.lower().endswith((".xlsx", ".xls")):
        from .roster import run_import

        return run_import(report, by=by, valid_only=valid_only)
    return apply(report, by=by, valid_only=valid_only)
