"""`guazhi backup` and `guazhi restore` (core/backup.py), run as an operator would: the demo
data with an uploaded file is backed up, restored into an empty database elsewhere, and the
restored database has every table's rows and an intact audit chain. Runs on the database of
the suite's pass (SQLite, or PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.test import SimpleTestCase

COUNTS = (
    "import json; from guazhi.core.backup import table_counts; print(json.dumps(table_counts()))"
)


def _postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


class BackupRestoreTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from cryptography.fernet import Fernet

        cls.tmp = Path(tempfile.mkdtemp(prefix="guazhi-backup-"))
        cls.keys = {
            "SECRET_KEY": secrets.token_urlsafe(40),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "FIELD_HASH_KEY": secrets.token_urlsafe(24),
        }
        cls.databases_made = []
        if _postgres():
            db = settings.DATABASES["default"]
            cls.admin = urlunsplit(
                urlsplit(
                    f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@"
                    f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
                )
            )
        cls.source = cls.env("source")
        cls.guazhi(cls.source, "demo", "--no-serve")
        media = Path(cls.source["GUAZHI_VAR_DIR"]) / "media" / "teams"
        media.mkdir(parents=True)
        (media / "会议纪要.pdf").write_bytes(b"%PDF-1.4 minutes")

    @classmethod
    def tearDownClass(cls):
        if _postgres():
            import psycopg

            with psycopg.connect(cls.admin, autocommit=True) as conn:
                for name in cls.databases_made:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def env(cls, name: str) -> dict:
        var = cls.tmp / name
        var.mkdir()
        env = {**os.environ, **cls.keys, "GUAZHI_VAR_DIR": str(var)}
        env.pop("GUAZHI_MEDIA_ROOT", None)
        env.pop("DATABASE_URL", None)
        if _postgres():
            import psycopg

            database = f"guazhi_backup_{os.getpid()}_{name}"
            with psycopg.connect(cls.admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{database}"')
            cls.databases_made.append(database)
            env["DATABASE_URL"] = urlunsplit(urlsplit(cls.admin)._replace(path="/" + database))
        return env

    @staticmethod
    def guazhi(env: dict, *args: str, check=True) -> subprocess.CompletedProcess:
        done = subprocess.run(  # noqa: S603 (our own interpreter)
            [sys.executable, "-m", "guazhi.cli", *args], env=env, capture_output=True, text=True
        )
        if check and done.returncode:
            raise AssertionError(f"guazhi {' '.join(args)}: {done.stdout}{done.stderr}")
        return done

    def counts(self, env: dict) -> dict:
        return json.loads(self.guazhi(env, "shell", "-c", COUNTS).stdout.strip().splitlines()[-1])

    def test_a_restore_into_an_empty_database_has_every_row_the_upload_and_an_intact_chain(self):
        archive = self.tmp / "备份.tar.gz"
        done = self.guazhi(self.source, "backup", "--output", str(archive))
        self.assertIn("已备份到", done.stdout)
        source_counts = self.counts(self.source)

        target = self.env("target")
        done = self.guazhi(target, "restore", str(archive))
        self.assertIn("与清单一致", done.stdout)
        restored = self.counts(target)
        # The restore appends one entry to the audit log; every other table is as backed up.
        self.assertEqual(restored.pop("core_auditentry"), source_counts.pop("core_auditentry") + 1)
        self.assertEqual(restored, source_counts)
        self.assertGreater(source_counts["cadres_cadre"], 50)
        minutes = Path(target["GUAZHI_VAR_DIR"]) / "media" / "teams" / "会议纪要.pdf"
        self.assertEqual(minutes.read_bytes(), b"%PDF-1.4 minutes")
        self.assertIn("审计链完整", self.guazhi(target, "audit", "verify").stdout)

        # A database that already holds data is not overwritten without --force.
        refused = self.guazhi(target, "restore", str(archive), check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("目标数据库已有数据", refused.stderr)

    def test_a_file_that_is_not_a_backup_is_refused_in_chinese(self):
        bogus = self.tmp / "bogus.tar.gz"
        import tarfile

        with tarfile.open(bogus, "w:gz") as tar:
            tar.add(__file__, arcname="readme.txt")
        done = self.guazhi(self.env("bogus"), "restore", str(bogus), check=False)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("不是 guazhi 的备份", done.stderr)
