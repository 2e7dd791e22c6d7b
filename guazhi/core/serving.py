"""The gunicorn command line, one for `guazhi serve` and the benchmarks, so that what is
measured is what is served.

gthread workers: each of WEB_WORKERS processes (default: CPU cores + 1) runs WEB_THREADS
threads (default 4), keeps connections alive, and a request waiting for the database does
not hold a whole process. docs/benchmarks.md has the figures behind the defaults."""

from __future__ import annotations

import os


def workers() -> int:
    return int(os.environ.get("WEB_WORKERS") or (os.cpu_count() or 1) + 1)


def threads() -> int:
    return int(os.environ.get("WEB_THREADS") or 4)


def gunicorn_args(bind: str, *, workers_: int | None = None) -> list[str]:
    return [
        "guazhi.wsgi:application",
        "--bind", bind,
        "--workers", str(workers_ or workers()),
        "--worker-class", "gthread",
        "--threads", str(threads()),
        "--timeout", "120",
    ]  # fmt: skip
