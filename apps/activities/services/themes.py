"""一月一主题: the county's theme calendar, kept by its county admins."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from apps.accounts.models import RoleName, User
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import held_roles, is_global

from ..models import MonthlyTheme


def theme_counties(user: User) -> list[Site]:
    """The counties whose calendar ``user`` keeps: where they are county admin (every
    county for the portal's operators)."""
    if is_global(user):
        return list(Site.objects.filter(level=SiteLevel.COUNTY, is_active=True).order_by("path"))
    ids = [
        r.site_id
        for r in held_roles(user)
        if r.role == RoleName.COUNTY_ADMIN and r.site_level == SiteLevel.COUNTY
    ]
    return list(Site.objects.filter(pk__in=ids).order_by("path"))


def _county_for(actor: User, site_id: Id | None) -> Site:
    counties = theme_counties(actor)
    if not counties:
        raise PermissionDeniedError(
            gettext("只有县级管理员可以维护月度主题。"), code="not_county_admin"
        )
    if site_id is None:
        return counties[0]
    for county in counties:
        if str(county.pk) == str(site_id):
            return county
    raise NotFoundError(gettext("阵地不存在。"), code="site_not_found")


def _clean(year: int, month: int, title: str, guidance: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    if not 2000 <= int(year) <= 2100:
        errors["year"] = [gettext("年份应在 2000 到 2100 之间。")]
    if not 1 <= int(month) <= 12:
        errors["month"] = [gettext("月份应在 1 到 12 之间。")]
    title = (title or "").strip()
    if not title:
        errors["title"] = [gettext("请填写主题。")]
    elif len(title) > 100:
        errors["title"] = [gettext("不能超过 %(n)s 个字。") % {"n": 100}]
    guidance = (guidance or "").strip()
    if len(guidance) > 2000:
        errors["guidance"] = [gettext("不能超过 %(n)s 个字。") % {"n": 2000}]
    if errors:
        raise ValidationError(errors)
    return title, guidance


def theme_set(
    *,
    actor: User,
    year: int,
    month: int,
    title: str,
    guidance: str = "",
    site_id: Id | None = None,
) -> tuple[MonthlyTheme, bool]:
    """Set the theme of one month of the actor's county (a second call for the same
    month changes it). Returns the theme and whether it was new."""
    county = _county_for(actor, site_id)
    title, guidance = _clean(year, month, title, guidance)
    with transaction.atomic():
        # update_or_create locks the existing row (SELECT … FOR UPDATE); two admins
        # setting a new month at once meet at the unique constraint, and the loser
        # updates the winner's row.
        theme, created = MonthlyTheme.objects.update_or_create(
            site=county,
            year=int(year),
            month=int(month),
            defaults={"title": title, "guidance": guidance, "updated_by": actor},
        )
    return theme, created


def access_theme_for_edit(actor: User, theme_id: Id) -> MonthlyTheme:
    counties = {c.pk for c in theme_counties(actor)}
    try:
        theme = MonthlyTheme.objects.select_related("site").get(pk=int(theme_id))
    except (MonthlyTheme.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("主题不存在。"), code="not_found") from None
    if theme.site_id not in counties:
        raise NotFoundError(gettext("主题不存在。"), code="not_found")
    return theme


def theme_delete(*, actor: User, theme_id: Id) -> None:
    """Remove a month's theme; activities that carried it keep running without one."""
    theme = access_theme_for_edit(actor, theme_id)
    theme.delete()
