"""Report fixtures on top of the named cast (tests/conftest.py).

``history`` writes a county's worth of orders straight into the tables over 40 past
days (the last ending a few days before today, so "today" is outside it), at five
points under the two townships (plus a few at town1 itself), in every state, with every
event timestamp set — some near midnight, some on later days — assignments with
check-outs and confirmed hours, volunteer approvals (one a re-approval), settlements of
five days and a redemption and a cancelled one on past days. Nothing is rolled up: the
tests call the roll-up themselves.

``today_orders(history)`` adds orders placed and events happening today.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from apps.orders.models import OrderAssignment, ServiceItem, ServiceOrder
from apps.points import services as points_services
from apps.points.models import Account, AccountKind, Reward
from apps.points.settlement import settle
from apps.sites.models import Site, SiteLevel
from apps.volunteers.models import Volunteer, VolunteerEvent, VolunteerStatus
from tests.orders.factories import ServiceItemFactory, VolunteerFactory

LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")
DAYS = 40
# Minutes from placement to acceptance: bucket bounds exactly, just past them, overflow.
ACCEPT_MINUTES = [
    1,
    5,
    6,
    10,
    14,
    15,
    30,
    31,
    60,
    61,
    120,
    239,
    480,
    700,
    1440,
    2880,
    4320,
    10080,
    10081,
    20000,
]
COMPLETE_AFTER = [30, 90, 300, 1500, 3000]


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL)


@dataclass
class History:
    first: dt.date  # first day with orders placed
    last: dt.date  # last day with any event
    county: Site
    town1: Site
    town2: Site
    village2b: Site
    items: list[ServiceItem]
    volunteers: list[Volunteer]
    orders: list[ServiceOrder] = field(default_factory=list)
    settled: list[dt.date] = field(default_factory=list)


def _make_orders(
    rng: random.Random,
    *,
    days: list[dt.date],
    sites: list[Site],
    items: list[ServiceItem],
    vols: dict[int, list[Volunteer]],
    resident: Any,
    per_day: tuple[int, int],
    max_time: dt.datetime | None = None,
) -> list[ServiceOrder]:
    """Orders with every timestamp set; events never later than ``max_time``."""
    plans: list[tuple[ServiceOrder, dict[str, Any], list[Volunteer]]] = []
    for day in days:
        for site in sites:
            for _ in range(rng.randint(*per_day)):
                if max_time is not None:
                    # Today: placed in the last minutes, so every event stays today.
                    midnight = at(day, 0) + dt.timedelta(seconds=1)
                    created = max(max_time - dt.timedelta(minutes=rng.randint(5, 10)), midnight)
                else:
                    # Some near midnight: their later events fall on the next day.
                    hour, minute = rng.choice([(0, 5), (9, 0), (13, 30), (23, 50), (23, 59)])
                    created = at(day, hour, minute)
                state = rng.choice(
                    [
                        "cancelled",
                        "rejected",
                        "submitted",
                        "dispatched",
                        "accepted",
                        "in_service",
                        "completed",
                        "rated",
                        "rated",
                        "assessed",
                        "assessed",
                        "assessed",
                        "assessed_no",
                    ]
                )
                stamps: dict[str, Any] = {"created_at": created, "status_changed_at": created}
                if max_time is not None:
                    accept = dt.timedelta(minutes=rng.choice([1, 2, 3]))
                    complete = accept + dt.timedelta(minutes=1)
                else:
                    accept = dt.timedelta(minutes=rng.choice(ACCEPT_MINUTES))
                    complete = accept + dt.timedelta(minutes=rng.choice(COMPLETE_AFTER))
                status = {"assessed_no": "assessed"}.get(state, state)
                if state in ("cancelled", "rejected"):
                    stamps["closed_at"] = created + dt.timedelta(minutes=rng.choice([10, 200, 900]))
                if state not in ("cancelled", "rejected", "submitted"):
                    stamps["dispatched_at"] = created + accept / 2
                if state in (
                    "accepted",
                    "in_service",
                    "completed",
                    "rated",
                    "assessed",
                    "assessed_no",
                ):
                    stamps["accepted_at"] = created + accept
                if state in ("in_service", "completed", "rated", "assessed", "assessed_no"):
                    stamps["started_at"] = created + accept + dt.timedelta(seconds=30)
                if state in ("completed", "rated", "assessed", "assessed_no"):
                    stamps["completed_at"] = created + complete
                if state in ("rated", "assessed", "assessed_no"):
                    stamps["score"] = rng.choice([1, 2, 3, 4, 4, 5, 5, 5])
                    stamps["rated_at"] = stamps["completed_at"] + dt.timedelta(
                        minutes=1 if max_time else rng.choice([5, 600, 1500])
                    )
                if state in ("assessed", "assessed_no"):
                    stamps["assessed_at"] = stamps["rated_at"] + dt.timedelta(
                        minutes=1 if max_time else rng.choice([60, 1440])
                    )
                    stamps["closed_at"] = stamps["assessed_at"]
                    stamps["assessment_approved"] = state == "assessed"
                    stamps["assessed_site_id"] = site.parent_id or site.pk
                if rng.random() < 0.15:
                    stamps["escalated_at"] = created + dt.timedelta(minutes=rng.choice([2, 45]))
                item = rng.choice(items)
                order = ServiceOrder(
                    service=item,
                    site=site,
                    handling_site_id=(
                        site.parent_id if "escalated_at" in stamps and site.parent_id else site.pk
                    ),
                    resident=resident,
                    placed_by=resident,
                    address="测试地址",
                    contact_mobile="13600000001",
                    preferred_start=created + dt.timedelta(days=1),
                    preferred_end=created + dt.timedelta(days=1, hours=2),
                    status=status,
                    **stamps,
                )
                served = (
                    rng.sample(vols[site.pk], rng.choice([1, 1, 2]))
                    if "accepted_at" in stamps
                    else []
                )
                plans.append((order, stamps, served))
    orders = ServiceOrder.objects.bulk_create([p[0] for p in plans])
    # auto_now_add overwrote created_at on insert: set every timestamp afterwards.
    names = sorted({k for _o, s, _v in plans for k in s})
    for order, stamps, _v in plans:
        for name in names:
            setattr(order, name, stamps.get(name))
    ServiceOrder.objects.bulk_update(orders, names)
    assignments = []
    for order, stamps, served in plans:
        for vol in served:
            hours = Decimal(rng.choice(["0.5", "1.0", "1.5", "2.0", "3.5"]))
            done = stamps.get("completed_at")
            assignments.append(
                OrderAssignment(
                    order=order,
                    volunteer=vol,
                    status="accepted",
                    assigned_at=stamps.get("dispatched_at", stamps["created_at"]),
                    responded_at=stamps["accepted_at"],
                    checked_in_at=stamps.get("started_at"),
                    checked_out_at=done,
                    reported_hours=hours if done else None,
                    confirmed_hours=hours if "assessed_at" in stamps else None,
                )
            )
    OrderAssignment.objects.bulk_create(assignments)
    return orders


def _approve_events(vols: list[Volunteer], days: list[dt.date], staff: Any) -> None:
    """Approvals on past days; the first volunteer is approved, withdrawn, re-applies
    and is approved again ten days later: one new volunteer, not two."""
    rows = []
    for i, vol in enumerate(vols):
        day = days[(i * 7) % len(days)]
        rows.append((vol, "pending", "approved", at(day, 10, i)))
        rows.append((vol, "", "pending", at(day, 8, i)))
    again = vols[0]
    day = days[10]
    rows += [
        (again, "approved", "withdrawn", at(day, 8)),
        (again, "withdrawn", "pending", at(day, 9)),
        (again, "pending", "approved", at(day, 11)),
    ]
    # One re-approval after a suspension: not a new volunteer at all.
    rows += [
        (vols[1], "approved", "suspended", at(days[20], 8)),
        (vols[1], "suspended", "approved", at(days[21], 8)),
    ]
    for vol, src, dst, when in rows:
        event = VolunteerEvent.objects.create(
            volunteer=vol, actor=staff, from_status=src, to_status=dst
        )
        VolunteerEvent.objects.filter(pk=event.pk).update(created_at=when)


@pytest.fixture
def history(tree: Any, cast: Any) -> History:
    rng = random.Random(20261123)
    today = timezone.localdate()
    # Acceptance may take two weeks and assessment days more: every event ends before today.
    first = today - dt.timedelta(days=DAYS + 25)
    days = [first + dt.timedelta(days=i) for i in range(DAYS)]
    village2b = Site(name="梨园村实践站", level=SiteLevel.VILLAGE, parent=tree.town2)
    village2b.save()
    points = [tree.village1, tree.village1b, tree.village2, village2b]
    items = [
        ServiceItemFactory(site=tree.county, title="法律援助咨询", category="legal"),
        ServiceItemFactory(site=tree.town1, title="健康义诊", category="health"),
        ServiceItemFactory(site=tree.village1, title="助老上门服务", category="elderly"),
        ServiceItemFactory(
            site=tree.town2, title="农技科普", category="science", points_per_hour=7
        ),
    ]
    vols: dict[int, list[Volunteer]] = {}
    all_vols = []
    for site in [*points, tree.town1]:
        vols[site.pk] = [
            VolunteerFactory(site=site if site.level == "village" else tree.village1)
            for _ in range(3)
        ]
        all_vols += vols[site.pk]
    orders = _make_orders(
        rng, days=days, sites=points, items=items, vols=vols, resident=cast.res1, per_day=(1, 3)
    )
    # A few orders at the township itself (a resident ordering at the station).
    orders += _make_orders(
        rng,
        days=days[::5],
        sites=[tree.town1],
        items=items[:2],
        vols=vols,
        resident=cast.res1,
        per_day=(1, 2),
    )
    newcomers = [
        VolunteerFactory(site=rng.choice(points), status=VolunteerStatus.APPROVED) for _ in range(6)
    ]
    _approve_events(newcomers, days, cast.county)
    last = max(
        max(
            t
            for t in (
                o.created_at,
                o.accepted_at,
                o.completed_at,
                o.closed_at,
                o.escalated_at,
                o.rated_at,
                o.assessed_at,
            )
            if t
        )
        for o in orders
    )
    last_day = timezone.localtime(last, LOCAL).date()
    assert last_day < today, "history must end before today"

    approved_days = sorted(
        {
            timezone.localtime(o.assessed_at, LOCAL).date()
            for o in orders
            if o.status == "assessed" and o.assessment_approved
        }
    )
    settled = approved_days[2:30:6]
    for day in settled:
        run = settle(day)
        assert run.status == "succeeded" and run.points_credited > 0, run.error

    # Redemptions at town1's shop, on past days: one kept, one cancelled (refunded).
    rich = (
        Account.objects.filter(
            kind=AccountKind.VOLUNTEER,
            balance__gte=4,
            volunteer__site__path__startswith=tree.town1.path,
        )
        .select_related("volunteer__user")
        .order_by("-balance")
        .first()
    )
    assert rich is not None, "no town1 volunteer earned points: change the seed"
    reward = Reward.objects.create(site=tree.town1, name="大米一袋", points_cost=2, stock=5)
    with mock.patch("django.utils.timezone.now", return_value=at(days[25], 10)):
        kept, _ = points_services.reward_redeem(actor=rich.volunteer.user, reward_id=reward.pk)
    with mock.patch("django.utils.timezone.now", return_value=at(days[28], 10)):
        gone, _ = points_services.reward_redeem(actor=rich.volunteer.user, reward_id=reward.pk)
    with mock.patch("django.utils.timezone.now", return_value=at(days[31], 15)):
        points_services.redemption_cancel(actor=cast.town1, redemption_id=gone.pk, reason="缺货")
    return History(
        first=first,
        last=last_day,
        county=tree.county,
        town1=tree.town1,
        town2=tree.town2,
        village2b=village2b,
        items=items,
        volunteers=all_vols,
        orders=orders,
        settled=settled,
    )


@pytest.fixture
def today_orders(tree: Any, cast: Any) -> Any:
    """``today_orders(history)``: orders placed today, and events of older orders today."""

    def make(history: History) -> list[ServiceOrder]:
        rng = random.Random(7)
        now = timezone.now()
        points = [tree.village1, tree.village1b, tree.village2, history.village2b]
        vols: dict[int, list[Volunteer]] = {}
        for site in points:
            vols[site.pk] = list(Volunteer.objects.filter(site=site)[:3])
        made = _make_orders(
            rng,
            days=[timezone.localdate()],
            sites=points,
            items=history.items,
            vols=vols,
            resident=cast.res1,
            per_day=(3, 4),
            max_time=now,
        )
        # An older order placed yesterday and completed today by someone already active.
        old = next(o for o in history.orders if o.status == "submitted")
        ServiceOrder.objects.filter(pk=old.pk).update(
            status="rated",
            accepted_at=now - dt.timedelta(minutes=3),
            completed_at=now - dt.timedelta(minutes=2),
            rated_at=now - dt.timedelta(minutes=1),
            score=2,
        )
        return made

    return make
