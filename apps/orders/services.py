"""Order workflow and service menu writes.

The workflow is one transition table (``TRANSITIONS``) and one function per move.
Every move:

1. opens a transaction and locks the order row (``select_for_update``), so two people
   acting on the same order act one after another and the second sees the first's
   result (two staff dispatching at once, two volunteers accepting at once);
2. checks the actor can see the order (not yours answers like not there:
   ``NotFoundError``), may take this action (``PermissionDeniedError``) and that the
   order's state allows it (``ConflictError(code="illegal_transition")``);
3. writes the order (and its assignments) and appends an ``OrderEvent``.

All assignment rows of an order are written only while holding the order's row lock,
so they need no lock of their own.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from apps.accounts.mobile import normalize_mobile
from apps.accounts.models import Role, RoleName, User
from apps.sites.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import can_manage_site, held_roles, is_global, scope_queryset
from apps.sites.uploads import CleanImage, clean_image
from apps.volunteers.models import (
    ServiceCategory,
    Volunteer,
    VolunteerStatus,
    availability_bit,
    period_index_for_hour,
)

from .models import (
    MAX_HOURS_PER_ASSIGNMENT,
    MAX_VOLUNTEERS_PER_ORDER,
    AssessmentQueue,
    AssignmentStatus,
    OrderAssignment,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    ServiceItem,
    ServiceOrder,
)
from .notify import order_event_notify, order_overdue_notify

S = OrderStatus
A = AssignmentStatus
_WAITING = frozenset({S.SUBMITTED, S.DISPATCHED, S.ACCEPTED})

# The transition table: action → (statuses it may start from, statuses it may lead to).
# Where several targets are listed the service decides which (an order with two
# volunteers needed stays ``dispatched`` until the second one accepts). Actions whose
# targets equal their sources leave the status as it is and only log an event.
TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "place": (frozenset({""}), frozenset({S.SUBMITTED})),
    "dispatch": (frozenset({S.SUBMITTED}), frozenset({S.DISPATCHED})),
    "accept": (frozenset({S.DISPATCHED}), frozenset({S.DISPATCHED, S.ACCEPTED})),
    "decline": (frozenset({S.DISPATCHED}), frozenset({S.DISPATCHED, S.SUBMITTED})),
    "start": (frozenset({S.ACCEPTED, S.IN_SERVICE}), frozenset({S.IN_SERVICE})),
    "complete": (frozenset({S.IN_SERVICE}), frozenset({S.IN_SERVICE, S.COMPLETED})),
    "rate": (frozenset({S.COMPLETED}), frozenset({S.RATED})),
    "assess": (frozenset({S.COMPLETED, S.RATED}), frozenset({S.ASSESSED, S.REJECTED})),
    "cancel": (frozenset({S.SUBMITTED, S.DISPATCHED}), frozenset({S.CANCELLED})),
    "reject": (frozenset({S.SUBMITTED, S.DISPATCHED}), frozenset({S.REJECTED})),
    "escalate": (frozenset({S.SUBMITTED, S.DISPATCHED}), frozenset({S.SUBMITTED})),
    "nudge": (_WAITING, _WAITING),
    "dispute": (frozenset({S.COMPLETED, S.RATED}), frozenset({S.COMPLETED, S.RATED})),
    "lapse_rating": (frozenset({S.COMPLETED}), frozenset({S.COMPLETED})),
}

ACTION_LABELS: dict[str, str] = {
    "place": "点单",
    "dispatch": "派单",
    "accept": "接单",
    "decline": "谢绝",
    "start": "签到开始服务",
    "complete": "签退完成服务",
    "rate": "评价",
    "assess": "考核",
    "cancel": "取消",
    "reject": "驳回",
    "escalate": "上报上级阵地",
    "nudge": "催单",
    "dispute": "投诉",
    "lapse_rating": "超期未评价转考核",
}

RATING_WINDOW = dt.timedelta(days=7)  # rate, or dispute, within 7 days of completion
NUDGE_INTERVAL = dt.timedelta(hours=1)  # a resident may nudge at most once an hour
MAX_PHOTOS = 9
# Preferred times: not more than an hour in the past (a phone order for "right now"
# is entered a little late) and not more than 90 days ahead.
PREFERRED_PAST_SLACK = dt.timedelta(hours=1)
PREFERRED_MAX_AHEAD = dt.timedelta(days=90)
PREFERRED_MAX_LENGTH = dt.timedelta(days=7)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces


class TooSoonError(DomainError):
    """The action is allowed, just not again yet (nudging twice within an hour)."""

    status_code = 429
    default_code = "too_soon"


# --- helpers ---------------------------------------------------------------------------
def _check_transition(order: ServiceOrder, action: str) -> None:
    allowed_from, _targets = TRANSITIONS[action]
    if order.status not in allowed_from:
        raise ConflictError(
            f"订单当前状态为“{order.get_status_display()}”，不能{ACTION_LABELS[action]}。",
            code="illegal_transition",
            errors={"status": [order.status]},
        )


def _record(
    order: ServiceOrder,
    *,
    action: str,
    actor: Any,
    to: str,
    now: dt.datetime,
    note: str = "",
    fields: Sequence[str] = (),
) -> OrderEvent:
    """Move ``order`` to ``to``, save ``fields`` and append the event.

    Caller holds the order row lock and has run ``_check_transition``."""
    allowed_from, targets = TRANSITIONS[action]
    if order.status not in allowed_from or to not in targets:
        # A service asking for a move the table does not list is a programming error.
        raise AssertionError(f"transition {action}: {order.status} → {to} not in the table")
    from_status = order.status
    update = set(fields)
    if to != from_status:
        order.status = to
        order.status_changed_at = now
        update |= {"status", "status_changed_at"}
    if update:
        order.save(update_fields=sorted(update))
    actor_id = getattr(actor, "pk", None)
    event = OrderEvent.objects.create(
        order=order,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=to,
        note=note[:1000],
        created_at=now,
    )
    # Same transaction: the notifications commit with the change or not at all.
    order_event_notify(order, event)
    return event


def _lock_visible(order_id: Any, actor: Any) -> ServiceOrder:
    """The order, row-locked, if ``actor`` may see it; NotFoundError otherwise.

    Must be called inside ``transaction.atomic()``. ``of=("self",)`` locks only the
    order row, not the joined site and menu rows other orders share."""
    try:
        order = (
            ServiceOrder.objects.select_for_update(of=("self",))
            .select_related("site", "handling_site", "service")
            .get(pk=int(order_id))
        )
    except (ServiceOrder.DoesNotExist, TypeError, ValueError):
        raise NotFoundError("订单不存在。", code="not_found") from None
    if not order_visible_to(order, actor):
        raise NotFoundError("订单不存在。", code="not_found")
    return order


def order_visible_to(order: ServiceOrder, user: Any) -> bool:
    """The resident (and whoever placed it for them), any volunteer dispatched to it,
    and staff whose scope holds the order's point. Handling sites are the point or its
    ancestors, so staff of an escalation target see it through the same rule."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (order.resident_id, order.placed_by_id):
        return True
    if can_manage_site(user, order.site):
        return True
    return OrderAssignment.objects.filter(order_id=order.pk, volunteer__user=user).exists()


