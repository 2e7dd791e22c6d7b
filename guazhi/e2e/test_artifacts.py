"""The failure artifacts (artifacts.py) cannot break silently: a failing test that opened pages
leaves a screenshot and the HTML of each, named after the test, and the run's output says
where; a passing test leaves nothing. The hook is run by pytester in a separate pytest run
with stand-in pages (no browser needed), and `save` once on a real Chromium page."""

from __future__ import annotations

import pytest

from . import artifacts

pytest_plugins = ["pytester"]

INNER_TEST = """
import pytest
from guazhi.e2e import artifacts


class FakePage:
    url = "http://testserver/projects/7/"

    def __init__(self, title):
        self.title = title

    def screenshot(self, *, path, full_page):
        assert full_page
        with open(path, "wb") as f:
            f.write(b"PNG " + self.title.encode())

    def content(self):
        return f"<html><title>{self.title}</title></html>"


class ClosedPage(FakePage):
    def screenshot(self, *, path, full_page):
        raise RuntimeError("Target page, context or browser has been closed")


@pytest.fixture
def pages(request):
    artifacts.track(request.node, FakePage("项目"), "zzb")
    artifacts.track(request.node, FakePage("推荐"), label="heping")


def test_fails(pages):
    assert 1 + 1 == 3


def test_passes(pages):
    assert True


def test_closed_page_does_not_hide_the_failure(request):
    artifacts.track(request.node, ClosedPage("x"), "gone")
    assert False, "the real failure"
"""


def test_a_failing_browser_test_leaves_its_pages_and_says_where(pytester, monkeypatch):
    out = pytester.path / "artifacts"
    monkeypatch.setenv("GUAZHI_ARTIFACTS_DIR", str(out))
    pytester.makepyfile(test_inner=INNER_TEST)
    result = pytester.runpytest("-p", "guazhi.e2e.artifacts", "-p", "no:django")
    result.assert_outcomes(passed=1, failed=2)

    files = sorted(p.name for p in out.iterdir())
    assert files == [
        "test_inner_py_test_closed_page_does_not_hide_the_failure--gone.txt",
        "test_inner_py_test_fails--heping.html",
        "test_inner_py_test_fails--heping.png",
        "test_inner_py_test_fails--zzb.html",
        "test_inner_py_test_fails--zzb.png",
    ]
    assert (out / "test_inner_py_test_fails--zzb.png").read_bytes() == "PNG 项目".encode()
    html = (out / "test_inner_py_test_fails--heping.html").read_text(encoding="utf-8")
    assert html.startswith("<!-- http://testserver/projects/7/ -->")
    assert "<title>推荐</title>" in html
    assert "has been closed" in (out / files[0]).read_text(encoding="utf-8")
    # Under the failure and in the summary at the end of the run (what a CI log shows).
    result.stdout.fnmatch_lines(
        [
            "*- e2e artifacts -*",
            f"{out}/test_inner_py_test_fails--zzb.png",
            "*= e2e artifacts =*",
            f"*（{out}）：",
            f"  {out}/test_inner_py_test_fails--heping.html",
        ]
    )
    result.stdout.fnmatch_lines(["*assert (1 + 1) == 3*", "*the real failure*"])


def test_the_browser_tests_use_the_hooks_and_their_pages_are_tracked(new_page, request):
    from . import conftest

    assert conftest.pytest_runtest_makereport is artifacts.pytest_runtest_makereport
    assert conftest.pytest_terminal_summary is artifacts.pytest_terminal_summary
    page = new_page(label="leader")
    phone_page = new_page(phone=True)
    assert request.node.stash[artifacts.PAGES] == [("leader", page), ("page2", phone_page)]


def test_the_artifacts_directory_defaults_to_var_and_a_relative_one_is_under_the_checkout(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("GUAZHI_ARTIFACTS_DIR", raising=False)
    assert artifacts.artifacts_dir() == artifacts.REPO / "var" / "e2e-artifacts"
    monkeypatch.setenv("GUAZHI_ARTIFACTS_DIR", "build/ci-shots")
    assert artifacts.artifacts_dir() == artifacts.REPO / "build" / "ci-shots"
    monkeypatch.setenv("GUAZHI_ARTIFACTS_DIR", str(tmp_path / "shots"))
    assert artifacts.artifacts_dir() == tmp_path / "shots"


def test_a_real_page_is_saved_as_a_full_page_screenshot_and_its_html(browser, tmp_path):
    context = browser.new_context(viewport={"width": 400, "height": 300})
    try:
        page = context.new_page()
        page.set_content(
            "<html lang='zh'><body style='margin:0'><h1>考核结果</h1>"
            "<div style='height:1200px;background:#c00'></div></body></html>"
        )
        files = artifacts.save("guazhi/e2e/test_x.py::test_y[1]", [("zzb", page)], tmp_path)
    finally:
        context.close()
    png, html = files
    assert png.name == "guazhi_e2e_test_x_py_test_y_1--zzb.png"
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    height = int.from_bytes(header[20:24], "big")
    assert height > 1200, f"not the full page: {height}px high"
    assert "<h1>考核结果</h1>" in html.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["a/b.py::t[x-y]", "测试::中文"])
def test_artifact_names_are_plain_file_names(name):
    slug = artifacts._slug(name)
    assert slug and "/" not in slug and "." not in slug


def test_a_javascript_error_or_a_server_error_on_a_page_is_noted(browser, demo_server):
    from .journeys import watch

    problems: list[str] = []
    context = browser.new_context(base_url=demo_server)
    try:
        page = context.new_page()
        watch(page, "zzb", problems)
        page.goto("/login/")
        assert problems == []
        page.route("**/broken/", lambda route: route.fulfill(status=502, body="bad gateway"))
        page.evaluate("fetch('/broken/')")
        page.evaluate("setTimeout(() => { throw new Error('图表数据缺失'); })")
        page.wait_for_timeout(300)
    finally:
        context.close()
    assert len(problems) == 2, problems
    assert any(p.startswith("zzb：502 ") and p.endswith("/broken/") for p in problems)
    assert any("JavaScript 错误" in p and "图表数据缺失" in p for p in problems)
