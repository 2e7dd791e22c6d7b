"""What this app plugs into the platform (called from RecordsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from guazhi.core import audit

    from . import models

    audit.track(models.DailyRecord)
