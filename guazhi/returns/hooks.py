"""What this app plugs into the platform (called from ReturnsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from guazhi.core import audit

    from . import models

    for model in (models.ReturnRecord, models.FollowUp, models.CareerEvent):
        audit.track(model)
