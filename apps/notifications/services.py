"""Notify people: an in-app message for each user, plus e-mail where the user has an
address and the site's group robot where one is configured.

Callers run inside their own transaction: everything here is written in it, and the
Celery tasks are enqueued only after it commits (``transaction.on_commit``). If the
broker is down the enqueue fails quietly, the rows stay ``pending`` and the sweep
delivers them later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.core.types import Id
from apps.sites.models import Site

from .delivery import (
    CLAIM_SECONDS,
    MAX_ATTEMPTS,
    backoff,
    deliveries_due,
    delivery_claim,
    delivery_send,
)
from .models import Channel, Delivery, Notification, SiteWebhook
from .outbox import enqueue_deliveries, enqueue_delivery, queue_many, queue_one

log = logging.getLogger(__name__)


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
    sms: bool = False,
) -> list[Notification]:
    """In-app message (+ e-mail) for each user. Idempotent per ``dedupe_key``.

    With ``sms=True`` each user with a mobile also gets a text message, rendered from
    ``templates/notifications/sms/<kind>.txt`` (at most 70 characters), through the
    same outbox as e-mail."""
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
        queue_many(
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
    if sms and created:
        _queue_sms(created, kind, context)
    return created


def render_sms(kind: str, context: dict[str, Any]) -> str:
    """``templates/notifications/sms/<kind>.txt`` on one line, whitespace collapsed."""
    text = render_to_string(f"notifications/sms/{kind}.txt", context)
    return " ".join(text.split())


def _queue_sms(created: list[Notification], kind: str, context: dict[str, Any]) -> None:
    mobiles = dict(
        get_user_model()
        .objects.filter(pk__in=[n.user_id for n in created], is_active=True)
        .exclude(mobile__isnull=True)
        .exclude(mobile="")
        .values_list("pk", "mobile")
    )
    if not mobiles:
        return
    text = render_sms(kind, context)
    queue_many(
        [
            Delivery(
                channel=Channel.SMS,
                notification=n,
                recipient=mobiles[n.user_id] or "",
                subject=n.title[:200],
                body=text,
                # One text per notification: a repeated event finds the key taken.
                dedupe_key=f"sms:{n.pk}",
            )
            for n in created
            if n.user_id in mobiles
        ]
    )


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
            queue_one(
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


# --- in-app ---------------------------------------------------------------------------
def notification_mark_read(*, user: User, notification_id: Id) -> Notification:
    note = Notification.objects.filter(pk=notification_id, user=user).first()
    if note is None:
        raise NotFoundError("消息不存在。", code="not_found")
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
        note.refresh_from_db(fields=["read_at"])
    return note


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


__all__ = [
    "CLAIM_SECONDS",
    "MAX_ATTEMPTS",
    "Message",
    "backoff",
    "deliveries_due",
    "delivery_claim",
    "delivery_send",
    "enqueue_deliveries",
    "enqueue_delivery",
    "notification_mark_read",
    "notifications_mark_all_read",
    "notify",
    "notify_site_staff",
    "render_message",
    "render_sms",
]
