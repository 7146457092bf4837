"""Factories for the points suite: menu items, assessed orders and their assignments,
approved volunteers.

Assessed orders are built directly with the models (``assessed_order``), not through
the orders workflow services: these tests are about what the settlement does with an
assessed order, whatever path led there.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from apps.orders.models import (
    AssignmentStatus,
    OrderAssignment,
    OrderStatus,
    ServiceItem,
    ServiceOrder,
)
from apps.sites.models import Site
from apps.volunteers.idcard import id_check_digit
from apps.volunteers.models import Volunteer, VolunteerStatus
from tests.factories import UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(y: int, mo: int, d: int, h: int = 12, mi: int = 0, s: int = 0) -> dt.datetime:
    """An aware datetime on the Asia/Shanghai wall clock."""
    return dt.datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)


def points_id_number(seq: int) -> str:
    """A checksum-valid ID number in a region code of our own (440305), so points
    volunteers never collide with other suites' factories."""
    day = dt.date(1985, 1, 1) + dt.timedelta(days=seq // 1000)
    first17 = f"440305{day:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_digit(first17)


class PointsVolunteerFactory(factory.django.DjangoModelFactory):
    """An approved volunteer. Pass ``site=`` (and ``user=`` for a cast member)."""

    class Meta:
        model = Volunteer

    user = factory.SubFactory(
        UserFactory,
        username=factory.Sequence(lambda n: f"pvol{n}"),
        mobile=factory.Sequence(lambda n: f"157{n:08d}"),
    )
    real_name = factory.Sequence(lambda n: f"积分志愿者{n}")
    mobile = factory.Sequence(lambda n: f"157{n:08d}")
    id_number = factory.Sequence(points_id_number)
    emergency_contact_name = "家属"
    emergency_contact_phone = factory.Sequence(lambda n: f"159{n:08d}")
    status = VolunteerStatus.APPROVED
    number = factory.Sequence(lambda n: f"JF{n:07d}")
    reviewed_at = factory.LazyFunction(timezone.now)


class ServiceItemFactory(factory.django.DjangoModelFactory):
    """A menu item. Pass ``site=``; ``points_per_hour`` defaults to 10."""

    class Meta:
        model = ServiceItem

    title = factory.Sequence(lambda n: f"助老服务{n}")
    category = "elderly"
    points_per_hour = 10


class ServiceOrderFactory(factory.django.DjangoModelFactory):
    """An order at ``site`` (a village point), handled there. Pass ``service=``,
    ``site=`` and ``resident=``; use ``assessed_order`` for an assessed one."""

    class Meta:
        model = ServiceOrder

    handling_site = factory.SelfAttribute("site")
    placed_by = factory.SelfAttribute("resident")
    address = "东关社区 3 号楼"
    contact_mobile = "13600000001"
    preferred_start = factory.LazyFunction(lambda: local(2024, 2, 20, 9))
    preferred_end = factory.LazyAttribute(lambda o: o.preferred_start + dt.timedelta(hours=2))
    volunteers_needed = 1
    status = OrderStatus.SUBMITTED


class OrderAssignmentFactory(factory.django.DjangoModelFactory):
    """An accepted assignment. Pass ``order=``, ``volunteer=``, ``confirmed_hours=``."""

    class Meta:
        model = OrderAssignment

    status = AssignmentStatus.ACCEPTED
    assigned_at = factory.LazyAttribute(lambda o: o.order.preferred_start - dt.timedelta(days=1))
    responded_at = factory.SelfAttribute("assigned_at")
    checked_in_at = None
    confirmed_hours = Decimal("1")


def assessed_order(
    *,
    item: ServiceItem,
    site: Site,
    resident: Any,
    assessed_at: dt.datetime,
    hours: list[tuple[Volunteer, Decimal | str | None]],
    assessed_site: Site | None = None,
    assessed_by: Any = None,
    status: str = OrderStatus.ASSESSED,
    approved: bool | None = True,
    checked_in_at: dt.datetime | None = None,
) -> ServiceOrder:
    """An order closed by assessment at ``assessed_at`` (by ``assessed_site``'s staff),
    with one accepted assignment per ``(volunteer, confirmed_hours)``."""
    order = ServiceOrderFactory(
        service=item,
        site=site,
        resident=resident,
        status=status,
        volunteers_needed=max(1, len(hours)),
        completed_at=assessed_at - dt.timedelta(hours=1),
        closed_at=assessed_at,
        assessment_approved=approved,
        assessed_at=assessed_at,
        assessed_site=assessed_site,
        assessed_by=assessed_by,
    )
    for volunteer, h in hours:
        OrderAssignmentFactory(
            order=order,
            volunteer=volunteer,
            checked_in_at=checked_in_at,
            confirmed_hours=None if h is None else Decimal(str(h)),
        )
    return order
