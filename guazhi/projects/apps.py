from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "guazhi.projects"
    label = "projects"
    verbose_name = _("合作项目")

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
