"""Navigation by role. Each entry names a URL; entries whose URL is not installed are
left out, so an app adds its pages by adding its entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.sites.scoping import has_role, held_roles, is_global

from .models import User


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: tuple[str, ...]  # who sees it
    hide_for: tuple[str, ...] = ()  # ...unless they also hold one of these
    assessors_only: bool = False  # township and county staff (village staff may not assess)


def is_assessor(user: User | AnonymousUser | None) -> bool:
    """Township or county staff (or a superuser): those who assess (考核定单)."""
    return is_global(user) or any(
        r.role in ("staff", "county_admin") and r.site_level in ("county", "township")
        for r in held_roles(user)
    )


NAV_ENTRIES: tuple[NavEntry, ...] = (
    NavEntry(gettext_noop("服务菜单"), "orders:menu", ("resident",)),
    NavEntry(gettext_noop("我的点单"), "orders:my_orders", ("resident",)),
    NavEntry(gettext_noop("我的任务"), "orders:my_tasks", ("volunteer",)),
    NavEntry(
        gettext_noop("志愿活动"),
        "activities:list",
        ("volunteer", "resident", "staff", "county_admin"),
    ),
    NavEntry(gettext_noop("我的活动"), "activities:mine", ("volunteer",)),
    NavEntry(gettext_noop("我的积分"), "points:my_points", ("volunteer",)),
    NavEntry(gettext_noop("爱心超市"), "points:shop", ("volunteer",)),
    NavEntry(gettext_noop("志愿者档案"), "volunteers:me", ("volunteer",)),
    NavEntry(
        gettext_noop("申请成为志愿者"), "volunteers:apply", ("resident",), hide_for=("volunteer",)
    ),
    NavEntry(gettext_noop("派单台"), "orders:board", ("staff", "county_admin")),
    NavEntry(gettext_noop("志愿者名册"), "volunteers:roster", ("staff", "county_admin")),
    NavEntry(gettext_noop("服务队"), "volunteers:teams", ("staff", "county_admin")),
    NavEntry(gettext_noop("服务菜单管理"), "orders:items", ("staff", "county_admin")),
    NavEntry(
        gettext_noop("考核定单"),
        "orders:assessment",
        ("staff", "county_admin"),
        assessors_only=True,
    ),
    NavEntry(gettext_noop("晒成果管理"), "showcase:manage", ("staff", "county_admin", "editor")),
    NavEntry(gettext_noop("兑换领取"), "points:handover", ("staff", "county_admin")),
    NavEntry(gettext_noop("数据看板"), "reports:dashboard", ("staff", "county_admin")),
    NavEntry(gettext_noop("积分结算"), "points:settlements", ("county_admin",)),
    NavEntry(gettext_noop("全国系统记录导出"), "reports:national", ("county_admin",)),
    NavEntry(gettext_noop("Open311 接入密钥"), "open311:keys", ("county_admin",)),
    NavEntry(gettext_noop("阵地管理"), "sites:manage", ("staff", "county_admin")),
    NavEntry(gettext_noop("投递异常"), "notifications:deliveries", ("staff", "county_admin")),
)


def nav_for(user: User | AnonymousUser | None) -> list[dict[str, str]]:
    if not getattr(user, "is_authenticated", False):
        return []
    entries = []
    for entry in NAV_ENTRIES:
        if not (is_global(user) or has_role(user, *entry.roles)):
            continue
        if entry.hide_for and has_role(user, *entry.hide_for):
            continue
        if entry.assessors_only and not is_assessor(user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append({"label": _(entry.label), "url": url})
    return entries
