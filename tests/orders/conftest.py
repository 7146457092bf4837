"""Order fixtures on top of the named cast (tests/conftest.py).

Volunteers: ``v.vol1`` (the cast's vol1, approved at village1, health/elderly),
``v.vol2`` (approved at village1, legal), ``v.volb`` (approved at village1b, also
under town1), ``v.vol9`` (approved at village2 under town2: out of town1's scope),
``v.pending`` (a pending application at village1). Menu: ``m.county`` (legal),
``m.town1`` (health), ``m.village1`` (elderly), ``m.village2`` (science).

``flow`` builds an order of res1's at village1 in any state through the services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import Role, RoleName
from apps.orders import services
from apps.orders.models import ServiceItem, ServiceOrder
from apps.volunteers.models import Volunteer, VolunteerStatus, availability_bit

from .factories import ServiceItemFactory, VolunteerFactory, make_due, served_for


@dataclass
class Vols:
    vol1: Volunteer
    vol2: Volunteer
    volb: Volunteer
    vol9: Volunteer
    pending: Volunteer


@dataclass
class Menu:
    county: ServiceItem
    town1: ServiceItem
    village1: ServiceItem
    village2: ServiceItem


@pytest.fixture
def v(tree: Any, cast: Any) -> Vols:
    weekend = sum(availability_bit(d, p) for d in (5, 6) for p in range(3))
    vol1 = VolunteerFactory(
        user=cast.vol1,
        site=tree.village1,
        real_name="张丽",
        skills=["health", "elderly"],
        availability=weekend,
    )
    vol2 = VolunteerFactory(site=tree.village1, real_name="李强", skills=["legal"])
    Role.objects.create(user=vol2.user, site=tree.village1, role=RoleName.VOLUNTEER)
    volb = VolunteerFactory(site=tree.village1b, real_name="王芳", skills=["elderly"])
    vol9 = VolunteerFactory(site=tree.village2, real_name="赵磊", skills=["elderly"])
    pending = VolunteerFactory(site=tree.village1, real_name="陈静", status=VolunteerStatus.PENDING)
    return Vols(vol1, vol2, volb, vol9, pending)


@pytest.fixture
def m(tree: Any) -> Menu:
    return Menu(
        county=ServiceItemFactory(site=tree.county, title="法律援助咨询", category="legal"),
        town1=ServiceItemFactory(site=tree.town1, title="健康义诊", category="health"),
        village1=ServiceItemFactory(site=tree.village1, title="助老上门服务", category="elderly"),
        village2=ServiceItemFactory(site=tree.village2, title="农技科普", category="science"),
    )


def window(days: int = 1, hour: int = 9) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    start += dt.timedelta(days=days)
    return start, start + dt.timedelta(hours=2)


def order_payload(item: ServiceItem, **overrides: Any) -> dict[str, Any]:
    start, end = window()
    data = {
        "service": item.pk,
        "address": "东关社区 3 号楼 2 单元",
        "contact_mobile": "13600000001",
        "preferred_start": start.isoformat(),
        "preferred_end": end.isoformat(),
        "note": "请上门",
    }
    data.update(overrides)
    return data


# The happy path as (state reached, step) pairs; ``flow`` replays it up to a state.
ORDER_PATH = ["submitted", "dispatched", "accepted", "in_service", "completed", "rated", "assessed"]


@pytest.fixture
def flow(tree: Any, cast: Any, v: Vols, m: Menu) -> Any:
    """``flow(state, item=m.village1, volunteers=[v.vol1])``: res1's order, brought to
    ``state`` (any status) through the services."""

    def make(
        state: str = "submitted",
        item: ServiceItem | None = None,
        volunteers: list[Volunteer] | None = None,
        needed: int | None = None,
    ) -> ServiceOrder:
        start, end = window()
        order, _created = services.order_place(
            actor=cast.res1,
            service=item or m.village1,
            address="东关社区 3 号楼",
            contact_mobile="13600000001",
            preferred_start=start,
            preferred_end=end,
            volunteers_needed=needed,
        )
        vols = volunteers or [v.vol1]
        if state == "cancelled":
            services.order_cancel(order_id=order.pk, actor=cast.res1, reason="不需要了")
        elif state == "rejected":
            services.order_reject(order_id=order.pk, actor=cast.village1, reason="超出范围")
        else:
            target = ORDER_PATH.index(state)
            if target >= 1:
                services.order_dispatch(
                    order_id=order.pk, actor=cast.village1, volunteer_ids=[x.pk for x in vols]
                )
            if target >= 2:
                for x in vols[: order.volunteers_needed]:
                    services.order_accept(order_id=order.pk, actor=x.user)
                make_due(order.pk)  # check-in opens an hour before the slot
            if target >= 3:
                services.order_start(order_id=order.pk, actor=vols[0].user)
            if target >= 4:
                served_for(order.pk, hours=2)
                services.order_complete(
                    order_id=order.pk,
                    actor=vols[0].user,
                    hours=Decimal("2"),
                    summary="打扫房间，陪老人聊天。",
                )
            if target >= 5:
                services.order_rate(order_id=order.pk, actor=cast.res1, score=5, comment="很好")
            if target >= 6:
                services.order_assess(order_id=order.pk, actor=cast.town1, approved=True)
        order.refresh_from_db()
        assert order.status == state
        return order

    return make
