"""`guazhi restore PATH [--force]`: restore a `guazhi backup` archive into an empty database,
then check every table's rows against the manifest and walk the audit chain."""

from django.core.management import BaseCommand, CommandError

from guazhi.core import backup


class Command(BaseCommand):
    help = "从备份恢复数据库和上传文件（默认只恢复到空数据库），并校验行数与审计链"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="guazhi backup 生成的 .tar.gz 文件")
        parser.add_argument("--force", action="store_true", help="目标数据库已有数据时也覆盖")

    def handle(self, *args, archive, force=False, **options):
        try:
            done = backup.restore(archive, force=force)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(done.manifest["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复 {done.manifest['created']} 的备份：{rows} 行与清单一致，"
                f"上传文件 {done.media_files} 个，审计链完整（{done.checked} 条）。"
            )
        )
