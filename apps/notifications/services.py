"""Notify people: an in-app message for each user, plus e-mail where the user has an
address and the site's group robot where one is configured.

Callers run inside their own transaction: everything here is written in it, and the
Celery tasks are enqueued only after it commits (``transaction.on_commit``). If the
broker is down the enqueue fails quietly, the rows stay ``pending`` and the sweep
delivers them later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

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
from .messages import Message, email_body, has_sms, render_message, render_sms
from .models import Channel, Delivery, Notification, SiteWebhook
from .outbox import enqueue_deliveries, enqueue_delivery, queue_many, queue_one

log = logging.getLogger(__name__)


def _stored(kind: str, params: Mapping[str, Any]) -> Message:
    """The text kept in the row's ``title``/``body`` columns: the portal's own language
    (Chinese), for the admin, for search and as the fallback of rows without params.
    Readers get ``Notification.message``, rendered in their language."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_message(kind, params)


def notify(
    *,
    users: Iterable[Any],
    kind: str,
    params: Mapping[str, Any],
    url: str = "",
    dedupe_key: str | None = None,
    sms: bool = False,
) -> list[Notification]:
    """In-app message (+ e-mail) for each user. Idempotent per ``dedupe_key``.

    ``params`` are plain JSON values (apps.notifications.messages says which each kind
    reads), snapshotted now and rendered in the reader's language whenever the message
    is shown or sent. With ``sms=True`` each user with a mobile also gets a text
    message (at most 70 characters), through the same outbox as e-mail."""
    params = dict(params)
    message = _stored(kind, params)
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
                        params=params,
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
                            params=params,
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
                    # Filled for the record; the text sent is rendered at send time
                    # in the recipient's language (delivery.delivery_text).
                    subject=message.title,
                    body=email_body(message, url),
                    dedupe_key=f"email:{n.pk}",
                )
                for n in created
                if n.user_id in emails
            ]
        )
    if sms and created and has_sms(kind):
        _queue_sms(created, kind, params)
    return created


def _queue_sms(created: list[Notification], kind: str, params: Mapping[str, Any]) -> None:
    mobiles = dict(
        get_user_model()
        .objects.filter(pk__in=[n.user_id for n in created], is_active=True)
        .exclude(mobile__isnull=True)
        .exclude(mobile="")
        .values_list("pk", "mobile")
    )
    if not mobiles:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = render_sms(kind, params)
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
    params: Mapping[str, Any],
    url: str = "",
    dedupe_key: str | None = None,
) -> list[Notification]:
    """The staff holding a role at ``site`` itself, and its group robot if configured
    (the group chat reads the portal's own language, Chinese)."""
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
    notes = notify(users=staff_ids, kind=kind, params=params, url=url, dedupe_key=dedupe_key)
    webhook = SiteWebhook.objects.filter(site=site, is_active=True).first()
    if webhook is not None:
        message = _stored(kind, params)
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


# --- in-app ---------------------------------------------------------------------------
def notification_mark_read(*, user: User, notification_id: Id) -> Notification:
    note = Notification.objects.filter(pk=notification_id, user=user).first()
    if note is None:
        raise NotFoundError(gettext("消息不存在。"), code="not_found")
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
