"""Two app servers, one PostgreSQL (docs/deploy.md): nothing a user relies on lives in one
server's memory or disk.

Two gunicorn processes (A and B), each with its own var directory, share the primary
database, a Redis cache and an uploads directory; a copy of the primary stands in for a
streaming read replica whose replication is held back, so that what is read from it can be
told apart.

Runs in the PostgreSQL pass of the suite (it needs a real server to share); skipped on
SQLite, and when Redis is missing unless GUAZHI_E2E_REQUIRED=1.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.test import SimpleTestCase

from guazhi.core import serving
from guazhi.testing import needs_system

PASSWORD = "Guazhi@2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


class FormFields(HTMLParser):
    """The fields of each <form method="post"> on a page, as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self._form = False
        self._select = self._textarea = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = True
            self.forms.append([])
        if not self._form:
            return
        fields = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                fields.append((name, a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            fields.append((self._select, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.forms[-1].append((self._textarea, unescape(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = False


def form_fields(html: str, having: str) -> list[tuple[str, str]]:
    """The post form on the page that has a field named `having`."""
    parser = FormFields()
    parser.feed(html)
    for fields in parser.forms:
        if having in dict(fields):
            return fields
    raise AssertionError(f"no form with a field {having!r} on the page")


class TwoAppServersTests(SimpleTestCase):
    """One test: the servers take ~30 s to prepare, and each step builds on the last."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not _postgres():
            raise cls.skipTest(cls, "runs in the PostgreSQL pass (DATABASE_URL=postgres://…)")
        needs_system(_redis_up(), "Redis is not listening on 127.0.0.1:6379")
        import psycopg
        import redis

        cls.psycopg = psycopg
        db = settings.DATABASES["default"]
        url = urlsplit(
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}"
            f":{db['PORT'] or 5432}/postgres"
        )
        cls.admin_url = urlunsplit(url)
        tag = f"{os.getpid()}_{secrets.token_hex(3)}"
        cls.primary = f"guazhi_deploy_{tag}"
        cls.replica = f"guazhi_deploy_{tag}_replica"
        cls.primary_url = urlunsplit(url._replace(path="/" + cls.primary))
        cls.replica_url = urlunsplit(url._replace(path="/" + cls.replica))
        cls.prefix = f"guazhi-deploy-{tag}"
        cls.redis = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        cls.tmp = Path(tempfile.mkdtemp(prefix="guazhi-deploy-"))
        cls.servers = []
        cls.logs = []
        try:
            cls._prepare()
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _env(cls, name: str) -> dict:
        from cryptography.fernet import Fernet

        if not hasattr(cls, "_secrets"):
            cls._secrets = {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "FIELD_HASH_KEY": secrets.token_urlsafe(32),
            }
        var = cls.tmp / name  # each server's own var directory: nothing shared there
        var.mkdir(exist_ok=True)
        env = {
            **os.environ,
            **cls._secrets,
            "GUAZHI_VAR_DIR": str(var),
            "GUAZHI_MEDIA_ROOT": str(cls.tmp / "shared-media"),
            "DATABASE_URL": cls.primary_url,
            "DATABASE_REPLICA_URL": cls.replica_url,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "GUAZHI_CACHE_PREFIX": cls.prefix,
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        env.pop("GUAZHI_MODE", None)
        return env

    @classmethod
    def _prepare(cls):
        psycopg = cls.psycopg
        with psycopg.connect(cls.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{cls.primary}"')
        env = cls._env("loader")
        env.pop("DATABASE_REPLICA_URL")
        subprocess.run(  # noqa: S603 (our own interpreter)
            [sys.executable, "-m", "guazhi.cli", "demo", "--no-serve"],
            env=env,
            check=True,
            capture_output=True,
        )
        # The replica starts as an exact copy of the primary; nothing replicates to it
        # afterwards unless a test step does it by hand (replication held back).
        with psycopg.connect(cls.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{cls.replica}" TEMPLATE "{cls.primary}"')
        for name in ("a", "b"):
            port = _free_port()
            log = open(cls.tmp / f"server-{name}.log", "wb")  # noqa: SIM115 (closed in cleanup)
            cls.logs.append(log)
            cls.servers.append(
                subprocess.Popen(  # noqa: S603
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        *serving.gunicorn_args(f"127.0.0.1:{port}", workers_=1),
                    ],
                    env=cls._env(name),
                    stdout=log,
                    stderr=log,
                )
            )
            setattr(cls, name, f"http://127.0.0.1:{port}")
        import requests

        for base in (cls.a, cls.b):
            deadline = time.monotonic() + 60  # the first request loads Django
            while time.monotonic() < deadline:
                try:
                    if requests.get(base + "/healthz", timeout=10).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"server {base} did not start")

    @classmethod
    def _cleanup(cls):
        for server in cls.servers:
            server.terminate()
        for server in cls.servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        for log in cls.logs:
            log.close()
        with cls.psycopg.connect(cls.admin_url, autocommit=True) as conn:
            for name in (cls.replica, cls.primary):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        keys = list(cls.redis.scan_iter(f"{cls.prefix}:*"))
        if keys:
            cls.redis.delete(*keys)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()
        super().tearDownClass()

    def replica_sql(self, sql: str, *params):
        with self.psycopg.connect(self.replica_url, autocommit=True) as conn:
            conn.execute(sql, params)

    def primary_row(self, sql: str, *params):
        with self.psycopg.connect(self.primary_url) as conn:
            return conn.execute(sql, params).fetchone()

    def log_in(self, base: str, username: str):
        import requests

        session = requests.Session()
        page = session.get(base + "/login/", timeout=10)
        token = dict(form_fields(page.text, "username"))["csrfmiddlewaretoken"]
        response = session.post(
            base + "/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": base + "/login/"},
            timeout=30,
        )
        self.assertNotIn("/login/", response.url, response.text[-800:])
        return session

    def on(self, base: str, session, path: str):
        """GET `path` from server `base` with the cookies `session` holds (whichever server
        set them)."""
        import requests

        response = requests.get(base + path, cookies=session.cookies, timeout=60)
        self.assertEqual(response.status_code, 200, f"{base}{path}: {response.text[-800:]}")
        self.assertNotIn("/login/", response.url, f"{base}{path} sent back to the login page")
        return response.text

    def rename_programme(self, session, pk: int, name: str):
        edit = session.get(f"{self.a}/programmes/{pk}/edit/", timeout=30)
        fields = [(k, name if k == "name" else v) for k, v in form_fields(edit.text, "name")]
        response = session.post(
            f"{self.a}/programmes/{pk}/edit/",
            data=fields,
            headers={"Referer": f"{self.a}/programmes/{pk}/edit/"},
            timeout=30,
        )
        self.assertNotIn("/edit/", response.url, response.text[-1500:])

    def test_a_user_logged_in_on_one_server_is_served_by_the_other_and_sees_its_edits(self):
        pk, old = self.primary_row("SELECT id, name FROM programmes_programme ORDER BY id LIMIT 1")
        zzb = self.log_in(self.a, "zzb")

        # 1. The session made on A is honoured by B: sessions live in the shared database.
        home = self.on(self.b, zzb, "/")
        self.assertIn("您好，张组织", home)

        # 2. B draws the dashboard and caches its figures (in the shared Redis).
        dashboard = f"/dashboard/?programme={pk}"
        self.assertIn(old, self.on(self.b, zzb, dashboard))
        self.assertTrue(
            any(self.redis.scan_iter(f"{self.prefix}:*")), "the figures are not cached in Redis"
        )

        # 3. An edit made on A ...
        first = f"{old}（改名一）"
        self.rename_programme(zzb, pk, first)
        # ... is seen on B at once: both write and read the one primary.
        self.assertIn(first, self.on(self.b, zzb, f"/programmes/{pk}/"))

        # 4. The replica catches up (replication, done by hand here). B's cached figures were
        # invalidated by A's save through the shared cache, so B now shows the new name; with
        # a cache of its own B would go on showing the old one until the entry expired.
        self.replica_sql("UPDATE programmes_programme SET name = %s WHERE id = %s", first, pk)
        self.assertIn(first, self.on(self.b, zzb, dashboard))

        # 5. Dashboards and reports read the replica: a second edit that has not reached it
        # yet shows on the programme's own page (primary) but not in the dashboard or a
        # report, on either server.
        second = f"{old}（改名二）"
        self.rename_programme(zzb, pk, second)
        for base in (self.a, self.b):
            self.assertIn(second, self.on(base, zzb, f"/programmes/{pk}/"))
            page = self.on(base, zzb, dashboard)
            self.assertIn(first, page)
            self.assertNotIn(second, page)
        report = self.on(self.b, zzb, "/reports/composition/")
        self.assertIn(first, report)
        self.assertNotIn(second, report)

        # 6. A roster uploaded to A is checked and imported on B: the file waits between
        # the two steps in the shared uploads directory.
        upload_page = zzb.get(f"{self.a}/cadres/import/", timeout=30).text
        fields = form_fields(upload_page, "unit")
        template = zzb.get(f"{self.a}/cadres/import/template.xlsx", timeout=30).content
        response = zzb.post(
            f"{self.a}/cadres/import/",
            data=fields,
            files={"file": ("两台服务器.xlsx", template)},
            headers={"Referer": f"{self.a}/cadres/import/"},
            timeout=30,
        )
        self.assertIn("/cadres/import/check/", response.url, response.text[-800:])
        self.assertIn("两台服务器.xlsx", self.on(self.b, zzb, "/cadres/import/check/"))
        self.assertTrue(any((self.tmp / "shared-media" / "imports").iterdir()))

        # 7. Logging out on B ends the session on A too.
        import requests

        logout_page = self.on(self.b, zzb, "/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', logout_page)
        requests.post(
            self.b + "/logout/",
            data={"csrfmiddlewaretoken": token.group(1) if token else ""},
            cookies=zzb.cookies,
            headers={"Referer": self.b + "/"},
            timeout=10,
        )
        after = requests.get(self.a + "/", cookies=zzb.cookies, timeout=10)
        self.assertIn("/login/", after.url)
