"""Logging in with the lockout rule (SPEC §5: 连续登录失败锁定): each wrong password says how
many tries are left, the last one locks the account, the right password is then refused too,
the system administrator sees the lock and unlocks the account, and the owner logs in."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from guazhi.core.demo import DEMO_PASSWORD

from .journeys import click_and_confirm, message, submit_login

# The sending unit's officer: no other browser test logs in as him.
USERNAME, FULL_NAME = "paichu", "钱派出"


def test_wrong_passwords_lock_the_account_until_the_administrator_unlocks_it(new_page):
    page = new_page(label="paichu")
    error = page.get_by_role("alert")

    submit_login(page, USERNAME, "wrong-password")
    expect(error).to_contain_text("用户名或密码错误。再失败")
    left = int(re.search(r"再失败 (\d+) 次", error.inner_text()).group(1))
    limit = left + 1
    assert 3 <= limit <= 20
    for n in range(left - 1, 0, -1):
        submit_login(page, USERNAME, f"wrong-{n}")
        expect(error).to_contain_text(f"再失败 {n} 次，账号将被锁定")
    submit_login(page, USERNAME, "wrong-last")
    expect(error).to_contain_text(f"账号因连续 {limit} 次登录失败已被锁定")
    expect(error).to_contain_text("或联系系统管理员解锁")

    # Locked: the right password is refused as well, and no session starts.
    submit_login(page, USERNAME, DEMO_PASSWORD)
    expect(error).to_contain_text("已被锁定")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))

    # The system administrator (password and authenticator code) sees a locked account on
    # his home page, follows the count to the list of locked accounts and unlocks him.
    admin = new_page("sysadmin")
    admin.get_by_role("link", name="被锁定的账号").click()
    expect(admin.get_by_label("已锁定")).to_have_value("true")
    admin.get_by_role("link", name=FULL_NAME).click()
    expect(admin.locator("main")).to_contain_text("该账号因连续登录失败已被锁定")
    click_and_confirm(admin, admin.get_by_role("button", name="解锁"), "确定解锁该账号吗？")
    expect(message(admin)).to_contain_text(f"已解锁账号“{FULL_NAME}")
    expect(admin.locator("main")).not_to_contain_text("已被锁定")
    expect(admin.get_by_role("button", name="解锁")).to_have_count(0)

    # Unlocked: the right password works and the count of failures starts again.
    submit_login(page, USERNAME, DEMO_PASSWORD)
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.locator("body")).to_contain_text(FULL_NAME)
