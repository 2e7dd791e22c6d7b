"""`guazhi bench`: runs each app's benchmarks (`<app>/bench.py`, function `run(out, quick)`)
against a throw-away database (var/bench/, set by `make bench`), and prints Markdown tables
to paste into docs/benchmarks.md. The core app's is the load suite (core/loadbench.py), which
writes its own section of docs/benchmarks.md; `--suite apps` runs every app's but that one,
`--suite load` only that one (`make bench` runs the first on var/bench and the second on the
kept province-scale databases)."""

import platform
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.db import connection

LOAD_APP = "core"


def selected(labels: list[str], only: str | None, suite: str) -> list[str]:
    """The app labels to run, in order: `only` (comma-separated) narrows, `suite` picks the
    app benchmarks, the load suite or both."""
    wanted = {x.strip() for x in only.split(",")} if only else None
    chosen = []
    for label in labels:
        if wanted is not None and label not in wanted:
            continue
        if suite == "apps" and label == LOAD_APP or suite == "load" and label != LOAD_APP:
            continue
        chosen.append(label)
    return chosen


def fresh_database() -> None:
    """Drop the benchmark database and create it empty (PostgreSQL), or delete the SQLite file;
    before Django connects. Only databases whose name contains "bench"."""
    db = connection.settings_dict
    if "bench" not in str(db["NAME"]):
        raise CommandError("只能重建名称含 bench 的数据库")
    if connection.vendor == "sqlite":
        from pathlib import Path

        for suffix in ("", "-wal", "-shm"):
            Path(f"{db['NAME']}{suffix}").unlink(missing_ok=True)
        return
    _maintenance(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
    create_database()


def create_database() -> None:
    """CREATE DATABASE for a PostgreSQL benchmark database that does not exist yet."""
    if connection.vendor != "postgresql":
        return
    import psycopg

    name = connection.settings_dict["NAME"]
    try:
        psycopg.connect(**_params(name)).close()
    except psycopg.OperationalError:
        _maintenance(f'CREATE DATABASE "{name}"')


def _params(name: str) -> dict:
    db = connection.settings_dict
    params = {"dbname": name, "host": db["HOST"] or None, "port": db["PORT"] or None}
    if db["USER"]:
        params["user"] = db["USER"]
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]
    return params


def _maintenance(sql: str) -> None:
    import psycopg

    with psycopg.connect(**_params("postgres"), autocommit=True) as conn:
        conn.execute(sql)


class Command(BaseCommand):
    help = "运行性能基准（使用独立的数据库，结果为 Markdown 表格）"

    def add_arguments(self, parser):
        parser.add_argument("--only", help="只运行这些应用的基准（逗号分隔），如 cadres 或 core")
        parser.add_argument("--quick", action="store_true", help="小数据量，仅检查基准能运行")
        parser.add_argument(
            "--suite",
            choices=["all", "apps", "load"],
            default="all",
            help="apps：各应用的基准；load：负载测试（core）；all：两者",
        )
        parser.add_argument(
            "--fresh-data",
            action="store_true",
            help="先清空基准数据库（重新生成规模数据）",
        )

    def handle(self, *args, only=None, quick=False, suite="all", fresh_data=False, **options):
        labels = [
            app.label
            for app in apps.get_app_configs()
            if app.name.startswith("guazhi.") and find_spec(f"{app.name}.bench")
        ]
        chosen = selected(labels, only, suite)
        if not chosen:
            return
        # Never fill a real database with benchmark rows.
        if connection.vendor == "sqlite" and "bench" not in str(settings.VAR_DIR):
            raise CommandError("请通过 make bench 运行（使用 var/bench 下的独立数据库）")
        if connection.vendor != "sqlite" and "bench" not in connection.settings_dict["NAME"]:
            raise CommandError("PostgreSQL 基准只能在名称含 bench 的数据库上运行")
        if fresh_data:
            fresh_database()
        create_database()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            f"机器：{platform.machine()}，Python {platform.python_version()}，"
            f"数据库：{connection.vendor}\n"
        )
        for label in chosen:
            app = apps.get_app_config(label)
            import_module(f"{app.name}.bench").run(self.stdout, quick=quick)
