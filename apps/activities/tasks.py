"""Periodic activity work. Tasks only call services; they are idempotent."""

from __future__ import annotations

from celery import shared_task

from .services.reminders import reminders_send


@shared_task(name="apps.activities.tasks.send_reminders", acks_late=True)
def send_reminders() -> dict[str, int]:
    """Reminders due now (the day before, two hours before); each once per person."""
    return reminders_send()
