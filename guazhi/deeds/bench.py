"""Deeds benchmark (issue 8: the public rating endpoint sustains at least 300 submissions per
second on PostgreSQL on these 2-core machines, and after a burst of concurrent submissions the
stored ratings equal exactly the accepted responses — nothing lost, nothing doubled).

A real server and real HTTP: gunicorn as `guazhi serve` runs it (core/serving.py; on 2 cores
3 worker processes × 4 threads) is started on the benchmark database, behind a simulated proxy
(TRUSTED_PROXY_COUNT=1, each citizen with his own X-Forwarded-For address, as nginx would
pass it). Phones have their one-time codes issued beforehand (as the SMS step would), so every
request is a full submission: limits, code check, the rating and its audit entry. 48 client
threads with keep-alive connections send the burst; one phone in ten submits twice at the same
time (the second must be refused, never stored). Counted afterwards in the database: ratings
stored = responses 201, an audit entry for each, and the chain verified. Three rounds, each
on a new deed; the median is the figure (runs on a shared 2-core machine vary by ±20 %).
CPU per submission from /proc: the gunicorn processes, and this process (the load)."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from guazhi.core import audit, crypto, serving
from guazhi.core.models import AuditEntry, AuditPending, OrgUnit, User

from . import services
from .models import Deed, PhoneCode, Rating

CODE = "246810"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(n: int) -> tuple[Deed, list[str]]:
    unit, _ = OrgUnit.objects.get_or_create(
        code="B-DEED", defaults={"name": "基准实事单位", "kind": "sending"}
    )
    user, _ = User.objects.get_or_create(username="bench_deeds", defaults={"unit": unit})
    deed = services.deed_create(
        by=user,
        title=f"基准实事{time.time_ns()}",
        content="基准",
        source="visit",
        category="housing",
        location="基准小区",
        unit=unit,
        opened_on=date.today() - timedelta(days=10),
        promised_on=date.today() + timedelta(days=10),
    )
    phones = [f"13{secrets.randbelow(10**9):09d}" for _ in range(n)]
    phones = list(dict.fromkeys(phones))
    expires = timezone.now() + timedelta(hours=1)
    rows = []
    for phone in phones:
        key = services.phone_key(phone)
        rows.append(
            PhoneCode(
                phone_key=key,
                code_hash=crypto.blind_index(f"{key}:{CODE}"),
                expires_at=expires,
            )
        )
    PhoneCode.objects.bulk_create(rows, batch_size=2000)
    return deed, phones


def _server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "TRUSTED_PROXY_COUNT": "1",
        "GUAZHI_VAR_DIR": str(settings.VAR_DIR),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    args = [
        sys.executable, "-m", "gunicorn", *serving.gunicorn_args(f"127.0.0.1:{port}"),
        "--log-level", "warning",
    ]  # fmt: skip
    # Its log (Django warns of every 4xx) to a file: a pipe nobody reads fills and blocks it.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        args, env=env, stdout=subprocess.DEVNULL, stderr=log
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    log.seek(0)
    raise RuntimeError("gunicorn did not start: " + log.read().decode()[-2000:])


def _burst(port: int, key: str, jobs: list[tuple[str, str]], threads: int) -> Counter:
    """Send every (phone, address) job; count the status codes."""
    path = f"/api/v1/public/deeds/{key}/ratings/"
    statuses: Counter = Counter()
    lock = threading.Lock()
    it = iter(jobs)

    def work():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: Counter = Counter()
        while True:
            with lock:
                job = next(it, None)
            if job is None:
                break
            phone, address = job
            body = json.dumps(
                {"mobile": phone, "code": CODE, "level": 4 if int(phone[-1]) % 5 else 2}
            )
            headers = {"Content-Type": "application/json", "X-Forwarded-For": address}
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                local[response.status] += 1
            except (OSError, http.client.HTTPException):
                local["error"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
        with lock:
            statuses.update(local)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return statuses


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            for child in f.read().split():
                pids += _tree(int(child))
    return pids


def _machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _round(n: int) -> dict:
    deed, phones = _setup(n)
    twice = set(phones[::10])
    # Each phone from its own address; a tenth send twice at once (adjacent in the queue).
    jobs = []
    for i, phone in enumerate(phones):
        address = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
        jobs.append((phone, address))
        if phone in twice:
            jobs.append((phone, address))
    port = _free_port()
    proc = _server(port)
    try:
        _burst(port, deed.public_key, [("13000000000", "10.255.255.1")], 1)  # warm up
        server = _tree(proc.pid)
        cpu_server, cpu_client = _cpu(server), time.process_time()
        busy = _machine_busy()
        start = time.perf_counter()
        statuses = _burst(port, deed.public_key, jobs, threads=CLIENTS)
        seconds = time.perf_counter() - start
        cpu_server = _cpu(server) - cpu_server
        cpu_client = time.process_time() - cpu_client
        busy = [b - a for a, b in zip(busy, _machine_busy(), strict=True)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    pending = AuditPending.objects.count()  # left by the round's last submissions
    audit.chain_pending()
    stored = Rating.objects.filter(deed=deed).count()
    ids = [str(pk) for pk in Rating.objects.filter(deed=deed).values_list("pk", flat=True)]
    entries = AuditEntry.objects.filter(object_type="deeds.rating", object_id__in=ids)
    return {
        "jobs": len(jobs),
        "phones": len(phones),
        "twice": len(twice),
        "seconds": seconds,
        "rate": len(jobs) / seconds,
        "statuses": statuses,
        "stored": stored,
        "entries": entries.count(),
        "pending": pending,
        "ms_server": cpu_server / len(jobs) * 1000,
        "ms_client": cpu_client / len(jobs) * 1000,
        "busy": busy[0] / busy[1] if busy[1] else 0.0,
    }


CLIENTS = 48
ROUNDS = 3


def run(out, quick: bool = False) -> None:
    rounds = [_round(600 if quick else 6000) for _ in range(1 if quick else ROUNDS)]
    verified = audit.verify()
    median = sorted(rounds, key=lambda r: r["rate"])[len(rounds) // 2]
    exact = all(r["stored"] == r["statuses"].get(201, 0) for r in rounds)
    once = all(r["stored"] == r["phones"] for r in rounds)
    audited = all(r["entries"] == r["stored"] for r in rounds)
    rates = ", ".join(f"{r['rate']:.0f}" for r in rounds)
    times = ", ".join(f"{r['seconds']:.1f}" for r in rounds)
    out.write(
        f"\n## Deeds: the public rating endpoint (issue 8, {connection.vendor})\n\n"
        f"{len(rounds)} rounds of {median['jobs']:,} submissions ({median['phones']:,} phones, "
        f"{median['twice']:,} of them twice at once) from {CLIENTS} client threads to "
        f"gunicorn ({serving.workers()} workers × {serving.threads()} threads, gthread, as "
        "`guazhi serve` runs), each round on a new deed:\n\n"
        "| Figure | Value |\n|---|---|\n"
        f"| **submissions per second** (median) | **{median['rate']:.0f}** |\n"
        f"| each round | {rates} /s ({times} s) |\n"
        f"| responses (median round) | {dict(sorted(median['statuses'].items(), key=str))} |\n"
        f"| stored = accepted (201), every round | {'yes' if exact else 'NO'} |\n"
        f"| every phone stored once, every round | {'yes' if once else 'NO'} |\n"
        f"| an audit entry per rating, every round | {'yes' if audited else 'NO'} |\n"
        f"| audit entries left pending by each round (chained afterwards) | "
        f"{', '.join(str(r['pending']) for r in rounds)} |\n"
        f"| audit chain verified afterwards | "
        f"{'yes' if verified.ok else 'NO: ' + verified.problem} ({verified.checked:,} entries) |\n"
        f"| CPU per submission: server / load generator | "
        f"{median['ms_server']:.2f} / {median['ms_client']:.2f} ms |\n"
        f"| machine busy during the round | {median['busy']:.0%} |\n"
    )
