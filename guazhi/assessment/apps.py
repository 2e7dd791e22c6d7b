from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "guazhi.assessment"
    label = "assessment"
    verbose_name = _("考核")

    def ready(self) -> None:
        from guazhi.core.menu import MENU, MenuItem

        from . import hooks

        hooks.connect()
        MENU.insert(
            next(i for i, item in enumerate(MENU) if item.url_name == "records:list") + 1,
            MenuItem(
                _("考核"),
                "assessment:list",
                "clipboard-check",
                "assessment.view_round",
                _("挂职管理"),
            ),
        )
