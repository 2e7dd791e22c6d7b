"""guazhi import-cadres FILE [--dry-run] [--valid-only] [--unit CODE]

Checks an Excel roster (花名册) and imports it as a trusted system caller; entries in the audit
log are labelled "cli". Exit code 0 when done (or, with --dry-run, when the file could be
imported), 1 when the file is refused, 2 for a wrong argument."""

from pathlib import Path

from django.core.management import BaseCommand

from guazhi.cadres import roster
from guazhi.cadres.importing import ImportRefused
from guazhi.core import audit
from guazhi.core.models import OrgUnit


class Command(BaseCommand):
    help = "导入干部花名册（.xlsx 或 .xls）：先逐行检查，全部无误才导入"

    def add_arguments(self, parser):
        parser.add_argument("file", help="花名册文件（.xlsx 或 .xls）")
        parser.add_argument("--dry-run", action="store_true", help="只检查并预计结果，不写入")
        parser.add_argument(
            "--valid-only", action="store_true", help="有错误的行跳过，只导入无误的行"
        )
        parser.add_argument(
            "--unit", metavar="CODE", help="“所在单位”为空的新干部归入该单位（单位代码）"
        )

    def handle(self, *args, file, dry_run=False, valid_only=False, unit=None, **options):
        default_unit = None
        if unit:
            default_unit = OrgUnit.objects.filter(code=unit).first()
            if default_unit is None:
                self.stderr.write(f"单位代码“{unit}”不存在")
                raise SystemExit(2)
        path = Path(file)
        if not path.is_file():
            self.stderr.write(f"找不到文件：{file}")
            raise SystemExit(2)
        with path.open("rb") as fileobj:
            report = roster.check(fileobj, path.name, by=None, default_unit=default_unit)

        for line in report.errors:
            self.stdout.write(line)
        self.stdout.write(
            f"共 {len(report.rows)} 行：无误 {len(report.valid_rows)} 行，"
            f"有错误 {len(report.invalid_rows)} 行。"
        )
        with audit.acting_as("cli"):
            try:
                summary = roster.run_import(report, by=None, valid_only=valid_only, dry_run=dry_run)
            except ImportRefused as exc:
                self.stderr.write(str(exc))
                if report.valid_rows and report.invalid_rows and not valid_only:
                    self.stderr.write("加 --valid-only 可跳过有错误的行，只导入无误的行。")
                raise SystemExit(1) from None
        if dry_run:
            self.stdout.write(f"试运行，未写入任何数据。若导入将：{summary}。")
        else:
            self.stdout.write(self.style.SUCCESS(f"导入完成：{summary}。"))
