"""A cadre of 第5批 from nomination to placement (SPEC §4.2: 逐级推荐、层层把关、综合比选、择优
确定、报中组部备案): the district organisation department nominates him and passes its level;
the city organisation department runs the person–post matching, confirms the proposal and
passes the matched candidates in bulk, approves at 市委审批, is refused at 报中组部备案 until it
gives the filing document, and the placement appears on the batch page."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from .journeys import choose, click_and_confirm, message

# A cadre of 和平区商务局 whom nobody has nominated to 第5批 in the demo and whom the
# optimal assignment seats once he is a candidate (the demo's data are seeded).
CADRE, UNIT = "宋红", "和平区商务局"
BATCH = "京沈对口合作 第5批"


def _open_batch(page, label: str = "第5批"):
    page.get_by_role("link", name="选派项目").click()
    page.get_by_role("link", name=label).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)


def test_a_nominated_cadre_passes_every_level_and_gets_a_placement(new_page):
    # 和平区委组织部 nominates him for the batch now open…
    district = new_page("heping")
    district.get_by_role("link", name="推荐与审核").first.click()
    district.get_by_role("link", name="推荐人选").click()
    expect(district.get_by_label("批次")).to_have_value(re.compile(r"\d+"))  # the one open
    district.get_by_label("批次").select_option(label=BATCH)
    # Only cadres who can go: not one serving in 第4批 (曾超), nor one already nominated.
    cadres = district.get_by_label("推荐干部")
    expect(cadres.locator("option").filter(has_text="曾超（")).to_have_count(0)
    expect(cadres.locator("option").filter(has_text="尹新远（")).to_have_count(0)
    choose(cadres, f"{CADRE}（{UNIT}")
    district.get_by_label("推荐理由").fill("长期从事招商引资工作，熟悉总部经济，政治素质好。")
    district.get_by_role("button", name="保存").click()
    expect(message(district)).to_contain_text(f"已推荐{CADRE}，等待“区委组织部审核”")
    nomination_url = district.url

    # …and, as the district level's reviewer, passes it.
    district.get_by_label("通过", exact=True).check()
    district.get_by_label("审核意见").fill("经区委组织部审核，同意推荐。")
    district.get_by_role("button", name="提交审核意见").click()
    expect(message(district)).to_contain_text("审核结果已记录")
    expect(district.locator(".timeline")).to_contain_text("区委组织部审核 通过")
    expect(district.locator("main")).to_contain_text("等待“市委组织部综合比选”")

    # 市委组织部 opens the batch's matching: he is a candidate and the proposal seats him.
    city = new_page("zzb")
    _open_batch(city)
    city.get_by_role("link", name="人岗匹配").click()
    expect(city.get_by_role("heading", level=1)).to_contain_text("人岗匹配")
    seat = city.locator("table.match-table tbody tr").filter(
        has=city.get_by_role("link", name=CADRE)
    )
    expect(seat).to_have_count(1)
    post = seat.locator("td").first.locator("strong").inner_text()
    expect(city.locator("main")).to_contain_text("已证明最优")
    city.get_by_label("比选意见").fill("经综合比选，人岗相宜。")
    click_and_confirm(
        city, city.get_by_role("button", name="按建议方案确定岗位"), "按建议方案确定岗位吗？"
    )
    expect(message(city)).to_contain_text("岗位已确定")
    bulk = city.locator("form").filter(has=city.get_by_role("button", name="批量办理"))
    expect(bulk).to_contain_text(re.compile(r"已确定岗位 [1-9]\d* 人"))

    # The matched candidates pass the comparison level together; the others are declined.
    city.get_by_label(re.compile("同时将未安排岗位的人选在本级记为不通过")).check()
    click_and_confirm(
        city,
        city.get_by_role("button", name="批量办理"),
        "确定批量办理本级审核吗？",
    )
    expect(message(city)).to_contain_text(re.compile(r"“市委组织部综合比选”：通过 \d+ 人"))
    expect(seat.get_by_text("已确定")).to_be_visible()

    # 市委审批, then 报中组部备案 — which refuses to pass without the filing document.
    city.goto(nomination_url)
    expect(city.locator("main")).to_contain_text(post)
    expect(city.get_by_role("heading", name="市委审批")).to_be_visible()
    city.get_by_label("通过", exact=True).check()
    city.get_by_role("button", name="提交审核意见").click()
    expect(message(city)).to_contain_text("审核结果已记录")
    expect(city.get_by_role("heading", name="报中组部备案")).to_be_visible()
    city.get_by_label("通过", exact=True).check()
    city.get_by_role("button", name="提交审核意见").click()
    refusals = message(city, "danger")
    expect(refusals.filter(has_text="备案文号：本级须登记备案文号")).to_be_visible()
    expect(refusals.filter(has_text="备案日期：本级须登记备案日期")).to_be_visible()
    expect(city.locator("main")).not_to_contain_text("已备案")

    document = f"沈组干备〔{date.today().year}〕{date.today():%m%d}号"
    city.get_by_label("通过", exact=True).check()
    city.get_by_label("备案文号").fill(document)
    city.get_by_label("备案日期").fill(date.today().isoformat())
    city.get_by_role("button", name="提交审核意见").click()
    expect(message(city)).to_contain_text("审核结果已记录")
    heading = city.get_by_role("heading", level=1)
    expect(heading).to_contain_text("已备案")
    expect(city.locator("main")).to_contain_text(document)

    # The filing created his placement: from the nomination to the placement and the batch.
    city.get_by_role("link", name="在岗").click()
    expect(city.locator("main")).to_contain_text(CADRE)
    expect(city.locator("main")).to_contain_text(post)
    _open_batch(city)
    expect(city.locator("main")).not_to_contain_text("尚无任职记录")
    placements = city.locator("table").filter(has=city.get_by_role("columnheader", name="状态"))
    expect(placements.locator("tr").filter(has_text=CADRE)).to_contain_text("在岗")
