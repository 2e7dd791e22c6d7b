from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "guazhi.teams"
    label = "teams"
    verbose_name = _("工作队")

    def ready(self) -> None:
        from guazhi.core.menu import MENU, MenuItem

        from . import hooks

        hooks.connect()
        MENU.insert(
            next(i for i, item in enumerate(MENU) if item.url_name == "programmes:placements") + 1,
            MenuItem(
                _("工作队与党支部"),
                "teams:list",
                "people-fill",
                "teams.view_workteam",
                _("挂职管理"),
            ),
        )
