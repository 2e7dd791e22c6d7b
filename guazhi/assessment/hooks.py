"""What this app plugs into the platform (called from AssessmentConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from guazhi.cadres.sections import PROFILE_SECTIONS
    from guazhi.core import audit, notices
    from guazhi.core.menu import HOME_CARDS

    from . import models, views

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
    # Ratings still to give in open rounds, and plans waiting for the cadre's agreement.
    notices.PROVIDERS.append(views.reminders)
    HOME_CARDS.append(views.home_cards)
    PROFILE_SECTIONS.append(views.profile_section)
