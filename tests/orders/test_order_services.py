"""Order services: each transition, its guards, and every illegal move."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.orders import services
from apps.orders.models import (
    OrderAssignment,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    ServiceOrder,
)
from apps.orders.timeline import event_text
from apps.volunteers.models import availability_bit
from tests.orders.factories import make_due, served_for

from .conftest import window
from .factories import VolunteerFactory

pytestmark = pytest.mark.django_db


def events(order: ServiceOrder) -> list[tuple[str, str, str]]:
    return list(
        OrderEvent.objects.filter(order=order)
        .order_by("created_at", "pk")
        .values_list("action", "from_status", "to_status")
    )


def jpeg_with_exif() -> SimpleUploadedFile:
    img = Image.new("RGB", (800, 600), (10, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (30, 0, 0)}  # GPS info
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return SimpleUploadedFile("service.jpg", buf.getvalue(), content_type="image/jpeg")


# --- place ----------------------------------------------------------------------------------
def test_resident_places_an_order_at_their_point(cast, tree, m):
    start, end = window(days=2, hour=15)
    order, created = services.order_place(
        actor=cast.res1,
        service=m.town1,
        address=" 东关 5 号 ",
        contact_mobile="+86 136-0000-0001",
        preferred_start=start,
        preferred_end=end,
        note="量血压",
    )
    assert created
    order.refresh_from_db()
    assert (order.site, order.handling_site, order.resident, order.placed_by) == (
        tree.village1,
        tree.village1,
        cast.res1,
        cast.res1,
    )
    assert order.status == OrderStatus.SUBMITTED
    assert order.contact_mobile == "13600000001"
    assert order.address == "东关 5 号"
    assert order.volunteers_needed == m.town1.volunteers_needed
    local = timezone.localtime(start)
    assert order.preferred_slot_bit == availability_bit(local.weekday(), 1)  # afternoon
    assert events(order) == [("place", "", "submitted")]


def test_an_item_of_another_township_is_not_on_the_menu(cast, m):
    start, end = window()
    with pytest.raises(ValidationError) as exc:
        services.order_place(
            actor=cast.res1,
            service=m.village2,
            address="x",
            contact_mobile="13600000001",
            preferred_start=start,
            preferred_end=end,
        )
    assert "service" in exc.value.message_dict
    assert not ServiceOrder.objects.exists()


def test_inactive_items_cannot_be_ordered(cast, m):
    m.village1.is_active = False
    m.village1.save()
    start, end = window()
    with pytest.raises(ValidationError):
        services.order_place(
            actor=cast.res1,
            service=m.village1,
            address="x",
            contact_mobile="13600000001",
            preferred_start=start,
            preferred_end=end,
        )


@pytest.mark.parametrize("user", ["nobody", "village1", "vol1"])
def test_only_residents_order_for_themselves(cast, m, user):
    start, end = window()
    with pytest.raises(PermissionDeniedError) as exc:
        services.order_place(
            actor=getattr(cast, user),
            service=m.village1,
            address="x",
            contact_mobile="13600000001",
            preferred_start=start,
            preferred_end=end,
        )
    assert exc.value.code == "not_resident"


def test_time_window_and_fields_are_validated(cast, m):
    start, end = window()
    with pytest.raises(ValidationError) as exc:
        services.order_place(
            actor=cast.res1,
            service=m.village1,
            address="",
            contact_mobile="12345",
            preferred_start=end,
            preferred_end=start,
            note="长" * 501,
        )
    assert set(exc.value.message_dict) == {"address", "contact_mobile", "preferred_end", "note"}
    past = timezone.now() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.order_place(
            actor=cast.res1,
            service=m.village1,
            address="x",
            contact_mobile="13600000001",
            preferred_start=past,
            preferred_end=past + dt.timedelta(hours=1),
        )
    assert set(exc.value.message_dict) == {"preferred_start"}
    assert not ServiceOrder.objects.exists()


def test_staff_place_an_order_for_a_resident_of_their_subtree(cast, tree, m):
    start, end = window()
    order, created = services.order_place(
        actor=cast.village1,
        resident=cast.res1,
        site=tree.village1,
        service=m.village1,
        address="x",
        contact_mobile="13600000001",
        preferred_start=start,
        preferred_end=end,
    )
    assert created and order.resident == cast.res1 and order.placed_by == cast.village1
    assert "代点单" in event_text(order.events.get())
    with pytest.raises(NotFoundError):
        services.order_place(
            actor=cast.town2,
            resident=cast.res1,
            site=tree.village1,
            service=m.village1,
            address="x",
            contact_mobile="13600000001",
            preferred_start=start,
            preferred_end=end,
        )
    with pytest.raises(ValidationError) as exc:  # res9 lives at village2, not village1
        services.order_place(
            actor=cast.town1,
            resident=cast.res9,
            site=tree.village1,
            service=m.village1,
            address="x",
            contact_mobile="13600000009",
            preferred_start=start,
            preferred_end=end,
        )
    assert "resident" in exc.value.message_dict


def test_idempotency_key_returns_the_first_order(cast, m):
    start, end = window()
    kwargs = dict(
        service=m.village1,
        address="x",
        contact_mobile="13600000001",
        preferred_start=start,
        preferred_end=end,
        idempotency_key="abc-123",
    )
    first, created1 = services.order_place(actor=cast.res1, **kwargs)
    again, created2 = services.order_place(actor=cast.res1, **kwargs)
    assert (created1, created2) == (True, False)
    assert again.pk == first.pk
    assert ServiceOrder.objects.count() == 1
    other, created3 = services.order_place(actor=cast.res9, **(kwargs | {"service": m.village2}))
    assert created3 and other.pk != first.pk  # keys are per user
    with pytest.raises(ValidationError):
        services.order_place(actor=cast.res1, **(kwargs | {"idempotency_key": "has space"}))


# --- dispatch -------------------------------------------------------------------------------
def test_dispatch_assigns_approved_volunteers_of_the_subtree(cast, v, flow):
    order = flow("submitted")
    services.order_dispatch(
        order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk, v.vol2.pk]
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED and order.dispatched_at
    rows = OrderAssignment.objects.filter(order=order)
    assert {(a.volunteer_id, a.status, a.assigned_by_id) for a in rows} == {
        (v.vol1.pk, "assigned", cast.village1.pk),
        (v.vol2.pk, "assigned", cast.village1.pk),
    }
    last = order.events.last()
    assert (last.action, last.actor, last.from_status, last.to_status) == (
        "dispatch",
        cast.village1,
        "submitted",
        "dispatched",
    )
    assert "张丽" in event_text(last) and "李强" in event_text(last)


@pytest.mark.parametrize(
    "who,which",
    [
        ("village1", "volb"),  # village1b is beside village1, not below it
        ("village1", "vol9"),  # another township
        ("town1", "vol9"),
        ("village1", "pending"),  # not approved
    ],
)
def test_dispatch_refuses_volunteers_out_of_scope_or_not_approved(cast, v, flow, who, which):
    order = flow("submitted")
    with pytest.raises(ValidationError) as exc:
        services.order_dispatch(
            order_id=order.pk, actor=getattr(cast, who), volunteer_ids=[getattr(v, which).pk]
        )
    assert "volunteers" in exc.value.message_dict
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    assert not OrderAssignment.objects.exists()


def test_township_staff_dispatch_a_volunteer_of_another_point_in_their_subtree(cast, v, flow):
    order = flow("submitted")
    services.order_dispatch(order_id=order.pk, actor=cast.town1, volunteer_ids=[v.volb.pk])
    assert OrderAssignment.objects.get(order=order).volunteer == v.volb


def test_dispatch_needs_as_many_volunteers_as_the_order_asks(cast, v, flow):
    order = flow("submitted", needed=2)
    with pytest.raises(ValidationError):
        services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk])
    with pytest.raises(ValidationError):
        services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[])
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED


# --- accept / decline -------------------------------------------------------------------------
def test_first_acceptance_wins_and_the_other_requests_lapse(cast, v, flow):
    order = flow("dispatched", volunteers=[v.vol1, v.vol2])
    services.order_accept(order_id=order.pk, actor=cast.vol1)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED and order.accepted_at
    states = dict(OrderAssignment.objects.filter(order=order).values_list("volunteer_id", "status"))
    assert states == {v.vol1.pk: "accepted", v.vol2.pk: "lapsed"}
    with pytest.raises(ConflictError) as exc:
        services.order_accept(order_id=order.pk, actor=v.vol2.user)
    assert exc.value.code == "illegal_transition"


def test_an_order_needing_two_is_accepted_when_two_have_accepted(cast, tree, v, flow):
    third = VolunteerFactory(site=tree.village1)
    order = flow("submitted", needed=2)
    services.order_dispatch(
        order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk, v.vol2.pk, third.pk]
    )
    services.order_accept(order_id=order.pk, actor=cast.vol1)
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED
    assert "1/2" in event_text(order.events.last())
    services.order_accept(order_id=order.pk, actor=third.user)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert OrderAssignment.objects.get(order=order, volunteer=v.vol2).status == "lapsed"


def test_decline_returns_the_order_to_the_queue_with_the_reason(cast, v, flow):
    order = flow("dispatched")
    with pytest.raises(ValidationError):
        services.order_decline(order_id=order.pk, actor=cast.vol1, reason="  ")
    services.order_decline(order_id=order.pk, actor=cast.vol1, reason="那天要值班")
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    mine = OrderAssignment.objects.get(order=order)
    assert (mine.status, mine.decline_reason) == ("declined", "那天要值班")
    last = order.events.last()
    assert (last.action, last.from_status, last.to_status) == ("decline", "dispatched", "submitted")
    assert "那天要值班" in event_text(last)
    # Asked again later, the same volunteer can accept.
    services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk])
    services.order_accept(order_id=order.pk, actor=cast.vol1)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED


def test_one_decline_among_spares_keeps_the_order_dispatched(cast, v, flow):
    order = flow("dispatched", volunteers=[v.vol1, v.vol2])
    services.order_decline(order_id=order.pk, actor=cast.vol1, reason="生病")
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED
    services.order_accept(order_id=order.pk, actor=v.vol2.user)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED


# --- start / complete ---------------------------------------------------------------------------
def test_check_in_and_out_with_hours_summary_and_photos(cast, v, flow, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    order = flow("accepted")
    services.order_start(order_id=order.pk, actor=cast.vol1)
    with pytest.raises(ConflictError) as exc:
        services.order_start(order_id=order.pk, actor=cast.vol1)
    assert exc.value.code == "already_checked_in"
    served_for(order.pk, hours=2)
    services.order_complete(
        order_id=order.pk,
        actor=cast.vol1,
        hours="1.5",
        summary="打扫卫生、量血压",
        photos=[jpeg_with_exif()],
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.completed_at and order.started_at
    a = OrderAssignment.objects.get(order=order)
    assert a.checked_in_at <= a.checked_out_at
    assert (a.reported_hours, a.summary) == (Decimal("1.5"), "打扫卫生、量血压")
    photo = OrderPhoto.objects.get(order=order)
    assert photo.assignment == a and photo.uploaded_by == cast.vol1
    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()  # EXIF (camera, GPS) is gone
        assert stored.size == (800, 600)
    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320
    assert [e[0] for e in events(order)][-2:] == ["start", "complete"]


def test_hours_default_to_the_time_between_check_in_and_out(cast, flow):
    order = flow("in_service")
    a = OrderAssignment.objects.get(order=order)
    OrderAssignment.objects.filter(pk=a.pk).update(
        checked_in_at=timezone.now() - dt.timedelta(minutes=95)
    )
    services.order_complete(order_id=order.pk, actor=cast.vol1, summary="完成")
    a.refresh_from_db()
    assert a.reported_hours == Decimal("2.0")  # 95 min → rounded up to the half hour


@pytest.mark.parametrize("hours", ["0", "-1", "24.5", "abc"])
def test_hours_out_of_range_are_refused(cast, flow, hours):
    order = flow("in_service")
    with pytest.raises(ValidationError) as exc:
        services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x", hours=hours)
    assert "hours" in exc.value.message_dict
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_SERVICE


def test_a_file_that_is_not_an_image_is_refused(cast, flow):
    order = flow("in_service")
    bad = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x", photos=[bad])
    assert "photos" in exc.value.message_dict
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_SERVICE and not OrderPhoto.objects.exists()


def test_completion_waits_for_every_accepted_volunteer(cast, v, flow):
    order = flow("submitted", needed=2)
    services.order_dispatch(
        order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk, v.vol2.pk]
    )
    for vol in (v.vol1, v.vol2):
        services.order_accept(order_id=order.pk, actor=vol.user)
    make_due(order.pk)
    for vol in (v.vol1, v.vol2):
        services.order_start(order_id=order.pk, actor=vol.user)
    served_for(order.pk, hours=3)
    services.order_complete(order_id=order.pk, actor=cast.vol1, summary="上午", hours=2)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_SERVICE
    with pytest.raises(ConflictError) as exc:
        services.order_complete(order_id=order.pk, actor=cast.vol1, summary="again", hours=1)
    assert exc.value.code == "already_checked_out"
    services.order_complete(order_id=order.pk, actor=v.vol2.user, summary="下午", hours=3)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


# --- rate / dispute / nudge / cancel --------------------------------------------------------
def test_rating_once_by_the_ordering_resident(cast, flow):
    order = flow("completed")
    with pytest.raises(ValidationError):
        services.order_rate(order_id=order.pk, actor=cast.res1, score=6)
    with pytest.raises(NotFoundError):
        services.order_rate(order_id=order.pk, actor=cast.res9, score=1)
    with pytest.raises(PermissionDeniedError):
        services.order_rate(order_id=order.pk, actor=cast.village1, score=1)
    services.order_rate(order_id=order.pk, actor=cast.res1, score=4, comment="不错")
    order.refresh_from_db()
    assert (order.status, order.score, order.rating_comment) == ("rated", 4, "不错")
    assert order.assessment_queue == "township" and order.rated_at
    with pytest.raises(ConflictError) as exc:
        services.order_rate(order_id=order.pk, actor=cast.res1, score=1)
    assert exc.value.code == "illegal_transition"
    order.refresh_from_db()
    assert order.score == 4


def test_nudge_at_most_once_an_hour(cast, flow):
    order = flow("submitted")
    services.order_nudge(order_id=order.pk, actor=cast.res1)
    with pytest.raises(services.TooSoonError) as exc:
        services.order_nudge(order_id=order.pk, actor=cast.res1)
    assert exc.value.code == "nudge_too_soon" and exc.value.status_code == 429
    order.refresh_from_db()
    assert order.nudge_count == 1 and order.is_nudged
    ServiceOrder.objects.filter(pk=order.pk).update(
        last_nudged_at=timezone.now() - dt.timedelta(minutes=61)
    )
    services.order_nudge(order_id=order.pk, actor=cast.res1)
    order.refresh_from_db()
    assert order.nudge_count == 2
    assert [e[0] for e in events(order)] == ["place", "nudge", "nudge"]
    assert order.status == OrderStatus.SUBMITTED


def test_dispute_within_seven_days_goes_to_the_county_queue(cast, flow):
    order = flow("rated")
    services.order_dispute(order_id=order.pk, actor=cast.res1, text="只待了半小时")
    order.refresh_from_db()
    assert (order.assessment_queue, order.dispute_text, order.status) == (
        "county",
        "只待了半小时",
        "rated",
    )
    with pytest.raises(ConflictError) as exc:
        services.order_dispute(order_id=order.pk, actor=cast.res1, text="再投诉")
    assert exc.value.code == "already_disputed"
    late = flow("completed")
    ServiceOrder.objects.filter(pk=late.pk).update(
        completed_at=timezone.now() - dt.timedelta(days=7, minutes=1)
    )
    with pytest.raises(ConflictError) as exc:
        services.order_dispute(order_id=late.pk, actor=cast.res1, text="太晚了")
    assert exc.value.code == "dispute_window_closed"


def test_cancel_before_acceptance_only(cast, v, flow):
    order = flow("dispatched")
    services.order_cancel(order_id=order.pk, actor=cast.res1, reason="不需要了")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.closed_at
    assert OrderAssignment.objects.get(order=order).status == "lapsed"
    accepted = flow("accepted")
    with pytest.raises(ConflictError):
        services.order_cancel(order_id=accepted.pk, actor=cast.res1)


# --- reject / escalate -----------------------------------------------------------------------
def test_reject_needs_a_reason(cast, flow):
    order = flow("submitted")
    with pytest.raises(ValidationError):
        services.order_reject(order_id=order.pk, actor=cast.village1, reason="")
    services.order_reject(order_id=order.pk, actor=cast.village1, reason="不在服务范围")
    order.refresh_from_db()
    assert (order.status, order.close_reason) == ("rejected", "不在服务范围")


def test_escalation_passes_the_order_up_and_it_stays_open(cast, tree, v, flow):
    order = flow("dispatched")
    services.order_escalate(order_id=order.pk, actor=cast.village1, reason="本站人手不足")
    order.refresh_from_db()
    assert (order.status, order.handling_site, order.site) == (
        "submitted",
        tree.town1,
        tree.village1,
    )
    assert OrderAssignment.objects.get(order=order).status == "lapsed"
    assert "上报至" in event_text(order.events.last())
    # The point no longer handles it; the township does, with its whole subtree.
    with pytest.raises(PermissionDeniedError):
        services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk])
    services.order_dispatch(order_id=order.pk, actor=cast.town1, volunteer_ids=[v.volb.pk])
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED


def test_the_county_center_cannot_escalate(cast, tree, flow):
    order = flow("submitted")
    services.order_escalate(order_id=order.pk, actor=cast.village1)
    services.order_escalate(order_id=order.pk, actor=cast.town1)
    order.refresh_from_db()
    assert order.handling_site == tree.county
    with pytest.raises(ConflictError) as exc:
        services.order_escalate(order_id=order.pk, actor=cast.county)
    assert exc.value.code == "no_parent_site"
    with pytest.raises(PermissionDeniedError):  # town1 no longer handles it
        services.order_escalate(order_id=order.pk, actor=cast.town1)


# --- assess ------------------------------------------------------------------------------------
def test_assessment_confirms_reported_hours_by_default(cast, v, flow):
    order = flow("rated")
    services.order_assess(order_id=order.pk, actor=cast.town1, approved=True, comment="属实")
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSESSED
    assert order.assessed_at and order.assessed_by == cast.town1 and order.assessment_approved
    assert OrderAssignment.objects.get(order=order).confirmed_hours == Decimal("2")
    assert events(order)[-1] == ("assess", "rated", "assessed")


def test_assessment_can_correct_the_hours_of_a_served_volunteer(cast, v, flow):
    order = flow("rated")
    with pytest.raises(ValidationError) as exc:
        services.order_assess(
            order_id=order.pk, actor=cast.town1, approved=True, hours={str(v.vol2.pk): 1}
        )
    assert "hours" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.order_assess(
            order_id=order.pk, actor=cast.town1, approved=True, hours={str(v.vol1.pk): 30}
        )
    services.order_assess(
        order_id=order.pk, actor=cast.county, approved=True, hours={str(v.vol1.pk): "1.5"}
    )
    assert OrderAssignment.objects.get(order=order).confirmed_hours == Decimal("1.5")


def test_assessment_not_approved_closes_the_order_without_hours(cast, flow):
    order = flow("rated")
    with pytest.raises(ValidationError):
        services.order_assess(order_id=order.pk, actor=cast.town1, approved=False)
    services.order_assess(order_id=order.pk, actor=cast.town1, approved=False, comment="照片不符")
    order.refresh_from_db()
    assert (order.status, order.assessment_approved) == ("rejected", False)
    assert OrderAssignment.objects.get(order=order).confirmed_hours is None


def test_who_may_assess(cast, flow):
    order = flow("rated")
    with pytest.raises(PermissionDeniedError) as exc:
        services.order_assess(order_id=order.pk, actor=cast.village1, approved=True)
    assert exc.value.code == "not_assessor"
    with pytest.raises(NotFoundError):
        services.order_assess(order_id=order.pk, actor=cast.town2, approved=True)
    # A complaint: the county's queue, township staff may not decide it.
    services.order_dispute(order_id=order.pk, actor=cast.res1, text="时长不实")
    with pytest.raises(PermissionDeniedError):
        services.order_assess(order_id=order.pk, actor=cast.town1, approved=True)
    services.order_assess(order_id=order.pk, actor=cast.county, approved=True, hours={})
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSESSED


def test_a_completed_order_waits_for_rating_before_assessment(cast, flow):
    order = flow("completed")
    with pytest.raises(ConflictError) as exc:
        services.order_assess(order_id=order.pk, actor=cast.town1, approved=True)
    assert exc.value.code == "not_ready_for_assessment"


# --- the rating window ---------------------------------------------------------------------------
def test_unrated_orders_move_on_to_assessment_after_seven_days(cast, flow, settings):
    old, recent, rated = flow("completed"), flow("completed"), flow("rated")
    ServiceOrder.objects.filter(pk__in=[old.pk, rated.pk]).update(
        completed_at=timezone.now() - dt.timedelta(days=7, hours=1)
    )
    from apps.orders.tasks import lapse_unrated_orders

    assert lapse_unrated_orders.delay().get() == 1
    assert services.orders_lapse_unrated() == 0  # idempotent
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.assessment_queue) == ("completed", "township") and old.rating_lapsed_at
    assert recent.assessment_queue == ""
    assert events(old)[-1] == ("lapse_rating", "completed", "completed")
    with pytest.raises(ConflictError) as exc:
        services.order_rate(order_id=old.pk, actor=cast.res1, score=5)
    assert exc.value.code == "rating_closed"
    services.order_assess(order_id=old.pk, actor=cast.town1, approved=True)
    old.refresh_from_db()
    assert old.status == OrderStatus.ASSESSED
    beat = settings.CELERY_BEAT_SCHEDULE["orders-lapse-unrated"]
    assert beat["task"] == lapse_unrated_orders.name


# --- every illegal transition --------------------------------------------------------------------
ALL_STATES = list(OrderStatus.values)
ACTIONS = [
    "dispatch",
    "accept",
    "decline",
    "start",
    "complete",
    "rate",
    "assess",
    "cancel",
    "reject",
    "escalate",
    "nudge",
    "dispute",
]
ILLEGAL = [(s, a) for s in ALL_STATES for a in ACTIONS if s not in services.TRANSITIONS[a][0]]


@pytest.fixture
def order_in(cast, v, flow):
    """An order in ``state`` where vol1 holds an assignment whenever the state allows
    one, so the state check (not the "not assigned" check) is what refuses."""

    def make(state: str) -> ServiceOrder:
        if state == "submitted":
            order = flow("dispatched")
            services.order_decline(order_id=order.pk, actor=cast.vol1, reason="改天")
        elif state in ("cancelled", "rejected"):
            order = flow("dispatched")
            if state == "cancelled":
                services.order_cancel(order_id=order.pk, actor=cast.res1)
            else:
                services.order_reject(order_id=order.pk, actor=cast.village1, reason="不行")
        else:
            order = flow(state)
        order.refresh_from_db()
        assert order.status == state
        return order

    return make


def _attempt(action: str, order: ServiceOrder, cast, v) -> None:
    oid = order.pk
    calls = {
        "dispatch": lambda: services.order_dispatch(
            order_id=oid, actor=cast.village1, volunteer_ids=[v.vol2.pk]
        ),
        "accept": lambda: services.order_accept(order_id=oid, actor=cast.vol1),
        "decline": lambda: services.order_decline(order_id=oid, actor=cast.vol1, reason="x"),
        "start": lambda: services.order_start(order_id=oid, actor=cast.vol1),
        "complete": lambda: services.order_complete(order_id=oid, actor=cast.vol1, summary="x"),
        "rate": lambda: services.order_rate(order_id=oid, actor=cast.res1, score=5),
        "assess": lambda: services.order_assess(order_id=oid, actor=cast.county, approved=True),
        "cancel": lambda: services.order_cancel(order_id=oid, actor=cast.res1),
        "reject": lambda: services.order_reject(order_id=oid, actor=cast.village1, reason="x"),
        "escalate": lambda: services.order_escalate(order_id=oid, actor=cast.village1),
        "nudge": lambda: services.order_nudge(order_id=oid, actor=cast.res1),
        "dispute": lambda: services.order_dispute(order_id=oid, actor=cast.res1, text="x"),
    }
    calls[action]()


@pytest.mark.parametrize("state,action", ILLEGAL, ids=[f"{s}-{a}" for s, a in ILLEGAL])
def test_illegal_transition_is_refused_and_changes_nothing(cast, v, order_in, state, action):
    order = order_in(state)
    before = (
        ServiceOrder.objects.filter(pk=order.pk).values().get(),
        list(OrderAssignment.objects.filter(order=order).values().order_by("pk")),
        OrderEvent.objects.filter(order=order).count(),
    )
    with pytest.raises(ConflictError) as exc:
        _attempt(action, order, cast, v)
    assert exc.value.code == "illegal_transition"
    assert exc.value.status_code == 409
    after = (
        ServiceOrder.objects.filter(pk=order.pk).values().get(),
        list(OrderAssignment.objects.filter(order=order).values().order_by("pk")),
        OrderEvent.objects.filter(order=order).count(),
    )
    assert after == before


def test_the_table_covers_every_status():
    reachable = set().union(*(targets for _f, targets in services.TRANSITIONS.values()))
    assert reachable == set(OrderStatus.values)
    assert len(ILLEGAL) > 80  # 12 actions × 9 states minus the legal moves
