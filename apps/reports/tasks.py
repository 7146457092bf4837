from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from apps.points.models import SettlementRun

from .rollup import rollup_days


def days_to_roll(target: dt.date) -> list[dt.date]:
    """``target`` and the day before (an order assessed after midnight settles a day
    late), plus every date a settlement run re-settled since the last nightly roll-up
    (a county rerun for an older date changes that date's credited points)."""
    since = timezone.now() - dt.timedelta(hours=26)
    rerun = SettlementRun.objects.filter(
        finished_at__gte=since, status="succeeded", entries_created__gt=0
    ).values_list("settlement_date", flat=True)
    return sorted({target - dt.timedelta(days=1), target, *rerun})


@shared_task(acks_late=True, soft_time_limit=1700, time_limit=1800)
def nightly_rollup(day: str | None = None) -> int:
    """After the settlement (02:30 Asia/Shanghai): rebuild the roll-ups of the days that
    may have changed. Each rebuild is idempotent."""
    target = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    return rollup_days(days_to_roll(target))
