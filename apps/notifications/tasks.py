from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def deliver(delivery_id: int) -> str:
    """Send one delivery. Idempotent: the claim lets one run send; a failure is
    recorded on the row and retried by the sweep after its backoff."""
    return services.delivery_send(delivery_id)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def sweep_deliveries() -> int:
    """Every minute: re-enqueue deliveries the broker lost, retries now due and sends a
    killed worker left half-done."""
    ids = services.deliveries_due()
    services.enqueue_deliveries(ids)  # one broker connection for the whole batch
    return len(ids)
