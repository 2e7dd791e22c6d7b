"""What a user does over and over in the browser tests: log in (with the authenticator code
for the administrators), read the message the page shows after an action, and answer the
"are you sure?" question a button asks (`data-confirm`, a window.confirm)."""

from __future__ import annotations

import base64

from playwright.sync_api import Locator, Page, expect

from guazhi.core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS


def watch(page: Page, name: str, problems: list[str]) -> None:
    """Note what the user would not notice but is broken all the same: a JavaScript error, or
    a server error (5xx), also of a background request (htmx, a chart's data)."""
    page.on("pageerror", lambda exc: problems.append(f"{name}：JavaScript 错误 {exc}"))
    page.on(
        "response",
        lambda r: r.status >= 500 and problems.append(f"{name}：{r.status} {r.url}"),
    )


def submit_login(page: Page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def authenticator_code(username: str) -> str:
    """What the administrator's authenticator app shows now (the demo's fixed secrets)."""
    from django_otp.oath import totp

    return f"{totp(base64.b32decode(DEMO_TOTP_SECRETS[username]), 30, 0, 6, 0):06d}"


def login(page: Page, username: str) -> None:
    submit_login(page, username, DEMO_PASSWORD)
    if username in DEMO_TOTP_SECRETS:
        expect(page.get_by_role("heading", name="双因素认证")).to_be_visible()
        page.get_by_label("验证码").fill(authenticator_code(username))
        page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def message(page: Page, kind: str = "success") -> Locator:
    """The message shown after an action ("success", "danger", "info", "warning")."""
    return page.locator(f".messages .alert-{kind}")


def click_and_confirm(page: Page, target: Locator, question: str) -> None:
    """Click a button that asks first, check the question, and answer 确定."""
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    target.click()
    for _ in range(20):
        if asked:
            break
        page.wait_for_timeout(100)
    assert asked, f"clicking {target} asked nothing (expected “{question}”)"
    assert question in asked[0], f"the question was “{asked[0]}”, expected “{question}”"


def choose(select: Locator, text: str) -> None:
    """Pick the one option of a select whose text contains `text`."""
    option = select.locator("option").filter(has_text=text)
    expect(option).to_have_count(1)
    select.select_option(value=option.get_attribute("value"))
