from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "guazhi.dashboard"
    label = "dashboard"
    verbose_name = _("领导看板")

    def ready(self) -> None:
        from guazhi.core.menu import MENU, MenuItem

        MENU.insert(
            1,
            MenuItem(_("领导看板"), "dashboard:index", "speedometer2", "programmes.view_placement"),
        )