def _require_resident(order: ServiceOrder, actor: Any, action: str) -> None:
    if actor.pk != order.resident_id:
        raise PermissionDeniedError(
            f"只有点单群众本人可以{ACTION_LABELS[action]}。", code="not_order_resident"
        )


def _require_dispatcher(order: ServiceOrder, actor: Any) -> None:
    if not can_manage_site(actor, order.handling_site):
        raise PermissionDeniedError(
            f"只有承办阵地（{order.handling_site.name}）及其上级的工作人员可以处理该订单。",
            code="not_handling_staff",
        )


def _my_assignment(order: ServiceOrder, actor: Any) -> OrderAssignment:
    assignment = (
        OrderAssignment.objects.select_related("volunteer")
        .filter(order_id=order.pk, volunteer__user=actor)
        .first()
    )
    if assignment is None:
        raise PermissionDeniedError("该订单没有派给您。", code="not_assigned")
    return assignment


def _require_open(mine: OrderAssignment, verb: str) -> None:
    """The volunteer's own assignment must still wait for an answer."""
    if mine.status != A.ASSIGNED:
        raise ConflictError(
            f"您的派单状态为“{mine.get_status_display()}”，不能{verb}。",
            code="assignment_not_open",
        )


def _clean_text(
    value: Any, *, field: str, required: bool, max_length: int, message: str = "请填写此项。"
) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [message]})
    if len(text) > max_length:
        raise ValidationError({field: [f"不能超过 {max_length} 个字。"]})
    return text


def _clean_hours(value: Any, *, field: str, allow_zero: bool = False) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: ["服务时长必须是数字（小时）。"]}) from None
    low_ok = hours >= 0 if allow_zero else hours > 0
    if not hours.is_finite() or not low_ok or hours > MAX_HOURS_PER_ASSIGNMENT:
        low = "0" if allow_zero else "大于 0"
        raise ValidationError(
            {
                field: [
                    f"服务时长应在 {low} 到 {MAX_HOURS_PER_ASSIGNMENT} 小时之间（只计服务时间，不含路途）。"
                ]
            }
        )
    return hours


def _lapse_assignments(order: ServiceOrder, now: dt.datetime, *statuses: str) -> int:
    return OrderAssignment.objects.filter(order_id=order.pk, status__in=statuses).update(
        status=A.LAPSED, responded_at=now
    )


def resident_points(user: Any) -> list[int]:
    """Ids of the points where ``user`` is registered as a resident."""
    return [r.site_id for r in held_roles(user) if r.role == RoleName.RESIDENT]


def slot_bit_for(moment: dt.datetime) -> int:
    """The volunteers' availability bit of ``moment`` (weekday × period, local time)."""
    local = timezone.localtime(moment)
    return availability_bit(local.weekday(), period_index_for_hour(local.hour))


# --- service menu ------------------------------------------------------------------------
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
            raise ValidationError({key: ["不能修改此项。"]})
        if key == "title":
            value = str(value or "").strip()
            if not value:
                errors["title"] = ["请填写服务名称。"]
            elif len(value) > 100:
                errors["title"] = ["服务名称不能超过 100 个字。"]
        elif key == "category" and value not in ServiceCategory.values:
            errors["category"] = ["请选择服务类别。"]
        elif key == "description":
            value = str(value or "").strip()
        elif key == "duration_hours":
            try:
                value = Decimal(str(value)).quantize(Decimal("0.1"))
            except (InvalidOperation, ValueError):
                value = Decimal("-1")
            if not (Decimal("0") < value <= MAX_HOURS_PER_ASSIGNMENT):
                errors["duration_hours"] = ["预计时长应在 0.1 到 24 小时之间。"]
        elif key == "points_per_hour":
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = -1
            if not 0 <= value <= 1000:
                errors["points_per_hour"] = ["每小时积分应在 0 到 1000 之间。"]
        elif key == "volunteers_needed":
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = 0
            if not 1 <= value <= MAX_VOLUNTEERS_PER_ORDER:
                errors["volunteers_needed"] = [f"人数应在 1 到 {MAX_VOLUNTEERS_PER_ORDER} 之间。"]
        elif key == "is_active":
            value = bool(value)
        clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def service_item_create(*, actor: Any, site: Site, **fields: Any) -> ServiceItem:
    """Publish a menu item at ``site`` (staff managing ``site``)."""
    if site is None or not can_manage_site(actor, site):
        raise NotFoundError("阵地不存在。", code="site_not_found")
    if site.level == SiteLevel.BASE:
        raise ValidationError({"site": ["服务菜单由中心、实践所或实践站发布。"]})
    for required in ("title", "category"):
        fields.setdefault(required, "")
    clean = _clean_item_fields(fields)
    try:
        with transaction.atomic():
            return ServiceItem.objects.create(site=site, created_by=actor, **clean)
    except IntegrityError:
        raise ValidationError({"title": ["本阵地已有同名的服务项目。"]}) from None


