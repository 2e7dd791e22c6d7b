"""The gunicorn command line, one for `guazhi serve` and the benchmarks, so that what is
measured is what is served.

gthread workers: each of WEB_WORKERS processes (default: CPU cores + 1) runs WEB_THREADS
threads (default 4), keeps connections alive, and a request waiting for the database does
not hold a whole process. docs/benchmarks.md has the figures behind the defaults.

A worker accepts at most WEB_WORKER_CONNECTIONS connections at once (default 1.5 × its
threads, 6): gunicorn's own default (1,000) let one busy worker take connections it could not
serve yet while another sat idle, which doubled the slowest requests' time. With the limit
the rest wait in the listening socket's queue, where the first free worker takes them: at 16
clients on 2 cores the cadre list's p95 fell from 488 to 381 ms, the round page's from 795 to
613 ms and the API deeds' from 518 to 403 ms, at the same throughput (docs/benchmarks.md)."""

from __future__ import annotations

import os

from guazhi.settings import env_int  # a wrong value is refused with its name, in Chinese


def workers() -> int:
    return env_int("WEB_WORKERS", (os.cpu_count() or 1) + 1)


def threads() -> int:
    return env_int("WEB_THREADS", 4)


def worker_connections() -> int:
    return env_int("WEB_WORKER_CONNECTIONS", threads() + threads() // 2)


def gunicorn_args(bind: str, *, workers_: int | None = None) -> list[str]:
    return [
        "guazhi.wsgi:application",
        "--bind", bind,
        "--workers", str(workers_ or workers()),
        "--worker-class", "gthread",
        "--threads", str(threads()),
        "--worker-connections", str(worker_connections()),
        "--timeout", "120",
    ]  # fmt: skip
