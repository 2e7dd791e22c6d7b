from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "guazhi.records"
    label = "records"
    verbose_name = _("工作纪实")

    def ready(self) -> None:
        from guazhi.core.menu import MENU, MenuItem

        from . import hooks

        hooks.connect()
        MENU.insert(
            next(i for i, item in enumerate(MENU) if item.url_name == "teams:list") + 1,
            MenuItem(
                _("工作纪实"),
                "records:list",
                "journal-check",
                "records.view_dailyrecord",
                _("挂职管理"),
            ),
        )
