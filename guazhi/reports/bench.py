"""Reports benchmark (issue 9: large exports stream — 20,000 rows without loading them all in
memory). The project ledger over 20,000 projects (the projects benchmark's generator), as the
org-department officer, through Django's test client: the CSV and the Excel file, the time to
the last byte and the peak of Python memory allocated while producing them (tracemalloc), so
that a file built in memory would show as a peak near its rows' size."""

from __future__ import annotations

import random
import time
import tracemalloc

from django.db import connection
from django.test import Client

from guazhi.projects import bench as projects_bench
from guazhi.projects.models import Project


def _download(client: Client, url: str) -> tuple[float, int, float]:
    """Time (a plain pass) and peak memory (a second pass under tracemalloc, which slows it)."""
    t0 = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    for _chunk in client.get(url).streaming_content:
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, size, peak / 2**20


def run(out, quick: bool = False) -> None:
    rng = random.Random(9)  # noqa: S311  (benchmark data)
    target = 2_000 if quick else 20_000
    programme, batches, cadres, units, officer, _district, owners = projects_bench._setup(rng)
    projects_bench._fill(target, programme, batches, cadres, units, owners, rng)
    rows = Project.objects.count()
    client = Client()
    client.force_login(officer)
    out.write(
        f"\n## Reports: streaming a large export (issue 9, {connection.vendor})\n\n"
        f"合作项目台账 over {rows:,} projects (all the officer may see), through the test client:\n\n"
        "| File | Rows | Size | Time to the last byte | Peak Python memory while producing it |\n"
        "|---|---:|---:|---:|---:|\n"
    )
    for fmt in ("csv", "xlsx"):
        seconds, size, peak = _download(client, f"/reports/projects/export.{fmt}")
        out.write(
            f"| {fmt} | {rows:,} | {size / 2**20:.1f} MiB | {seconds:.1f} s | {peak:.1f} MiB |\n"
        )
    _printing(out, client)


def _printing(out, client: Client) -> None:
    """The one-page profile PDF of the cadre with the most projects: median of five."""
    from statistics import median

    from django.db.models import Count

    from guazhi.cadres.models import Cadre

    cadre = Cadre.objects.annotate(n=Count("project_credits")).order_by("-n", "pk").first()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        response = client.get(f"/reports/print/cadres/{cadre.pk}.pdf")
        assert response.status_code == 200, response.status_code
        times.append(time.perf_counter() - t0)
    out.write(
        f"\nPrinting the one-page cadre profile (PDF, {len(response.content) / 1024:.0f} KiB, "
        f"{cadre.n} project credits): {median(times):.2f} s median of 5 — most of it is "
        "fontTools subsetting the CFF outlines of the embedded Noto CJK fonts.\n"
    )