def service_item_update(*, actor: Any, item_id: Any, **fields: Any) -> ServiceItem:
    """Edit a menu item (or take it off the menu with ``is_active=False``)."""
    clean = _clean_item_fields(fields)
    try:
        with transaction.atomic():
            # Lock: two staff editing the same item save one after the other.
            item = (
                ServiceItem.objects.select_for_update(of=("self",))
                .select_related("site")
                .filter(pk=item_id)
                .first()
            )
            if item is None or not can_manage_site(actor, item.site):
                raise NotFoundError("服务项目不存在。", code="not_found")
            for key, value in clean.items():
                setattr(item, key, value)
            item.save()
            return item
    except IntegrityError:
        raise ValidationError({"title": ["本阵地已有同名的服务项目。"]}) from None


# --- place -------------------------------------------------------------------------------
def order_place(
    *,
    actor: Any,
    service: ServiceItem | None,
    address: str,
    contact_mobile: str,
    preferred_start: dt.datetime | None,
    preferred_end: dt.datetime | None,
    site: Site | None = None,
    note: str = "",
    volunteers_needed: int | None = None,
    resident: User | None = None,
    idempotency_key: str | None = None,
) -> tuple[ServiceOrder, bool]:
    """Place an order (点单): a resident at their point, or staff for a resident (代点单).

    With an ``idempotency_key`` a repeat by the same user returns the first order and
    ``created=False`` — also when two requests with the same key race (the unique
    index on (placed_by, idempotency_key) lets exactly one insert through)."""
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not _KEY_RE.match(idempotency_key):
            raise ValidationError(
                {"idempotency_key": ["Idempotency-Key 应为 1 到 100 个可见 ASCII 字符。"]}
            )
        existing = _order_by_key(actor, idempotency_key)
        if existing is not None:
            _check_same_request(existing, service)
            return existing, False

    # Who orders for whom, and at which point.
    if resident is None or resident.pk == actor.pk:
        resident = actor
        points = resident_points(actor)
        if not points:
            raise PermissionDeniedError("只有登记为群众的用户可以点单。", code="not_resident")
        if site is None:
            site = Site.objects.get(pk=points[0])
        elif site.pk not in points:
            raise ValidationError({"site": ["请选择您登记所在的实践站。"]})
    else:
        if site is None:
            raise ValidationError({"site": ["代点单请选择群众所在的实践站。"]})
        if not can_manage_site(actor, site):
            raise NotFoundError("阵地不存在。", code="site_not_found")
        if not Role.objects.filter(user=resident, site=site, role=RoleName.RESIDENT).exists():
            raise ValidationError({"resident": ["该用户不是这个实践站登记的群众。"]})

    errors: dict[str, list[str]] = {}
    if service is None:
        errors["service"] = ["请选择服务项目。"]
    elif not service.is_active or not site.path.startswith(service.site.path):
        errors["service"] = ["该服务不在本站的服务菜单上。"]
    address = (address or "").strip()
    if not address:
        errors["address"] = ["请填写服务地址。"]
    elif len(address) > 200:
        errors["address"] = ["地址不能超过 200 个字。"]
    mobile = ""
    try:
        mobile = normalize_mobile(contact_mobile)
    except ValidationError as exc:
        errors["contact_mobile"] = list(exc.messages)
    now = timezone.now()
    if preferred_start is None:
        errors["preferred_start"] = ["请填写期望开始时间。"]
    elif not (now - PREFERRED_PAST_SLACK <= preferred_start <= now + PREFERRED_MAX_AHEAD):
        errors["preferred_start"] = ["期望时间应在现在到 90 天之内。"]
    if preferred_end is None:
        errors["preferred_end"] = ["请填写期望结束时间。"]
    elif preferred_start is not None and not (
        preferred_start < preferred_end <= preferred_start + PREFERRED_MAX_LENGTH
    ):
        errors["preferred_end"] = ["结束时间应晚于开始时间，且不超过 7 天。"]
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = ["备注不能超过 500 个字。"]
    needed = volunteers_needed or (service.volunteers_needed if service else 1)
    if not 1 <= int(needed) <= MAX_VOLUNTEERS_PER_ORDER:
        errors["volunteers_needed"] = [f"人数应在 1 到 {MAX_VOLUNTEERS_PER_ORDER} 之间。"]
    if errors:
        raise ValidationError(errors)
    assert service is not None and preferred_start is not None and preferred_end is not None

    try:
        with transaction.atomic():
            order = ServiceOrder.objects.create(
                service=service,
                site=site,
                handling_site=site,
                resident=resident,
                placed_by=actor,
                idempotency_key=idempotency_key,
                address=address,
                contact_mobile=mobile,
                preferred_start=preferred_start,
                preferred_end=preferred_end,
                preferred_slot_bit=slot_bit_for(preferred_start),
                note=note,
                volunteers_needed=int(needed),
                status=S.SUBMITTED,
            )
            by = "" if resident.pk == actor.pk else f"工作人员代点单（{actor}）"
            OrderEvent.objects.create(
                order=order,
                actor=actor,
                action="place",
                from_status="",
                to_status=S.SUBMITTED,
                note=by,
                created_at=order.created_at,
            )
    except IntegrityError:
        # Lost the race for the same Idempotency-Key: the winner's order is committed
        # (our INSERT waited on the unique index until it was), so return it.
        existing = _order_by_key(actor, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        _check_same_request(existing, service)
        return existing, False
    return order, True


def _check_same_request(existing: ServiceOrder, service: ServiceItem | None) -> None:
    """A repeated Idempotency-Key must repeat the same request: a key reused for another
    service is a client error, not a silent return of an unrelated order."""
    if service is not None and existing.service_id != service.pk:
        raise ConflictError(
            "该 Idempotency-Key 已用于另一张点单，请为新的点单使用新的键。",
            code="idempotency_key_reused",
        )


def _order_by_key(actor: Any, key: str) -> ServiceOrder | None:
    return ServiceOrder.objects.filter(placed_by=actor, idempotency_key=key).first()


# --- dispatch ----------------------------------------------------------------------------
def order_dispatch(
    *, order_id: Any, actor: Any, volunteer_ids: Iterable[Any], note: str = ""
) -> ServiceOrder:
    """Assign approved volunteers of the dispatcher's subtree (派单)."""
    try:
        ids = list(dict.fromkeys(int(v) for v in volunteer_ids))
    except (TypeError, ValueError):
        raise ValidationError({"volunteers": ["志愿者编号无效。"]}) from None
    if not ids:
        raise ValidationError({"volunteers": ["请至少选择一名志愿者。"]})
    if len(ids) > MAX_VOLUNTEERS_PER_ORDER:
        raise ValidationError({"volunteers": [f"一次最多派 {MAX_VOLUNTEERS_PER_ORDER} 名志愿者。"]})
    note = _clean_text(note, field="note", required=False, max_length=300)
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        _require_dispatcher(order, actor)
        _check_transition(order, "dispatch")
        volunteers = list(
            scope_queryset(
                Volunteer.objects.filter(pk__in=ids, status=VolunteerStatus.APPROVED), actor
            ).only("pk", "real_name")
        )
        missing = sorted(set(ids) - {v.pk for v in volunteers})
        if missing:
            raise ValidationError(
                {
                    "volunteers": [
                        f"志愿者 {'、'.join(map(str, missing))} 不存在、未通过审核或不在您的管理范围内。"
                    ]
                }
            )
        existing = {a.volunteer_id: a for a in OrderAssignment.objects.filter(order_id=order.pk)}
        accepted = sum(1 for a in existing.values() if a.status == A.ACCEPTED)
        already = [
            v.real_name
            for v in volunteers
            if existing.get(v.pk) and existing[v.pk].status == A.ACCEPTED
        ]
        if already:
            raise ValidationError({"volunteers": [f"{'、'.join(already)} 已接单，无需再派。"]})
        if accepted + len(volunteers) < order.volunteers_needed:
            raise ValidationError(
                {
                    "volunteers": [
                        f"该订单需要 {order.volunteers_needed} 名志愿者，请再选 "
                        f"{order.volunteers_needed - accepted - len(volunteers)} 名。"
                    ]
                }
            )
        now = timezone.now()
        new, again = [], []
        for v in volunteers:
            row = existing.get(v.pk)
            if row is None:
                new.append(
                    OrderAssignment(
                        order=order,
                        volunteer=v,
                        assigned_by=actor,
                        assigned_at=now,
                        status=A.ASSIGNED,
                    )
                )
            else:
                again.append(row.pk)
        OrderAssignment.objects.bulk_create(new)
        if again:
            # A volunteer who declined or lapsed earlier is asked again.
            OrderAssignment.objects.filter(pk__in=again).update(
                status=A.ASSIGNED,
                assigned_by=actor,
                assigned_at=now,
                responded_at=None,
                decline_reason="",
            )
        order.dispatched_at = now
        order.overdue_at = None  # dispatched: no longer waiting, no longer flagged
        names = "、".join(v.real_name for v in volunteers)
        _record(
            order,
            action="dispatch",
            actor=actor,
            to=S.DISPATCHED,
            now=now,
            note=f"派给：{names}" + (f"；{note}" if note else ""),
            fields=["dispatched_at", "overdue_at"],
        )
    return order


# --- volunteer: accept / decline / start / complete --------------------------------------
def order_accept(*, order_id: Any, actor: Any) -> ServiceOrder:
    """An assigned volunteer accepts (接单). The order is ``accepted`` once as many
    volunteers as it needs have accepted; the other open assignments then lapse."""
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        mine = _my_assignment(order, actor)
        _check_transition(order, "accept")
        _require_open(mine, "接单")
        now = timezone.now()
        mine.status, mine.responded_at = A.ACCEPTED, now
        mine.save(update_fields=["status", "responded_at"])
        accepted = OrderAssignment.objects.filter(order_id=order.pk, status=A.ACCEPTED).count()
        name = mine.volunteer.real_name
        if accepted >= order.volunteers_needed:
            _lapse_assignments(order, now, A.ASSIGNED)
            order.accepted_at = now
            _record(
                order,
                action="accept",
                actor=actor,
                to=S.ACCEPTED,
                now=now,
                note=f"{name} 接单",
                fields=["accepted_at"],
            )
        else:
            _record(
                order,
                action="accept",
                actor=actor,
                to=S.DISPATCHED,
                now=now,
                note=f"{name} 接单（{accepted}/{order.volunteers_needed}）",
            )
    return order


def order_decline(*, order_id: Any, actor: Any, reason: str) -> ServiceOrder:
    """An assigned volunteer declines (with a reason). When too few volunteers remain
    the order returns to ``submitted`` for the staff to dispatch again."""
    reason = _clean_text(
        reason, field="reason", required=True, max_length=300, message="请填写谢绝的原因。"
    )
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        mine = _my_assignment(order, actor)
        _check_transition(order, "decline")
        _require_open(mine, "谢绝")
        now = timezone.now()
        mine.status, mine.responded_at, mine.decline_reason = A.DECLINED, now, reason
        mine.save(update_fields=["status", "responded_at", "decline_reason"])
        still = OrderAssignment.objects.filter(
            order_id=order.pk, status__in=[A.ASSIGNED, A.ACCEPTED]
        ).count()
        note = f"{mine.volunteer.real_name} 谢绝：{reason}"
        if still >= order.volunteers_needed:
            _record(order, action="decline", actor=actor, to=S.DISPATCHED, now=now, note=note)
        else:
            # Volunteers who already accepted stay on it; the open requests lapse.
            _lapse_assignments(order, now, A.ASSIGNED)
            _record(
                order,
                action="decline",
                actor=actor,
                to=S.SUBMITTED,
                now=now,
                note=note + "；订单退回待派单",
            )
    return order


def order_start(*, order_id: Any, actor: Any) -> ServiceOrder:
    """An accepted volunteer checks in (签到); the first check-in starts the service."""
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        mine = _my_assignment(order, actor)
        _check_transition(order, "start")
        if mine.status != A.ACCEPTED:
            raise ConflictError("您没有接这张单，不能签到。", code="assignment_not_accepted")
        if mine.checked_in_at is not None:
            raise ConflictError("您已经签到过了。", code="already_checked_in")
        now = timezone.now()
        mine.checked_in_at = now
        mine.save(update_fields=["checked_in_at"])
        fields = []
        if order.started_at is None:
            order.started_at = now
            fields.append("started_at")
        _record(
            order,
            action="start",
            actor=actor,
            to=S.IN_SERVICE,
            now=now,
            note=f"{mine.volunteer.real_name} 签到",
            fields=fields,
        )
    return order


def default_hours(checked_in_at: dt.datetime, checked_out_at: dt.datetime) -> Decimal:
    """Elapsed time rounded up to the half hour, at least half an hour, at most 24."""
    halves = max(1, math.ceil((checked_out_at - checked_in_at).total_seconds() / 1800))
    return min(Decimal(halves) / 2, MAX_HOURS_PER_ASSIGNMENT)


def clean_photos(photos: Sequence[UploadedFile]) -> list[CleanImage]:
    """Validate and re-encode photos before any lock is taken (Pillow work is slow)."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [f"最多上传 {MAX_PHOTOS} 张照片。"]})
    cleaned = []
    for upload in photos:
        try:
            cleaned.append(clean_image(upload))
        except ValidationError as exc:
            raise ValidationError(
                {"photos": [f"{upload.name}：{m}" for m in exc.messages]}
            ) from None
    return cleaned


def order_complete(
    *,
    order_id: Any,
    actor: Any,
    summary: str,
    hours: Any = None,
    photos: Sequence[UploadedFile] = (),
) -> ServiceOrder:
    """A volunteer checks out (签退) with hours (service time only), a summary and
    optional photos. The order is ``completed`` when every accepted volunteer has
    checked out."""
    summary = _clean_text(
        summary, field="summary", required=True, max_length=2000, message="请填写服务小结。"
    )
    reported = None if hours in (None, "") else _clean_hours(hours, field="hours")
    images = clean_photos(photos)
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        mine = _my_assignment(order, actor)
        _check_transition(order, "complete")
        if mine.status != A.ACCEPTED or mine.checked_in_at is None:
            raise ConflictError("请先签到，再签退。", code="not_checked_in")
        if mine.checked_out_at is not None:
            raise ConflictError("您已经签退过了。", code="already_checked_out")
        now = timezone.now()
        mine.checked_out_at = now
        mine.reported_hours = reported or default_hours(mine.checked_in_at, now)
        mine.summary = summary
        mine.save(update_fields=["checked_out_at", "reported_hours", "summary"])
        # Files are written to storage as the rows are saved; if the transaction rolls
        # back the files stay behind unreferenced (harmless, swept by storage hygiene).
        for img in images:
            OrderPhoto.objects.create(
                order=order,
                assignment=mine,
                image=img.image,
                thumbnail=img.thumbnail,
                uploaded_by=actor,
            )
        open_ = OrderAssignment.objects.filter(
            order_id=order.pk, status=A.ACCEPTED, checked_out_at__isnull=True
        ).exists()
        note = f"{mine.volunteer.real_name} 签退，服务 {mine.reported_hours} 小时"
        if images:
            note += f"，上传照片 {len(images)} 张"
        if open_:
            _record(order, action="complete", actor=actor, to=S.IN_SERVICE, now=now, note=note)
        else:
            order.completed_at = now
            _record(
                order,
                action="complete",
                actor=actor,
                to=S.COMPLETED,
                now=now,
                note=note,
                fields=["completed_at"],
            )
    return order


# --- resident: rate / dispute / cancel / nudge -------------------------------------------
def order_rate(*, order_id: Any, actor: Any, score: Any, comment: str = "") -> ServiceOrder:
    """The ordering resident rates the service once (评单), within the rating window."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": ["请打 1 到 5 分。"]})
    comment = _clean_text(comment, field="comment", required=False, max_length=500)
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        _require_resident(order, actor, "rate")
        _check_transition(order, "rate")
        if order.rating_lapsed_at is not None:
            raise ConflictError(
                "完成已超过 7 天，评价已关闭，订单已转入考核。", code="rating_closed"
            )
        now = timezone.now()
        order.score, order.rating_comment, order.rated_at = score, comment, now
        # A disputed order stays in the county's queue.
        if order.assessment_queue != AssessmentQueue.COUNTY:
            order.assessment_queue = AssessmentQueue.TOWNSHIP
        _record(
            order,
            action="rate",
            actor=actor,
            to=S.RATED,
            now=now,
            note=f"{score} 分" + (f"：{comment}" if comment else ""),
            fields=["score", "rating_comment", "rated_at", "assessment_queue"],
        )
    return order


