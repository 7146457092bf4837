"""Factories for the order tests: approved volunteers, menu items, orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from apps.orders.models import ServiceItem
from apps.volunteers.idcard import id_check_digit
from apps.volunteers.models import Volunteer, VolunteerSkill, VolunteerStatus
from tests.factories import SiteFactory, UserFactory


def id_number(seq: int) -> str:
    # Region 440305, born 1985: a range no other test factory uses.
    day = dt.date(1985, 1, 1) + dt.timedelta(days=seq // 1000)
    first17 = f"440305{day:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_digit(first17)


class VolunteerFactory(factory.django.DjangoModelFactory):
    """An approved volunteer; ``skills=[...]`` adds skill rows."""

    class Meta:
        model = Volunteer
        skip_postgeneration_save = True

    user = factory.SubFactory(
        UserFactory,
        username=factory.Sequence(lambda n: f"ovol{n}"),
        mobile=factory.Sequence(lambda n: f"152{n:08d}"),
    )
    site = factory.SubFactory(SiteFactory)
    real_name = factory.Sequence(lambda n: f"志愿者{n}")
    mobile = factory.Sequence(lambda n: f"153{n:08d}")
    id_number = factory.Sequence(id_number)
    emergency_contact_name = "家属"
    emergency_contact_phone = factory.Sequence(lambda n: f"154{n:08d}")
    status = VolunteerStatus.APPROVED
    reviewed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def skills(obj: Volunteer, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create and extracted:
            VolunteerSkill.objects.bulk_create(
                [VolunteerSkill(volunteer=obj, category=c) for c in extracted]
            )


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem

    site = factory.SubFactory(SiteFactory)
    title = factory.Sequence(lambda n: f"服务项目{n}")
    category = "elderly"
    duration_hours = Decimal("2")
    points_per_hour = 10
    volunteers_needed = 1


def make_due(order_id: int, *, in_minutes: int = 30) -> None:
    """Move an order's preferred slot to start soon, so check-in (which opens an hour
    before the preferred start) is allowed now."""
    from apps.orders.models import ServiceOrder

    start = timezone.now() + dt.timedelta(minutes=in_minutes)
    ServiceOrder.objects.filter(pk=order_id).update(
        preferred_start=start, preferred_end=start + dt.timedelta(hours=2)
    )


def served_for(order_id: int, hours: float = 3) -> None:
    """Backdate the check-ins of an order's volunteers, as if they had been serving for
    ``hours`` (reported hours may not exceed the time between check-in and check-out)."""
    from apps.orders.models import OrderAssignment

    OrderAssignment.objects.filter(order_id=order_id, checked_in_at__isnull=False).update(
        checked_in_at=timezone.now() - dt.timedelta(hours=hours)
    )
