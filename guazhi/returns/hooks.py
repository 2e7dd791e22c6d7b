"""What this app plugs into the platform (called from ReturnsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from guazhi.cadres.sections import PROFILE_SECTIONS
    from guazhi.core import audit, notices

    from . import models, services, views

    for model in (models.ReturnRecord, models.FollowUp, models.CareerEvent):
        audit.track(model)
    # Follow-ups due or overdue, and returns not yet recorded (`guazhi remind`).
    notices.PROVIDERS.append(services.reminders)
    # The cadre profile's 返岗与职业发展 card.
    PROFILE_SECTIONS.append(views.profile_section)
