"""What this app plugs into the platform (called from AssessmentConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from guazhi.core import audit

    from . import models

    for model in (
        models.Indicator,
        models.PlanTemplate,
        models.TemplateItem,
        models.Plan,
        models.PlanItem,
        models.Policy,
        models.QuarterResult,
        models.Round,
        models.Entry,
        models.IndicatorScore,
        models.Rating,
        models.Appeal,
    ):
        audit.track(model)
