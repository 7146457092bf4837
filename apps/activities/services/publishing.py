"""Drafting, editing, publishing, cancelling and finishing an activity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.core.uploads import clean_image
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site
from apps.volunteers.models import ServiceCategory

from ..models import (
    MAX_FIXED_POINTS,
    MAX_RESIDENT_LIMIT,
    MAX_SLOTS_PER_ROLE,
    Activity,
    ActivityRole,
    MonthlyTheme,
    PointsMode,
    Signup,
)
from ..notify import activity_cancelled_notify, activity_changed_notify
from .signups import promote
from .workflow import (
    S,
    check_transition,
    is_county_admin,
    lock_activity,
    record,
    require_organiser,
)

MAX_LENGTH = dt.timedelta(days=7)  # a fair or festival runs a few days at most
MAX_AHEAD = dt.timedelta(days=366)
MAX_ROLES = 20
MAX_POINTS_PER_HOUR = 100
DEFAULT_POINTS_PER_HOUR = 10  # the menu's default (ServiceItem.points_per_hour)


@dataclass(frozen=True)
class RoleSpec:
    name: str
    slots: int
    skill: str = ""


EDITABLE = (
    "title",
    "theme",
    "category",
    "description",
    "address",
    "latitude",
    "longitude",
    "starts_at",
    "ends_at",
    "signup_deadline",
    "residents_allowed",
    "resident_limit",
    "needs_approval",
    "points_mode",
    "points_per_hour",
    "fixed_points",
)
# A change of these tells everyone signed up (apps.activities.notify).
TIME_AND_PLACE = ("starts_at", "ends_at", "address")


def _text(errors: dict[str, list[str]], field: str, value: Any, limit: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = [gettext("请填写此项。")]
    elif len(text) > limit:
        errors[field] = [gettext("不能超过 %(n)s 个字。") % {"n": limit}]
    return text


def _clean_roles(roles: Sequence[RoleSpec | dict[str, Any]]) -> list[RoleSpec]:
    specs = [r if isinstance(r, RoleSpec) else RoleSpec(**r) for r in roles]
    problems: list[str] = []
    if not specs:
        problems.append(gettext("请至少设置一个志愿岗位。"))
    if len(specs) > MAX_ROLES:
        problems.append(gettext("岗位不能超过 %(n)s 个。") % {"n": MAX_ROLES})
    names: set[str] = set()
    cleaned = []
    for spec in specs:
        name = str(spec.name or "").strip()
        if not name or len(name) > 50:
            problems.append(gettext("岗位名称应为 1 到 50 个字。"))
        elif name in names:
            problems.append(gettext("岗位名称不能重复：%(name)s") % {"name": name})
        names.add(name)
        if not 1 <= int(spec.slots) <= MAX_SLOTS_PER_ROLE:
            problems.append(
                gettext("每个岗位人数应在 1 到 %(n)s 之间。") % {"n": MAX_SLOTS_PER_ROLE}
            )
        if spec.skill and spec.skill not in ServiceCategory.values:
            problems.append(gettext("未知的特长：%(skill)s") % {"skill": spec.skill})
        cleaned.append(RoleSpec(name, int(spec.slots), spec.skill or ""))
    if problems:
        raise ValidationError({"roles": problems})
    return cleaned


def _clean(
    values: dict[str, Any], *, site: Site, actor: User, now: dt.datetime, previous: Activity | None
) -> dict[str, Any]:
    """Validate the whole set of fields (the previous values filled in by the caller)."""
    errors: dict[str, list[str]] = {}
    values["title"] = _text(errors, "title", values.get("title"), 100, True)
    values["description"] = _text(errors, "description", values.get("description"), 5000, False)
    values["address"] = _text(errors, "address", values.get("address"), 200, True)
    if values.get("category") not in ServiceCategory.values:
        errors["category"] = [gettext("请选择服务类别。")]
    lat, lon = values.get("latitude"), values.get("longitude")
    if (lat is None) != (lon is None):
        errors["latitude"] = [gettext("经纬度需同时填写，或都不填。")]
    elif lat is not None and lon is not None:
        lat, lon = Decimal(str(lat)), Decimal(str(lon))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors["latitude"] = [gettext("经纬度超出范围。")]
        values["latitude"] = lat.quantize(Decimal("0.000001"))
        values["longitude"] = lon.quantize(Decimal("0.000001"))
    start, end, deadline = (
        values.get("starts_at"),
        values.get("ends_at"),
        values.get("signup_deadline"),
    )
    if start is None:
        errors["starts_at"] = [gettext("请填写开始时间。")]
    elif _moved(previous, start) and not now <= start <= now + MAX_AHEAD:
        errors["starts_at"] = [gettext("开始时间应在现在到一年之内。")]
    if end is None:
        errors["ends_at"] = [gettext("请填写结束时间。")]
    elif start is not None and not (start < end <= start + MAX_LENGTH):
        errors["ends_at"] = [gettext("结束时间应晚于开始时间，且活动不超过 7 天。")]
    if deadline is None:
        values["signup_deadline"] = deadline = start
    if start is not None and deadline is not None and deadline > start:
        errors["signup_deadline"] = [gettext("报名截止时间不能晚于开始时间。")]
    limit = int(values.get("resident_limit") or 0)
    if values.get("residents_allowed"):
        if not 1 <= limit <= MAX_RESIDENT_LIMIT:
            errors["resident_limit"] = [
                gettext("允许群众报名时，名额应在 1 到 %(n)s 之间。") % {"n": MAX_RESIDENT_LIMIT}
            ]
    else:
        limit = 0
    values["resident_limit"] = limit
    values["residents_allowed"] = bool(values.get("residents_allowed"))
    values["needs_approval"] = bool(values.get("needs_approval"))
    mode = values.get("points_mode") or PointsMode.PER_HOUR
    values["points_mode"] = mode
    if mode not in PointsMode.values:
        errors["points_mode"] = [gettext("未知的积分方式。")]
    raw_rate = values.get("points_per_hour")
    per_hour = DEFAULT_POINTS_PER_HOUR if raw_rate is None else int(raw_rate)
    if mode == PointsMode.PER_HOUR and not 1 <= per_hour <= MAX_POINTS_PER_HOUR:
        errors["points_per_hour"] = [
            gettext("每小时积分应在 1 到 %(n)s 之间。") % {"n": MAX_POINTS_PER_HOUR}
        ]
    values["points_per_hour"] = per_hour if mode == PointsMode.PER_HOUR else 0
    fixed = int(values.get("fixed_points") or 0)
    if mode == PointsMode.FIXED:
        fixed_changed = previous is None or (
            previous.points_mode != PointsMode.FIXED or previous.fixed_points != fixed
        )
        if fixed_changed and not is_county_admin(actor):
            errors["points_mode"] = [gettext("固定积分只能由县级管理员设定。")]
        if not 1 <= fixed <= MAX_FIXED_POINTS:
            errors["fixed_points"] = [
                gettext("固定积分应在 1 到 %(n)s 之间。") % {"n": MAX_FIXED_POINTS}
            ]
    else:
        fixed = 0
    values["fixed_points"] = fixed
    theme = values.get("theme")
    if theme is not None:
        values["theme"] = theme = _theme(theme, site, start, errors)
    if errors:
        raise ValidationError(errors)
    return values


def _moved(previous: Activity | None, start: dt.datetime) -> bool:
    """A new start (a form keeps whole minutes: the same minute is no change)."""
    return previous is None or abs((start - previous.starts_at).total_seconds()) >= 60


def _theme(
    theme: MonthlyTheme | Id, site: Site, start: dt.datetime | None, errors: dict[str, list[str]]
) -> MonthlyTheme | None:
    """The theme must be the activity's county's theme for the month it starts in."""
    found = theme if isinstance(theme, MonthlyTheme) else _theme_by_id(theme)
    county_id = site.ancestor_ids()[0]
    if found is None or found.site_id != county_id:
        errors["theme"] = [gettext("请选择本县的月度主题。")]
        return None
    if start is not None:
        local = timezone.localtime(start)
        if (found.year, found.month) != (local.year, local.month):
            errors["theme"] = [gettext("只能选择活动开始当月的主题。")]
    return found


def _theme_by_id(theme_id: Id) -> MonthlyTheme | None:
    try:
        return MonthlyTheme.objects.filter(pk=int(theme_id)).first()
    except (TypeError, ValueError, OverflowError):
        return None


def _cover(activity: Activity, cover: UploadedFile | None) -> list[str]:
    if cover is None:
        return []
    try:
        cleaned = clean_image(cover)
    except ValidationError as exc:
        raise ValidationError({"cover": exc.messages}) from None
    activity.cover.save(cleaned.image.name or "cover.jpg", cleaned.image, save=False)
    activity.cover_thumb.save(
        cleaned.thumbnail.name or "cover_t.jpg", cleaned.thumbnail, save=False
    )
    return ["cover", "cover_thumb"]


def activity_create(
    *,
    actor: User,
    site: Site | None,
    roles: Sequence[RoleSpec | dict[str, Any]],
    cover: UploadedFile | None = None,
    **fields: Any,
) -> Activity:
    """Draft an activity at ``site`` (staff of the site or above it)."""
    if site is None:
        raise ValidationError({"site": [gettext("请选择主办阵地。")]})
    if not can_manage_site(actor, site):
        raise NotFoundError(gettext("阵地不存在。"), code="site_not_found")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown activity fields: {sorted(unknown)}")
    now = timezone.now()
    values = _clean(dict(fields), site=site, actor=actor, now=now, previous=None)
    specs = _clean_roles(roles)
    with transaction.atomic():
        activity = Activity(site=site, created_by=actor, status=S.DRAFT, **values)
        _cover(activity, cover)
        activity.save()
        ActivityRole.objects.bulk_create(
            [
                ActivityRole(
                    activity=activity, name=s.name, slots=s.slots, skill=s.skill, position=i
                )
                for i, s in enumerate(specs)
            ]
        )
        activity.status = ""  # the "create" row of the table starts from nothing
        record(activity, action="create", actor=actor, to=S.DRAFT, now=now)
    return activity


def activity_update(
    *,
    actor: User,
    activity_id: Id,
    roles: Sequence[RoleSpec | dict[str, Any]] | None = None,
    cover: UploadedFile | None = None,
    note: str = "",
    **fields: Any,
) -> Activity:
    """Change a draft or a published activity. Roles may be rewritten while a draft;
    once published a role's places can grow but not drop below those taken. A changed
    time or place of a published activity tells everyone signed up."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown activity fields: {sorted(unknown)}")
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "edit")
        current = {name: getattr(activity, name) for name in EDITABLE}
        values = _clean(
            current | fields, site=activity.site, actor=actor, now=now, previous=activity
        )
        for name in ("starts_at", "ends_at", "signup_deadline"):
            # A form keeps whole minutes: within the same minute the time is unchanged.
            if abs((values[name] - current[name]).total_seconds()) < 60:
                values[name] = current[name]
        changed = [name for name in EDITABLE if values[name] != current[name]]
        for name in changed:
            setattr(activity, name, values[name])
        changed += _cover(activity, cover)
        if roles is not None:
            changed += _replace_roles(activity, _clean_roles(roles))
            if activity.status == S.PUBLISHED:
                for role in activity.roles.all():  # places added: the waiting list moves up
                    promote(activity, role, now, actor, action="edit")
        moved = [name for name in TIME_AND_PLACE if name in changed]
        event = record(
            activity,
            action="edit",
            actor=actor,
            to=activity.status,
            now=now,
            code="edited",
            params={"fields": sorted(set(changed))},
            note=note,
            fields=[c for c in changed if c != "roles"],
        )
        if moved and activity.status == S.PUBLISHED:
            activity_changed_notify(activity, event_id=event.pk, moved=moved)
    return activity


