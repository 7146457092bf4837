"""The outbox: delivery rows are written in the caller's transaction and handed to
Celery after it commits. This is the one place that enqueues; ``services`` (new
notifications) and ``tasks`` (the sweep) both use it. With the broker down nothing
raises: the rows stay ``pending`` and the sweep enqueues them later."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction

from apps.core.breaker import BROKER_BREAKER
from apps.sites.models import Site

from .delivery import delivery_send
from .models import Channel, Delivery

log = logging.getLogger(__name__)


# Registered under its historical name (queued messages carry it); tasks.py re-exports it.
@shared_task(
    name="apps.notifications.tasks.deliver", acks_late=True, soft_time_limit=60, time_limit=90
)
def deliver(delivery_id: int) -> str:
    """Send one delivery. Idempotent: the claim lets one run send; a failure is
    recorded on the row and retried by the sweep after its backoff."""
    return delivery_send(delivery_id)


def queue_many(deliveries: list[Delivery]) -> None:
    with transaction.atomic():
        saved = Delivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in saved]

    transaction.on_commit(lambda: enqueue_deliveries(ids), robust=True)


def queue_one(delivery: Delivery) -> None:
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


def enqueue_deliveries(delivery_ids: list[int], *, background: bool = False) -> int:
    """Hand deliveries to Celery over one broker connection; returns how many went.
    Never raises: with the broker down the rows stay pending for the sweep.

    From a request (the default) a broker that failed moments ago is not tried again
    (``BROKER_BREAKER``); the sweep (``background=True``) always tries."""
    if not delivery_ids:
        return 0
    eager = bool(deliver.app.conf.task_always_eager)  # embedded default: no broker at all
    if not eager and not background and BROKER_BREAKER.is_open():
        # The broker failed moments ago: do not make this request wait for it again.
        log.info("%d deliveries left for the sweep (broker failed moments ago)", len(delivery_ids))
        return 0
    sent = 0
    try:
        # Do not block the request retrying a dead broker: retry=False stops the
        # publish retries, max_retries=0 the connection retries (kombu otherwise keeps
        # reconnecting for ~6 s per call, inside the request that committed), and the
        # socket timeouts bound a broker that accepts connections but never answers.
        options = {"max_retries": 0, **settings.CELERY_PUBLISH_TRANSPORT_OPTIONS}
        with deliver.app.connection_for_write(transport_options=options) as conn:
            for delivery_id in delivery_ids:
                deliver.apply_async(args=[delivery_id], retry=False, connection=conn)
                sent += 1
    except Exception as exc:  # noqa: BLE001 - any broker failure is handled the same way
        if not eager:
            BROKER_BREAKER.trip()
        log.warning(
            "%d of %d deliveries not enqueued (%s); the sweep will send them",
            len(delivery_ids) - sent,
            len(delivery_ids),
            exc,
        )
    return sent


def queue_signed_event(
    *, url: str, event_id: str, body: bytes, subject: str, site: Site | None = None
) -> bool:
    """Queue one signed event for ``url`` in the caller's transaction; False when this
    event id was queued before (the unique dedupe key: exactly once per event id)."""
    if not url:
        return False
    key = f"signed:{event_id}"[:150]
    if Delivery.objects.filter(dedupe_key=key).exists():
        return False
    queue_one(
        Delivery(
            channel=Channel.SIGNED_WEBHOOK,
            site=site,
            recipient=url,
            subject=subject[:200],
            body=body.decode("utf-8"),
            dedupe_key=key,
        )
    )
    return True