def order_dispute(*, order_id: Any, actor: Any, text: str) -> ServiceOrder:
    """The resident complains within 7 days of completion; the order goes to the
    county's assessment queue with the complaint attached."""
    text = _clean_text(
        text, field="comment", required=True, max_length=1000, message="请写明投诉的内容。"
    )
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        _require_resident(order, actor, "dispute")
        _check_transition(order, "dispute")
        now = timezone.now()
        if order.disputed_at is not None:
            raise ConflictError("该订单已经投诉过，请等待县中心处理。", code="already_disputed")
        if order.completed_at is None or now - order.completed_at > RATING_WINDOW:
            raise ConflictError("服务完成已超过 7 天，不能再投诉。", code="dispute_window_closed")
        order.dispute_text, order.disputed_at = text, now
        order.assessment_queue = AssessmentQueue.COUNTY
        _record(
            order,
            action="dispute",
            actor=actor,
            to=order.status,
            now=now,
            note=f"投诉：{text}",
            fields=["dispute_text", "disputed_at", "assessment_queue"],
        )
    return order


def order_cancel(*, order_id: Any, actor: Any, reason: str = "") -> ServiceOrder:
    """The resident cancels before the order is accepted."""
    reason = _clean_text(reason, field="reason", required=False, max_length=300)
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        _require_resident(order, actor, "cancel")
        _check_transition(order, "cancel")
        _close(
            order,
            action="cancel",
            actor=actor,
            to=S.CANCELLED,
            reason=reason,
            note=reason or "群众取消",
        )
    return order


