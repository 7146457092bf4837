from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .rollup import rollup_day


@shared_task(acks_late=True, soft_time_limit=1700, time_limit=1800)
def nightly_rollup(day: str | None = None) -> int:
    """After the settlement (02:30 Asia/Shanghai): rebuild yesterday's roll-ups, and the
    day before (late events: an order assessed after midnight settles a day late)."""
    target = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    return rollup_day(target - dt.timedelta(days=1)) + rollup_day(target)