def _replace_roles(activity: Activity, specs: list[RoleSpec]) -> list[str]:
    existing = {r.name: r for r in activity.roles.all()}
    wanted = {s.name: s for s in specs}
    if activity.status != S.DRAFT:
        taken = {
            r.pk: Signup.objects.filter(role=r, status__in=("pending", "confirmed")).count()
            for r in existing.values()
        }
        problems = []
        for name, role in existing.items():
            spec = wanted.get(name)
            if spec is None and taken[role.pk]:
                problems.append(gettext("岗位“%(name)s”已有人报名，不能删除。") % {"name": name})
            elif spec is not None and spec.slots < taken[role.pk]:
                problems.append(
                    gettext("岗位“%(name)s”已有 %(n)s 人报名，人数不能少于此数。")
                    % {"name": name, "n": taken[role.pk]}
                )
        if problems:
            raise ValidationError({"roles": problems})
    changed = False
    for name, role in existing.items():
        spec = wanted.get(name)
        if spec is None:
            role.delete()
            changed = True
        elif (role.slots, role.skill) != (spec.slots, spec.skill):
            role.slots, role.skill = spec.slots, spec.skill
            role.save(update_fields=["slots", "skill"])
            changed = True
    for i, spec in enumerate(specs):
        if spec.name not in existing:
            ActivityRole.objects.create(
                activity=activity, name=spec.name, slots=spec.slots, skill=spec.skill, position=i
            )
            changed = True
    return ["roles"] if changed else []


