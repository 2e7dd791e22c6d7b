"""What this app plugs into the platform (called from RecordsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from guazhi.cadres.sections import PROFILE_SECTIONS
    from guazhi.core import audit, notices
    from guazhi.core.menu import HOME_CARDS

    from . import models, services, views

    audit.track(models.DailyRecord)
    # Missing weekly records: the cadre, and his team's leader and deputies (`guazhi remind`).
    notices.PROVIDERS.append(services.weekly_reminders)
    HOME_CARDS.append(views.home_cards)
    PROFILE_SECTIONS.append(views.profile_section)
