"""The left menu: items appear for users holding the item's permission. Apps add their own
items to MENU (and cards for the home page to HOME_CARDS) from their AppConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str
    perm: str | None = None
    section: str = ""


MENU: list[MenuItem] = [
    MenuItem(_("首页"), "core:home", "house"),
    MenuItem(_("组织机构"), "core:unit_list", "diagram-3", "core.view_orgunit", _("基础数据")),
    MenuItem(_("用户"), "core:user_list", "people", "core.view_user", _("基础数据")),
    MenuItem(_("角色与权限"), "core:role_list", "shield-lock", "core.view_role", _("安全管理")),
    MenuItem(
        _("审计日志"), "core:audit_list", "journal-text", "core.view_auditentry", _("安全审计")
    ),
    MenuItem(
        _("系统设置"), "core:site_settings", "gear", "core.change_sitesettings", _("系统管理")
    ),
    MenuItem(
        _("工作日历"), "core:calendar_list", "calendar3", "core.view_calendarday", _("系统管理")
    ),
    MenuItem(_("个人设置"), "core:profile", "person-gear"),
]


# Home page cards from other apps: functions (user) -> list of {"label", "value", "url"}.
HOME_CARDS: list = []


@lru_cache(maxsize=256)
def _url(name: str, _prefix: str, _urlconf) -> str:
    """A menu item's URL, reversed once per name, script prefix and URLconf: reversing the
    twenty-odd items on every page cost about 1 ms."""
    return reverse(name)


def menu_for(request) -> list[dict]:
    """The menu the user may see; the one item whose URL is the longest prefix of the current
    path is active (so /projects/board/ lights 项目看板, not also 合作项目 at /projects/)."""
    user = request.user
    current = request.path
    visible = []
    for item in MENU:
        if item.perm and not user.has_perm(item.perm):
            continue
        visible.append((item, _url(item.url_name, get_script_prefix(), get_urlconf())))
    matches = [
        url for _item, url in visible if (current == url if url == "/" else current.startswith(url))
    ]
    best = max(matches, key=len, default=None)
    sections: dict[str, list[dict]] = {}
    for item, url in visible:
        sections.setdefault(str(item.section), []).append(
            {"label": item.label, "url": url, "icon": item.icon, "active": url == best}
        )
    return [{"section": name, "items": items} for name, items in sections.items()]
