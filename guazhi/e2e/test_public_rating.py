"""A citizen rates a deed from a phone (issue 8): from the public list to the deed's page,
the one-time code, the rating, the refusal of a second rating, and a bad rating's promise of
a rectification by a working-day deadline."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect


def _new_phone() -> str:
    return f"139{secrets.randbelow(10**8):08d}"


def _open_a_deed(page):
    page.goto("/public/deeds/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.locator("main a[href^='/public/deeds/']").first.click()
    expect(page.get_by_role("heading", name="我来评价")).to_be_visible()
    return page.url


def _rate(page, phone: str, level: str, code: str | None = None) -> str:
    page.locator("#rate").get_by_text(level, exact=True).click()
    page.get_by_label("手机号").fill(phone)
    if code is None:
        page.get_by_role("button", name="获取验证码").click()
        status = page.locator("[data-code-status]")
        expect(status).to_contain_text("验证码为")
        code = re.search(r"验证码为 (\d{6})", status.inner_text()).group(1)
    page.get_by_label("验证码", exact=True).fill(code)
    page.get_by_role("button", name="提交评价").click()
    return code


def test_a_citizen_rates_a_deed_on_a_phone_and_cannot_rate_it_twice(phone):
    url = _open_a_deed(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    mobile = _new_phone()
    code = _rate(phone, mobile, "满意")
    expect(phone.get_by_role("status")).to_contain_text("感谢您的评价")
    expect(phone.get_by_role("status")).to_contain_text("计入这件实事的满意率")

    phone.goto(url)
    _rate(phone, mobile, "非常满意", code=code)
    expect(phone.get_by_role("alert").filter(has_text="只能评价一次")).to_be_visible()


def test_a_bad_rating_is_promised_a_rectification_by_a_working_day_deadline(phone):
    _open_a_deed(phone)
    _rate(phone, _new_phone(), "不满意")
    status = phone.get_by_role("status")
    expect(status).to_contain_text("感谢您的评价")
    expect(status).to_contain_text(
        re.compile(r"将在 \d+ 个工作日内（\d{4}-\d{2}-\d{2} 前）完成整改")
    )
