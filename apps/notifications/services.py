"""Notify people: an in-app message for each user, plus e-mail where the user has an
address and the site's group robot where one is configured.

Callers run inside their own transaction: everything here is written in it, and the
Celery tasks are enqueued only after it commits (``transaction.on_commit``). If the
broker is down the enqueue fails quietly, the rows stay ``pending`` and the sweep
delivers them later.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from apps.sites.models import Site

from .models import Channel, Delivery, DeliveryStatus, Notification, SiteWebhook

log = logging.getLogger(__name__)

MAX_ATTEMPTS = getattr(settings, "NOTIFY_MAX_ATTEMPTS", 5)
# Backoff between attempts: 1, 2, 4, 8 … minutes (capped at an hour).
BACKOFF_BASE_SECONDS = getattr(settings, "NOTIFY_BACKOFF_SECONDS", 60)
WEBHOOK_TIMEOUT_SECONDS = getattr(settings, "NOTIFY_WEBHOOK_TIMEOUT", 10)
# A claim lasts longer than the slowest send (webhook timeout, SMTP timeout).
CLAIM_SECONDS = 120


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def render_message(kind: str, context: dict[str, Any]) -> Message:
    """Render ``templates/notifications/<kind>.txt``: first line the title, the rest
    the body."""
    text = render_to_string(f"notifications/{kind}.txt", context).strip()
    title, _, body = text.partition("\n")
    return Message(title.strip(), body.strip())


def notify(
    *,
    users: Iterable[Any],
    kind: str,
    context: dict[str, Any],
    url: str = "",
    dedupe_key: str | None = None,
) -> list[Notification]:
    """In-app message (+ e-mail) for each user. Idempotent per ``dedupe_key``."""
    message = render_message(kind, context)
    User = get_user_model()
    user_ids = sorted({u if isinstance(u, int) else u.pk for u in users if u is not None})
    if not user_ids:
        return []
    if dedupe_key:
        done = set(
            Notification.objects.filter(user_id__in=user_ids, dedupe_key=dedupe_key).values_list(
                "user_id", flat=True
            )
        )
        user_ids = [uid for uid in user_ids if uid not in done]
        if not user_ids:
            return []
    try:
        # One INSERT for all recipients (a few queries per event, whatever the count).
        with transaction.atomic():
            created = Notification.objects.bulk_create(
                [
                    Notification(
                        user_id=uid,
                        kind=kind,
                        title=message.title,
                        body=message.body,
                        url=url,
                        dedupe_key=dedupe_key,
                    )
                    for uid in user_ids
                ]
            )
    except IntegrityError:
        # The same event raced in for some of them: notify the rest one by one.
        created = []
        for uid in user_ids:
            try:
                with transaction.atomic():
                    created.append(
                        Notification.objects.create(
                            user_id=uid,
                            kind=kind,
                            title=message.title,
                            body=message.body,
                            url=url,
                            dedupe_key=dedupe_key,
                        )
                    )
            except IntegrityError:
                continue
    emails = dict(
        User.objects.filter(pk__in=[n.user_id for n in created], is_active=True)
        .exclude(email="")
        .values_list("pk", "email")
    )
    if emails:
        _queue_many(
            [
                Delivery(
                    channel=Channel.EMAIL,
                    notification=n,
                    recipient=emails[n.user_id],
                    subject=message.title,
                    body=_email_body(message, url),
                    dedupe_key=f"email:{n.pk}",
                )
                for n in created
                if n.user_id in emails
            ]
        )
    return created


def notify_site_staff(
    *,
    site: Site,
    kind: str,
    context: dict[str, Any],
    url: str = "",
    dedupe_key: str | None = None,
) -> list[Notification]:
    """The staff holding a role at ``site`` itself, and its group robot if configured."""
    staff_ids = list(
        get_user_model()
        .objects.filter(
            roles__site=site,
            roles__role__in=("staff", "county_admin"),
            is_active=True,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    notes = notify(users=staff_ids, kind=kind, context=context, url=url, dedupe_key=dedupe_key)
    webhook = SiteWebhook.objects.filter(site=site, is_active=True).first()
    if webhook is not None:
        message = render_message(kind, context)
        key = f"webhook:{site.pk}:{dedupe_key}" if dedupe_key else None
        if not (key and Delivery.objects.filter(dedupe_key=key).exists()):
            _queue(
                Delivery(
                    channel=Channel.WEBHOOK,
                    site=site,
                    recipient=webhook.url,
                    subject=message.title,
                    body=message.body,
                    dedupe_key=key,
                )
            )
    return notes


def _email_body(message: Message, url: str) -> str:
    link = f"\n\n查看详情：{settings.PORTAL_BASE_URL.rstrip('/')}{url}" if url else ""
    return f"{message.body}{link}\n\n—— {settings.PORTAL_NAME}"


def _queue_many(deliveries: list[Delivery]) -> None:
    with transaction.atomic():
        saved = Delivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in saved]

    transaction.on_commit(lambda: enqueue_deliveries(ids), robust=True)


def _queue(delivery: Delivery) -> None:
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:
        return  # the same delivery (dedupe key) exists already
    delivery_id = delivery.pk
    transaction.on_commit(lambda: enqueue_delivery(delivery_id))


def enqueue_delivery(delivery_id: int) -> None:
    """Hand a delivery to Celery. Never raises: with the broker down the row stays
    pending and the sweep retries it."""
    enqueue_deliveries([delivery_id])


def enqueue_deliveries(delivery_ids: list[int]) -> int:
    """Hand deliveries to Celery over one broker connection; returns how many went.
    Never raises: with the broker down the rows stay pending for the sweep."""
    from .tasks import deliver

    if not delivery_ids:
        return 0
    sent = 0
    try:
        # Do not block the request retrying a dead broker: retry=False stops the
        # publish retries, max_retries=0 the connection retries (kombu otherwise keeps
        # reconnecting for ~6 s per call, inside the request that committed).
        with deliver.app.connection_for_write(transport_options={"max_retries": 0}) as conn:
            for delivery_id in delivery_ids:
                deliver.apply_async(args=[delivery_id], retry=False, connection=conn)
                sent += 1
    except Exception as exc:  # noqa: BLE001 - any broker failure is handled the same way
        log.warning(
            "%d of %d deliveries not enqueued (%s); the sweep will send them",
            len(delivery_ids) - sent,
            len(delivery_ids),
            exc,
        )
    return sent


# --- sending --------------------------------------------------------------------------
class DeliveryError(Exception):
    pass


def _send_email(delivery: Delivery) -> None:
    send_mail(delivery.subject, delivery.body, None, [delivery.recipient], fail_silently=False)


def webhook_payload(delivery: Delivery) -> dict[str, Any]:
    """The text message shape both WeCom and DingTalk group robots accept."""
    return {"msgtype": "text", "text": {"content": f"【{delivery.subject}】\n{delivery.body}"}}


def _send_webhook(delivery: Delivery) -> None:
    data = json.dumps(webhook_payload(delivery), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - URL configured by county staff
        delivery.recipient,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
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


SENDERS = {Channel.EMAIL: _send_email, Channel.WEBHOOK: _send_webhook}


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
    delivery = Delivery.objects.get(pk=delivery_id)
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
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), locked_until=None, last_error=""
    )
    return DeliveryStatus.SENT


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


# --- in-app ---------------------------------------------------------------------------
def notification_mark_read(*, user: Any, notification_id: Any) -> Notification:
    from apps.sites.errors import NotFoundError

    note = Notification.objects.filter(pk=notification_id, user=user).first()
    if note is None:
        raise NotFoundError("消息不存在。", code="not_found")
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
        note.refresh_from_db(fields=["read_at"])
    return note


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
