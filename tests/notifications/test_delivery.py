"""Delivery reliability: the claim makes a send happen once, failures retry with a
growing backoff and give up after NOTIFY_MAX_ATTEMPTS, and the sweep finds what the
broker lost, what is due again and what a killed worker left half-done."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from apps.notifications import delivery, services, tasks
from apps.notifications.models import Channel, Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db

SENT_BY_BROKEN = []


class BrokenBackend(BaseEmailBackend):
    """An SMTP server that hangs up on every message."""

    def send_messages(self, messages: Any) -> int:
        SENT_BY_BROKEN.extend(messages)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


BROKEN = "tests.notifications.test_delivery.BrokenBackend"


def email(subject: str = "新派单：助老上门服务", **kw: Any) -> Delivery:
    return Delivery.objects.create(
        channel=Channel.EMAIL,
        recipient="vol@example.cn",
        subject=subject,
        body="请尽快接单。",
        **kw,
    )


@pytest.fixture
def clock(monkeypatch: Any) -> list[dt.datetime]:
    """The services module's notion of now: ``clock[0] = …`` moves time."""
    now = [timezone.now()]
    monkeypatch.setattr(delivery, "timezone", SimpleNamespace(now=lambda: now[0]))
    return now


def test_send_twice_sends_once() -> None:
    d = email()
    assert services.delivery_send(d.pk) == DeliveryStatus.SENT
    assert services.delivery_send(d.pk) == "skipped"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["vol@example.cn"]
    d.refresh_from_db()
    assert (d.status, d.attempts, d.locked_until, d.last_error) == (
        DeliveryStatus.SENT,
        1,
        None,
        "",
    )


def test_claim_touches_the_row_once() -> None:
    d = email()
    assert services.delivery_claim(d.pk) is True
    assert services.delivery_claim(d.pk) is False  # held by the first claim
    # A task arriving while another worker holds the claim does nothing.
    assert services.delivery_send(d.pk) == "skipped"
    assert mail.outbox == []
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENDING and d.attempts == 1
    assert d.locked_until is not None


def test_failures_back_off_then_give_up(settings: Any, clock: list[dt.datetime]) -> None:
    settings.EMAIL_BACKEND = BROKEN
    SENT_BY_BROKEN.clear()
    d = email()
    gaps = []
    for attempt in range(1, services.MAX_ATTEMPTS):
        assert services.delivery_send(d.pk) == DeliveryStatus.RETRY
        d.refresh_from_db()
        assert d.status == DeliveryStatus.RETRY and d.attempts == attempt
        assert d.last_error == "Connection unexpectedly closed"
        assert d.locked_until is None
        gaps.append((d.next_attempt_at - clock[0]).total_seconds())
        # Not due yet: a task (or sweep) arriving early does nothing.
        assert services.delivery_send(d.pk) == "skipped"
        clock[0] = d.next_attempt_at
    assert gaps == [60, 120, 240, 480][: services.MAX_ATTEMPTS - 1]
    assert services.delivery_send(d.pk) == DeliveryStatus.FAILED
    d.refresh_from_db()
    assert (d.status, d.attempts, d.next_attempt_at) == (
        DeliveryStatus.FAILED,
        services.MAX_ATTEMPTS,
        None,
    )
    assert d.last_error == "Connection unexpectedly closed"
    clock[0] += dt.timedelta(days=1)
    assert services.delivery_send(d.pk) == "skipped"
    assert d.pk not in services.deliveries_due(now=clock[0])
    assert len(SENT_BY_BROKEN) == services.MAX_ATTEMPTS and mail.outbox == []


def test_backoff_is_capped_at_an_hour() -> None:
    assert services.backoff(1) == dt.timedelta(minutes=1)
    assert services.backoff(4) == dt.timedelta(minutes=8)
    assert services.backoff(30) == dt.timedelta(hours=1)


def test_a_retry_that_succeeds_clears_the_error(settings: Any, clock: Any) -> None:
    settings.EMAIL_BACKEND = BROKEN
    d = email()
    assert services.delivery_send(d.pk) == DeliveryStatus.RETRY
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    d.refresh_from_db()
    clock[0] = d.next_attempt_at
    assert services.delivery_send(d.pk) == DeliveryStatus.SENT
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(mail.outbox) == 1


# --- the sweep -------------------------------------------------------------------------------
def aged(d: Delivery, seconds: int) -> Delivery:
    Delivery.objects.filter(pk=d.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=seconds)
    )
    return d


def test_deliveries_due_picks_what_needs_sending() -> None:
    now = timezone.now()
    ago, ahead = now - dt.timedelta(minutes=1), now + dt.timedelta(minutes=1)
    due = {
        "pending, lost by the broker": aged(email(), 300),
        "retry, due": email(status=DeliveryStatus.RETRY, attempts=1, next_attempt_at=ago),
        "retry, resent from the admin": email(status=DeliveryStatus.RETRY, next_attempt_at=None),
        "sending, worker died": email(status=DeliveryStatus.SENDING, attempts=1, locked_until=ago),
    }
    not_due = {
        "pending, still in the queue": email(),
        "retry, not yet": email(status=DeliveryStatus.RETRY, attempts=1, next_attempt_at=ahead),
        "sending, claim held": email(status=DeliveryStatus.SENDING, attempts=1, locked_until=ahead),
        "sent": aged(email(status=DeliveryStatus.SENT), 300),
        "failed": aged(email(status=DeliveryStatus.FAILED, attempts=5), 300),
    }
    found = set(services.deliveries_due(now=now))
    assert {k for k, d in due.items() if d.pk not in found} == set()
    assert {k for k, d in not_due.items() if d.pk in found} == set()


def test_sweep_delivers_lost_and_half_done_sends_once(clock: Any) -> None:
    aged(email("丢失的"), 300)  # lost by the broker
    fresh = email("刚写入的")
    # A worker claimed this one and was killed before it sent anything.
    killed = aged(email("发送中断的"), 300)
    assert services.delivery_claim(killed.pk)
    assert tasks.sweep_deliveries() == 1  # the claim is still held: only the lost one
    assert [m.subject for m in mail.outbox] == ["丢失的"]

    fresh.refresh_from_db()
    assert fresh.status == DeliveryStatus.PENDING  # within the grace: likely still queued

    # Two minutes later the claim has expired and the fresh row is past its grace.
    clock[0] += dt.timedelta(seconds=services.CLAIM_SECONDS + 1)
    assert tasks.sweep_deliveries.delay().get() == 2
    assert sorted(m.subject for m in mail.outbox) == sorted(["丢失的", "发送中断的", "刚写入的"])
    killed.refresh_from_db()
    assert (killed.status, killed.attempts) == (DeliveryStatus.SENT, 2)
    assert tasks.sweep_deliveries() == 0
    assert len(mail.outbox) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "POSTGRESQL ONLY — CLAIM RACE NOT RUN on "
            f"{connection.vendor}: set DATABASE_URL=postgres://... to run it"
        )
    d = email()
    barrier = threading.Barrier(4)
    results: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(services.delivery_send(d.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [DeliveryStatus.SENT] + ["skipped"] * 3
    assert len(mail.outbox) == 1
