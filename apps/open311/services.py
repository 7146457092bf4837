"""Placing an order from an Open311 ``POST requests``: the caller found by phone (a
resident of the jurisdiction) or registered as staff register a phone-in caller, the
order placed through the orders' own ``order_place``, the request recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.mobile import normalize_mobile
from apps.accounts.models import Role, RoleName, User
from apps.accounts.phone_in import normalize_contact_phone, resident_register_by_staff
from apps.orders import services as order_services
from apps.orders.models import OrderPhoto, ServiceItem
from apps.sites.models import Site, SiteLevel

from .media import fetch_image
from .models import ApiKey, Open311Request
from .selectors import menu

MAX_DESCRIPTION = 4000  # the spec's limit
NOTE_LENGTH = 500  # an order's note


@dataclass
class NewRequest:
    """What the integrator sent, parsed (apps.open311.views)."""

    service_code: int | None
    phone: str
    first_name: str = ""
    last_name: str = ""
    address_string: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None
    description: str = ""
    media_url: str = ""
    external_id: str = ""
    preferred_start: dt.datetime | None = None
    preferred_end: dt.datetime | None = None
    volunteers_needed: int | None = None
    address_detail: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


def request_by_external_id(key: ApiKey, external_id: str) -> Open311Request | None:
    if not external_id:
        return None
    return (
        Open311Request.objects.select_related("order")
        .filter(key=key, external_id=external_id)
        .first()
    )


def open311_request_create(
    *, key: ApiKey, jurisdiction: Site, new: NewRequest
) -> tuple[Open311Request, bool]:
    """Place the order; a repeat of the integrator's ``external_id`` returns the first
    request with ``created=False``. ``jurisdiction`` lies in the key's subtree (the
    view checked it). Raises ValidationError for what the integrator must fix."""
    done = request_by_external_id(key, new.external_id)
    if done is not None:
        return done, False

    errors = dict(new.errors)
    item = _service(jurisdiction, new.service_code, errors)
    phone = ""
    try:
        phone = normalize_contact_phone(new.phone)
    except ValidationError as exc:
        errors["phone"] = list(exc.messages)
    address = " ".join(p for p in (new.address_string.strip(), new.address_detail.strip()) if p)
    if not address and new.lat is not None and new.long is not None:
        address = gettext("坐标 %(lat)s, %(long)s") % {"lat": new.lat, "long": new.long}
    if not address:
        errors["address_string"] = [gettext("请提供 address_string 或 lat/long。")]
    if len(new.description) > MAX_DESCRIPTION:
        errors["description"] = [gettext("description 不能超过 4000 个字。")]
    if errors:
        raise ValidationError(errors)
    assert item is not None

    resident, point = _caller(key, jurisdiction, phone)
    if resident is None and jurisdiction.level != SiteLevel.VILLAGE:
        raise ValidationError(
            {
                "jurisdiction_id": [
                    gettext(
                        "该电话尚未登记：请用来电群众所在村（社区）实践站的编码作为 jurisdiction_id。"
                    )
                ]
            }
        )
    start = new.preferred_start or timezone.now()
    end = new.preferred_end or start + dt.timedelta(hours=float(item.duration_hours))
    # Fetched before any transaction: a slow remote host holds no row lock.
    image = fetch_image(new.media_url) if new.media_url else None
    note = new.description.strip()
    if len(note) > NOTE_LENGTH:
        note = note[: NOTE_LENGTH - 1] + "…"
    name = f"{new.last_name.strip()}{new.first_name.strip()}"[:50] or gettext("来电群众")
    # The integrator's id in the orders' own idempotency: two racing repeats place one.
    idem = (
        "o311-" + hashlib.sha256(new.external_id.encode()).hexdigest()[:48]
        if new.external_id
        else None
    )
    try:
        with transaction.atomic():
            if resident is None:
                mobile, landline = _split_phone(phone)
                resident = resident_register_by_staff(
                    actor=key.user,
                    real_name=name,
                    mobile=mobile,
                    landline=landline,
                    address=address[:200],
                    site=jurisdiction,
                )
                point = jurisdiction
            order, created = order_services.order_place(
                actor=key.user,
                service=item,
                address=address[:200],
                contact_mobile=phone,
                preferred_start=start,
                preferred_end=end,
                site=point,
                note=note,
                volunteers_needed=new.volunteers_needed,
                resident=resident,
                idempotency_key=idem,
            )
            if not created:
                done = Open311Request.objects.filter(order=order).first()
                if done is not None:
                    return done, False
            request = Open311Request.objects.create(
                key=key,
                order=order,
                external_id=new.external_id,
                token=secrets.token_hex(12),
                lat=new.lat,
                long=new.long,
                media_url=new.media_url,
                description=new.description,
            )
            if image is not None:
                OrderPhoto.objects.create(
                    order=order,
                    image=image.image,
                    thumbnail=image.thumbnail,
                    uploaded_by=key.user,
                )
    except IntegrityError:
        done = request_by_external_id(key, new.external_id)
        if done is None:
            raise
        return done, False
    return request, True


def _service(
    jurisdiction: Site, code: int | None, errors: dict[str, list[str]]
) -> ServiceItem | None:
    if code is None:
        errors.setdefault("service_code", [gettext("请提供 service_code。")])
        return None
    item = menu(jurisdiction).filter(pk=code).first()
    if item is None:
        errors["service_code"] = [gettext("该服务不在此 jurisdiction 的服务菜单上。")]
    return item


def _split_phone(phone: str) -> tuple[str, str]:
    try:
        return normalize_mobile(phone), ""
    except ValidationError:
        return "", phone


def _caller(key: ApiKey, jurisdiction: Site, phone: str) -> tuple[User | None, Site | None]:
    """The resident with this phone and their point inside ``jurisdiction``, or (None,
    None) when nobody has it. A number registered to someone who is not a resident
    there is refused: the order would go to the wrong person."""
    mobile, landline = _split_phone(phone)
    users = (
        User.objects.filter(mobile=mobile)
        if mobile
        else User.objects.filter(resident_profile__landline=landline)
    )
    user = users.order_by("pk").first()
    if user is None:
        return None, None
    role = (
        Role.objects.filter(
            user=user, role=RoleName.RESIDENT, site__path__startswith=jurisdiction.path
        )
        .select_related("site")
        .order_by("site__path")
        .first()
    )
    if role is None:
        raise ValidationError(
            {"phone": [gettext("该电话号码已登记，但不是此 jurisdiction 内的群众，无法代为点单。")]}
        )
    return user, role.site
