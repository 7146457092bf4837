from __future__ import annotations

from celery import shared_task

from .delivery import deliveries_due
from .outbox import deliver, enqueue_deliveries

__all__ = ["deliver", "sweep_deliveries"]


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def sweep_deliveries() -> int:
    """Every minute: re-enqueue deliveries the broker lost, retries now due and sends a
    killed worker left half-done."""
    ids = deliveries_due()
    enqueue_deliveries(ids, background=True)  # one broker connection for the whole batch
    return len(ids)
