from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelectionConfig(AppConfig):
    name = "guazhi.selection"
    label = "selection"
    verbose_name = _("推荐选拔")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from guazhi.cadres.sections import PROFILE_SECTIONS
        from guazhi.core import audit
        from guazhi.core.menu import HOME_CARDS, MENU, MenuItem
        from guazhi.programmes.models import Programme

        from . import models, views

        for model in (
            models.ReviewLevel,
            models.Nomination,
            models.NominationStep,
            models.PairRule,
        ):
            audit.track(model)
        HOME_CARDS.append(views.home_cards)
        PROFILE_SECTIONS.append(views.nominations_section)
        post_save.connect(
            _default_levels, sender=Programme, dispatch_uid="selection_default_levels"
        )
        at = next(i for i, item in enumerate(MENU) if item.url_name == "programmes:placements")
        MENU.insert(
            at,
            MenuItem(
                _("推荐与审核"),
                "selection:list",
                "person-check",
                "selection.view_nomination",
                _("选派"),
            ),
        )


def _default_levels(sender, instance, created, raw=False, **kwargs):
    """A new programme starts with the national default review levels (editable)."""
    if created and not raw:
        from .services import levels_create_default

        levels_create_default(instance)
