"""Periodic order work. Tasks only call services; they are idempotent."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="apps.orders.tasks.lapse_unrated_orders")
def lapse_unrated_orders() -> int:
    """Completed orders not rated within 7 days move on to assessment, unrated."""
    return services.orders_lapse_unrated()


@shared_task(name="apps.orders.tasks.escalate_overdue_orders", acks_late=True)
def escalate_overdue_orders() -> dict[str, int]:
    """Dispatches unanswered past ``ORDER_ASSIGNMENT_ANSWER_MINUTES`` lapse (the order
    returns to the queue), then orders undispatched past their site's limit, counted
    from placement, go up a level (county: flagged)."""
    lapsed = services.assignments_lapse_unanswered()
    return {**services.orders_escalate_overdue(), "lapsed": lapsed}
