from django.core.management import BaseCommand, CommandError

from guazhi.core import audit
from guazhi.core.models import AuditEntry


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链，export 导出 CSV"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "export"])
        parser.add_argument("--output", "-o", help="export 的输出文件（默认标准输出）")

    def handle(self, *args, action, output=None, **options):
        if action == "verify":
            result = audit.verify()
            if result.ok:
                self.stdout.write(
                    self.style.SUCCESS(f"审计链完整：已校验 {result.checked} 条记录。")
                )
                return
            self.stderr.write(f"审计链校验失败：{result.problem}")
            raise SystemExit(1)
        with audit.acting_as("cli"):
            audit.record(
                AuditEntry.Action.EXPORT,
                object_type="core.auditentry",
                object_repr="审计日志",
                message="命令行导出全部审计日志",
            )
        stream = open(output, "w", encoding="utf-8", newline="") if output else None
        try:
            for chunk in audit.export_rows(AuditEntry.objects.all()):
                if stream is None:
                    self.stdout.write(chunk, ending="")
                else:
                    stream.write(chunk)
        except BrokenPipeError as exc:
            raise CommandError("输出中断") from exc
        finally:
            if output:
                stream.close()
