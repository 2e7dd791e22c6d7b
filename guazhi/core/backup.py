"""`guazhi backup` and `guazhi restore`: one .tar.gz holding the database, the uploads and a
manifest (docs/operations.md).

- SQLite: the online backup API (`sqlite3.Connection.backup`), consistent while the app runs.
- PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore` into an empty database.
- The manifest records the version, the time, the database vendor, the applied migrations,
  the rows of every table and the audit chain's head; a restore compares the restored rows
  with it and walks the audit chain before it reports success.

The encryption keys (FIELD_ENCRYPTION_KEYS, FIELD_HASH_KEY) are not in the archive: keep them
apart from the backups, as the keys to a safe are kept apart from it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import audit
from .models import AuditEntry, AuditHead

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is Chinese and says why."""


def table_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._base_manager.count()
    return dict(sorted(counts.items()))


def _applied_migrations() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _pg_env() -> tuple[list[str], dict]:
    db = settings.DATABASES["default"]
    args = ["--host", db.get("HOST") or "127.0.0.1", "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(cmd: list[str], env: dict) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"找不到 {cmd[0]}：请安装 PostgreSQL 客户端（Debian：postgresql-client）")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        raise BackupError(f"{cmd[0]} 失败：{done.stderr.strip()[-500:]}")


def _add_media(tar: tarfile.TarFile) -> int:
    media = Path(settings.MEDIA_ROOT)
    files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    for path in files:
        tar.add(path, arcname=f"media/{path.relative_to(media).as_posix()}")
    return len(files)


def _record(action: str, what: str, message: str) -> None:
    """The audit entry of a backup or a restore, made by the command line."""
    with audit.acting_as("cli"):
        audit.record(action, object_type="core.backup", object_repr=what, message=message)


def backup(output: Path | None = None) -> tuple[Path, dict]:
    """Write the archive and return its path and manifest."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    output = Path(output or Path(settings.VAR_DIR) / "backups" / f"guazhi-{stamp}.tar.gz")
    output.parent.mkdir(parents=True, exist_ok=True)
    _record(AuditEntry.Action.EXPORT, "数据备份", f"命令行备份数据库和上传文件到 {output.name}")
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / ("db.sqlite3" if connection.vendor == "sqlite" else "db.dump")
        if connection.vendor == "sqlite":
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            target = sqlite3.connect(dump)
            with target:
                source.backup(target)
            source.close()
            # The counts and the head are read from the copy itself.
            tables = table_counts().keys()
            counts = {
                t: target.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
                for t in tables  # (the models' own table names)
            }
            row = target.execute("SELECT seq, hash FROM core_audithead LIMIT 1").fetchone()
            migrations = [
                f"{a}.{n}"
                for a, n in target.execute("SELECT app, name FROM django_migrations ORDER BY 1, 2")
            ]
            target.close()
        else:
            # pg_dump reads the snapshot this transaction exported, so the counts and the
            # head below describe exactly what the dump holds, while the app goes on writing.
            args, env = _pg_env()
            name = settings.DATABASES["default"]["NAME"]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                _run(
                    ["pg_dump", *args, "--format=custom", "--no-owner",
                     f"--snapshot={snapshot}", "-f", str(dump), name],
                    env,
                )  # fmt: skip
                counts = table_counts()
                cursor.execute("SELECT seq, hash FROM core_audithead LIMIT 1")
                row = cursor.fetchone()
                migrations = _applied_migrations()
        manifest = {
            "format": FORMAT,
            "guazhi": version("guazhi"),
            "created": timezone.localtime().isoformat(),
            "vendor": connection.vendor,
            "migrations": migrations,
            "counts": counts,
            "audit_head": {"seq": row[0], "hash": row[1]} if row else None,
        }
        with tarfile.open(output, "w:gz") as tar:
            tar.add(dump, arcname=dump.name)
            manifest["media_files"] = _add_media(tar)
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
    return output, manifest


@dataclass
class Restored:
    manifest: dict
    checked: int  # audit entries verified
    media_files: int


def _database_is_empty() -> bool:
    tables = set(connection.introspection.table_names())
    if "django_migrations" not in tables:
        return True
    return not AuditEntry.objects.exists() and not AuditHead.objects.exclude(seq=0).exists()


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"备份文件中有不安全的路径：{member.name}")
        members.append(member)
    return members


def restore(archive: Path, *, force: bool = False) -> Restored:
    archive = Path(archive)
    if not archive.exists():
        raise BackupError(f"找不到备份文件：{archive}")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        members = _safe_members(tar)
        tar.extractall(tmp, members=members, filter="data")  # noqa: S202 (checked above)
        try:
            manifest = json.loads((Path(tmp) / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise BackupError("备份文件缺少 manifest.json，不是 guazhi 的备份") from exc
        if manifest.get("vendor") != connection.vendor:
            raise BackupError(
                f"备份来自 {manifest.get('vendor')} 数据库，当前数据库是 {connection.vendor}，"
                "不能直接恢复"
            )
        if not force and not _database_is_empty():
            raise BackupError("目标数据库已有数据。请恢复到空数据库，或确认覆盖后加 --force")
        if connection.vendor == "sqlite":
            connection.close()
            name = settings.DATABASES["default"]["NAME"]
            source = sqlite3.connect(Path(tmp) / "db.sqlite3")
            target = sqlite3.connect(name)
            with target:
                source.backup(target)
            source.close()
            target.close()
        else:
            connection.close()
            args, env = _pg_env()
            name = settings.DATABASES["default"]["NAME"]
            clean = ["--clean", "--if-exists"] if force else []
            _run(
                ["pg_restore", *args, "--no-owner", *clean, "-d", name, str(Path(tmp) / "db.dump")],
                env,
            )
        media_src = Path(tmp) / "media"
        media_files = 0
        if media_src.exists():
            for path in media_src.rglob("*"):
                if path.is_file():
                    dest = Path(settings.MEDIA_ROOT) / path.relative_to(media_src)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, dest)
                    media_files += 1
    counts = table_counts()
    wrong = {
        table: (expected, counts.get(table))
        for table, expected in manifest["counts"].items()
        if counts.get(table) != expected
    }
    if wrong:
        listed = "；".join(f"{t} 应有 {e} 行，实有 {a}" for t, (e, a) in list(wrong.items())[:5])
        raise BackupError(f"恢复后的行数与备份不符：{listed}")
    result = audit.verify()
    if not result.ok:
        raise BackupError(f"恢复后审计链校验失败：{result.problem}")
    _record(
        AuditEntry.Action.SECURITY,
        "数据恢复",
        f"命令行从 {archive.name}（{manifest['created']}）恢复数据库和上传文件",
    )
    return Restored(manifest, result.checked, media_files)
