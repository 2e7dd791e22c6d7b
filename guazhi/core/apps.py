from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "guazhi.core"
    label = "core"
    verbose_name = _("平台")

    def ready(self) -> None:
        from . import audit, dbtuning, roles, signals  # noqa: F401

        audit.connect_signals()
        roles.connect_signals()
        dbtuning.connect_signals()
