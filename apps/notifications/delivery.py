"""Sending one delivery: claim it (a conditional UPDATE), send it by its channel,
record the result, or schedule a retry with backoff. Also which rows the sweep picks up."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.db.models import F, Q
from django.utils import timezone, translation

from .messages import email_body, render_sms
from .models import Channel, Delivery, DeliveryStatus
from .signed import send_signed
from .sms import send_sms

log = logging.getLogger(__name__)

MAX_ATTEMPTS = getattr(settings, "NOTIFY_MAX_ATTEMPTS", 5)
# Backoff between attempts: 1, 2, 4, 8 … minutes (capped at an hour).
BACKOFF_BASE_SECONDS = getattr(settings, "NOTIFY_BACKOFF_SECONDS", 60)
WEBHOOK_TIMEOUT_SECONDS = getattr(settings, "NOTIFY_WEBHOOK_TIMEOUT", 10)
# A claim lasts longer than the slowest send (webhook timeout, SMTP timeout).
CLAIM_SECONDS = 120


class DeliveryError(Exception):
    pass


def message_id(delivery: Delivery) -> str:
    """A stable id per delivery, the same on every attempt, so a receiver can drop a
    duplicate if a message is ever sent twice (e-mail Message-ID, webhook header)."""
    domain = settings.PORTAL_BASE_URL.split("//")[-1].split("/")[0].split(":")[0] or "portal"
    return f"<delivery-{delivery.pk}@{domain}>"


def delivery_text(delivery: Delivery) -> tuple[str, str]:
    """Subject and body as sent. An e-mail or text message about a notification is
    rendered now from the notification's params, in the recipient's language (the one
    they last chose with the switch, else the portal's); a robot message to a site's
    group chat, or a row from before params existed, goes as it was stored."""
    note = delivery.notification
    if (
        note is None
        or not note.params
        or delivery.channel in (Channel.WEBHOOK, Channel.SIGNED_WEBHOOK)
    ):
        return delivery.subject, delivery.body
    language = getattr(note.user, "language", "") or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            message = note.render()
            if delivery.channel == Channel.SMS:
                return message.title, render_sms(note.kind, note.params)
            return message.title, email_body(message, note.url)
    except (LookupError, KeyError, TypeError, ValueError):
        return delivery.subject, delivery.body


def _send_email(delivery: Delivery) -> None:
    subject, body = delivery_text(delivery)
    EmailMessage(
        subject,
        body,
        None,
        [delivery.recipient],
        headers={"Message-ID": message_id(delivery), "X-Delivery-Id": str(delivery.pk)},
    ).send(fail_silently=False)


def webhook_payload(delivery: Delivery) -> dict[str, Any]:
    """The text message shape both WeCom and DingTalk group robots accept. The robots
    have no field for a message id, so the body stays exactly this shape; a receiver
    that can deduplicate (a relay, a bot gateway) reads the ``X-Delivery-Id`` header."""
    return {"msgtype": "text", "text": {"content": f"【{delivery.subject}】\n{delivery.body}"}}


def _send_webhook(delivery: Delivery) -> None:
    data = json.dumps(webhook_payload(delivery), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - URL configured by county staff
        delivery.recipient,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Delivery-Id": str(delivery.pk),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"连接失败：{reason}") from None
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = {}
    # Both robots answer 200 with {"errcode": 0} on success and a non-zero errcode otherwise.
    if isinstance(body, dict) and body.get("errcode", 0) not in (0, "0"):
        raise DeliveryError(f"机器人返回错误 {body.get('errcode')}: {body.get('errmsg', '')}")


def _send_sms(delivery: Delivery) -> None:
    # Through the backend named by settings.SMS_BACKEND (console, file, locmem, Aliyun).
    send_sms(delivery.recipient, delivery_text(delivery)[1])


def _send_signed(delivery: Delivery) -> None:
    send_signed(delivery, timeout=WEBHOOK_TIMEOUT_SECONDS)


SENDERS = {
    Channel.EMAIL: _send_email,
    Channel.WEBHOOK: _send_webhook,
    Channel.SMS: _send_sms,
    Channel.SIGNED_WEBHOOK: _send_signed,
}


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def delivery_claim(delivery_id: int, *, now: dt.datetime | None = None) -> bool:
    """Claim a due delivery for sending: a conditional UPDATE that touches exactly one
    row for exactly one worker. Two workers running the same task: one claims, the
    other sees 0 rows and does nothing — a task run twice sends once."""
    now = now or timezone.now()
    due = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    expired = Q(status=DeliveryStatus.SENDING, locked_until__lte=now)
    return (
        Delivery.objects.filter(due | expired, pk=delivery_id).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            locked_until=now + dt.timedelta(seconds=CLAIM_SECONDS),
        )
        == 1
    )


def delivery_send(delivery_id: int) -> str:
    """Claim and send one delivery; record success, or schedule a retry with backoff,
    or give up after MAX_ATTEMPTS. Returns the new status."""
    if not delivery_claim(delivery_id):
        return "skipped"
    delivery = Delivery.objects.select_related("notification__user").get(pk=delivery_id)
    try:
        SENDERS[Channel(delivery.channel)](delivery)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
        now = timezone.now()
        gave_up = delivery.attempts >= MAX_ATTEMPTS
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.RETRY,
            next_attempt_at=None if gave_up else now + backoff(delivery.attempts),
            locked_until=None,
            last_error=str(exc)[:500] or exc.__class__.__name__,
        )
        return DeliveryStatus.FAILED if gave_up else DeliveryStatus.RETRY
    _mark_sent(delivery_id)
    return DeliveryStatus.SENT


# Retrying the mark-sent UPDATE: a database blip between sending and recording must
# not leave a sent message "sending" (the sweep would send it again once the claim
# expires). 0.2 + 0.4 + 0.8 + 1.6 + 3.2 s ≈ 6 s of patience, well inside the claim.
MARK_SENT_DELAYS = (0.2, 0.4, 0.8, 1.6, 3.2)


def _mark_sent(delivery_id: int) -> None:
    for delay in (*MARK_SENT_DELAYS, None):
        try:
            Delivery.objects.filter(pk=delivery_id).update(
                status=DeliveryStatus.SENT,
                sent_at=timezone.now(),
                locked_until=None,
                last_error="",
            )
            return
        except (OperationalError, InterfaceError):
            if delay is None or connection.in_atomic_block:
                raise  # inside a transaction a reconnect cannot help: the caller's call
            log.warning(
                "delivery %s sent but not yet marked sent; retrying in %.1f s", delivery_id, delay
            )
            time.sleep(delay)
            # Drop the broken connection; the next query opens a fresh one.
            connection.close_if_unusable_or_obsolete()
            close_old_connections()
            if connection.connection is not None and not connection.is_usable():
                connection.close()


def deliveries_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Ids the sweep should (re)enqueue: pending or retry rows that are due, and
    ``sending`` rows whose claim expired (the worker died mid-send)."""
    now = now or timezone.now()
    # A pending row younger than this is most likely still in the broker's queue.
    grace = now - dt.timedelta(seconds=getattr(settings, "NOTIFY_SWEEP_GRACE_SECONDS", 30))
    q = (
        Q(status=DeliveryStatus.PENDING, created_at__lte=grace)
        # next_attempt_at NULL: "resend now" from the admin (its enqueue may have failed).
        | Q(status=DeliveryStatus.RETRY, next_attempt_at__isnull=True)
        | Q(status=DeliveryStatus.RETRY, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, locked_until__lte=now)
    )
    return list(
        Delivery.objects.filter(q).order_by("created_at").values_list("pk", flat=True)[:limit]
    )
