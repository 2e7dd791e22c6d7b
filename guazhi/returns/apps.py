from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "guazhi.returns"
    label = "returns"
    verbose_name = _("返岗跟踪")

    def ready(self) -> None:
        from guazhi.core.menu import MENU, MenuItem

        from . import hooks

        hooks.connect()
        MENU.insert(
            next(i for i, item in enumerate(MENU) if item.url_name == "records:list") + 1,
            MenuItem(
                _("返岗跟踪"),
                "returns:list",
                "arrow-return-left",
                "returns.view_returnrecord",
                _("挂职管理"),
            ),
        )
