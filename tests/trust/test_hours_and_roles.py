"""Issue #12, hours and roles: reported hours are bounded by presence, check-in opens
an hour before the slot, suspension and withdrawal end open assignments, nobody
credits or confirms hours for themselves, unanswered dispatches lapse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import Role, RoleName
from apps.core.errors import ConflictError, PermissionDeniedError
from apps.notifications.models import Notification
from apps.orders import services
from apps.orders.models import AssignmentStatus, OrderAssignment, OrderEvent, ServiceOrder
from apps.orders.tasks import escalate_overdue_orders
from apps.orders.timeline import event_text
from apps.volunteers import services as volunteer_services
from apps.volunteers.models import Volunteer, VolunteerStatus
from tests.orders.factories import VolunteerFactory, make_due, served_for

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def checked_in(order: ServiceOrder, seconds: float) -> None:
    OrderAssignment.objects.filter(order=order).update(
        checked_in_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


# --- hours bounded by presence ------------------------------------------------------------
def test_reported_hours_may_not_exceed_the_time_checked_in(cast: Any, flow: Any) -> None:
    order = flow("in_service")
    checked_in(order, 14)
    with pytest.raises(ValidationError) as exc:
        services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x", hours="1.5")
    assert "hours" in exc.value.message_dict
    a = OrderAssignment.objects.get(order=order)
    assert a.checked_out_at is None and a.reported_hours is None
    # Within the rounding (14 s → half an hour) it is accepted.
    services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x", hours="0.5")
    a.refresh_from_db()
    assert a.reported_hours == Decimal("0.5")


@pytest.mark.parametrize(
    "seconds,expected",
    [(1, "0.5"), (29 * 60, "0.5"), (31 * 60, "1.0"), (95 * 60, "2.0"), (30 * 3600, "24")],
)
def test_blank_hours_are_the_measured_time_rounded_up_to_the_half_hour(
    cast: Any, flow: Any, seconds: int, expected: str
) -> None:
    order = flow("in_service")
    checked_in(order, seconds)
    services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x")
    a = OrderAssignment.objects.get(order=order)
    assert a.reported_hours == Decimal(expected) == a.measured_hours
    assert not a.hours_differ


def test_check_in_opens_an_hour_before_the_preferred_start(
    cast: Any, flow: Any, settings: Any
) -> None:
    order = flow("accepted")
    start = timezone.now() + dt.timedelta(hours=5)
    ServiceOrder.objects.filter(pk=order.pk).update(
        preferred_start=start, preferred_end=start + dt.timedelta(hours=2)
    )
    with pytest.raises(ConflictError) as exc:
        services.order_start(order_id=order.pk, actor=cast.vol1)
    assert exc.value.code == "check_in_not_open"
    assert OrderAssignment.objects.get(order=order).checked_in_at is None
    make_due(order.pk, in_minutes=59)
    services.order_start(order_id=order.pk, actor=cast.vol1)
    order.refresh_from_db()
    assert order.status == "in_service"


def test_assessment_may_not_confirm_more_than_the_measured_time(
    cast: Any, v: Any, flow: Any
) -> None:
    order = flow("rated")  # served two hours
    with pytest.raises(ValidationError):
        services.order_assess(
            order_id=order.pk, actor=cast.town1, approved=True, hours={v.vol1.pk: "5"}
        )
    services.order_assess(order_id=order.pk, actor=cast.town1, approved=True, hours={v.vol1.pk: 2})
    assert OrderAssignment.objects.get(order=order).confirmed_hours == Decimal("2")


def test_assessment_page_and_api_show_reported_and_measured_time(
    cast: Any, v: Any, flow: Any, login_as: Any, api_as: Any
) -> None:
    order = flow("in_service")
    served_for(order.pk, hours=2.9)  # measured: 3 h (rounded up)
    services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x", hours="2")
    services.order_rate(order_id=order.pk, actor=cast.res1, score=5)
    html = login_as(cast.town1).get("/orders/assessment/").content.decode()
    assert "上报 2.0 小时" in html and "实测 3.0 小时" in html and "不一致" in html
    body = api_as(cast.town1).get(f"/api/v1/orders/{order.pk}/").json()
    a = body["assignments"][0]
    assert (a["reported_hours"], a["measured_hours"], a["hours_differ"]) == ("2.0", "3.0", True)


# --- a suspended or withdrawn volunteer stops working --------------------------------------
def test_suspension_ends_open_assignments_and_tells_the_staff(
    cast: Any, v: Any, flow: Any, tree: Any
) -> None:
    accepted = flow("accepted")
    dispatched = flow("dispatched")
    volunteer_services.volunteer_suspend(volunteer=v.vol1, actor=cast.village1, reason="投诉核实中")
    for order in (accepted, dispatched):
        order.refresh_from_db()
        assert order.status == "submitted"
        a = OrderAssignment.objects.get(order=order)
        assert a.status == AssignmentStatus.LAPSED
        event = OrderEvent.objects.filter(order=order).latest("pk")
        assert event.action == "release" and event.actor_id == cast.village1.pk
        assert "已被暂停志愿服务" in event_text(event) and "退回待派单" in event_text(event)
        assert Notification.objects.filter(
            user=cast.village1, kind="order_released", url__contains=str(order.pk)
        ).exists()


def test_a_suspended_volunteer_cannot_act_on_an_earlier_dispatch(
    cast: Any, v: Any, flow: Any
) -> None:
    order = flow("dispatched")
    # Suspended behind the service's back (e.g. a hook missed): the status check holds.
    Volunteer.objects.filter(pk=v.vol1.pk).update(status=VolunteerStatus.SUSPENDED)
    for act in (
        lambda: services.order_accept(order_id=order.pk, actor=cast.vol1),
        lambda: services.order_decline(order_id=order.pk, actor=cast.vol1, reason="x"),
    ):
        with pytest.raises(PermissionDeniedError) as exc:
            act()
        assert exc.value.code == "volunteer_not_active"
    Volunteer.objects.filter(pk=v.vol1.pk).update(status=VolunteerStatus.APPROVED)
    services.order_accept(order_id=order.pk, actor=cast.vol1)
    make_due(order.pk)
    Volunteer.objects.filter(pk=v.vol1.pk).update(status=VolunteerStatus.WITHDRAWN)
    with pytest.raises(PermissionDeniedError):
        services.order_start(order_id=order.pk, actor=cast.vol1)
    Volunteer.objects.filter(pk=v.vol1.pk).update(status=VolunteerStatus.APPROVED)
    services.order_start(order_id=order.pk, actor=cast.vol1)
    Volunteer.objects.filter(pk=v.vol1.pk).update(status=VolunteerStatus.SUSPENDED)
    with pytest.raises(PermissionDeniedError):
        services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x")


def test_suspended_through_the_api_the_token_can_no_longer_accept(
    cast: Any, v: Any, flow: Any, api_as: Any
) -> None:
    order = flow("dispatched")
    r = api_as(cast.village1).post(
        f"/api/v1/volunteers/{v.vol1.pk}/suspend/", {"reason": "核实中"}, format="json"
    )
    assert r.status_code == 200, r.content
    r = api_as(cast.vol1).post(f"/api/v1/orders/{order.pk}/accept/")
    assert r.status_code in (403, 404, 409), r.content
    order.refresh_from_db()
    assert order.status == "submitted"


def test_withdrawal_ends_assignments_others_stay(cast: Any, v: Any, flow: Any) -> None:
    order = flow("accepted", needed=2, volunteers=[v.vol1, v.vol2])
    volunteer_services.volunteer_withdraw(volunteer=v.vol2, actor=v.vol2.user, reason="搬家")
    order.refresh_from_db()
    # One of two needed remains: back to the queue, vol1 stays on it.
    assert order.status == "submitted"
    rows = dict(OrderAssignment.objects.filter(order=order).values_list("volunteer_id", "status"))
    assert rows == {v.vol1.pk: AssignmentStatus.ACCEPTED, v.vol2.pk: AssignmentStatus.LAPSED}
    assert "已退出志愿服务" in event_text(OrderEvent.objects.filter(order=order).latest("pk"))


def test_suspension_during_service_keeps_the_others_serving(cast: Any, v: Any, flow: Any) -> None:
    order = flow("accepted", needed=2, volunteers=[v.vol1, v.vol2])
    services.order_start(order_id=order.pk, actor=cast.vol1)
    volunteer_services.volunteer_suspend(volunteer=v.vol2, actor=cast.village1, reason="x")
    order.refresh_from_db()
    assert order.status == "in_service"
    served_for(order.pk, hours=1)
    services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x")
    order.refresh_from_db()
    assert order.status == "completed"


# --- nobody credits or confirms hours for themselves -------------------------------------
@pytest.fixture
def staff_volunteer(tree: Any, cast: Any) -> Volunteer:
    """town1's staff member, who is also an approved volunteer at village1."""
    vol = VolunteerFactory(user=cast.town1, site=tree.village1, real_name="周敏")
    Role.objects.create(user=cast.town1, site=tree.village1, role=RoleName.VOLUNTEER)
    return vol