def _close(
    order: ServiceOrder, *, action: str, actor: Any, to: str, reason: str, note: str
) -> None:
    """End an open order (cancel or reject): open and accepted requests to volunteers
    lapse. Caller holds the order row lock and checked the transition."""
    now = timezone.now()
    _lapse_assignments(order, now, A.ASSIGNED, A.ACCEPTED)
    order.closed_at, order.close_reason = now, reason
    _record(
        order,
        action=action,
        actor=actor,
        to=to,
        now=now,
        note=note,
        fields=["closed_at", "close_reason"],
    )


def order_nudge(*, order_id: Any, actor: Any) -> ServiceOrder:
    """催单: the resident flags a waiting order on the dispatch board, once an hour."""
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        _require_resident(order, actor, "nudge")
        _check_transition(order, "nudge")
        now = timezone.now()
        if order.last_nudged_at is not None and now - order.last_nudged_at < NUDGE_INTERVAL:
            wait = math.ceil((NUDGE_INTERVAL - (now - order.last_nudged_at)).total_seconds() / 60)
            raise TooSoonError(
                f"一小时内只能催单一次，请 {wait} 分钟后再试。", code="nudge_too_soon"
            )
        order.last_nudged_at = now
        order.nudge_count += 1
        _record(
            order,
            action="nudge",
            actor=actor,
            to=order.status,
            now=now,
            note=f"第 {order.nudge_count} 次催单",
            fields=["last_nudged_at", "nudge_count"],
        )
    return order


