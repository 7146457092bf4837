"""Service menu writes: publish and edit the items residents order from."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.core.types import Id
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import can_manage_site
from apps.volunteers.models import (
    ServiceCategory,
)

from ..models import (
    MAX_HOURS_PER_ASSIGNMENT,
    MAX_VOLUNTEERS_PER_ORDER,
    ServiceItem,
)

_ITEM_FIELDS = (
    "title",
    "category",
    "description",
    "duration_hours",
    "points_per_hour",
    "volunteers_needed",
    "is_active",
)


def _clean_item_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in _ITEM_FIELDS:
            raise ValidationError({key: [gettext("不能修改此项。")]})
        if key == "title":
            value = str(value or "").strip()
            if not value:
                errors["title"] = [gettext("请填写服务名称。")]
            elif len(value) > 100:
                errors["title"] = [gettext("服务名称不能超过 100 个字。")]
        elif key == "category" and value not in ServiceCategory.values:
            errors["category"] = [gettext("请选择服务类别。")]
        elif key == "description":
            value = str(value or "").strip()
        elif key == "duration_hours":
            try:
                value = Decimal(str(value)).quantize(Decimal("0.1"))
            except (InvalidOperation, ValueError):
                value = Decimal("-1")
            if not (Decimal("0") < value <= MAX_HOURS_PER_ASSIGNMENT):
                errors["duration_hours"] = [gettext("预计时长应在 0.1 到 24 小时之间。")]
        elif key == "points_per_hour":
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = -1
            if not 0 <= value <= 1000:
                errors["points_per_hour"] = [gettext("每小时积分应在 0 到 1000 之间。")]
        elif key == "volunteers_needed":
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = 0
            if not 1 <= value <= MAX_VOLUNTEERS_PER_ORDER:
                errors["volunteers_needed"] = [
                    gettext("人数应在 1 到 %(n)s 之间。") % {"n": MAX_VOLUNTEERS_PER_ORDER}
                ]
        elif key == "is_active":
            value = bool(value)
        clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def service_item_create(*, actor: User, site: Site, **fields: Any) -> ServiceItem:
    """Publish a menu item at ``site`` (staff managing ``site``)."""
    if site is None or not can_manage_site(actor, site):
        raise NotFoundError(gettext("阵地不存在。"), code="site_not_found")
    if site.level == SiteLevel.BASE:
        raise ValidationError({"site": [gettext("服务菜单由中心、实践所或实践站发布。")]})
    for required in ("title", "category"):
        fields.setdefault(required, "")
    clean = _clean_item_fields(fields)
    try:
        with transaction.atomic():
            return ServiceItem.objects.create(site=site, created_by=actor, **clean)
    except IntegrityError:
        raise ValidationError({"title": [gettext("本阵地已有同名的服务项目。")]}) from None


def service_item_update(*, actor: User, item_id: Id | None, **fields: Any) -> ServiceItem:
    """Edit a menu item (or take it off the menu with ``is_active=False``)."""
    clean = _clean_item_fields(fields)
    try:
        pk = int(item_id or "")
    except (TypeError, ValueError):
        raise NotFoundError(gettext("服务项目不存在。"), code="not_found") from None
    try:
        with transaction.atomic():
            # Lock: two staff editing the same item save one after the other.
            item = (
                ServiceItem.objects.select_for_update(of=("self",))
                .select_related("site")
                .filter(pk=pk)
                .first()
            )
            if item is None or not can_manage_site(actor, item.site):
                raise NotFoundError(gettext("服务项目不存在。"), code="not_found")
            for key, value in clean.items():
                setattr(item, key, value)
            item.save()
            return item
    except IntegrityError:
        raise ValidationError({"title": [gettext("本阵地已有同名的服务项目。")]}) from None
