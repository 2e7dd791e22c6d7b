from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeedsConfig(AppConfig):
    name = "guazhi.deeds"
    label = "deeds"
    verbose_name = _("办实事")

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
