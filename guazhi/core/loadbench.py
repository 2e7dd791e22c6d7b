"""The load benchmark (issue 10): the main pages and API lists under a real WSGI server with
concurrent clients, at province scale, on the configured database.

How: `guazhi seed-scale`'s data (generated when the database has none; reused when it has a
run of the wanted size), gunicorn started exactly as `guazhi serve` runs it (core/serving.py;
on 2 cores 3 workers × 4 threads), and wrk — a separate process, C with Lua scripts
(loadbench.lua) — 16 clients, each request on a new connection (as nginx passes requests
on by default; kept-alive connections stay with the worker that accepted them, which left a
core idle in half the runs), for a warm-up and then a fixed time per endpoint. Every page is fetched by the city organisation officer (scope "all", the largest
pages) signed in through the login form (session cookie and CSRF token as a browser keeps
them); the API lists with his API token; the public rating as citizens (below). Median, p95
and the latency figures are wrk's (its `done()` reads `latency:percentile()`); requests per
second are the requests completed in the measured time. The floor is the same server's
smallest JSON view (`/healthz.json`, the whole middleware stack, no database work): each
row's throughput is also given as a share of it. After the run: the RSS of every gunicorn
worker from /proc (the largest is the figure), and the worst page by p95 is profiled once
in-process (time, queries and the slowest of them).

The public rating: every request is a different citizen — a phone with its one-time code
issued beforehand (the SMS step is not measured) and his own address in X-Forwarded-For, as
the proxy in front passes it (TRUSTED_PROXY_COUNT=1) — so the per-address limit
(deeds.services.RATINGS_PER_CLIENT, 60 a minute) and the one-rating-per-phone rule apply as
in production without refusing the benchmark; the submissions go in turn to 200 deeds open
for rating, one in five unhappy (which opens a rectification).

Results: printed as Markdown, kept as JSON in GUAZHI_VAR_DIR (loadbench-<database>.json) and,
except with --quick, written into docs/benchmarks.md between the markers of this database
(`write_doc`), the rest of the file untouched."""

from __future__ import annotations

import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection

CLIENTS = int(os.environ.get("GUAZHI_BENCH_CLIENTS") or 16)
SECONDS = int(os.environ.get("GUAZHI_BENCH_SECONDS") or 12)
WARMUP = 3
WRK_THREADS = 2
TARGET_P95_MS = 300
TARGET_FLOOR_SHARE = 0.20  # the dashboard's throughput, as a share of the floor's
TARGET_RSS_MB = 300
SEED_SCALE_TARGET_S = 600  # issue 10: the province-scale data in under 10 minutes
PASSWORD = "Guazhi@2026"  # seed-scale's default
CODE = "135790"
SCRIPT = Path(__file__).with_name("loadbench.lua")
DOC = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
VENDORS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


@dataclass
class Endpoint:
    key: str
    label: str
    paths: list[str]
    auth: str = "session"  # session | token | none
    mode: str = "get"  # get | rate
    p95_target: bool = True
    floor_target: float | None = None  # least share of the floor's throughput
    expect: int = 200
    result: dict = field(default_factory=dict)


# --- reading wrk, judging, writing -------------------------------------------------------------


def parse_wrk(stdout: str) -> dict:
    """The figures of the BENCH_RESULT line loadbench.lua's done() prints; milliseconds and
    requests per second added."""
    for line in stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            data = json.loads(line[len("BENCH_RESULT ") :])
            break
    else:
        raise ValueError("wrk printed no BENCH_RESULT line:\n" + stdout[-2000:])
    seconds = data["duration_us"] / 1e6
    data["statuses"] = {int(k): v for k, v in data["statuses"].items()}
    data["rps"] = data["requests"] / seconds if seconds else 0.0
    for name in ("p50", "p90", "p95", "p99", "max"):
        data[f"{name}_ms"] = data[f"{name}_us"] / 1000
    data["socket_errors"] = sum(v for k, v in data["errors"].items() if k != "status")
    return data


def unexpected(result: dict, expect: int) -> int:
    """Responses other than the expected status, and socket errors."""
    good = result["statuses"].get(expect, 0)
    return sum(result["statuses"].values()) - good + result["socket_errors"]


