"""Phone-in orders (电话点单): staff take a call, register the caller on the spot if
they have no account, record the call and place the order, in one transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import Role, RoleName, User
from apps.accounts.phone_in import resident_register_by_staff
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site, is_manager

from ..models import PhoneCall, ServiceItem, ServiceOrder
from .placing import order_place

# A call is recorded while (or soon after) it happens: up to a week back, never ahead
# (five minutes of slack for a clock a little fast).
CALL_MAX_AGE = dt.timedelta(days=7)
CALL_FUTURE_SLACK = dt.timedelta(minutes=5)


def phone_order_place(
    *,
    actor: User,
    idempotency_key: str,
    called_at: dt.datetime | None,
    request: str,
    site: Site | None,
    service: ServiceItem | None,
    preferred_start: dt.datetime | None,
    preferred_end: dt.datetime | None,
    address: str,
    caller: User | None = None,
    caller_name: str = "",
    caller_mobile: str = "",
    caller_landline: str = "",
    note: str = "",
    volunteers_needed: int | None = None,
) -> tuple[ServiceOrder, bool]:
    """Record a call and place its order for ``caller`` (an existing resident) or for a
    caller registered here from ``caller_name``/``caller_mobile``/``caller_landline``.

    Idempotent per (actor, ``idempotency_key``): the same form submitted twice returns
    the first order with ``created=False`` and registers nobody twice. Everything is one
    transaction: an invalid order leaves no half-registered caller behind."""
    if not is_manager(actor):
        raise PermissionDeniedError(gettext("只有阵地工作人员可以登记电话点单。"), code="not_staff")
    key = (idempotency_key or "").strip()[:100]
    if not key:
        raise ValidationError({"token": [gettext("表单已失效，请刷新后重新填写。")]})
    done = _call_by_key(actor, key)
    if done is not None:
        return done, False

    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if called_at is None:
        errors["called_at"] = [gettext("请填写来电时间。")]
    elif not (now - CALL_MAX_AGE <= called_at <= now + CALL_FUTURE_SLACK):
        errors["called_at"] = [gettext("来电时间应在最近 7 天之内，且不晚于现在。")]
    request = (request or "").strip()
    if not request:
        errors["request"] = [gettext("请记下来电群众的诉求。")]
    elif len(request) > 1000:
        errors["request"] = [gettext("诉求不能超过 1000 个字。")]
    if site is not None and not can_manage_site(actor, site):
        raise NotFoundError(gettext("阵地不存在。"), code="site_not_found")
    if caller is not None and not (
        site is not None
        and Role.objects.filter(user=caller, site=site, role=RoleName.RESIDENT).exists()
    ):
        errors["caller"] = [gettext("该群众不是所选实践站登记的群众。")]
    if errors:
        raise ValidationError(errors)
    assert called_at is not None

    try:
        with transaction.atomic():
            if caller is None:
                caller = resident_register_by_staff(
                    actor=actor,
                    real_name=caller_name,
                    mobile=caller_mobile,
                    landline=caller_landline,
                    address=address,
                    site=site,
                )
            contact = caller.mobile or _landline(caller) or caller_mobile or caller_landline
            order, _created = order_place(
                actor=actor,
                service=service,
                address=address,
                contact_mobile=contact,
                preferred_start=preferred_start,
                preferred_end=preferred_end,
                site=site,
                note=note,
                volunteers_needed=volunteers_needed,
                resident=caller,
                idempotency_key=f"call-{key}",
            )
            PhoneCall.objects.create(
                site=order.site,
                taken_by=actor,
                caller=caller,
                called_at=called_at,
                request=request,
                order=order,
                idempotency_key=key,
            )
    except IntegrityError:
        # The same form raced in twice: the first one's call is committed.
        done = _call_by_key(actor, key)
        if done is None:
            raise
        return done, False
    return order, True


def _landline(user: User) -> str:
    profile = getattr(user, "resident_profile", None)
    return profile.landline if profile is not None else ""


def _call_by_key(actor: User, key: str) -> ServiceOrder | None:
    call = (
        PhoneCall.objects.select_related("order")
        .filter(taken_by=actor, idempotency_key=key, order__isnull=False)
        .first()
    )
    return call.order if call is not None else None
