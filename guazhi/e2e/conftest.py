"""A demo server for the browser tests: a throw-away database (SQLite under a temporary
directory, or `<name>_e2e` beside the PostgreSQL database of DATABASE_URL) loaded with
`guazhi demo --no-serve`, served by gunicorn as `guazhi serve` runs it, and Chromium driven by
Playwright. Without Chromium the tests are skipped, unless GUAZHI_E2E_REQUIRED=1 (CI), which
makes its absence a failure. A failed test leaves a screenshot and the HTML of each page it
opened in $GUAZHI_ARTIFACTS_DIR (default var/e2e-artifacts/; see artifacts.py).

While writing a test, GUAZHI_E2E_BASE_URL=http://127.0.0.1:8000 runs it against a demo server
you started yourself instead of loading a fresh one (the journeys change the demo data: lock
an account, freeze a round, so reload the demo before running them again)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from guazhi.core import serving

from . import artifacts
from .artifacts import pytest_runtest_makereport, pytest_terminal_summary  # noqa: F401 (hooks)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def chromium_path() -> str | None:
    return os.environ.get("GUAZHI_CHROMIUM") or shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_e2e"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def demo_server():
    if chromium_path() is None:
        if os.environ.get("GUAZHI_E2E_REQUIRED") == "1":
            pytest.fail("找不到 Chromium（apt-get install chromium），浏览器测试无法运行")
        pytest.skip("Chromium is not installed")
    if running := os.environ.get("GUAZHI_E2E_BASE_URL"):
        yield running.rstrip("/")
        return
    var = tempfile.mkdtemp(prefix="guazhi-e2e-")
    env = {**os.environ, "GUAZHI_VAR_DIR": var, "ALLOWED_HOSTS": "127.0.0.1"}
    env.pop("DATABASE_URL", None)
    if url := _database_url():
        env["DATABASE_URL"] = url
    guazhi = [sys.executable, "-m", "guazhi.cli"]
    demo = subprocess.run(  # noqa: S603 (our own interpreter)
        [*guazhi, "demo", "--no-serve"], env=env, capture_output=True, text=True
    )
    if demo.returncode:
        raise RuntimeError(f"guazhi demo failed:\n{(demo.stdout + demo.stderr)[-3000:]}")
    port = _free_port()
    log = open(Path(var) / "server.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", *serving.gunicorn_args(f"127.0.0.1:{port}", workers_=2)],
        env=env,
        stdout=log,
        stderr=log,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        raise RuntimeError((Path(var) / "server.log").read_text()[-2000:])
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)
    log.close()
    shutil.rmtree(var, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(demo_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, demo_server, request):
    """Open a page in a fresh browser context (its own cookies: one per user), desktop-size or
    phone-size, with the server as base URL and, given a username, logged in as that demo
    user. Every page is kept as a screenshot if the test fails; a JavaScript error or a
    server error (5xx, also of a background request) fails the test even if it passed."""
    from .journeys import login, watch

    contexts, problems = [], []

    def open_page(username: str | None = None, *, phone: bool = False, label: str | None = None):
        context = browser.new_context(
            base_url=demo_server, locale="zh-CN", **(PHONE if phone else DESKTOP)
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        name = label or username or f"page{len(contexts)}"
        artifacts.track(request.node, page, name)
        watch(page, name, problems)
        if username:
            login(page, username)
        return page

    yield open_page
    for context in contexts:
        context.close()
    report = getattr(request.node, "rep_call", None)
    if problems and report is not None and report.passed:
        pytest.fail("页面出错（测试本身通过）：\n" + "\n".join(problems))


@pytest.fixture
def phone(new_page):
    """A page in a phone-size browser (390 × 844, touch), with the server as base URL."""
    return new_page(phone=True, label="phone")
