"""A seconded cadre carries a lead he found to 落地 (SPEC §4.5, 项目闭环工作法): he registers the
lead, is told that 专班 needs a task force with a lead, forms it, and moves the project on;
签约 and 落地 are refused until their evidence is given (and a landing before the signing
is refused), and the project page ends with the stage, the amounts and the history."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from playwright.sync_api import expect

from .journeys import choose, message

CADRE = "吴挂职"  # the demo's cadre login (ganbu), seconded in 第4批


def _advance(page, stage: str) -> None:
    """From the project page to the move form, aimed at `stage`."""
    page.get_by_role("link", name="推进 / 变更阶段").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("变更阶段")
    target = page.get_by_label("变更到阶段")
    if stage not in target.locator("option:checked").inner_text():
        # Choosing another stage reloads the form with its evidence fields (htmx): wait for
        # it, or what is typed next is replaced.
        with page.expect_response(lambda r: "/move/" in r.url):
            choose(target, f". {stage}")


def _field_error(page, label: str):
    """The error shown under a field (in the field's own block)."""
    return page.get_by_label(label, exact=True).locator("xpath=..").locator(".invalid-feedback")


def test_a_cadre_carries_his_lead_through_the_stages_to_landing_with_the_evidence(new_page):
    today = date.today()
    found, signed = today - timedelta(days=20), today - timedelta(days=6)
    title = f"京沈合作智能装备项目{secrets.token_hex(2)}"
    page = new_page("ganbu")

    page.get_by_role("link", name="合作项目").first.click()
    page.get_by_role("link", name="登记线索").click()
    page.get_by_label("项目名称").fill(title)
    page.get_by_label("行业").select_option(label="装备制造")
    page.get_by_label("拟落地区县").fill("沈阳市浑南区")
    page.get_by_label("发现日期").fill(found.isoformat())
    page.get_by_label("线索来源").select_option(label="走访企业")
    page.get_by_label("计划投资（万元）").fill("5000")
    page.get_by_role("button", name="保存").click()
    expect(message(page)).to_contain_text("已登记项目线索。下一步：组建工作专班并指定牵头人")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    project_url = page.url
    stage_path = page.get_by_label("阶段", exact=True)

    # 专班 needs a task force with a lead: the move form says so and refuses.
    _advance(page, "专班")
    expect(page.locator("#move-form")).to_contain_text("进入专班阶段须先组建工作专班并指定牵头人")
    page.get_by_role("button", name="确认变更").click()
    expect(page.get_by_role("alert")).to_contain_text("须先组建工作专班并指定牵头人")
    page.get_by_role("link", name="组建专班").click()
    expect(page.get_by_label("专班职责")).to_have_value("lead")
    choose(page.get_by_label("干部"), CADRE)
    page.get_by_role("button", name="保存").click()
    expect(message(page)).to_contain_text("已加入工作专班")

    _advance(page, "专班")
    page.get_by_role("button", name="确认变更").click()
    expect(message(page)).to_contain_text("已变更到“专班”阶段")
    _advance(page, "洽谈")
    page.get_by_role("button", name="确认变更").click()
    expect(message(page)).to_contain_text("已变更到“洽谈”阶段")

    # 签约 asks for the signing date and amount.
    _advance(page, "签约")
    expect(page.locator("#move-form")).to_contain_text("签约佐证")
    page.get_by_role("button", name="确认变更").click()
    expect(_field_error(page, "签约日期")).to_contain_text("签约须填写签约日期")
    expect(_field_error(page, "签约金额（万元）")).to_contain_text("签约须填写签约金额")
    page.get_by_label("签约日期").fill(signed.isoformat())
    page.get_by_label("签约金额（万元）").fill("3200")
    page.get_by_label("协议编号").fill("HN-2026-018")
    page.get_by_role("button", name="确认变更").click()
    expect(message(page)).to_contain_text("已变更到“签约”阶段")

    # 落地 asks for the landing date, the funds in place and the form; not before signing.
    _advance(page, "落地")
    expect(page.locator("#move-form")).to_contain_text("落地佐证")
    page.get_by_label("落地（注册或开工）日期").fill((signed - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="确认变更").click()
    expect(_field_error(page, "落地（注册或开工）日期")).to_contain_text(
        f"落地日期不能早于签约日期（{signed:%Y-%m-%d}）"
    )
    expect(_field_error(page, "到位资金（万元）")).to_contain_text("落地须填写到位资金")
    expect(_field_error(page, "落地形式")).to_contain_text("落地须选择落地形式")
    page.get_by_label("落地（注册或开工）日期").fill(today.isoformat())
    page.get_by_label("到位资金（万元）").fill("1800")
    page.get_by_label("落地形式").select_option(index=1)
    page.get_by_role("button", name="确认变更").click()
    expect(message(page)).to_contain_text("已变更到“落地”阶段")

    # The project page: at 落地, with the evidence and every step in the history.
    expect(page).to_have_url(project_url)
    expect(stage_path.locator(".text-bg-primary")).to_contain_text("落地")
    main = page.locator("main")
    for fact in ("3200", "1800", "HN-2026-018", f"{signed:%Y-%m-%d}", f"{today:%Y-%m-%d}"):
        expect(main).to_contain_text(fact)
    history = main.locator(".timeline-item")
    for step in ("线索 → 专班", "专班 → 洽谈", "洽谈 → 签约", "签约 → 落地"):
        expect(history.filter(has_text=step)).to_have_count(1)