def test_staff_cannot_record_service_for_their_own_volunteer_record(
    cast: Any, tree: Any, staff_volunteer: Volunteer, api_as: Any
) -> None:
    r = api_as(cast.town1).post(
        f"/api/v1/volunteers/{staff_volunteer.pk}/service-records/",
        {"site": tree.village1.pk, "service_date": str(YESTERDAY), "title": "x", "hours": "24"},
        format="json",
    )
    assert r.status_code == 403 and r.json()["code"] == "own_record", r.content
    staff_volunteer.refresh_from_db()
    assert staff_volunteer.hours == 0


def test_service_record_site_must_be_on_the_volunteers_branch(cast: Any, tree: Any, v: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        volunteer_services.service_record_add(
            actor=cast.town1,
            volunteer=v.vol1,
            site=tree.village1b,  # in town1's scope, not vol1's branch
            service_date=YESTERDAY,
            title="x",
            hours=Decimal("2"),
        )
    assert "site" in exc.value.message_dict
    for site in (tree.village1, tree.town1):
        _record, created = volunteer_services.service_record_add(
            actor=cast.town1,
            volunteer=v.vol1,
            site=site,
            service_date=YESTERDAY,
            title="x",
            hours=Decimal("1"),
        )
        assert created


def test_nobody_assesses_an_order_they_served_on(
    cast: Any, flow: Any, staff_volunteer: Volunteer
) -> None:
    order = flow("rated", volunteers=[staff_volunteer])
    with pytest.raises(PermissionDeniedError) as exc:
        services.order_assess(order_id=order.pk, actor=cast.town1, approved=True)
    assert exc.value.code == "own_order"
    services.order_assess(order_id=order.pk, actor=cast.county, approved=True)


# --- unanswered dispatches lapse -------------------------------------------------------------
def test_an_unanswered_dispatch_lapses_and_the_order_returns_to_the_queue(
    cast: Any, v: Any, flow: Any, monkeypatch: Any, settings: Any
) -> None:
    assert settings.ORDER_ASSIGNMENT_ANSWER_MINUTES == 60
    order = flow("dispatched")
    a = OrderAssignment.objects.get(order=order)
    assert services.assignments_lapse_unanswered(now=a.assigned_at + dt.timedelta(minutes=59)) == 0
    later = a.assigned_at + dt.timedelta(minutes=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert escalate_overdue_orders.delay().get()["lapsed"] == 1
    order.refresh_from_db()
    a.refresh_from_db()
    assert order.status == "submitted" and a.status == AssignmentStatus.LAPSED
    event = OrderEvent.objects.filter(order=order).latest("pk")
    assert event.action == "release" and event.actor_id is None
    assert "超过 60 分钟未答复派单" in event_text(event)
    assert Notification.objects.filter(user=cast.village1, kind="order_released").count() == 1
    assert services.assignments_lapse_unanswered(now=later) == 0  # a rerun: nothing twice
