"""Built-in roles (SPEC §3) and the permissions each starts with.

Administrator roles are fixed: their permissions are re-synchronised on every migrate and
cannot be edited, so the three administrators stay separated (三员分立). Business roles are
created with the permissions below and the security administrator may change them.
Later apps add their permissions to BUSINESS_GRANTS.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models.signals import post_migrate

from .models import Role

S = Role.Scope
K = Role.Kind

# code: (name, kind, scope, description)
BUILTIN_ROLES: dict[str, tuple[str, str, str, str]] = {
    "org_officer": ("市委组织部干部科", K.BUSINESS, S.ALL, "全部范围内的业务操作"),
    "district_officer": (
        "区委组织部",
        K.BUSINESS,
        S.SUBTREE,
        "本区（本单位及下级）范围内的业务操作",
    ),
    "sending_unit": ("派出单位", K.BUSINESS, S.UNIT, "推荐人选，查看本单位干部的记录与结果"),
    "host_unit": ("接收单位", K.BUSINESS, S.UNIT, "评价在本单位挂职的干部，查看其方案与纪实"),
    "team_leader": ("工作队队长", K.BUSINESS, S.SUBTREE, "纪实、会议、结对与队内初评"),
    "cadre": ("挂职干部", K.BUSINESS, S.SELF, "本人档案、工作纪实、个人总结与参与的项目"),
    "leader": ("领导", K.BUSINESS, S.SUBTREE, "查看范围内的统计看板（只读）"),
    "sysadmin": ("系统管理员", K.SYSADMIN, S.ALL, "管理系统设置、组织机构与用户账号"),
    "secadmin": ("安全管理员", K.SECADMIN, S.ALL, "管理角色、权限与用户的角色分配"),
    "auditor": ("审计管理员", K.AUDITOR, S.ALL, "查阅、导出与校验审计日志"),
}

ADMIN_GRANTS: dict[str, list[str]] = {
    "sysadmin": [
        "core.view_orgunit",
        "core.add_orgunit",
        "core.change_orgunit",
        "core.view_user",
        "core.add_user",
        "core.change_user",
        "core.unlock_user",
        "core.change_sitesettings",
        "core.view_calendarday",
        "core.change_calendarday",
    ],
    "secadmin": [
        "core.view_orgunit",
        "core.view_user",
        "core.view_role",
        "core.add_role",
        "core.change_role",
        "core.assign_role",
    ],
    "auditor": ["core.view_auditentry", "core.export_auditentry"],
}

CADRE_OFFICER = [
    "cadres.view_cadre",
    "cadres.add_cadre",
    "cadres.change_cadre",
    "cadres.reveal_cadre_personal",
    "cadres.import_cadres",
    "cadres.export_cadres",
    "cadres.manage_pool",
    "cadres.view_expertisetag",
    "cadres.add_expertisetag",
    "cadres.change_expertisetag",
]
# Seeing programmes, batches, posts and placements (each scoped in programmes/access.py).
PROGRAMME_READER = [
    "programmes.view_programme",
    "programmes.view_batch",
    "programmes.view_post",
    "programmes.view_placement",
]
PROGRAMME_MANAGER = [
    *PROGRAMME_READER,
    "programmes.add_programme",
    "programmes.change_programme",
    "programmes.add_batch",
    "programmes.change_batch",
    "programmes.add_post",
    "programmes.change_post",
    "programmes.delete_post",
    "programmes.change_placement",
    "programmes.approve_placement_change",
    "selection.view_nomination",
    "selection.add_nomination",
    "selection.review_nomination",
    "selection.match_batch",
]
# Teams, daily records and post-return tracking (issue 5); scoped in each app's access.py.
OPERATIONS_MANAGER = [
    "teams.view_workteam",
    "teams.add_workteam",
    "teams.change_workteam",
    "teams.view_meeting",
    "teams.add_meeting",
    "teams.change_meeting",
    "teams.view_pairing",
    "teams.add_pairing",
    "teams.change_pairing",
    "records.view_dailyrecord",
    "records.comment_dailyrecord",
    "returns.view_returnrecord",
    "returns.add_returnrecord",
    "returns.change_returnrecord",
    "returns.change_followup",
    "returns.view_careerevent",
    "returns.add_careerevent",
    "returns.change_careerevent",
]
# Assessment (issue 6), scoped in assessment/access.py.
ASSESSMENT_MANAGER = [
    "assessment.view_indicator",
    "assessment.add_indicator",
    "assessment.change_indicator",
    "assessment.view_plan",
    "assessment.add_plan",
    "assessment.change_plan",
    "assessment.approve_plan",
    "assessment.view_policy",
    "assessment.change_policy",
    "assessment.view_quarterresult",
    "assessment.confirm_quarterresult",
    "assessment.view_round",
    "assessment.add_round",
    "assessment.change_round",
    "assessment.confirm_round",
    "assessment.view_entry",
    "assessment.change_entry",
    "assessment.view_rating",
    "assessment.change_rating",
    "assessment.view_appeal",
    "assessment.decide_appeal",
]
# Cooperation projects (issue 7), scoped in projects/access.py.
PROJECT_WORKER = [
    "projects.view_project",
    "projects.add_project",
    "projects.change_project",
    "projects.view_enterprise",
    "projects.add_enterprise",
    "projects.view_event",
]
PROJECTS_MANAGER = [
    *PROJECT_WORKER,
    "projects.export_project",
    "projects.change_enterprise",
    "projects.reveal_contact",
    "projects.add_event",
    "projects.change_event",
    "projects.view_green_channel",
]
# Deeds, look-back and public ratings (issue 8), scoped in deeds/access.py.
DEEDS_WORKER = [
    "deeds.view_deed",
    "deeds.add_deed",
    "deeds.change_deed",
    "deeds.view_rating",
    "deeds.change_rectification",
    "deeds.add_appeal",
]
DEEDS_MANAGER = [
    *DEEDS_WORKER,
    "deeds.review_deed",
    "deeds.decide_appeal",
    "deeds.reveal_rater",
    "deeds.export_deed",
    "deeds.view_panelmember",
    "deeds.add_panelmember",
    "deeds.change_panelmember",
]
BUSINESS_GRANTS: dict[str, list[str]] = {
    "org_officer": [
        "core.view_orgunit",
        "core.view_user",
        "core.reveal_personal",
        *CADRE_OFFICER,
        *PROGRAMME_MANAGER,
        *OPERATIONS_MANAGER,
        *ASSESSMENT_MANAGER,
        *PROJECTS_MANAGER,
        "projects.view_projectpolicy",
        "projects.change_projectpolicy",
        *DEEDS_MANAGER,
        "deeds.change_policy",
        "deeds.change_status",
    ],
    "district_officer": [
        "core.view_orgunit",
        "core.view_user",
        "core.reveal_personal",
        *CADRE_OFFICER,
        *PROGRAMME_READER,
        "programmes.change_placement",
        "selection.view_nomination",
        "selection.add_nomination",
        "selection.review_nomination",
        "records.view_dailyrecord",
        "returns.view_returnrecord",
        "returns.add_returnrecord",
        "returns.change_returnrecord",
        "returns.change_followup",
        "returns.view_careerevent",
        "returns.add_careerevent",
        "returns.change_careerevent",
        "assessment.view_plan",
        "assessment.view_quarterresult",
        "assessment.view_round",
        "assessment.view_entry",
        *PROJECTS_MANAGER,
        *DEEDS_MANAGER,
    ],
    "sending_unit": [
        "core.view_orgunit",
        "core.view_user",
        "cadres.view_cadre",
        "cadres.add_cadre",
        "cadres.change_cadre",
        "cadres.import_cadres",
        "cadres.export_cadres",
        *PROGRAMME_READER,
        "selection.view_nomination",
        "selection.add_nomination",
        "records.view_dailyrecord",
        "returns.view_returnrecord",
        "returns.view_careerevent",
        "assessment.view_plan",
        "assessment.view_round",
        "assessment.view_entry",
        "projects.view_project",
        "projects.view_enterprise",
        "projects.view_event",
        *DEEDS_WORKER,
    ],
    "host_unit": [
        "core.view_orgunit",
        "cadres.view_cadre",
        *PROGRAMME_READER,
        "programmes.view_hosted_cadres",
        "records.view_dailyrecord",
        "assessment.view_plan",
        "assessment.view_round",
        "assessment.change_rating",
    ],
    "team_leader": [
        "core.view_orgunit",
        "core.view_user",
        "cadres.view_cadre",
        "programmes.view_programme",
        "programmes.view_batch",
        "teams.view_workteam",
        "teams.view_meeting",
        "teams.add_meeting",
        "teams.change_meeting",
        "teams.view_pairing",
        "teams.add_pairing",
        "teams.change_pairing",
        "records.view_dailyrecord",
        "records.comment_dailyrecord",
        "assessment.view_plan",
        "assessment.view_quarterresult",
        "assessment.add_quarterresult",
        "assessment.view_round",
        "assessment.change_rating",
        *PROJECT_WORKER,
    ],
    "cadre": [
        "core.view_orgunit",
        "core.view_user",
        "cadres.view_cadre",
        "programmes.view_programme",
        "programmes.view_batch",
        "programmes.view_placement",
        "selection.view_nomination",
        "teams.view_workteam",
        "teams.view_meeting",
        "teams.view_pairing",
        "teams.add_checkin",
        "records.view_dailyrecord",
        "records.add_dailyrecord",
        "records.change_dailyrecord",
        "returns.view_returnrecord",
        "returns.view_careerevent",
        "assessment.view_plan",
        "assessment.change_plan",
        "assessment.view_quarterresult",
        "assessment.view_round",
        "assessment.view_entry",
        "assessment.change_rating",
        "assessment.add_appeal",
        *PROJECT_WORKER,
        "deeds.view_deed",
        "deeds.add_deed",
        "deeds.change_deed",
        "deeds.view_rating",
    ],
    "leader": [
        "core.view_orgunit",
        "cadres.view_cadre",
        *PROGRAMME_READER,
        "selection.view_nomination",
        "teams.view_workteam",
        "records.view_dailyrecord",
        "returns.view_returnrecord",
        "returns.view_careerevent",
        "projects.view_project",
        "projects.view_enterprise",
        "projects.view_event",
        "projects.view_green_channel",
        "deeds.view_deed",
        "deeds.view_rating",
        "assessment.view_round",  # the dashboard's grade distribution and the round behind it
    ],
}

# Permissions that only administrator roles may ever hold.
ADMIN_ONLY_PERMISSIONS = {p for perms in ADMIN_GRANTS.values() for p in perms} - {
    "core.view_orgunit",
    "core.view_user",
}


def permissions_named(names: list[str]) -> list[Permission]:
    result = []
    for name in names:
        app_label, codename = name.split(".")
        perm = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if perm is None:
            raise LookupError(f"未知权限 {name}")
        result.append(perm)
    return result


def sync_builtin_roles(using: str = "default", **kwargs) -> None:
    # Permissions of apps later in INSTALLED_APPS are created after this handler would
    # otherwise run: create them all first.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for code, (name, kind, scope, description) in BUILTIN_ROLES.items():
        role, created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "scope": scope,
                "description": description,
                "is_builtin": True,
            },
        )
        if role.kind != K.BUSINESS:
            wanted = set(permissions_named(ADMIN_GRANTS[code]))
            if set(role.permissions.all()) != wanted:
                role.permissions.set(wanted)
        else:
            # Add permissions a new release grants; never take back what the security
            # administrator configured.
            role.permissions.add(*permissions_named(BUSINESS_GRANTS.get(code, [])))


def connect_signals() -> None:
    from django.apps import apps

    post_migrate.connect(
        sync_builtin_roles,
        sender=apps.get_app_config("core"),
        dispatch_uid="guazhi_sync_builtin_roles",
    )
