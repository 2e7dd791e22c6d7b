"""The leader's dashboard in Chromium (issue 9): the charts are drawn (their canvases are not
blank) and a number leads to the records behind it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

BLANK = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def test_the_leader_sees_drawn_charts_and_reaches_the_cadres_behind_a_number(new_page):
    page = new_page("lingdao")
    page.get_by_role("link", name="领导看板").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("领导看板")
    for name in ("batches", "stages", "grades", "levels"):
        canvas = page.locator(f"[data-chart={name}] canvas")
        expect(canvas).to_have_count(1)
        assert canvas.evaluate(BLANK) > 500, f"the {name} chart is blank"
    page.locator("[data-batch='第4批'] [data-cohort='80后']").click()
    expect(page).to_have_url(re.compile(r"cohort="))
    expect(page.locator("main")).to_contain_text("共 15 条")
