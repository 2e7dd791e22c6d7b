"""What this app plugs into the platform (called from TeamsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from guazhi.core import audit

    from . import models

    for model in (
        models.WorkTeam,
        models.PartyBranch,
        models.RhythmRule,
        models.Meeting,
        models.Attendance,
        models.Attachment,
        models.Pairing,
        models.CheckIn,
    ):
        audit.track(model)