# --- staff: reject / escalate / assess ----------------------------------------------------
def order_reject(*, order_id: Any, actor: Any, reason: str) -> ServiceOrder:
    """Staff of the handling site turn the order down, with a reason."""
    reason = _clean_text(
        reason, field="reason", required=True, max_length=300, message="请填写驳回的原因。"
    )
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        _require_dispatcher(order, actor)
        _check_transition(order, "reject")
        _close(order, action="reject", actor=actor, to=S.REJECTED, reason=reason, note=reason)
    return order


def order_escalate(*, order_id: Any, actor: Any, reason: str = "") -> ServiceOrder:
    """上报: staff pass an order their site cannot serve to the parent site, where it
    waits for dispatch. Open requests to volunteers lapse."""
    reason = _clean_text(reason, field="reason", required=False, max_length=300)
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        _require_dispatcher(order, actor)
        _check_transition(order, "escalate")
        _escalate(order, actor=actor, reason=reason, now=timezone.now())
    return order


def _escalate(order: ServiceOrder, *, actor: Any, reason: str, now: dt.datetime) -> None:
    """Move a locked, submitted order to its handling site's parent (caller holds the
    order row lock and checked the transition)."""
    parent = (
        Site.objects.filter(pk=order.handling_site.parent_id).first()
        if order.handling_site.parent_id
        else None
    )
    if parent is None:
        raise ConflictError("县级中心没有上级阵地，无法上报。", code="no_parent_site")
    _lapse_assignments(order, now, A.ASSIGNED)
    from_name = order.handling_site.name
    order.handling_site, order.escalated_at = parent, now
    _record(
        order,
        action="escalate",
        actor=actor,
        to=S.SUBMITTED,
        now=now,
        note=f"由{from_name}上报至{parent.name}" + (f"：{reason}" if reason else ""),
        fields=["handling_site", "escalated_at"],
    )


