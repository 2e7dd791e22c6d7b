"""What this app plugs into the platform (called from ProjectsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    from django.utils.translation import gettext_lazy as _

    from guazhi.cadres.sections import PROFILE_SECTIONS
    from guazhi.core import audit, notices
    from guazhi.core.menu import HOME_CARDS, MENU, MenuItem

    from . import models, reminders, sources, views

    for model in (
        models.Enterprise,
        models.Event,
        models.ProjectPolicy,
        models.Stage,
        models.Project,
        models.StageChange,
        models.TaskForceMember,
        models.Task,
        models.Blocker,
        models.ProjectUpdate,
        models.Credit,
    ):
        audit.track(model)
    audit.track(models.EnterpriseContact, masked=["mobile_encrypted"])
    # Leads found, projects signed and amount landed become assessment sources.
    sources.register()
    # Red projects to their owner, team leaders and the org department; tasks and blockers due.
    notices.PROVIDERS.append(reminders.due)
    HOME_CARDS.append(views.home_cards)
    PROFILE_SECTIONS.append(views.profile_section)
    after = next(i for i, item in enumerate(MENU) if item.url_name == "assessment:list") + 1
    MENU[after:after] = [
        MenuItem(
            _("合作项目"), "projects:list", "briefcase", "projects.view_project", _("项目闭环")
        ),
        MenuItem(_("项目看板"), "projects:board", "kanban", "projects.view_project", _("项目闭环")),
        MenuItem(
            _("漏斗与统计"), "projects:funnel", "funnel", "projects.view_project", _("项目闭环")
        ),
        MenuItem(
            _("绿色通道"),
            "projects:green_channel",
            "signpost-split",
            "projects.view_green_channel",
            _("项目闭环"),
        ),
        MenuItem(
            _("企业库"),
            "projects:enterprises",
            "building",
            "projects.view_enterprise",
            _("项目闭环"),
        ),
        MenuItem(
            _("招商活动"), "projects:events", "calendar-event", "projects.view_event", _("项目闭环")
        ),
    ]
