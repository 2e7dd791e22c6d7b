"""Cadre benchmarks (issue: roster import ≤ 10 s for 10,000 rows and ≤ 3x reading the file;
the filtered list's first page < 100 ms at 20,000 cadres with a query count that does not
grow). Figures go to docs/benchmarks.md."""

from __future__ import annotations

import io
import random
import statistics
import time
from datetime import date

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from stdnum.cn import ric

from guazhi.core.models import OrgUnit, Role, User

from . import roster
from .models import Cadre, ExpertiseTag, Rank


def _units() -> list[OrgUnit]:
    root, _ = OrgUnit.objects.get_or_create(
        code="B", defaults={"name": "基准市委组织部", "kind": "org_dept"}
    )
    units = []
    for i in range(40):
        unit, _ = OrgUnit.objects.get_or_create(
            code=f"B-{i}", defaults={"name": f"基准单位{i}", "kind": "sending", "parent": root}
        )
        units.append(unit)
    return units


def _ident(rng, birth, male):
    first17 = (
        f"210102{birth:%Y%m}{rng.randint(10, 28):02d}{rng.randint(0, 99):02d}"
        f"{rng.choice('13579' if male else '02468')}"
    )
    return first17 + ric.calc_check_digit(first17 + "0")


def _bulk_cadres(n: int, units, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311
    ranks = list(Rank.objects.all())
    seen = set(Cadre.objects.values_list("id_number_hash", flat=True))
    batch = []
    while len(batch) < n:
        male = rng.random() < 0.6
        birth = date(rng.randint(1965, 2000), rng.randint(1, 12), 1)
        ident = _ident(rng, birth, male)
        cadre = Cadre(
            name=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["明", "丽", "强", "华"]),
            gender="男" if male else "女",
            birth=birth,
            unit=rng.choice(units),
            rank=rng.choice(ranks),
            current_post="科员",
            fulltime_education="大学",
        )
        cadre.id_number = ident
        if cadre.id_number_hash in seen:
            continue
        seen.add(cadre.id_number_hash)
        cadre.mobile = f"138{rng.randint(10000000, 99999999)}"
        from .normalise import pinyin_initials

        cadre.name_initials = pinyin_initials(cadre.name)
        batch.append(cadre)
    with transaction.atomic():
        Cadre.objects.bulk_create(batch, batch_size=2000)


def _roster_file(rows: int, units) -> bytes:
    from openpyxl import Workbook

    rng = random.Random(99)  # noqa: S311
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(
        ["姓名", "性别", "出生年月", "民族", "身份证号", "所在单位", "现任职务", "手机号", "简历"]
    )
    seen = set()
    while len(seen) < rows:
        male = rng.random() < 0.6
        birth = date(rng.randint(1965, 2000), rng.randint(1, 12), 1)
        ident = _ident(rng, birth, male)
        if ident in seen:
            continue
        seen.add(ident)
        start = date(birth.year + 22, 7, 1)
        ws.append(
            [
                rng.choice("王李张刘陈") + "某",
                "男" if male else "女",
                f"{birth:%Y.%m}",
                "汉族",
                ident,
                rng.choice(units).name,
                "科员",
                f"139{rng.randint(10000000, 99999999)}",
                f"{start:%Y.%m}--  基准单位科员",
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run(out, quick: bool = False) -> None:
    units = _units()
    rows = 500 if quick else 10_000
    data = _roster_file(rows, units)

    def read_only():
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return sum(1 for _ in wb.active.iter_rows(values_only=True))

    _, t_read = _timed(read_only)
    report, t_check = _timed(
        lambda: roster.check(io.BytesIO(data), "bench.xlsx", by=None, default_unit=units[0])
    )
    assert report.is_valid, report.errors[:5]
    summary, t_import = _timed(lambda: roster.run_import(report, by=None, valid_only=False))
    report2, t_check2 = _timed(
        lambda: roster.check(io.BytesIO(data), "bench.xlsx", by=None, default_unit=units[0])
    )
    summary2, t_reimport = _timed(lambda: roster.run_import(report2, by=None, valid_only=False))
    out.write(f"\n### 花名册导入（{rows:,} 行 .xlsx，{len(data) / 1e6:.1f} MB）\n\n")
    out.write("| 步骤 | 秒 |\n|---|---|\n")
    out.write(f"| 仅读取文件（openpyxl 只读） | {t_read:.2f} |\n")
    out.write(f"| 检查（dry run） | {t_check:.2f} |\n")
    out.write(f"| 导入（{summary}） | {t_import:.2f} |\n")
    out.write(
        f"| **检查 + 导入** | **{t_check + t_import:.2f}**（读取的 "
        f"{(t_check + t_import) / t_read:.1f} 倍） |\n"
    )
    out.write(f"| 再次导入同一文件：检查 + 导入（{summary2}） | {t_check2 + t_reimport:.2f} |\n")

    # --- the list page at scale --------------------------------------------------------------
    officer, _ = User.objects.get_or_create(
        username="bench", defaults={"full_name": "基准", "unit": OrgUnit.objects.get(code="B")}
    )
    officer.roles.set([Role.objects.get(code="org_officer")])
    ExpertiseTag.objects.get_or_create(name="招商引资")
    client = Client()
    client.force_login(officer)
    urls = {
        "首页（默认排序）": "/cadres/",
        "筛选：80后 + 男 + 单位": f"/cadres/?cohort=1980&gender=男&unit={units[3].pk}",
        "搜索拼音首字母": "/cadres/?q=wm",
        "按年龄排序": "/cadres/?sort=-birth",
    }
    target = 2_000 if quick else 20_000
    table = []
    for size in (target // 10, target):
        have = Cadre.objects.count()
        if have < size:
            _bulk_cadres(size - have, units, seed=size)
        for label, url in urls.items():
            client.get(url)  # warm caches
            times = []
            for _ in range(15):
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            table.append((size, label, statistics.median(times), len(ctx.captured_queries)))
    out.write(f"\n### 干部名册列表第一页（{connection.vendor}）\n\n")
    out.write("| 干部数 | 页面 | 中位响应时间 ms | 查询数 |\n|---|---|---|---|\n")
    for size, label, ms, queries in table:
        out.write(f"| {size:,} | {label} | {ms:.1f} | {queries} |\n")