def verdict(ep: Endpoint, floor_rps: float | None) -> tuple[str, bool | None]:
    """The target column: what the target is, met or by how much it is missed."""
    r = ep.result
    parts, ok = [], None
    if ep.p95_target:
        if r["p95_ms"] < TARGET_P95_MS:
            parts.append(f"p95 < {TARGET_P95_MS} ms: met")
            ok = True
        else:
            over = r["p95_ms"] - TARGET_P95_MS
            parts.append(
                f"p95 < {TARGET_P95_MS} ms: **missed by {over:,.0f} ms** "
                f"(+{over / TARGET_P95_MS:.0%})"
            )
            ok = False
    if ep.floor_target is not None and floor_rps:
        share = r["rps"] / floor_rps
        if share >= ep.floor_target:
            parts.append(f"≥ {ep.floor_target:.0%} of the floor: met")
            ok = ok is not False
        else:
            parts.append(
                f"≥ {ep.floor_target:.0%} of the floor: **missed** ({share:.1%}, "
                f"{ep.floor_target * floor_rps - r['rps']:,.0f} req/s short)"
            )
            ok = False
    if not r["requests"]:
        return "**no response in the measured time**", False
    bad = unexpected(r, ep.expect)
    if bad:
        parts.append(f"**{bad:,} responses not {ep.expect}**")
        ok = False
    return "; ".join(parts) or "—", ok


