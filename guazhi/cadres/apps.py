from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CadresConfig(AppConfig):
    name = "guazhi.cadres"
    label = "cadres"
    verbose_name = _("干部")

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from guazhi.core import audit
        from guazhi.core.menu import MENU, MenuItem

        from . import models

        audit.track(
            models.Cadre, masked={"id_number_encrypted", "mobile_encrypted", "id_number_hash"}
        )
        audit.track(models.ResumeEntry)
        audit.track(models.AnnualAssessment)
        audit.track(models.PoolMembership)
        audit.track(models.ExpertiseTag)
        MENU.insert(
            1,
            MenuItem(_("干部名册"), "cadres:list", "person-vcard", "cadres.view_cadre", _("干部")),
        )
        MENU.insert(
            2, MenuItem(_("年轻干部储备库"), "cadres:pool", "stars", "cadres.view_cadre", _("干部"))
        )
        MENU.insert(
            3,
            MenuItem(
                _("花名册导入"),
                "cadres:import",
                "file-earmark-arrow-up",
                "cadres.import_cadres",
                _("干部"),
            ),
        )
        MENU.insert(
            4, MenuItem(_("专长标签"), "cadres:tags", "tags", "cadres.add_expertisetag", _("干部"))
        )
