"""`guazhi explain` (issue 10, "indexes and plans"): the slowest SQL of the main pages at
province scale, each with its PostgreSQL plan, so a reader can see why it takes what it takes.

How: every page and API list below (several with the filters the UI offers, so the indexes
behind them are exercised) is fetched in-process through Django's test client by the city
organisation officer of the `guazhi seed-scale` run (scope "all": the largest pages); once to
warm up, then with CaptureQueriesContext. The SELECTs captured are grouped by their text
(numbers and quoted strings folded, so a query run per page counts once, at its slowest), the
slowest `top` are run again under `EXPLAIN (ANALYZE, BUFFERS)` and printed as Markdown with
the page they came from, their time in the request and the plan's own execution time.

Only on a database whose name contains "bench" (the requests write sessions and audit rows),
with seed-scale data in it (`guazhi seed-scale`, or `guazhi bench`'s load suite, makes it).
On SQLite the plan is `EXPLAIN QUERY PLAN` (no timings in it)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from django.db import connection

DEFAULT_TOP = 10


@dataclass
class Captured:
    page: str
    ms: float
    sql: str
    runs: int = 1
    plan: str = ""
    plan_ms: float | None = None
    pages: set = field(default_factory=set)


def shape(sql: str) -> str:
    """The query's text with numbers and string literals folded: the same query for another
    row is the same shape."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return re.sub(r"\s+", " ", sql).strip()


def pages(prefix: str) -> list[tuple[str, str]]:
    """(label, path) of the pages measured, with values picked from the scale run."""
    from django.db.models import Count
    from django.db.models.functions import Length

    from guazhi.assessment.models import Round
    from guazhi.cadres.models import Cadre
    from guazhi.core.models import OrgUnit
    from guazhi.deeds.models import Deed
    from guazhi.projects.models import Project, Stage

    tag = prefix.upper()[:-1] + "-"  # unit codes of the run: SC1-…
    cadres = Cadre.objects.filter(unit__code__startswith=tag)
    some = list(cadres.order_by("pk").values_list("pk", flat=True)[::4000][:3])
    sample = cadres.order_by("pk").values("name", "name_initials").first() or {}
    surname = (sample.get("name") or "张")[:1]
    name3 = (
        cadres.annotate(n=Length("name")).filter(n=3).order_by("pk").values_list("name", flat=True)
    ).first() or "张三丰"
    initials = (sample.get("name_initials") or "z")[:2]
    district = (
        OrgUnit.objects.filter(code__startswith=tag, parent__code=tag[:-1])
        .annotate(n=Count("cadres"))
        .order_by("-n", "pk")
        .first()
    )
    district_unit = (
        OrgUnit.objects.filter(code__startswith=tag, path__startswith=district.path)
        .exclude(pk=district.pk)
        .annotate(n=Count("cadres"))
        .order_by("-n", "pk")
        .first()
        if district
        else None
    )
    projects = Project.objects.filter(programme__owner_unit__code=tag[:-1])
    project = projects.order_by("pk").values("title", "district", "stage_id").first() or {}
    stage = Stage.objects.filter(pk=project.get("stage_id")).first()
    deed = Deed.objects.filter(unit__code__startswith=tag).order_by("pk").first()
    round_ = (
        Round.objects.filter(batch__programme__owner_unit__code=tag[:-1], status="open")
        .annotate(n=Count("entries"))
        .order_by("-n", "pk")
        .first()
    )
    word = (project.get("title") or "项目")[:2]
    # Two characters hold no trigram (a sequential read); three and more use the trigram index.
    deed_word = (deed.title if deed else "道路")[:2]
    deed_word3 = (deed.title if deed else "道路改造")[:4]
    out = [
        ("cadre list", "/cadres/"),
        ("cadre list, name search", f"/cadres/?q={surname}"),
        ("cadre list, initials search", f"/cadres/?q={initials}"),
        ("cadre list, three-character name", f"/cadres/?q={name3}"),
        ("cadre list, gender + status", "/cadres/?gender=F&placement_status=finished"),
        ("cadre list, latest result", "/cadres/?latest_result=优秀"),
        ("cadre list, in the pool", "/cadres/?pool=any"),
        ("cadre list, by update", "/cadres/?sort=-updated_at"),
    ]
    if district_unit is not None:
        out.append(("cadre list, one unit", f"/cadres/?unit={district_unit.pk}"))
    if district is not None:
        out.append(("cadre list, one district", f"/cadres/?unit={district.pk}"))
    out += [(f"cadre profile {pk}", f"/cadres/{pk}/") for pk in some]
    out += [
        ("project list", "/projects/"),
        ("project list, search", f"/projects/?q={word}"),
        ("project list, red light", "/projects/?light=red"),
        ("project board", "/projects/board/"),
        ("funnel", "/projects/funnel/"),
        ("dashboard", "/dashboard/"),
        ("deed list", "/deeds/"),
        ("deed list, search", f"/deeds/?q={deed_word}"),
        ("deed list, longer search", f"/deeds/?q={deed_word3}"),
        ("deed list, overdue", "/deeds/?overdue=on"),
        ("record list", "/records/"),
        ("record list, cadre name", f"/records/?q={surname}"),
        ("placement list", "/programmes/placements/"),
        ("placement list, cadre name", f"/programmes/placements/?q={surname}"),
        ("nomination list", "/selection/"),
        ("returns ledger", "/returns/"),
        ("API cadres", "/api/v1/cadres/"),
        ("API projects", "/api/v1/projects/"),
        ("API projects, search", f"/api/v1/projects/?q={word}"),
        ("API deeds", "/api/v1/deeds/"),
        ("API deeds, search", f"/api/v1/deeds/?q={deed_word}"),
        ("API placements", "/api/v1/placements/"),
        ("API daily records", "/api/v1/daily-records/"),
    ]
    if stage is not None:
        out.append(("project list, one stage", f"/projects/?stage={stage.pk}"))
    if project.get("district"):
        out.append(("project list, district", f"/projects/?district={project['district']}"))
    if round_ is not None:
        out.append((f"assessment round ({round_.n} entries)", f"/assessment/rounds/{round_.pk}/"))
    return out


