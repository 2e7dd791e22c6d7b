"""What this app plugs into the platform (called from DeedsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from django.utils.translation import gettext_lazy as _

    from guazhi.core import audit, notices
    from guazhi.core.menu import HOME_CARDS, MENU, MenuItem

    from . import models, reminders, sources, views

    for model in (
        models.Policy,
        models.Status,
        models.Target,
        models.Evidence,
        models.StatusChange,
        models.LookBack,
        models.ReworkTask,
        models.Rectification,
        models.Appeal,
    ):
        audit.track(model)
    # status_order is the status's place, copied for the lists' order: the status says it.
    audit.track(models.Deed, exclude={"status_order"})
    audit.track(models.PanelMember, masked=["mobile_encrypted", "token"])
    audit.track(models.Rating, masked=["mobile_encrypted", "rater_key"])
    # 办结实事件数 and 实事满意率 become assessment sources; reminders for rectifications,
    # look-backs and overdue deeds.
    sources.register()
    notices.PROVIDERS.append(reminders.due)
    HOME_CARDS.append(views.home_cards)
    section = _("办实事")
    # After the projects' items (or at the end when that app is absent).
    after = next(
        (i + 1 for i, item in enumerate(MENU) if item.url_name == "projects:events"), len(MENU)
    )
    MENU[after:after] = [
        MenuItem(_("实事台账"), "deeds:list", "heart", "deeds.view_deed", section),
        MenuItem(
            _("回头看"), "deeds:lookbacks", "arrow-counterclockwise", "deeds.review_deed", section
        ),
        MenuItem(_("差评整改"), "deeds:rectifications", "tools", "deeds.view_deed", section),
        MenuItem(_("申诉复核"), "deeds:appeals", "shield-check", "deeds.decide_appeal", section),
        MenuItem(_("三率统计"), "deeds:figures", "bar-chart", "deeds.view_deed", section),
        MenuItem(_("群众评议团"), "deeds:panel", "people", "deeds.view_panelmember", section),
        MenuItem(_("办实事规则"), "deeds:rules", "sliders", "deeds.change_policy", section),
    ]
