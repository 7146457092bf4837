"""Placing an order (点单), by a resident or by staff for a resident (代点单)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import Role, RoleName, User
from apps.accounts.phone_in import is_family_proxy, normalize_contact_phone
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site

from ..models import (
    MAX_VOLUNTEERS_PER_ORDER,
    OrderEvent,
    ServiceItem,
    ServiceOrder,
)
from .workflow import (
    S,
    resident_points,
    slot_bit_for,
)

# Preferred times: not more than an hour in the past (a phone order for "right now"
# is entered a little late) and not more than 90 days ahead.
PREFERRED_PAST_SLACK = dt.timedelta(hours=1)


PREFERRED_MAX_AHEAD = dt.timedelta(days=90)


PREFERRED_MAX_LENGTH = dt.timedelta(days=7)


_KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces


def order_place(
    *,
    actor: User,
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
                {"idempotency_key": [gettext("Idempotency-Key 应为 1 到 100 个可见 ASCII 字符。")]}
            )
    fingerprint = request_fingerprint(
        actor=actor,
        service=service,
        site=site,
        resident=resident,
        address=address,
        contact_mobile=contact_mobile,
        preferred_start=preferred_start,
        preferred_end=preferred_end,
        note=note,
        volunteers_needed=volunteers_needed,
    )
    if idempotency_key is not None:
        existing = _order_by_key(actor, idempotency_key)
        if existing is not None:
            _check_same_request(existing, service, fingerprint)
            return existing, False

    # Who orders for whom, and at which point.
    if resident is None or resident.pk == actor.pk:
        resident = actor
        points = resident_points(actor)
        if not points:
            raise PermissionDeniedError(
                gettext("只有登记为群众的用户可以点单。"), code="not_resident"
            )
        if site is None:
            site = Site.objects.get(pk=points[0])
        elif site.pk not in points:
            raise ValidationError({"site": [gettext("请选择您登记所在的实践站。")]})
    elif is_family_proxy(actor, resident.pk):
        # A linked family member orders for the elder, at the elder's point.
        points = resident_points(resident)
        if not points:
            raise ValidationError({"resident": [gettext("该用户不是登记的群众。")]})
        if site is None:
            site = Site.objects.get(pk=points[0])
        elif site.pk not in points:
            raise ValidationError({"site": [gettext("请选择老人登记所在的实践站。")]})
    else:
        if site is None:
            raise ValidationError({"site": [gettext("代点单请选择群众所在的实践站。")]})
        if not can_manage_site(actor, site):
            raise NotFoundError(gettext("阵地不存在。"), code="site_not_found")
        if not Role.objects.filter(user=resident, site=site, role=RoleName.RESIDENT).exists():
            raise ValidationError({"resident": [gettext("该用户不是这个实践站登记的群众。")]})

    errors: dict[str, list[str]] = {}
    if service is None:
        errors["service"] = [gettext("请选择服务项目。")]
    elif not service.is_active or not site.path.startswith(service.site.path):
        errors["service"] = [gettext("该服务不在本站的服务菜单上。")]
    address = (address or "").strip()
    if not address:
        errors["address"] = [gettext("请填写服务地址。")]
    elif len(address) > 200:
        errors["address"] = [gettext("地址不能超过 200 个字。")]
    mobile = ""
    try:
        # A mobile, or a landline for callers who have none (phone-in orders).
        mobile = normalize_contact_phone(contact_mobile)
    except ValidationError as exc:
        errors["contact_mobile"] = list(exc.messages)
    now = timezone.now()
    if preferred_start is None:
        errors["preferred_start"] = [gettext("请填写期望开始时间。")]
    elif not (now - PREFERRED_PAST_SLACK <= preferred_start <= now + PREFERRED_MAX_AHEAD):
        errors["preferred_start"] = [gettext("期望时间应在现在到 90 天之内。")]
    if preferred_end is None:
        errors["preferred_end"] = [gettext("请填写期望结束时间。")]
    elif preferred_start is not None and not (
        preferred_start < preferred_end <= preferred_start + PREFERRED_MAX_LENGTH
    ):
        errors["preferred_end"] = [gettext("结束时间应晚于开始时间，且不超过 7 天。")]
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = [gettext("备注不能超过 500 个字。")]
    needed = volunteers_needed or (service.volunteers_needed if service else 1)
    if not 1 <= int(needed) <= MAX_VOLUNTEERS_PER_ORDER:
        errors["volunteers_needed"] = [
            gettext("人数应在 1 到 %(n)s 之间。") % {"n": MAX_VOLUNTEERS_PER_ORDER}
        ]
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
                request_fingerprint=fingerprint if idempotency_key else "",
                address=address,
                contact_mobile=mobile,
                preferred_start=preferred_start,
                preferred_end=preferred_end,
                preferred_slot_bit=slot_bit_for(preferred_start),
                note=note,
                volunteers_needed=int(needed),
                status=S.SUBMITTED,
            )
            OrderEvent.objects.create(
                order=order,
                actor=actor,
                action="place",
                from_status="",
                to_status=S.SUBMITTED,
                # Placed for the resident by staff: the timeline says by whom.
                code="" if resident.pk == actor.pk else "placed_by_staff",
                params={} if resident.pk == actor.pk else {"staff": str(actor)},
                created_at=order.created_at,
            )
    except IntegrityError:
        # Lost the race for the same Idempotency-Key: the winner's order is committed
        # (our INSERT waited on the unique index until it was), so return it.
        existing = _order_by_key(actor, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        _check_same_request(existing, service, fingerprint)
        return existing, False
    return order, True


def request_fingerprint(
    *,
    actor: User,
    service: ServiceItem | None,
    site: Site | None,
    resident: User | None,
    address: str,
    contact_mobile: str,
    preferred_start: dt.datetime | None,
    preferred_end: dt.datetime | None,
    note: str,
    volunteers_needed: int | None,
) -> str:
    """SHA-256 of the normalised request: what was asked, as it was asked (trimmed text,
    the canonical mobile, times in UTC), so two spellings of one request match and any
    real difference does not."""
    try:
        mobile = normalize_contact_phone(contact_mobile)
    except ValidationError:
        mobile = str(contact_mobile or "").strip()

    try:
        needed: int | str | None = int(volunteers_needed) if volunteers_needed else None
    except (TypeError, ValueError):
        needed = str(volunteers_needed)

    def when(moment: dt.datetime | None) -> str | None:
        return moment.astimezone(dt.UTC).isoformat() if moment else None

    body = {
        "service": service.pk if service else None,
        "site": site.pk if site else None,
        "resident": (resident or actor).pk,
        "address": str(address or "").strip(),
        "contact_mobile": mobile,
        "preferred_start": when(preferred_start),
        "preferred_end": when(preferred_end),
        "note": str(note or "").strip(),
        "volunteers_needed": needed,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_same_request(
    existing: ServiceOrder, service: ServiceItem | None, fingerprint: str
) -> None:
    """A repeated Idempotency-Key must repeat the same request (Stripe's rule): any
    difference is a client error, not a silent return of another order. Orders placed
    before fingerprints were stored compare by service only."""
    if existing.request_fingerprint:
        if existing.request_fingerprint != fingerprint:
            raise ConflictError(
                gettext("该 Idempotency-Key 已用于另一张点单，请为新的点单使用新的键。"),
                code="idempotency_key_reused",
            )
        return
    if service is not None and existing.service_id != service.pk:
        raise ConflictError(
            gettext("该 Idempotency-Key 已用于另一张点单，请为新的点单使用新的键。"),
            code="idempotency_key_reused",
        )


def _order_by_key(actor: User, key: str) -> ServiceOrder | None:
    return ServiceOrder.objects.filter(placed_by=actor, idempotency_key=key).first()