def scale_prefix() -> str:
    from guazhi.core.models import User

    user = User.objects.filter(username__regex=r"^sc[0-9]+_zzb$").order_by("-pk").first()
    if user is None:
        raise RuntimeError("数据库中没有规模数据：请先运行 guazhi seed-scale")
    return user.username[: -len("zzb")]


def capture(paths: list[tuple[str, str]], username: str, write=None) -> dict[str, Captured]:
    """Every SELECT of the pages, grouped by shape, each at its slowest."""
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from guazhi.core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    found: dict[str, Captured] = {}
    for label, path in paths:
        client.get(path)  # imports, templates, caches of the first request
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = client.get(path)
            ms = (time.perf_counter() - t0) * 1000
        if write:
            write(
                f"  {response.status_code} {ms:7.0f} ms {len(captured.captured_queries):3} "
                f"queries  {label}: {path}"
            )
        for q in captured.captured_queries:
            sql = q["sql"]
            if not re.match(r"\s*(SELECT|WITH)\b", sql, re.I):
                continue
            key = shape(sql)
            t = float(q["time"]) * 1000
            seen = found.get(key)
            if seen is None:
                found[key] = Captured(label, t, sql, pages={label})
                continue
            seen.runs += 1
            seen.pages.add(label)
            if t > seen.ms:
                seen.page, seen.ms, seen.sql = label, t, sql
    return found


def explain(sql: str) -> tuple[str, float | None]:
    """The plan of `sql` (run once more under EXPLAIN ANALYZE on PostgreSQL) and, there, its
    execution time in ms."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            lines = [row[0] for row in cursor.fetchall()]
            ms = None
            for line in lines:
                m = re.match(r"Execution Time: ([\d.]+) ms", line.strip())
                if m:
                    ms = float(m.group(1))
            return "\n".join(lines), ms
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall()), None


def run(out, top: int = DEFAULT_TOP, sql_chars: int = 1200) -> list[Captured]:
    db = connection.settings_dict
    if "bench" not in str(db["NAME"]):
        raise RuntimeError("只在名称含 bench 的数据库上运行（请求会写入会话和审计日志）")
    prefix = scale_prefix()
    write = lambda line: out.write(line + "\n")  # noqa: E731
    write(f"## EXPLAIN: the {top} slowest queries of the main pages ({connection.vendor})\n")
    write("```")
    found = capture(pages(prefix), prefix + "zzb", write)
    write("```\n")
    slowest = sorted(found.values(), key=lambda c: c.ms, reverse=True)[:top]
    for n, c in enumerate(slowest, 1):
        c.plan, c.plan_ms = explain(c.sql)
        again = f", {c.plan_ms:.1f} ms under EXPLAIN ANALYZE" if c.plan_ms is not None else ""
        also = f" (also on {len(c.pages) - 1} other pages)" if len(c.pages) > 1 else ""
        write(f"### {n}. {c.ms:.1f} ms — {c.page}{also}{again}\n")
        sql = re.sub(r"\s+", " ", c.sql)
        write("```sql\n" + (sql if len(sql) <= sql_chars else sql[:sql_chars] + " …") + "\n```")
        write("```\n" + c.plan + "\n```\n")
    return slowest