def render(results: dict) -> str:
    """The Markdown block of one database's run."""
    m = results["meta"]
    rows = results["rows"]
    floor = next((r for r in rows if r["key"] == "floor"), None)
    lines = [
        f"### {m['database']} — {m['date']}",
        "",
        f"Machine: {m['machine']}. Load average at the start: {m['load_start']} (1 / 5 / 15 "
        f"min), at the end: {m['load_end']}. Server: gunicorn {m['server']}; load: wrk "
        f"{m['wrk']}, {m['clients']} connections from {m['wrk_threads']} threads on the same "
        f"machine, {m['warmup']} s warm-up then {m['seconds']} s per row. Data: {m['data']}. "
        f"Viewer: {m['viewer']}.",
        "",
        "| Endpoint | Median ms | p95 ms | Requests/s | × floor | Machine CPU per request, "
        "ms | Not 2xx / errors | Largest worker RSS after it, MB | Target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        share = f"{r['rps'] / floor['rps']:.2f}" if floor and floor["rps"] else "—"
        lines.append(
            f"| {r['label']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['rps']:,.0f} | "
            f"{share} | {cpu_ms(r, m)} | {r['unexpected']:,} | {r.get('rss_mb', 0):.0f} | "
            f"{r['verdict']} |"
        )
    mem = results["memory"]
    lines.append(
        f"| **worker memory**: the largest gunicorn worker's RSS after the run; its peak; "
        f"{mem.get('start_mb', 0):.0f} MB after the first requests | | | | | | | | "
        f"{memory_verdict(mem)} |"
    )
    lines.append("")
    met = sum(1 for r in rows if r["ok"] is True)
    judged = sum(1 for r in rows if r["ok"] is not None)
    lines.append(
        f"Targets met: {met} of {judged} rows"
        + ("" if m["vendor"] == "postgresql" else " (the p95 target is set for PostgreSQL)")
        + f"; worker memory after the run "
        f"{'met' if mem['max_rss_mb'] < TARGET_RSS_MB else 'missed'}, at its peak "
        f"{'met' if mem['max_hwm_mb'] < TARGET_RSS_MB else 'missed'}."
    )
    if any(r["ok"] is False for r in rows):
        need = m["clients"] / (TARGET_P95_MS / 1000)
        lines.append(
            f"\nWhy a p95 is missed, in general: the {m['clients']} clients send their next "
            f"request as soon as the last is answered, so the latency is about {m['clients']} ÷ "
            f"the throughput; a p95 under {TARGET_P95_MS} ms needs more than {need:.0f} "
            f"requests/s, that is at most about {m.get('cores', 1) * 1000 / need:.0f} ms of "
            f"the machine's CPU per request (server, database and wrk together on "
            f"{m.get('cores', 1)} cores)."
        )
    prof = results.get("profile")
    if prof:
        lines += [
            "",
            f"Slowest page by p95: {prof['label']}, profiled once in-process (one request "
            f"through Django's test client, no load; the dashboard's cache cleared first): "
            f"{prof['ms']:.0f} ms, {prof['queries']} queries taking {prof['sql_ms']:.0f} ms "
            f"in all. The slowest queries:",
            "",
        ]
        for q in prof["slowest"]:
            lines.append(f"- {q['ms']:.0f} ms: `{q['sql']}`")
    return "\n".join(lines) + "\n"


def memory_verdict(mem: dict) -> str:
    def judge(mb: float) -> str:
        if mb < TARGET_RSS_MB:
            return "met"
        return f"**over by {mb - TARGET_RSS_MB:.0f} MB**"

    text = (
        f"< {TARGET_RSS_MB} MB: {mem['max_rss_mb']:.0f} MB after the run, "
        f"{judge(mem['max_rss_mb'])}; peak {mem['max_hwm_mb']:.0f} MB, {judge(mem['max_hwm_mb'])}"
    )
    if mem["max_hwm_mb"] >= TARGET_RSS_MB > mem["max_rss_mb"]:
        text += " (the sign-in's Argon2 password hash takes 100 MiB for a moment)"
    return text


def cpu_ms(row: dict, meta: dict) -> str:
    """CPU time of the whole machine (server, database and wrk) per request: busy share ×
    cores × seconds ÷ requests. With 16 clients always waiting, latency ≈ 16 ÷ throughput, so
    this is what decides it."""
    if not row.get("requests") or "busy" not in row:
        return "—"
    total = row["busy"] * meta.get("cores", 1) * meta["seconds"] * 1000
    return f"{total / row['requests']:.1f}"


def markers(vendor: str) -> tuple[str, str]:
    return (f"<!-- loadbench:{vendor}:begin -->", f"<!-- loadbench:{vendor}:end -->")


def replace_section(text: str, vendor: str, body: str) -> str:
    """`text` with the part between this database's markers replaced by `body`; the markers
    are added at the end of the file when missing. Nothing else changes."""
    begin, end = markers(vendor)
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text and text.index(begin) < text.index(end):
        start = text.index(begin)
        stop = text.index(end) + len(end)
        return text[:start] + block + text[stop:]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def write_doc(results: dict, path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(text, results["meta"]["vendor"], render(results)), "utf-8")


# --- the machine --------------------------------------------------------------------------------


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    except (OSError, TypeError):
        mem_kb = 0
    return (
        f"{model or platform.processor()}, {os.cpu_count()} cores, "
        f"{mem_kb / 1024**2:.1f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def rss(pids: list[int]) -> list[tuple[float, float]]:
    """(VmRSS, VmHWM) in MB of each process."""
    out = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
        out.append((int(values.get("VmRSS", 0)) / 1024, int(values.get("VmHWM", 0)) / 1024))
    return out


# --- the data -----------------------------------------------------------------------------------


def scale_data(out, quick: bool) -> str:
    """The user-name prefix of the scale run to measure; generates one when there is none.
    A full run wants the full size (GUAZHI_BENCH_SCALE × the defaults): smaller data left by
    a quick run is refused with what to do."""
    from guazhi.cadres.models import Cadre
    from guazhi.core.models import User
    from guazhi.core.scale import Sizes, generate

    scale = 0.01 if quick else float(os.environ.get("GUAZHI_BENCH_SCALE", "1.0"))
    wanted = Sizes().scaled(scale)
    existing = User.objects.filter(username__regex=r"^sc[0-9]+_zzb$").order_by("-pk").first()
    if existing is not None:
        prefix = existing.username[: -len("zzb")]
        have = Cadre.objects.filter(unit__code__startswith=prefix.upper()[:-1] + "-").count()
        if quick or have >= wanted.cadres:
            return prefix
        raise RuntimeError(
            f"基准数据库中的规模数据只有 {have:,} 名干部（需要 {wanted.cadres:,}）："
            "请用 make bench BENCH_FRESH=1 重新生成"
        )
    t0 = time.perf_counter()
    load = load_average()
    out.write(f"(生成规模数据 ×{scale} generating seed-scale data…)\n")
    out.flush()
    ctx = generate(wanted, password=PASSWORD, write_line=lambda line: out.write(line + "\n"))
    seconds = time.perf_counter() - t0
    out.write(f"(seed-scale ×{scale} generated in {seconds:.0f} s)\n")
    if not quick:
        _generation_file().write_text(
            json.dumps(
                {
                    "prefix": ctx.user_prefix,
                    "scale": scale,
                    "seconds": round(seconds, 1),
                    "load_start": load,
                    "date": datetime.now(UTC).strftime("%Y-%m-%d"),
                }
            ),
            "utf-8",
        )
    return ctx.user_prefix


def _generation_file() -> Path:
    return Path(settings.VAR_DIR, f"seed-scale-{connection.vendor}.json")


def generation_note(prefix: str) -> str:
    """How long `seed-scale` took to make this data, against its 10-minute target, when this
    machine generated it (the file written by scale_data)."""
    try:
        made = json.loads(_generation_file().read_text("utf-8"))
    except (OSError, ValueError):
        return "; its generation time was not recorded here"
    if made.get("prefix") != prefix:
        return "; its generation time was not recorded here"
    seconds = made["seconds"]
    limit = SEED_SCALE_TARGET_S
    verdict = (
        "met"
        if seconds < limit
        else f"**missed by {(seconds - limit) / 60:.1f} min** (+{(seconds / limit - 1) * 100:.0f}%)"
    )
    return (
        f"; generated by `guazhi seed-scale` (×{made['scale']}) on {made['date']} in "
        f"{int(seconds // 60)} min {seconds % 60:.0f} s, load average {made['load_start']} at "
        f"its start (target under {limit // 60} min: {verdict})"
    )


def endpoints(prefix: str, quick: bool) -> list[Endpoint]:
    from django.db.models import Count

    from guazhi.assessment.models import Round
    from guazhi.cadres.models import Cadre
    from guazhi.deeds.models import Deed, Status

    tag = prefix.upper()[:-1] + "-"  # unit codes of the run: SC1-…
    cadres = list(
        Cadre.objects.filter(unit__code__startswith=tag, user__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    step = max(1, len(cadres) // 50)
    profiles = [f"/cadres/{pk}/" for pk in cadres[::step][:50]]
    round_ = (
        Round.objects.filter(batch__programme__owner_unit__code=tag[:-1], status="open")
        .annotate(n=Count("entries"))
        .order_by("-n", "pk")
        .first()
    )
    deeds = list(
        Deed.objects.filter(unit__code__startswith=tag, closed_on__isnull=True)
        .exclude(status__kind=Status.Kind.CLOSED)
        .order_by("pk")
        .values_list("public_key", flat=True)[:200]
    )
    eps = [
        Endpoint("floor", "floor: `GET /healthz.json` (no session)", ["/healthz.json"], "none",
                 p95_target=False),
        Endpoint("floor_session", "floor signed in: `/healthz.json` with the session",
                 ["/healthz.json"], p95_target=False),
        Endpoint("cadre_list", "cadre list `/cadres/`", ["/cadres/"]),
        Endpoint("cadre_profile", f"cadre profile `/cadres/<id>/` ({len(profiles)} cadres in turn)",
                 profiles),
        Endpoint("board", "project board `/projects/board/`", ["/projects/board/"]),
        Endpoint("funnel", "funnel `/projects/funnel/`", ["/projects/funnel/"]),
        Endpoint("dashboard", "dashboard `/dashboard/`", ["/dashboard/"],
                 floor_target=TARGET_FLOOR_SHARE),
    ]  # fmt: skip
    if round_ is not None:
        eps.append(
            Endpoint(
                "round",
                f"assessment round `/assessment/rounds/<id>/` ({round_.n} entries, open)",
                [f"/assessment/rounds/{round_.pk}/"],
            )
        )
    eps.append(
        Endpoint(
            "rate",
            f"public rating submit `POST /api/v1/public/deeds/<key>/ratings/` "
            f"({len(deeds)} deeds in turn, a new citizen each)",
            [f"/api/v1/public/deeds/{key}/ratings/" for key in deeds],
            "none",
            "rate",
            expect=201,
        )
    )
    for path in ("cadres", "projects", "deeds", "placements", "daily-records"):
        eps.append(Endpoint(f"api_{path}", f"API list `/api/v1/{path}/`", [f"/api/v1/{path}/"],
                            "token"))  # fmt: skip
    return eps


def phone(run: int, tid: int, k: int) -> str:
    """The phone loadbench.lua sends for request k of wrk thread `tid` in run `run`."""
    return f"15{run:04d}{tid}{k:04d}"


def issue_codes(threads: int, per_thread: int) -> int:
    """One-time codes for the phones of two runs (warm-up and measurement) that no earlier
    benchmark on this database used (each phone rates each deed once); returns the first
    run's number."""
    import random

    from django.utils import timezone

    from guazhi.core import crypto
    from guazhi.deeds import services
    from guazhi.deeds.models import PhoneCode

    if per_thread > 10_000:
        raise ValueError("at most 10,000 phones per wrk thread")
    rng = random.Random()  # noqa: S311 (not a secret: fictional phones)
    while True:
        run = rng.randrange(0, 9999)
        keys = [services.phone_key(phone(r, 0, 0)) for r in (run, run + 1)]
        if not PhoneCode.objects.filter(phone_key__in=keys).exists():
            break
    expires = timezone.now() + timedelta(hours=2)
    rows = []
    for r in (run, run + 1):
        for tid in range(threads):
            for k in range(per_thread):
                key = services.phone_key(phone(r, tid, k))
                rows.append(
                    PhoneCode(
                        phone_key=key,
                        code_hash=crypto.blind_index(f"{key}:{CODE}"),
                        expires_at=expires,
                    )
                )
    PhoneCode.objects.bulk_create(rows, batch_size=2000)
    return run


# --- signing in ---------------------------------------------------------------------------------


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def sign_in(port: int, username: str) -> str:
    """The Cookie header of a browser signed in through the login form (CSRF included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    page = response.read().decode()
    jar = _cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    conn.request(
        "POST",
        "/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        },
    )
    response = conn.getresponse()
    response.read()
    jar.update(_cookies(response))
    conn.close()
    if response.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"登录 {username} 失败（HTTP {response.status}；密码应为 {PASSWORD}）")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def api_token(port: int, username: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": username, "password": PASSWORD})
    conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read() or b"{}")
    conn.close()
    if "token" not in data:
        raise RuntimeError(f"API token for {username}: HTTP {response.status} {data}")
    return data["token"]


def check(port: int, path: str, headers: dict, expect: int = 200) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != expect:
        raise RuntimeError(f"{path}: HTTP {response.status}, expected {expect}")


# --- measuring ----------------------------------------------------------------------------------


def wrk(port: int, ep: Endpoint, seconds: int, run: int, per_thread: int, auth: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(ep.paths) + "\n")
        paths_file = f.name
    cookie = auth["cookie"] if ep.auth == "session" else ""
    authorization = f"Token {auth['token']}" if ep.auth == "token" else ""
    args = [
        shutil.which("wrk") or "wrk",
        "-t", str(WRK_THREADS), "-c", str(CLIENTS), "-d", f"{seconds}s", "--timeout", "30s",
        "-s", str(SCRIPT), f"http://127.0.0.1:{port}",
        "--", ep.mode, paths_file, cookie, authorization, str(run), str(per_thread), CODE,
    ]  # fmt: skip
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120)  # noqa: S603
    finally:
        os.unlink(paths_file)
    if done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    return parse_wrk(done.stdout)


def profile(path: str, username: str) -> dict:
    """One request in-process: time, queries and the three slowest."""
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from guazhi.core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get(path)  # imports, templates
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        t0 = time.perf_counter()
        response = client.get(path)
        ms = (time.perf_counter() - t0) * 1000
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    slowest = sorted(queries, reverse=True)[:3]
    return {
        "status": response.status_code,
        "ms": ms,
        "queries": len(queries),
        "sql_ms": sum(t for t, _ in queries),
        "slowest": [{"ms": t, "sql": re.sub(r"\s+", " ", sql)[:220]} for t, sql in slowest],
    }


def run(out, quick: bool = False) -> dict:
    from guazhi.cadres.models import Cadre
    from guazhi.core import serving
    from guazhi.deeds.bench import _free_port, _machine_busy, _server, _tree
    from guazhi.deeds.models import Rating
    from guazhi.projects.models import Project
    from guazhi.records.models import DailyRecord

    if shutil.which("wrk") is None:
        raise RuntimeError("需要 wrk（负载测试客户端）：apt-get install wrk，或用 make bench")
    vendor = connection.vendor
    seconds, warmup = (3, 1) if quick else (SECONDS, WARMUP)
    load_start = load_average()
    prefix = scale_data(out, quick)
    username = f"{prefix}zzb"
    eps = endpoints(prefix, quick)
    only = os.environ.get("GUAZHI_BENCH_ROWS")  # e.g. "floor,rate": these rows only
    if only:
        eps = [ep for ep in eps if ep.key == "floor" or ep.key in only.split(",")]
    per_thread = min(10_000, math.ceil(800 * max(seconds, warmup) / WRK_THREADS))
    run = issue_codes(WRK_THREADS, per_thread)
    connection.close()  # the server's workers take the database from here

    port = _free_port()
    proc = _server(port)
    try:
        auth = {"cookie": sign_in(port, username), "token": api_token(port, username)}
        for ep in eps:
            if ep.mode == "get":
                headers = {}
                if ep.auth == "session":
                    headers["Cookie"] = auth["cookie"]
                elif ep.auth == "token":
                    headers["Authorization"] = f"Token {auth['token']}"
                check(port, ep.paths[0], headers)
        start_mb = max((a for a, _b in rss(_tree(proc.pid)[1:])), default=0)
        for ep in eps:
            out.write(f"  {ep.key:<16}")
            out.flush()
            wrk(port, ep, warmup, run, per_thread, auth)
            busy = _machine_busy()
            ep.result = wrk(port, ep, seconds, run + 1, per_thread, auth)
            after = _machine_busy()
            ep.result["busy"] = (after[0] - busy[0]) / max(1, after[1] - busy[1])
            ep.result["rss_mb"] = max((a for a, _b in rss(_tree(proc.pid)[1:])), default=0)
            bad = {k: v for k, v in ep.result["statuses"].items() if k != ep.expect}
            out.write(
                (f"{bad} " if bad else "")
                + f"{ep.result['p50_ms']:8.1f} ms {ep.result['p95_ms']:8.1f} ms "
                f"{ep.result['rps']:8.0f} /s {ep.result['rss_mb']:6.0f} MB\n"
            )
        workers = _tree(proc.pid)[1:]
        memory = rss(workers)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)

    floor = next(ep for ep in eps if ep.key == "floor").result["rps"]
    rows = []
    for ep in eps:
        text, ok = verdict(ep, floor)
        rows.append(
            {
                "key": ep.key,
                "label": ep.label,
                **{k: ep.result[k] for k in ("p50_ms", "p95_ms", "p99_ms", "rps", "requests")},
                "busy": ep.result["busy"],
                "rss_mb": ep.result["rss_mb"],
                "statuses": ep.result["statuses"],
                "unexpected": unexpected(ep.result, ep.expect),
                "verdict": text,
                "ok": ok,
            }
        )
    pages = [ep for ep in eps if ep.p95_target and ep.mode == "get" and ep.auth == "session"]
    prof = None
    if pages:
        worst = max(pages, key=lambda ep: ep.result["p95_ms"])
        prof = {"label": worst.label, **profile(worst.paths[0], username)}
    meta = {
        "vendor": vendor,
        "database": database_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_start": load_start,
        "load_end": load_average(),
        "server": f"{serving.workers()} workers × {serving.threads()} threads (gthread), "
        "as `guazhi serve` runs it",
        "wrk": _wrk_version(),
        "clients": CLIENTS,
        "cores": os.cpu_count() or 1,
        "wrk_threads": WRK_THREADS,
        "warmup": warmup,
        "seconds": seconds,
        "quick": quick,
        "data": (
            f"seed-scale run {prefix.rstrip('_')}: "
            f"{Cadre.objects.count():,} cadres, {Project.objects.count():,} projects, "
            f"{DailyRecord.objects.count():,} daily records, {Rating.objects.count():,} "
            "public ratings" + generation_note(prefix)
        ),
        "viewer": f"the city organisation officer {username} (scope: all)",
    }
    results = {
        "meta": meta,
        "rows": rows,
        "memory": {
            "workers_mb": [[round(a), round(b)] for a, b in memory],
            "start_mb": start_mb,
            "max_rss_mb": max((a for a, _b in memory), default=0),
            "max_hwm_mb": max((b for _a, b in memory), default=0),
        },
        "profile": prof,
    }
    Path(settings.VAR_DIR, f"loadbench-{vendor}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), "utf-8"
    )
    out.write("\n" + render(results))
    if not quick and os.environ.get("GUAZHI_BENCH_DOC", "1") != "0":
        write_doc(results)
        out.write(f"\n(written to {DOC})\n")
    return results


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)  # noqa: S607
    match = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return match[1] if match else "?"
