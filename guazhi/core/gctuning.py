"""Python's cycle collector, tuned for a served worker (guazhi/wsgi.py).

A request builds thousands of short-lived objects (model instances, template nodes, dicts).
With the interpreter's defaults (a young collection every 700 new objects) each young
collection also walks every object that has survived into the older generations, and after
start-up those are Django's and the app's own: modules, URL patterns, model metadata, tens of
thousands of objects that live as long as the process. So:

- `freeze()` once the app is loaded (settings, models, every view module through the URL
  patterns): the objects alive then move to the permanent generation, which no collection
  walks again. CPython's documentation recommends it for pre-forking servers.
- a young collection every settings.GC_THRESHOLD (env GC_THRESHOLD, default 10,000) new
  objects instead of 700: a request's garbage is mostly freed by reference counting anyway;
  cycles wait a little longer.

Measured on the cadre list API at province scale (docs/benchmarks.md): 28 ms of CPU per request
with the defaults, 23 ms after this. GC_THRESHOLD=0 leaves the interpreter's defaults alone.
"""

from __future__ import annotations

import gc

from django.conf import settings


def after_startup() -> bool:
    """Loads the URL patterns (and so the views), collects once, then freezes what is alive and
    raises the young generation's threshold. Returns False when switched off."""
    young = settings.GC_THRESHOLD
    if young <= 0:
        return False
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — imports every view module now, not on request 1
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)
    return True
