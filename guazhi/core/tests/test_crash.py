"""Crash safety (issue 11, part 6): the server killed in the middle of a roster import, a round
confirmation and a burst of public ratings leaves each operation wholly done or wholly
absent, and the audit chain verifiable.

A gunicorn server (one process, as `guazhi serve` runs it) serves a fresh demo database —
SQLite in a temporary directory, or a new PostgreSQL database beside the suite's. The app is
wrapped by crashsite.py, which holds one chosen request still inside its transaction right
after a chosen SQL statement and says so in a marker file; the test then kills the server's
whole process group with SIGKILL (no clean-up of any kind runs: a power cut for the app) and,
from a fresh process, compares the database with what it held before, runs
`guazhi audit verify`, and on SQLite `PRAGMA integrity_check`. A server started again on the
same database completes the operation.

The pauses: the import after its cadres and résumés are written, at the audit chain's head
(before their audit entries); the confirmation after the round row is frozen and its grades
written (before the annual results and the audit entry); the ratings after the eighth audit
entry of the burst, while other raters' requests are in flight.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.test import SimpleTestCase

from guazhi.core import serving

from . import crashsite
from .test_deploy import PASSWORD, form_fields

PAUSE_TIMEOUT = 120  # seconds for the paused request to reach its statement


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class KilledServerTests(SimpleTestCase):
    """One test (the operations share the demo database, ~25 s to load), each step a crash
    and a recovery."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = Path(tempfile.mkdtemp(prefix="guazhi-crash-"))
        cls.server = cls.log = None
        cls.database = None
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("postgresql"):
            url = urlsplit(
                f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@"
                f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
            )
            cls.admin_url = urlunsplit(url)
            cls.database = f"guazhi_crash_{os.getpid()}_{secrets.token_hex(3)}"
            cls.database_url = urlunsplit(url._replace(path="/" + cls.database))
            import psycopg

            with psycopg.connect(cls.admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{cls.database}"')
        try:
            cls.run_cli("demo", "--no-serve")
            cls.prepared = json.loads(cls.python("prepare", str(cls.tmp)))
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()
        super().tearDownClass()

    @classmethod
    def _cleanup(cls):
        cls.kill()
        if cls.database:
            import psycopg

            with psycopg.connect(cls.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{cls.database}" WITH (FORCE)')
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- processes ------------------------------------------------------------------------------

    @classmethod
    def env(cls, **extra) -> dict:
        from cryptography.fernet import Fernet

        if not hasattr(cls, "_secrets"):
            cls._secrets = {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "FIELD_HASH_KEY": secrets.token_urlsafe(32),
            }
        env = {
            **os.environ,
            **cls._secrets,
            "GUAZHI_VAR_DIR": str(cls.tmp / "var"),
            "DATABASE_URL": cls.database_url if cls.database else "",
            "ALLOWED_HOSTS": "127.0.0.1",
            "TRUSTED_PROXY_COUNT": "1",  # each citizen his own address (the rate limit)
            "DJANGO_SETTINGS_MODULE": "guazhi.settings",
            **extra,
        }
        for name in ("GUAZHI_MODE", "DATABASE_REPLICA_URL", "REDIS_URL"):
            env.pop(name, None)
        return env

    @classmethod
    def run_cli(cls, *args, check=True) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 (our own interpreter)
            [sys.executable, "-m", "guazhi.cli", *args],
            env=cls.env(),
            check=check,
            capture_output=True,
            text=True,
        )

    @classmethod
    def python(cls, *args) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "guazhi.core.tests.crashsite", *args],
            env=cls.env(),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise AssertionError(f"crashsite {args[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    @classmethod
    def start(cls, *, path: str = "", sql: str = "", after: int = 1) -> None:
        """The server, armed to pause a POST to `path` after the `after`-th statement
        matching `sql` (or unarmed)."""
        cls.marker = cls.tmp / f"paused-{time.monotonic_ns()}.json"
        port = _free_port()
        cls.base = f"http://127.0.0.1:{port}"
        args = serving.gunicorn_args(f"127.0.0.1:{port}", workers_=1)
        args[0] = "guazhi.core.tests.crashsite:application"
        cls.log = open(cls.tmp / "server.log", "ab")  # noqa: SIM115 (closed in kill)
        armed = {"GUAZHI_CRASH_PATH": path, "GUAZHI_CRASH_SQL": sql} if sql else {}
        cls.server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", *args],
            env=cls.env(
                GUAZHI_CRASH_APP="1",
                GUAZHI_CRASH_AFTER=str(after),
                GUAZHI_CRASH_MARKER=str(cls.marker),
                **armed,
            ),
            stdout=cls.log,
            stderr=cls.log,
            start_new_session=True,  # its own process group: killed whole
        )
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(cls.base + "/healthz", timeout=10).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{cls.server_log()}")

    @classmethod
    def server_log(cls) -> str:
        path = cls.tmp / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    @classmethod
    def kill(cls) -> None:
        if cls.server is not None and cls.server.poll() is None:
            os.killpg(cls.server.pid, signal.SIGKILL)
            cls.server.wait(timeout=30)
        cls.server = None
        if cls.log is not None:
            cls.log.close()
            cls.log = None

    def wait_for_pause(self) -> dict:
        deadline = time.monotonic() + PAUSE_TIMEOUT
        while time.monotonic() < deadline:
            if self.marker.exists() and self.marker.stat().st_size:
                return json.loads(self.marker.read_text(encoding="utf-8"))
            time.sleep(0.05)
        self.fail(f"the request never reached the statement to pause at:\n{self.server_log()}")

    def state(self) -> dict:
        round_, deeds = self.prepared["round"], ",".join(self.prepared["deeds"])
        return json.loads(self.python("inspect", str(round_), deeds))

    def assert_audit_verifies(self):
        done = self.run_cli("audit", "verify", check=False)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("审计链完整", done.stdout)

    def assert_intact(self, state):
        if "integrity" in state:  # SQLite
            self.assertEqual(state["integrity"], ["ok"])

    # --- requests -------------------------------------------------------------------------------

    def log_in(self, username: str):
        import requests

        session = requests.Session()
        page = session.get(self.base + "/login/", timeout=30)
        token = dict(form_fields(page.text, "username"))["csrfmiddlewaretoken"]
        response = session.post(
            self.base + "/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.base + "/login/"},
            timeout=30,
        )
        self.assertNotIn("/login/", response.url, response.text[-800:])
        return session

    def post_form(self, session, path: str, having: str, extra=(), **kwargs):
        """POST the form of `path` that has the field `having`, as a browser would, with
        `extra` fields added (a submit button's name and value)."""
        page = session.get(self.base + path, timeout=60)
        self.assertEqual(page.status_code, 200, page.text[-800:])
        return session.post(
            self.base + path,
            data=[*form_fields(page.text, having), *extra],
            headers={"Referer": self.base + path},
            **kwargs,
        )

    def rate(self, key: str, phone: str, level: int):
        import requests

        try:
            return requests.post(
                f"{self.base}/api/v1/public/deeds/{key}/ratings/",
                json={"mobile": phone, "code": crashsite.CODE, "level": level},
                headers={"X-Forwarded-For": self.address(phone)},
                timeout=PAUSE_TIMEOUT,
            ).status_code
        except requests.RequestException as exc:
            return type(exc).__name__

    @staticmethod
    def address(phone: str) -> str:
        n = int(phone[-4:])
        return f"10.77.{n // 256}.{n % 256}"

    # --- the test -------------------------------------------------------------------------------

    def test_a_killed_server_leaves_each_operation_whole_or_absent_and_the_audit_chain_intact(
        self,
    ):
        import requests

        # 1. A roster import of 600 new cadres, killed after the cadres and résumés are
        # written and before their audit entries: none of it is there.
        self.start(path=r"^/cadres/import/check/$", sql=r'"core_audithead"')
        zzb = self.log_in("zzb")
        self.upload_roster(zzb)
        before = self.state()
        with ThreadPoolExecutor(1) as pool:
            posted = pool.submit(self.post_form, zzb, "/cadres/import/check/", "mode", timeout=300)
            paused = self.wait_for_pause()
            self.assertEqual(paused["path"], "/cadres/import/check/")
            self.kill()
            with self.assertRaises(requests.ConnectionError):
                posted.result()
        after = self.state()
        self.assert_intact(after)
        self.assertEqual(after["cadres"], before["cadres"])
        self.assertEqual(after["audit"], before["audit"])
        self.assert_audit_verifies()

        # ... and a server started again imports the same file whole, audited.
        self.start()
        zzb = self.log_in("zzb")
        self.upload_roster(zzb)
        done = self.post_form(zzb, "/cadres/import/check/", "mode", timeout=300)
        self.assertIn("导入完成", done.text)
        imported = self.state()["cadres"]
        n = crashsite.ROSTER_ROWS
        self.assertEqual(imported["count"], before["cadres"]["count"] + n)
        self.assertEqual(imported["resume_entries"], before["cadres"]["resume_entries"] + n)
        self.assertEqual(imported["created_audited"], before["cadres"]["created_audited"] + n)
        self.kill()

        # 2. A round confirmation, killed after the round row is frozen and the grades
        # written: the round is open, its grades and the cadres' annual results untouched.
        round_path = f"/assessment/rounds/{self.prepared['round']}/"
        self.start(path=r"/decide/$", sql=r'^UPDATE "assessment_round"')
        zzb = self.log_in("zzb")
        before = self.state()
        self.assertEqual(before["round"]["status"], "open")
        with ThreadPoolExecutor(1) as pool:
            posted = pool.submit(self.post_decision, zzb, round_path, timeout=PAUSE_TIMEOUT)
            paused = self.wait_for_pause()
            self.assertTrue(paused["path"].startswith(round_path), paused)
            self.kill()
            with self.assertRaises(requests.ConnectionError):
                posted.result()
        after = self.state()
        self.assert_intact(after)
        self.assertEqual(after["round"], before["round"])
        self.assertEqual(after["audit"], before["audit"])
        self.assert_audit_verifies()

        # ... and confirmed again after the restart: frozen, every grade decided, the annual
        # results written, one audit entry.
        self.start()
        zzb = self.log_in("zzb")
        response = self.post_decision(zzb, round_path, timeout=120)
        self.assertIn("考核结果已确认并冻结", response.text)
        confirmed = self.state()["round"]
        self.assertEqual(confirmed["status"], "confirmed")
        self.assertTrue(all(grade for _pk, grade in confirmed["grades"]))
        self.assertEqual(len(confirmed["annual_results"]), len(confirmed["grades"]))
        self.assertEqual(confirmed["confirmations_audited"], 1)
        self.kill()

        # 3. A burst of 40 citizens rating two deeds, 8 at a time; the server is killed while
        # a rating's transaction has written its audit entry (the eighth audit insert).
        self.assertEqual(self.state()["ratings"]["phones_rated"], [])
        self.start(path=r"/ratings/$", sql=r'^INSERT INTO "core_audit(entry|pending)"', after=8)
        deeds = self.prepared["deeds"]
        jobs = [
            (deeds[i % 2], phone, 2 if i % 5 == 0 else 4)
            for i, phone in enumerate(crashsite.PHONES)
        ]
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(self.rate, *job) for job in jobs]
            paused = self.wait_for_pause()
            time.sleep(0.3)  # more requests reach the server and wait or run
            self.kill()
            outcomes = {job[1]: future.result() for job, future in zip(jobs, futures, strict=True)}
        answered = {phone for phone, status in outcomes.items() if status == 201}
        cut = {phone for phone, status in outcomes.items() if not isinstance(status, int)}
        self.assertEqual(set(outcomes), answered | cut, outcomes)  # nothing refused
        self.assertTrue(answered, outcomes)  # the burst was cut half-way
        held = next(p for p in crashsite.PHONES if self.address(p) == paused["forwarded_for"])
        self.assertIn(held, cut)

        after = self.state()
        self.assert_intact(after)
        self.assert_ratings_whole(after["ratings"], answered, held)
        self.assert_audit_verifies()
        chained = self.state()["ratings"]
        # Every rating has exactly its one audit entry (the pending ones chained by verify).
        self.assertEqual(chained["ratings_audited"], len(chained["phones_rated"]))
        self.assertEqual(chained["audit_entries"], len(chained["phones_rated"]))
        self.assertEqual(chained["pending_entries"], 0)

        # ... and after the restart the cut-off citizens rate with the same codes, which the
        # crash did not spend.
        self.start()
        for key, phone, level in jobs:
            if phone not in chained["phones_rated"]:
                self.assertEqual(self.rate(key, phone, level), 201, phone)
        final = self.state()
        self.assertEqual(final["ratings"]["phones_rated"], sorted(crashsite.PHONES))
        self.assert_ratings_whole(final["ratings"], set(crashsite.PHONES), None)
        self.kill()
        self.assert_audit_verifies()

    def upload_roster(self, session):
        """The roster file, uploaded: the import page then shows its check."""
        upload = self.post_form(
            session,
            "/cadres/import/",
            "unit",
            files={"file": ("崩溃测试花名册.xlsx", (self.tmp / "roster.xlsx").read_bytes())},
            timeout=60,
        )
        self.assertIn("/cadres/import/check/", upload.url, upload.text[-800:])

    def post_decision(self, session, round_path: str, **kwargs):
        """确认并冻结 on the round page: every entry's proposed grade."""
        page = session.get(self.base + round_path, timeout=60)
        fields = form_fields(page.text, "entry")
        return session.post(
            self.base + round_path + "decide/",
            data=[*fields, ("action", "confirm")],
            headers={"Referer": self.base + round_path},
            **kwargs,
        )

    def assert_ratings_whole(self, ratings, answered: set[str], held: str | None):
        rated = set(ratings["phones_rated"])
        # Every answered rating was committed; the one held in its transaction was not.
        self.assertLessEqual(answered, rated)
        if held is not None:
            self.assertNotIn(held, rated)
        # A code is spent exactly when its rating exists.
        self.assertEqual(ratings["codes_used"], ratings["phones_rated"])
        # Each unhappy rating opened its rectification.
        self.assertEqual(ratings["bad_with_rectification"], ratings["bad"])
        # The deeds' tallies count exactly the ratings there are.
        for key, figures in ratings["tallies"].items():
            self.assertEqual(figures["tally"], figures["ratings"], key)
