"""What this app plugs into the platform (called from TeamsConfig.ready()): audit tracking,
default rhythm rules for new programmes, reminder providers and the team leader's home card."""

from __future__ import annotations


def _default_rhythm(sender, instance, created, raw=False, **kwargs):
    """A new programme starts with models.DEFAULT_RHYTHM (editable at /teams/rhythm/<id>/)."""
    if created and not raw:
        from .services import ensure_default_rhythm

        ensure_default_rhythm(instance)


def connect() -> None:
    from django.db.models.signals import post_save

    from guazhi.core import audit, notices
    from guazhi.core.menu import HOME_CARDS
    from guazhi.programmes.models import Programme

    from . import models, services, views

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
    post_save.connect(_default_rhythm, sender=Programme, dispatch_uid="teams_default_rhythm")
    for provider in (services.rhythm_dues, services.checkin_dues):
        if provider not in notices.PROVIDERS:
            notices.PROVIDERS.append(provider)
    if views.home_cards not in HOME_CARDS:
        HOME_CARDS.append(views.home_cards)
    from guazhi.cadres import access as cadre_access

    from . import access

    if access.team_cadres_q not in cadre_access.EXTRA_VISIBILITY:
        cadre_access.EXTRA_VISIBILITY.append(access.team_cadres_q)