def activity_publish(*, actor: User, activity_id: Id) -> Activity:
    """草稿 → 招募中: visible to the site's subtree; volunteers may sign up until the deadline."""
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "publish")
        if activity.signup_deadline <= now:
            raise ValidationError(
                {"signup_deadline": [gettext("报名截止时间已过，请先修改活动时间。")]}
            )
        activity.published_at = now
        record(
            activity,
            action="publish",
            actor=actor,
            to=S.PUBLISHED,
            now=now,
            fields=["published_at"],
        )
    return activity


def activity_cancel(*, actor: User, activity_id: Id, reason: str) -> Activity:
    """Cancel with a reason; everyone signed up or registered is told."""
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [gettext("请填写取消原因。")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [gettext("不能超过 %(n)s 个字。") % {"n": 500}]})
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "cancel")
        was_published = activity.status == S.PUBLISHED
        activity.closed_at, activity.close_reason = now, reason
        record(
            activity,
            action="cancel",
            actor=actor,
            to=S.CANCELLED,
            now=now,
            note=reason,
            fields=["closed_at", "close_reason"],
        )
        if was_published:
            activity_cancelled_notify(activity, reason=reason)
    return activity


def activity_finish(*, actor: User, activity_id: Id) -> Activity:
    """招募中 → 已结束, once the activity has started: attendance can then be confirmed."""
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "finish")
        if now < activity.starts_at:
            raise PermissionDeniedError(gettext("活动还没有开始，不能结束。"), code="not_started")
        activity.closed_at = now
        record(activity, action="finish", actor=actor, to=S.FINISHED, now=now, fields=["closed_at"])
    return activity
