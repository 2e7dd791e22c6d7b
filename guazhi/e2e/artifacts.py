"""What a failed browser test leaves behind: a full-page screenshot and the HTML of every page
the test opened, in `$GUAZHI_ARTIFACTS_DIR` (default `var/e2e-artifacts/`), with their paths
printed under the failure and again in the run's summary so a CI log says where to look.

The fixtures register each page they open with `track`; the `pytest_runtest_makereport`
hook below saves them when the test (or its setup) fails, while the pages are still open
(fixture teardown comes after the report). conftest.py imports the hooks; a plugin run
(`-p guazhi.e2e.artifacts`) gets the same behaviour, which is how test_artifacts.py checks it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = pytest.StashKey[list]()
SAVED = pytest.StashKey[list]()


def artifacts_dir() -> Path:
    configured = os.environ.get("GUAZHI_ARTIFACTS_DIR")
    path = Path(configured) if configured else REPO / "var" / "e2e-artifacts"
    return path if path.is_absolute() else REPO / path


def track(node, page, label: str = "page") -> None:
    """Remember a page of this test, to be kept if the test fails."""
    node.stash.setdefault(PAGES, []).append((label, page))


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "_", text, flags=re.ASCII).strip("_")[:150] or "test"


def save(name: str, pages, directory: Path | None = None) -> list[Path]:
    """A full-page screenshot (.png) and the HTML (.html) of each (label, page); returns the
    files written. A page that can no longer be read (closed, crashed) is noted, not fatal."""
    directory = directory or artifacts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for label, page in pages:
        stem = f"{_slug(name)}--{_slug(label)}"
        try:
            png = directory / f"{stem}.png"
            page.screenshot(path=str(png), full_page=True)
            written.append(png)
            html = directory / f"{stem}.html"
            html.write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
            written.append(html)
        except Exception as exc:  # noqa: BLE001 (a broken page must not hide the failure)
            note = directory / f"{stem}.txt"
            note.write_text(f"无法保存页面：{exc!r}\n", encoding="utf-8")
            written.append(note)
    return written


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    pages = item.stash.get(PAGES, [])
    if report.failed and report.when in {"setup", "call"} and pages:
        files = save(item.nodeid, pages)
        item.stash[SAVED] = files
        item.config.stash.setdefault(SAVED, []).extend(files)
        report.sections.append(
            ("e2e artifacts", "失败时的页面截图和 HTML：\n" + "\n".join(map(str, files)))
        )
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    files = config.stash.get(SAVED, [])
    if files:
        terminalreporter.section("e2e artifacts")
        terminalreporter.write_line(f"浏览器测试失败的截图和页面（{artifacts_dir()}）：")
        for path in files:
            terminalreporter.write_line(f"  {path}")
