"""The resident (and their family proxies) hear of every step of their order, in-app
and by SMS to the mobile they registered; each text fits one message (≤ 70 chars)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from apps.accounts.models import FamilyProxy
from apps.notifications.messages import SMS, render_sms
from apps.notifications.models import Channel, Delivery, DeliveryStatus, Notification
from apps.notifications.sms import MAX_SMS_CHARS, locmem
from apps.orders import services
from apps.orders.notify import RESIDENT_KINDS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def resident_kinds(user: Any) -> list[str]:
    return list(
        Notification.objects.filter(user=user, kind__in=RESIDENT_KINDS.values())
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_every_step_of_the_happy_path_reaches_the_resident(
    flow: Any, v: Any, cast: Any, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        order = flow("assessed")
    assert resident_kinds(cast.res1) == [
        "resident_dispatched",
        "resident_accepted",
        "resident_started",
        "resident_completed",
        "resident_assessed",
    ]
    accepted = Notification.objects.get(user=cast.res1, kind="resident_accepted")
    # The volunteer's name and masked mobile, never the full number.
    assert "张丽" in accepted.body
    assert v.vol1.mobile[:3] + "****" + v.vol1.mobile[-4:] in accepted.body
    assert v.vol1.mobile not in accepted.body
    completed = Notification.objects.get(user=cast.res1, kind="resident_completed")
    assert completed.url == reverse("orders:detail", args=[order.pk])
    assert "打分" in completed.body
    # One SMS per step, to the resident's own mobile, all delivered by the backend.
    texts = [s.text for s in _sms_outbox if s.mobile == cast.res1.mobile]
    assert len(texts) == 5
    assert all(len(t) <= MAX_SMS_CHARS for t in texts)
    sms = Delivery.objects.filter(channel=Channel.SMS, recipient=cast.res1.mobile)
    assert sms.count() == 5 and set(sms.values_list("status", flat=True)) == {DeliveryStatus.SENT}


@pytest.mark.parametrize(
    ("state", "kind"), [("cancelled", "resident_cancelled"), ("rejected", "order_rejected")]
)
def test_closing_steps_reach_the_resident(flow: Any, cast: Any, state: str, kind: str) -> None:
    flow(state)
    if state == "cancelled":
        # The resident cancelled it: no message about their own step.
        assert resident_kinds(cast.res1) == []
    else:
        assert resident_kinds(cast.res1) == [kind]
        note = Notification.objects.get(user=cast.res1, kind=kind)
        assert "超出范围。" in note.body and "。。" not in note.body


def test_escalation_reaches_the_resident(flow: Any, cast: Any) -> None:
    order = flow("submitted")
    services.order_escalate(order_id=order.pk, actor=cast.village1, reason="本站人手不足")
    assert resident_kinds(cast.res1) == ["resident_escalated"]
    assert "城关镇" in Notification.objects.get(user=cast.res1, kind="resident_escalated").body


def test_second_volunteer_checking_in_or_out_does_not_repeat_the_message(
    flow: Any, v: Any, cast: Any
) -> None:
    order = flow("accepted", needed=2, volunteers=[v.vol1, v.vol2])
    services.order_start(order_id=order.pk, actor=v.vol1.user)
    services.order_start(order_id=order.pk, actor=v.vol2.user)
    services.order_complete(
        order_id=order.pk, actor=v.vol1.user, hours=Decimal("0.5"), summary="好"
    )
    assert resident_kinds(cast.res1).count("resident_started") == 1
    assert "resident_completed" not in resident_kinds(cast.res1)
    services.order_complete(
        order_id=order.pk, actor=v.vol2.user, hours=Decimal("0.5"), summary="好"
    )
    assert resident_kinds(cast.res1).count("resident_completed") == 1
    # Two volunteers accepted: two acceptance messages, each with its volunteer's name.
    bodies = Notification.objects.filter(user=cast.res1, kind="resident_accepted").values_list(
        "body", flat=True
    )
    assert sorted("张丽" in b for b in bodies) == [False, True]


def test_family_proxy_hears_what_the_elder_hears(
    flow: Any, cast: Any, _sms_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    son = UserFactory(username="son", mobile="13800000077")
    FamilyProxy.objects.create(elder=cast.res1, proxy=son, relation="儿子")
    with django_capture_on_commit_callbacks(execute=True):
        flow("accepted")
    assert resident_kinds(son) == ["resident_dispatched", "resident_accepted"]
    assert {s.mobile for s in _sms_outbox} == {cast.res1.mobile, son.mobile}


def test_resident_without_mobile_gets_in_app_only(flow: Any, cast: Any, _sms_outbox: Any) -> None:
    cast.res1.mobile = None
    cast.res1.save(update_fields=["mobile"])
    flow("dispatched")
    assert resident_kinds(cast.res1) == ["resident_dispatched"]
    assert _sms_outbox == []
    assert not Delivery.objects.filter(channel=Channel.SMS).exists()


def test_sms_failure_retries_then_gives_up_visibly_and_never_sends_twice(
    flow: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.notifications import delivery

    locmem.fail_next.extend(["isv.BUSINESS_LIMIT_CONTROL"])
    with django_capture_on_commit_callbacks(execute=True):
        flow("dispatched")
    sms = Delivery.objects.get(channel=Channel.SMS)
    assert sms.status == DeliveryStatus.RETRY and "BUSINESS_LIMIT" in sms.last_error
    Delivery.objects.filter(pk=sms.pk).update(next_attempt_at=None)
    assert delivery.delivery_send(sms.pk) == DeliveryStatus.SENT
    # A second run (a task delivered twice) finds nothing to claim.
    assert delivery.delivery_send(sms.pk) == "skipped"
    assert len(locmem.outbox) == 1

    # Another that keeps failing ends as failed (shown on the deliveries page).
    monkey_max = delivery.MAX_ATTEMPTS
    delivery.MAX_ATTEMPTS = 2
    try:
        other = Delivery.objects.create(
            channel=Channel.SMS, recipient="13600000001", subject="x", body="y"
        )
        locmem.fail_next.extend(["down", "down"])
        assert delivery.delivery_send(other.pk) == DeliveryStatus.RETRY
        Delivery.objects.filter(pk=other.pk).update(next_attempt_at=None)
        assert delivery.delivery_send(other.pk) == DeliveryStatus.FAILED
    finally:
        delivery.MAX_ATTEMPTS = monkey_max


def sms_kinds() -> list[str]:
    return sorted(SMS)


def test_every_resident_kind_has_an_sms_text() -> None:
    assert set(RESIDENT_KINDS.values()) <= set(sms_kinds())


@pytest.mark.parametrize("kind", sms_kinds())
@pytest.mark.parametrize("status", ["assessed", "rejected"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_sms_text_fits_one_message_with_the_longest_values(
    kind: str, status: str, language: str
) -> None:
    # The longest values the models allow: 100-character titles and site names,
    # 50-character names, a seven-digit order number, a 300-character reason; in
    # either language (70 characters is one text in Chinese, and we hold English to
    # the same length rather than count encodings).
    params = {
        "order_id": 9_999_999,
        "status": status,
        "service": "长" * 100,
        "site": "站" * 100,
        "handling_site": "所" * 100,
        "volunteer": "名" * 50,
        "volunteer_phone": "138****5678",
        "reason": "因" * 300,
    }
    with translation.override(language):
        text = render_sms(kind, params)
    assert 0 < len(text) <= MAX_SMS_CHARS, (kind, len(text), text)
