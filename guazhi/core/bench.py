"""The core app's benchmark: the load suite (loadbench.py) — the main pages and API lists
under gunicorn with 16 concurrent wrk clients at province scale, against the framework's
floor. `guazhi bench --only core` (or `--suite load`) on the configured database."""

from __future__ import annotations


def run(out, quick: bool = False) -> None:
    from . import loadbench

    loadbench.run(out, quick=quick)