def escalation_limit(site: Site) -> dt.timedelta:
    minutes: int = site.escalation_minutes or settings.ORDER_ESCALATION_MINUTES
    return dt.timedelta(minutes=minutes)


def orders_escalate_overdue(
    *, now: dt.datetime | None = None, batch_size: int = 200
) -> dict[str, int]:
    """Every few minutes: an order left ``submitted`` at its handling site longer than
    that site's limit (default 2 hours) goes up to the parent site, with an event and
    notifications; a county-level order past the limit is flagged (``overdue_at``) for
    the county dashboard and its staff are told once.

    Waiting starts when the order reached its handling site (``escalated_at``) or
    last became ``submitted`` (``status_changed_at``). One query per distinct limit
    finds candidates; each is then locked (skipping rows someone holds right now) and
    re-checked, so a concurrent dispatch wins and a rerun does nothing twice."""
    now = now or timezone.now()
    # The later of the two: escalating keeps the status (so not status_changed_at), and
    # an escalated order dispatched and declined again waits from its return.
    waiting_since = Greatest("status_changed_at", Coalesce("escalated_at", "status_changed_at"))
    limits: set[int] = {
        m
        for m in Site.objects.exclude(escalation_minutes__isnull=True).values_list(
            "escalation_minutes", flat=True
        )
        if m is not None
    }
    default = settings.ORDER_ESCALATION_MINUTES
    candidates: list[int] = []
    base = ServiceOrder.objects.filter(status=S.SUBMITTED, overdue_at__isnull=True).annotate(
        waiting_since=waiting_since
    )
    for minutes in limits | {default}:
        site_q = (
            Q(handling_site__escalation_minutes=minutes)
            if minutes != default
            else Q(handling_site__escalation_minutes__isnull=True)
            | Q(handling_site__escalation_minutes=default)
        )
        cutoff = now - dt.timedelta(minutes=minutes)
        candidates += list(
            base.filter(site_q, waiting_since__lte=cutoff)
            .order_by("waiting_since")
            .values_list("pk", flat=True)[:batch_size]
        )
    escalated = flagged = 0
    for pk in candidates:
        with transaction.atomic():
            order = (
                ServiceOrder.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("site", "handling_site", "service")
                .filter(pk=pk)
                .first()
            )
            if order is None or order.status != S.SUBMITTED or order.overdue_at is not None:
                continue
            since = max(t for t in (order.escalated_at, order.status_changed_at) if t)
            if since > now - escalation_limit(order.handling_site):
                continue  # dispatched and declined again meanwhile: the clock restarted
            if order.handling_site.parent_id:
                _escalate(
                    order,
                    actor=None,
                    now=now,
                    reason=f"超过 {int(escalation_limit(order.handling_site).total_seconds() // 60)} 分钟无人派单，自动上报",
                )
                escalated += 1
            else:
                order.overdue_at = now
                order.save(update_fields=["overdue_at"])
                order_overdue_notify(order)
                flagged += 1
    return {"escalated": escalated, "flagged": flagged}


def can_assess(user: Any, order: ServiceOrder) -> bool:
    """Township or county staff whose scope holds the order's point; complaints
    (the county queue) only county staff."""
    if is_global(user):
        return True
    levels = (
        {SiteLevel.COUNTY}
        if order.assessment_queue == AssessmentQueue.COUNTY
        else {SiteLevel.COUNTY, SiteLevel.TOWNSHIP}
    )
    return any(
        r.role in ("staff", "county_admin")
        and r.site_level in levels
        and order.site.path.startswith(r.site_path)
        for r in held_roles(user)
    )


def assessing_site_id(user: Any, order: ServiceOrder) -> int:
    """The site on whose behalf ``user`` assesses ``order``: the deepest township or
    county site where they hold a staff role covering the order's point (for a
    superuser, the county center)."""
    candidates = [
        r
        for r in held_roles(user)
        if r.role in ("staff", "county_admin")
        and r.site_level in (SiteLevel.COUNTY, SiteLevel.TOWNSHIP)
        and order.site.path.startswith(r.site_path)
    ]
    if candidates:
        return max(candidates, key=lambda r: len(r.site_path)).site_id
    return order.site.ancestor_ids()[0]


