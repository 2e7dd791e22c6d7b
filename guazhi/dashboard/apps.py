from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "guazhi.dashboard"
    label = "dashboard"
    verbose_name = _("领导看板")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from guazhi.core.menu import MENU, MenuItem

        from .services import data_changed

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(data_changed, dispatch_uid=f"dashboard-{id(signal)}")

        MENU.insert(
            1,
            MenuItem(_("领导看板"), "dashboard:index", "speedometer2", "programmes.view_placement"),
        )
