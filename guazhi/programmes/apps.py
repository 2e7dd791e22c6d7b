from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "guazhi.programmes"
    label = "programmes"
    verbose_name = _("选派项目")

    def ready(self) -> None:
        from guazhi.cadres import access as cadre_access
        from guazhi.cadres.sections import PROFILE_SECTIONS
        from guazhi.core import audit
        from guazhi.core.menu import HOME_CARDS, MENU, MenuItem

        from . import access, models, views

        for model in (
            models.Programme,
            models.Batch,
            models.Post,
            models.PostRequirement,
            models.Placement,
            models.PlacementChange,
        ):
            audit.track(model)
        # Host units see the cadres placed with them (SPEC §3).
        cadre_access.EXTRA_VISIBILITY.append(access.hosted_cadres_q)
        HOME_CARDS.append(views.home_cards)
        PROFILE_SECTIONS.append(views.placements_section)
        at = next(i for i, item in enumerate(MENU) if item.url_name == "cadres:tags") + 1
        MENU.insert(
            at,
            MenuItem(
                _("选派项目"),
                "programmes:list",
                "briefcase",
                "programmes.view_programme",
                _("选派"),
            ),
        )
        MENU.insert(
            at + 1,
            MenuItem(
                _("任职记录"),
                "programmes:placements",
                "geo-alt",
                "programmes.view_placement",
                _("选派"),
            ),
        )
