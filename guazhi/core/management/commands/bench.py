"""`guazhi bench`: runs each app's benchmarks (`<app>/bench.py`, function `run(out)`) against
a throw-away database under var/bench/ (set by `make bench`), and prints Markdown tables
to paste into docs/benchmarks.md."""

import platform
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.db import connection


class Command(BaseCommand):
    help = "运行性能基准（使用独立的数据库，结果为 Markdown 表格）"

    def add_arguments(self, parser):
        parser.add_argument("--only", help="只运行某个应用的基准，如 cadres")
        parser.add_argument("--quick", action="store_true", help="小数据量，仅检查基准能运行")

    def handle(self, *args, only=None, quick=False, **options):
        # Never fill a real database with benchmark rows.
        if connection.vendor == "sqlite" and "bench" not in str(settings.VAR_DIR):
            raise CommandError("请通过 make bench 运行（使用 var/bench 下的独立数据库）")
        if connection.vendor != "sqlite" and "bench" not in connection.settings_dict["NAME"]:
            raise CommandError("PostgreSQL 基准只能在名称含 bench 的数据库上运行")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            f"机器：{platform.machine()}，Python {platform.python_version()}，"
            f"数据库：{connection.vendor}\n"
        )
        for app in apps.get_app_configs():
            if not app.name.startswith("guazhi.") or (only and app.label != only):
                continue
            if find_spec(f"{app.name}.bench"):
                import_module(f"{app.name}.bench").run(self.stdout, quick=quick)
