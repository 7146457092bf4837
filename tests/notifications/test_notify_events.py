"""Who hears about each event, in which words, and when (eager tasks: no REDIS_URL in
tests, so ``deliver`` runs in-process when the on-commit hook enqueues it).

Every test compares the complete set of notifications an event wrote with the people
it should reach: the right people and nobody else.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse

from apps.notifications.models import Channel, Delivery, DeliveryStatus, Notification, SiteWebhook
from apps.notifications.services import notify, notify_site_staff
from apps.orders import notify as order_notify
from apps.orders import services
from apps.orders.models import OrderEvent, OrderStatus
from apps.orders.services import workflow as order_workflow
from apps.points import services as points
from apps.points.models import Reward
from apps.volunteers import services as volunteers
from tests.orders.factories import make_due, served_for

from .conftest import with_email

pytestmark = pytest.mark.django_db


def mark() -> int:
    last = Notification.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def written_since(since: int) -> dict[int, list[str]]:
    """user id → kinds of the notifications written after ``since``."""
    out: dict[int, list[str]] = {}
    for uid, kind in (
        Notification.objects.filter(id__gt=since).order_by("id").values_list("user_id", "kind")
    ):
        out.setdefault(uid, []).append(kind)
    return out


def only(user: Any, kind: str) -> Notification:
    return Notification.objects.get(user=user, kind=kind)


# --- order events ------------------------------------------------------------------------
def test_dispatch_notifies_each_assigned_volunteer_and_nobody_else(
    flow: Any, v: Any, cast: Any
) -> None:
    order = flow("submitted", needed=2)
    before = mark()
    services.order_dispatch(
        order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk, v.vol2.pk]
    )
    assert written_since(before) == {
        v.vol1.user_id: ["order_dispatched"],
        v.vol2.user_id: ["order_dispatched"],
        cast.res1.pk: ["resident_dispatched"],  # the resident hears of it too
    }
    note = only(v.vol1.user, "order_dispatched")
    assert note.title == "新派单：助老上门服务"
    assert note.body.startswith("东关社区实践站给您派了一张单：助老上门服务。")
    assert "地点：东关社区 3 号楼" in note.body
    assert note.url == reverse("orders:my_tasks")
    assert note.read_at is None


def test_redispatch_notifies_only_the_newly_assigned(flow: Any, v: Any, cast: Any) -> None:
    order = flow("dispatched")  # to vol1
    services.order_decline(order_id=order.pk, actor=v.vol1.user, reason="家里有事")
    before = mark()
    services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol2.pk])
    assert written_since(before) == {
        v.vol2.user_id: ["order_dispatched"],
        cast.res1.pk: ["resident_dispatched"],
    }


@pytest.mark.parametrize(
    ("action", "kind", "words"),
    [
        ("accept", "order_accepted", "张丽 已接下"),
        ("decline", "order_declined", "张丽 无法承接"),
    ],
)
def test_volunteer_answer_notifies_the_handling_site_staff(
    flow: Any, v: Any, cast: Any, action: str, kind: str, words: str
) -> None:
    order = flow("dispatched")
    before = mark()
    if action == "accept":
        services.order_accept(order_id=order.pk, actor=v.vol1.user)
    else:
        services.order_decline(order_id=order.pk, actor=v.vol1.user, reason="腿受伤了")
    # village1 handles the order; town1 and the county hold roles higher up, not here.
    # The resident hears of an acceptance (not of a decline: the order waits on).
    expected = {cast.village1.pk: [kind]}
    if action == "accept":
        expected[cast.res1.pk] = ["resident_accepted"]
    assert written_since(before) == expected
    note = only(cast.village1, kind)
    assert words in note.body
    assert note.url == reverse("orders:detail", args=[order.pk])
    if action == "decline":
        assert "原因：腿受伤了" in note.body


def test_completion_notifies_the_handling_site_staff(flow: Any, v: Any, cast: Any) -> None:
    order = flow("in_service")
    served_for(order.pk, hours=2)
    before = mark()
    services.order_complete(
        order_id=order.pk, actor=v.vol1.user, hours=Decimal("2"), summary="陪老人聊天。"
    )
    assert written_since(before) == {
        cast.village1.pk: ["order_completed"],
        cast.res1.pk: ["resident_completed"],
    }
    assert only(cast.village1, "order_completed").title == "服务已完成：助老上门服务"


def test_completion_is_notified_when_the_last_volunteer_checks_out(
    flow: Any, v: Any, cast: Any
) -> None:
    order = flow("accepted", needed=2, volunteers=[v.vol1, v.vol2])
    for vol in (v.vol1, v.vol2):
        services.order_start(order_id=order.pk, actor=vol.user)
    served_for(order.pk, hours=1)
    before = mark()
    services.order_complete(
        order_id=order.pk, actor=v.vol1.user, hours=Decimal("1"), summary="上午的部分"
    )
    # One of two checked out: the order is still in service, nothing is "completed".
    assert written_since(before) == {}
    services.order_complete(
        order_id=order.pk, actor=v.vol2.user, hours=Decimal("1"), summary="下午的部分"
    )
    assert written_since(before) == {
        cast.village1.pk: ["order_completed"],
        cast.res1.pk: ["resident_completed"],
    }


def test_rating_notifies_the_volunteers_who_served(flow: Any, v: Any, cast: Any) -> None:
    order = flow("submitted")
    services.order_dispatch(
        order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk, v.vol2.pk]
    )
    services.order_accept(order_id=order.pk, actor=v.vol1.user)  # vol2's request lapses
    make_due(order.pk)
    services.order_start(order_id=order.pk, actor=v.vol1.user)
    served_for(order.pk, hours=1)
    services.order_complete(order_id=order.pk, actor=v.vol1.user, hours=Decimal("1"), summary="好")
    before = mark()
    services.order_rate(order_id=order.pk, actor=cast.res1, score=4, comment="很耐心")
    assert written_since(before) == {v.vol1.user_id: ["order_rated"]}
    assert (
        only(v.vol1.user, "order_rated").body
        == f"#{order.pk}（助老上门服务）获得 4 分评价。评语：很耐心"
    )


def test_reject_notifies_the_resident(flow: Any, cast: Any) -> None:
    order = flow("dispatched")
    before = mark()
    services.order_reject(order_id=order.pk, actor=cast.village1, reason="超出服务范围")
    assert written_since(before) == {cast.res1.pk: ["order_rejected"]}
    note = only(cast.res1, "order_rejected")
    assert "原因：超出服务范围。" in note.body
    assert note.url == reverse("orders:detail", args=[order.pk])


def test_cancel_notifies_assigned_volunteers_and_the_site_staff(
    flow: Any, v: Any, cast: Any
) -> None:
    order = flow("dispatched", needed=2, volunteers=[v.vol1, v.vol2])
    before = mark()
    services.order_cancel(order_id=order.pk, actor=cast.res1, reason="已经自己解决")
    assert written_since(before) == {
        v.vol1.user_id: ["order_cancelled"],
        v.vol2.user_id: ["order_cancelled"],
        cast.village1.pk: ["order_cancelled"],
    }
    assert "原因：已经自己解决" in only(cast.village1, "order_cancelled").body


def test_cancel_does_not_notify_volunteers_whose_request_lapsed_earlier(
    flow: Any, v: Any, cast: Any
) -> None:
    order = flow("dispatched", needed=2, volunteers=[v.vol1, v.vol2])
    # vol1 declines; too few remain, so vol2's open request lapses and the order goes
    # back to the queue. Nobody is assigned when the resident then cancels.
    services.order_decline(order_id=order.pk, actor=v.vol1.user, reason="没空")
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    before = mark()
    services.order_cancel(order_id=order.pk, actor=cast.res1)
    assert written_since(before) == {cast.village1.pk: ["order_cancelled"]}


def test_cancel_of_undispatched_order_notifies_only_the_site_staff(flow: Any, cast: Any) -> None:
    order = flow("submitted")
    before = mark()
    services.order_cancel(order_id=order.pk, actor=cast.res1)
    assert written_since(before) == {cast.village1.pk: ["order_cancelled"]}


def test_escalation_notifies_the_parent_site_staff(flow: Any, cast: Any) -> None:
    order = flow("submitted")
    before = mark()
    services.order_escalate(order_id=order.pk, actor=cast.village1, reason="缺少医生")
    assert written_since(before) == {
        cast.town1.pk: ["order_escalated"],
        cast.res1.pk: ["resident_escalated"],
    }
    note = only(cast.town1, "order_escalated")
    assert note.title == "上报订单待处理：助老上门服务"
    assert note.body == (
        f"东关社区实践站上报了 #{order.pk}（助老上门服务，东关社区实践站），请派单。原因：缺少医生"
    )


# --- volunteers and points ---------------------------------------------------------------
def test_volunteer_approval_notifies_the_applicant(v: Any, cast: Any) -> None:
    before = mark()
    volunteers.volunteer_approve(volunteer=v.pending, actor=cast.village1)
    assert written_since(before) == {v.pending.user_id: ["volunteer_approved"]}
    v.pending.refresh_from_db()
    note = only(v.pending.user, "volunteer_approved")
    assert note.title == "志愿者申请已通过"
    assert f"志愿者编号 {v.pending.number}" in note.body
    assert "陈静，您申请成为东关社区实践站的志愿者已审核通过" in note.body


def test_volunteer_rejection_notifies_the_applicant(v: Any, cast: Any) -> None:
    before = mark()
    volunteers.volunteer_reject(volunteer=v.pending, actor=cast.village1, reason="资料不全")
    assert written_since(before) == {v.pending.user_id: ["volunteer_rejected"]}
    assert "原因：资料不全。" in only(v.pending.user, "volunteer_rejected").body


def test_redemption_notifies_the_volunteer(v: Any, cast: Any, tree: Any) -> None:
    points.points_adjust(actor=cast.county, volunteer=v.vol1, amount=50, reason="测试")
    reward = Reward.objects.create(site=tree.town1, name="香皂", points_cost=8, stock=3)
    before = mark()
    points.reward_redeem(actor=cast.vol1, reward_id=reward.pk)
    assert written_since(before) == {cast.vol1.pk: ["redemption_ready"]}
    note = only(cast.vol1, "redemption_ready")
    assert note.title == "兑换成功，请到城关镇新时代文明实践所领取"
    assert "您用 8 积分兑换的“香皂”已备好" in note.body


# --- same transaction ----------------------------------------------------------------------
def test_a_transition_failing_after_notify_leaves_no_notification(
    flow: Any, v: Any, cast: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(v.vol1.user)
    order = flow("submitted")
    real = order_notify.order_event_notify
    calls = []

    def notify_then_fail(order: Any, event: Any) -> None:
        real(order, event)
        calls.append(Notification.objects.filter(user=v.vol1.user).count())
        raise RuntimeError("disk full")

    monkeypatch.setattr(order_workflow, "order_event_notify", notify_then_fail)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="disk full"),
    ):
        services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk])
    assert calls == [1]  # the row was written inside the transaction…
    assert not Notification.objects.filter(user=v.vol1.user).exists()  # …and rolled back
    assert not Delivery.objects.exists()
    assert callbacks == [] and mail.outbox == []
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    assert not OrderEvent.objects.filter(order=order, action="dispatch").exists()


def test_email_goes_out_after_commit_only(
    flow: Any, v: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(v.vol1.user)
    order = flow("submitted")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            services.order_dispatch(
                order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk]
            )
        delivery = Delivery.objects.get(channel=Channel.EMAIL)
        # Written with the change, not yet sent: nothing leaves before the commit.
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
        assert mail.outbox == []
    assert len(callbacks) == 2  # the volunteer's e-mail, the resident's text
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [v.vol1.user.email]
    assert email.subject == "新派单：助老上门服务"
    assert "东关社区实践站给您派了一张单" in email.body
    assert (
        f"查看详情：{settings.PORTAL_BASE_URL.rstrip('/')}{reverse('orders:my_tasks')}"
        in email.body
    )
    delivery.refresh_from_db()
    assert (delivery.channel, delivery.status, delivery.attempts) == (
        Channel.EMAIL,
        DeliveryStatus.SENT,
        1,
    )
    assert delivery.recipient == v.vol1.user.email and delivery.sent_at is not None


def test_no_email_for_users_without_an_address_or_inactive(
    flow: Any, v: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(v.vol2.user, v.volb.user)
    v.volb.user.is_active = False
    v.volb.user.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            users=[v.vol1.user, v.vol2.user, v.volb.user],
            kind="volunteer_approved",
            params={"name": v.vol1.real_name, "site": "东关社区实践站", "number": "1"},
        )
    assert len(created) == 3  # everyone gets the in-app message
    assert list(Delivery.objects.values_list("recipient", flat=True)) == [v.vol2.user.email]
    assert [m.to for m in mail.outbox] == [[v.vol2.user.email]]


# --- dedupe ---------------------------------------------------------------------------------
def test_the_same_event_twice_notifies_once(
    flow: Any, v: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(v.vol1.user)
    order = flow("submitted")
    with django_capture_on_commit_callbacks(execute=True):
        services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk])
    event = OrderEvent.objects.get(order=order, action="dispatch")
    with django_capture_on_commit_callbacks(execute=True) as again:
        order_notify.order_event_notify(order, event)
    assert again == []
    assert Notification.objects.filter(user=v.vol1.user, kind="order_dispatched").count() == 1
    # One e-mail to the volunteer, one text to the resident: neither sent twice.
    assert Delivery.objects.filter(channel=Channel.EMAIL).count() == 1 and len(mail.outbox) == 1
    assert Delivery.objects.filter(channel=Channel.SMS).count() == 1


def test_dedupe_key_and_webhook_dedupe(
    tree: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    SiteWebhook.objects.create(site=tree.village1, url="http://127.0.0.1:9/robot")
    ctx = {"order_id": 1, "service": "助老上门服务", "site": "东关社区实践站"}
    first = notify_site_staff(site=tree.village1, kind="order_nudged", params=ctx, dedupe_key="k1")
    second = notify_site_staff(site=tree.village1, kind="order_nudged", params=ctx, dedupe_key="k1")
    assert [n.user_id for n in first] == [cast.village1.pk] and second == []
    assert Notification.objects.count() == 1
    hook = Delivery.objects.get()
    assert (hook.channel, hook.site_id, hook.recipient) == (
        Channel.WEBHOOK,
        tree.village1.pk,
        "http://127.0.0.1:9/robot",
    )
    # Without a key every call is a new message.
    notify(users=[cast.res1], kind="order_nudged", params=ctx)
    notify(users=[cast.res1], kind="order_nudged", params=ctx)
    assert Notification.objects.filter(user=cast.res1).count() == 2


def test_inactive_webhook_is_not_used(tree: Any, cast: Any) -> None:
    SiteWebhook.objects.create(site=tree.village1, url="http://127.0.0.1:9/robot", is_active=False)
    notify_site_staff(
        site=tree.village1, kind="order_nudged", params={"order_id": 1}, dedupe_key="k2"
    )
    assert not Delivery.objects.exists()
