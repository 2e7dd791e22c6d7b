"""What this app plugs into the platform (called from DeedsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from guazhi.core import audit

    from . import models

    for model in (
        models.Policy,
        models.Status,
        models.Deed,
        models.Target,
        models.Evidence,
        models.StatusChange,
        models.LookBack,
        models.ReworkTask,
        models.Rectification,
        models.Appeal,
    ):
        audit.track(model)
    audit.track(models.PanelMember, masked=["mobile_encrypted", "token"])
    audit.track(models.Rating, masked=["mobile_encrypted", "rater_key"])
