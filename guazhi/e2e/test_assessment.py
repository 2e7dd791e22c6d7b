"""The city organisation department decides 第4批's 2026 年度考核 (SPEC §4.6: 优秀 within the
quota): one 优秀 more than the quota allows is refused with the numbers, nothing is frozen;
within the quota the round is confirmed and frozen and the grade reaches the cadre's record."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .journeys import click_and_confirm, message

CONFIRM = "确认本轮考核结果并冻结吗？"


def test_one_excellent_too_many_is_refused_and_within_the_quota_the_round_is_frozen(new_page):
    page = new_page("zzb")
    page.get_by_role("link", name="考核").first.click()
    page.get_by_role("link", name="2026年年度考核").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("第4批 · 2026年年度考核")
    expect(page.get_by_role("heading", level=1)).to_contain_text("进行中")

    quota_line = page.get_by_text(re.compile(r"优秀比例不超过 (\d+)%：本轮 (\d+) 人最多 (\d+) 人"))
    percent, total, quota = map(
        int, re.search(r"(\d+)%：本轮 (\d+) 人最多 (\d+) 人", quota_line.inner_text()).groups()
    )
    assert quota == total * percent // 100 and quota >= 1
    rows = page.locator("form .list-group-item").filter(has=page.get_by_label("确定等次"))
    expect(rows).to_have_count(total)  # one page: the decisions of the whole round
    names = [rows.nth(i).get_by_role("link").first.inner_text() for i in range(quota + 1)]

    # The best quota + 1 are made 优秀: confirming is refused, with the rule and the numbers.
    for i in range(quota + 1):
        rows.nth(i).get_by_label("确定等次").select_option(label="优秀")
    confirm = page.get_by_role("button", name="确认并冻结")
    click_and_confirm(page, confirm, CONFIRM)
    expect(message(page, "danger")).to_contain_text(
        f"优秀比例不超过 {percent}%：本轮 {total} 人，最多 {quota} 人优秀，现有 {quota + 1} 人"
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("进行中")
    # The choices were kept on the page (saved as drafts), so the officer corrects just one.
    last = rows.filter(has=page.get_by_role("link", name=names[-1], exact=True))
    expect(last.get_by_label("确定等次")).to_have_value("优秀")

    last.get_by_label("确定等次").select_option(label="按建议等次")
    click_and_confirm(page, confirm, CONFIRM)
    expect(message(page)).to_contain_text("考核结果已确认并冻结")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已确认")
    expect(page.locator("main")).to_contain_text("考核结果已确认（冻结），不能再修改")
    expect(page.get_by_role("button", name="确认并冻结")).to_have_count(0)
    distribution = page.locator(".card").filter(has_text="等次分布")
    expect(distribution).to_contain_text(f"优秀 {quota}")
    table = page.locator("table")
    for name in names[:-1]:
        expect(table.locator("tr").filter(has_text=name)).to_contain_text("优秀")
    expect(table.locator("tr").filter(has_text=names[-1])).not_to_contain_text("优秀")

    # The confirmed grade is written to the cadre's record (年度考核结果).
    page.get_by_role("link", name="干部名册").click()
    page.get_by_label("姓名或拼音首字母").fill(names[0])
    page.get_by_role("button", name="查询").click()
    page.locator("#results").get_by_role("link", name=names[0], exact=True).click()
    expect(page.locator("main")).to_contain_text("年度考核结果")
    expect(page.locator("main").get_by_text("2026 优秀")).to_be_visible()
