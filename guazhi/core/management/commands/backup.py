"""`guazhi backup [--output PATH]`: the database, the uploads and a manifest in one .tar.gz
(core/backup.py, docs/operations.md)."""

from django.core.management import BaseCommand, CommandError

from guazhi.core import backup


class Command(BaseCommand):
    help = "备份数据库和上传文件（含清单：各表行数、审计链头）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", help="备份文件路径（默认 var/backups/guazhi-时间.tar.gz）"
        )

    def handle(self, *args, output=None, **options):
        try:
            path, manifest = backup.backup(output)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份到 {path}：{len(manifest['counts'])} 张表 {rows} 行，"
                f"上传文件 {manifest['media_files']} 个。"
            )
        )