def order_assess(
    *,
    order_id: Any,
    actor: Any,
    approved: bool,
    hours: Mapping[Any, Any] | None = None,
    comment: str = "",
) -> ServiceOrder:
    """考核定单: confirm the service hours (per volunteer; service time only, defaults
    to the reported hours). Approved → ``assessed`` with ``assessed_at`` (the nightly
    settlement's key); not approved → ``rejected``, nothing to settle."""
    if not isinstance(approved, bool):
        raise ValidationError({"approved": ["请选择通过或不通过。"]})
    comment = _clean_text(
        comment,
        field="comment",
        required=not approved,
        max_length=500,
        message="不通过时请填写考核意见。",
    )
    given: dict[int, Decimal] = {}
    for key, value in (hours or {}).items():
        try:
            vid = int(key)
        except (TypeError, ValueError):
            raise ValidationError({"hours": [f"志愿者编号无效：{key}"]}) from None
        given[vid] = _clean_hours(value, field="hours", allow_zero=True)
    with transaction.atomic():
        order = _lock_visible(order_id, actor)
        _check_transition(order, "assess")
        if not can_assess(actor, order):
            raise PermissionDeniedError(
                "只有乡镇实践所或县级中心的工作人员可以考核"
                + (
                    "；有投诉的订单由县级中心考核。" if order.assessment_queue == "county" else "。"
                ),
                code="not_assessor",
            )
        if order.assessment_queue == AssessmentQueue.NONE:
            raise ConflictError(
                "订单尚未进入考核：请等待群众评价（或完成满 7 天）。",
                code="not_ready_for_assessment",
            )
        served = list(
            OrderAssignment.objects.select_related("volunteer").filter(
                order_id=order.pk, status=A.ACCEPTED, checked_out_at__isnull=False
            )
        )
        by_volunteer = {a.volunteer_id: a for a in served}
        unknown = sorted(set(given) - set(by_volunteer))
        if unknown:
            raise ValidationError(
                {"hours": [f"志愿者 {'、'.join(map(str, unknown))} 没有参与这张单的服务。"]}
            )
        now = timezone.now()
        order.assessed_by, order.assessed_at = actor, now
        order.assessed_site_id = assessing_site_id(actor, order)
        order.assessment_approved, order.assessment_comment = approved, comment
        fields = [
            "assessed_by",
            "assessed_at",
            "assessed_site",
            "assessment_approved",
            "assessment_comment",
        ]
        if approved:
            for a in served:
                a.confirmed_hours = given.get(a.volunteer_id, a.reported_hours)
            OrderAssignment.objects.bulk_update(served, ["confirmed_hours"])
            total = sum((a.confirmed_hours or Decimal("0") for a in served), Decimal("0"))
            detail = "，".join(f"{a.volunteer.real_name} {a.confirmed_hours} 小时" for a in served)
            _record(
                order,
                action="assess",
                actor=actor,
                to=S.ASSESSED,
                now=now,
                note=f"考核通过，确认服务 {total} 小时（{detail}）"
                + (f"：{comment}" if comment else ""),
                fields=fields,
            )
        else:
            order.closed_at, order.close_reason = now, comment
            _record(
                order,
                action="assess",
                actor=actor,
                to=S.REJECTED,
                now=now,
                note=f"考核不通过：{comment}",
                fields=[*fields, "closed_at", "close_reason"],
            )
    return order


# --- what to offer on a page ---------------------------------------------------------------
def actions_for(
    order: ServiceOrder, user: Any, assignment: OrderAssignment | None = None
) -> list[str]:
    """The actions to offer ``user`` on ``order`` (the pages' buttons). A hint only:
    every service checks role, scope and state again under the row lock."""

    def open_(action: str) -> bool:
        return order.status in TRANSITIONS[action][0]

    now = timezone.now()
    offered: list[str] = []
    if assignment is not None:
        if assignment.status == A.ASSIGNED and open_("accept"):
            offered += ["accept", "decline"]
        if assignment.status == A.ACCEPTED and assignment.checked_in_at is None and open_("start"):
            offered.append("start")
        if (
            assignment.status == A.ACCEPTED
            and assignment.checked_in_at is not None
            and assignment.checked_out_at is None
            and open_("complete")
        ):
            offered.append("complete")
    if user.pk == order.resident_id:
        if open_("rate") and order.rating_lapsed_at is None:
            offered.append("rate")
        if open_("nudge") and (
            order.last_nudged_at is None or now - order.last_nudged_at >= NUDGE_INTERVAL
        ):
            offered.append("nudge")
        if open_("cancel"):
            offered.append("cancel")
        if (
            open_("dispute")
            and order.disputed_at is None
            and order.completed_at is not None
            and now - order.completed_at <= RATING_WINDOW
        ):
            offered.append("dispute")
    if can_manage_site(user, order.handling_site):
        offered += [a for a in ("dispatch", "reject") if open_(a)]
        if open_("escalate") and order.handling_site.parent_id:
            offered.append("escalate")
    if open_("assess") and order.assessment_queue and can_assess(user, order):
        offered.append("assess")
    return offered


# --- periodic -------------------------------------------------------------------------------
def orders_lapse_unrated(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Completed orders the resident did not rate within 7 days move on to assessment,
    unrated (the township queue). Set-based, in batches, idempotent: an order is
    claimed only while ``assessment_queue`` is empty, so a rerun claims nothing twice.
    Rows locked by a resident rating right now are skipped and seen on the next run."""
    now = now or timezone.now()
    cutoff = now - RATING_WINDOW
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                ServiceOrder.objects.select_for_update(skip_locked=True)
                .filter(
                    status=S.COMPLETED,
                    assessment_queue=AssessmentQueue.NONE,
                    completed_at__lte=cutoff,
                )
                .order_by("completed_at", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            ServiceOrder.objects.filter(pk__in=ids).update(
                assessment_queue=AssessmentQueue.TOWNSHIP, rating_lapsed_at=now
            )
            OrderEvent.objects.bulk_create(
                [
                    OrderEvent(
                        order_id=pk,
                        actor=None,
                        action="lapse_rating",
                        from_status=S.COMPLETED,
                        to_status=S.COMPLETED,
                        note="完成 7 天未评价，转入考核",
                        created_at=now,
                    )
                    for pk in ids
                ]
            )
        total += len(ids)


__all__ = [
    "ACTION_LABELS",
    "TRANSITIONS",
    "TooSoonError",
    "actions_for",
    "can_assess",
    "order_accept",
    "order_assess",
    "order_cancel",
    "order_complete",
    "order_decline",
    "order_dispatch",
    "order_dispute",
    "order_escalate",
    "order_nudge",
    "order_place",
    "order_rate",
    "order_reject",
    "order_start",
    "order_visible_to",
    "orders_lapse_unrated",
    "service_item_create",
    "service_item_update",
]
