from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "guazhi.reports"
    label = "reports"
    verbose_name = _("统计报表")

    def ready(self) -> None:
        from guazhi.core.menu import MENU, MenuItem

        MENU.insert(
            2,
            MenuItem(_("统计报表"), "reports:index", "table", "programmes.view_placement"),
        )
