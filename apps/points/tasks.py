from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .settlement import settle


# A county-sized settlement runs minutes, not the default 3-minute task limit.
@shared_task(acks_late=True, soft_time_limit=3300, time_limit=3600)
def settle_points(day: str | None = None) -> int:
    """Nightly (01:30 Asia/Shanghai): settle yesterday. Idempotent, so a retried or
    duplicated task adds nothing. Returns the run id."""
    settle_day = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    return settle(settle_day).pk
