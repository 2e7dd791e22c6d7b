"""Deeds benchmark (issue 8: the public rating endpoint sustains at least 300 submissions per
second on PostgreSQL on these 2-core machines, and after a burst of concurrent submissions the
stored ratings equal exactly the accepted responses — nothing lost, nothing doubled).

A real server and real HTTP: gunicorn (3 worker processes × 4 threads, as `guazhi serve` would
run on 2 cores) is started on the benchmark database, behind a simulated proxy
(TRUSTED_PROXY_COUNT=1, each citizen with his own X-Forwarded-For address, as nginx would
pass it). Phones have their one-time codes issued beforehand (as the SMS step would), so every
request is a full submission: limits, code check, the rating and its audit entry. 48 client
threads with keep-alive connections send the burst; one phone in ten submits twice at the same
time (the second must be refused, never stored). Counted afterwards in the database: ratings
stored = responses 201."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from guazhi.core import crypto
from guazhi.core.models import OrgUnit, User

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
        sys.executable, "-m", "gunicorn", "guazhi.wsgi:application",
        "-b", f"127.0.0.1:{port}", "-w", "3", "-k", "gthread", "--threads", "4",
        "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])


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


def run(out, quick: bool = False) -> None:
    n = 600 if quick else 6000
    deed, phones = _setup(n)
    twice = phones[::10]
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
        start = time.perf_counter()
        statuses = _burst(port, deed.public_key, jobs, threads=48)
        seconds = time.perf_counter() - start
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    stored = Rating.objects.filter(deed=deed).count()
    accepted = statuses.get(201, 0)
    out.write(
        f"\n## Deeds: the public rating endpoint (issue 8, {connection.vendor})\n\n"
        f"{len(jobs):,} submissions ({len(phones):,} phones, {len(twice):,} of them twice at "
        f"once) from 48 client threads to gunicorn (3 workers × 4 threads):\n\n"
        "| Figure | Value |\n|---|---|\n"
        f"| time | {seconds:.2f} s |\n"
        f"| **submissions per second** | **{len(jobs) / seconds:.0f}** |\n"
        f"| responses | {dict(sorted(statuses.items(), key=str))} |\n"
        f"| ratings stored | {stored:,} |\n"
        f"| stored = accepted (201) | {'yes' if stored == accepted else 'NO'} |\n"
        f"| every phone stored once | "
        f"{'yes' if stored == len(phones) else f'no ({stored} of {len(phones)})'} |\n"
    )
