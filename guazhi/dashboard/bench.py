"""Dashboard benchmark (issue 9: under 300 ms server time on PostgreSQL at province scale, a
fixed number of queries). The data is `guazhi seed-scale`'s (core/scale): generated here when
the benchmark database holds none (GUAZHI_BENCH_SCALE, default 1.0 = 20,000 cadres, 20,000
projects, 1,000,000 daily records, 500,000 ratings; --quick uses 0.01), or the scale run
already in it (e.g. a database filled once with `guazhi seed-scale`).

Measured: `services.overview()` (the figures, i.e. every query) and the whole page through
Django's test client (figures + template + JSON for the charts), cold (cache cleared before
each call) and warm (the cached figures), for the city officer, a leader and a district
officer, with and without filters; median and p95 of the runs, and the number of queries."""

from __future__ import annotations

import os
import time
from datetime import date
from statistics import median

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guazhi.core.models import User

from . import services

RUNS = 15


def _data(out, quick: bool) -> str:
    """The user-name prefix of the scale run to measure (generating one if there is none)."""
    existing = User.objects.filter(username__regex=r"^sc[0-9]+_zzb$").order_by("-pk").first()
    if existing is not None:
        return existing.username[: -len("zzb")]
    from guazhi.core.scale import Sizes, generate

    scale = 0.01 if quick else float(os.environ.get("GUAZHI_BENCH_SCALE", "1.0"))
    t0 = time.perf_counter()
    # force: under `make bench` the other apps' benchmarks have filled this database first;
    # the scale run is written beside their rows (its own units, users and programmes).
    ctx = generate(Sizes().scaled(scale), force=True, write_line=lambda line: None)
    out.write(f"\n(seed-scale ×{scale} generated in {time.perf_counter() - t0:.0f} s)\n")
    return ctx.user_prefix


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def _time(fn, runs: int, cold: bool) -> tuple[float, float, int]:
    times, queries = [], 0
    for _ in range(runs):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        queries = len(captured.captured_queries)
    return median(times), _p95(times), queries


def run(out, quick: bool = False) -> None:
    from guazhi.cadres.models import Cadre
    from guazhi.deeds.models import Rating
    from guazhi.projects.models import Project
    from guazhi.records.models import DailyRecord

    prefix = _data(out, quick)
    runs = 5 if quick else RUNS
    users = {
        "city officer (all)": User.objects.get(username=f"{prefix}zzb"),
        "leader": User.objects.get(username=f"{prefix}lingdao"),
        "district officer": User.objects.filter(
            username__startswith=prefix, roles__code="district_officer"
        )
        .order_by("pk")
        .first(),
    }
    city = users["city officer (all)"]
    whole = services.overview(city)
    district = whole.districts[0] if whole.districts else ""
    year = date(whole.programme.batches.order_by("-number").first().start.year, 1, 1)
    cases = [(name, user, {}) for name, user in users.items() if user is not None] + [
        ("city officer, one district", city, {"district": district}),
        ("city officer, one year", city, {"start": year, "end": date(year.year, 12, 31)}),
    ]
    out.write(
        f"\n## Dashboard at province scale (issue 9, {connection.vendor})\n\n"
        f"{Cadre.objects.count():,} cadres, {Project.objects.count():,} projects, "
        f"{DailyRecord.objects.count():,} daily records, {Rating.objects.count():,} ratings; "
        f"the busiest programme ({whole.programme.name}, {whole.cadres.value:,} cadres in "
        f"{len(whole.batches)} batches, {whole.projects.value:,} projects). Milliseconds, "
        f"median / p95 of {runs} runs; cold = cache cleared before each run.\n\n"
        "| Viewer | Figures cold | Queries | Page cold | Page warm (cached figures) |\n"
        "|---|---:|---:|---:|---:|\n"
    )
    for name, user, filters in cases:
        client = Client()
        client.force_login(user)
        params = "&".join(f"{k}={v}" for k, v in filters.items())

        def figures(user=user, filters=filters):
            services.overview(user, **filters)

        def page(client=client, params=params):
            response = client.get(f"/dashboard/?{params}")
            assert response.status_code == 200, response.status_code

        f_med, f_p95, queries = _time(figures, runs, cold=True)
        p_med, p_p95, _q = _time(page, runs, cold=True)
        w_med, w_p95, _q = _time(page, runs, cold=False)
        out.write(
            f"| {name} | {f_med:.0f} / {f_p95:.0f} | {queries} | {p_med:.0f} / {p_p95:.0f} "
            f"| {w_med:.0f} / {w_p95:.0f} |\n"
        )
