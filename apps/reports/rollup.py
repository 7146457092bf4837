"""Computing the figures: per day into roll-up rows, and straight from the orders.

Both paths use the same grouped queries (``_group_figures``) over a time window: a
day's window for roll-ups, the whole range for the raw check. Each query is a GROUP BY
over indexed columns, so Python holds one dict per site, never rows per order.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from apps.orders.models import OrderAssignment, ServiceOrder
from apps.points.models import LedgerTransaction
from apps.volunteers.models import VolunteerEvent

from .distinct import rollup_periods
from .models import (
    ACCEPT_FIELDS,
    COMPLETE_FIELDS,
    HIST_SIZE,
    RESPONSE_BUCKETS,
    ActiveVolunteerDay,
    CategoryDailyStat,
    SiteDailyStat,
)
from .monthly import rollup_month

LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
COUNT_FIELDS = (
    "orders_placed",
    "orders_accepted",
    "orders_completed",
    "orders_cancelled",
    "orders_rejected",
    "orders_escalated",
    "ratings",
    "rating_sum",
    "ratings_high",
    "new_volunteers",
    "points_credited",
    "points_redeemed",
)


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)
    return start, start + dt.timedelta(days=1)


def range_window(day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return day_window(day_from)[0], day_window(day_to)[1]


def empty_figures() -> dict[str, Any]:
    row: dict[str, Any] = {f: 0 for f in COUNT_FIELDS}
    row["volunteer_hours"] = Decimal("0")
    row["accept_hist"] = [0] * HIST_SIZE
    row["complete_hist"] = [0] * HIST_SIZE
    return row


def _bucket_case(duration_field: str) -> Case:
    return Case(
        *[
            When(**{f"{duration_field}__lte": dt.timedelta(minutes=m)}, then=Value(i))
            for i, m in enumerate(RESPONSE_BUCKETS)
        ],
        default=Value(len(RESPONSE_BUCKETS)),
        output_field=IntegerField(),
    )


def _in(field: str, start: dt.datetime, end: dt.datetime) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _group_figures(
    start: dt.datetime, end: dt.datetime, *, sites: Any = None
) -> tuple[dict[int, dict[str, Any]], dict[tuple[int, str], dict[str, Any]]]:
    """Figures per site (and per site and category) for events in [start, end).
    ``sites``: optionally a queryset/list of site ids to restrict to."""
    per_site: dict[int, dict[str, Any]] = defaultdict(empty_figures)
    per_cat: dict[tuple[int, str], dict[str, Any]] = defaultdict(
        lambda: {"orders_placed": 0, "orders_completed": 0, "volunteer_hours": Decimal("0")}
    )
    orders = ServiceOrder.objects.all()
    if sites is not None:
        orders = orders.filter(site_id__in=sites)

    row: Any  # the grouped rows below have different shapes

    def add(qs: Any, field: str, key: str = "site_id") -> None:
        for row in qs:
            per_site[row[key]][field] += row["n"] or 0

    add(
        orders.filter(_in("created_at", start, end))
        .values("site_id")
        .annotate(n=Count("id"))
        .order_by(),
        "orders_placed",
    )
    add(
        orders.filter(_in("accepted_at", start, end))
        .values("site_id")
        .annotate(n=Count("id"))
        .order_by(),
        "orders_accepted",
    )
    add(
        orders.filter(_in("completed_at", start, end))
        .values("site_id")
        .annotate(n=Count("id"))
        .order_by(),
        "orders_completed",
    )
    add(
        orders.filter(_in("closed_at", start, end), status="cancelled")
        .values("site_id")
        .annotate(n=Count("id"))
        .order_by(),
        "orders_cancelled",
    )
    add(
        orders.filter(_in("closed_at", start, end), status="rejected")
        .values("site_id")
        .annotate(n=Count("id"))
        .order_by(),
        "orders_rejected",
    )
    add(
        orders.filter(_in("escalated_at", start, end))
        .values("site_id")
        .annotate(n=Count("id"))
        .order_by(),
        "orders_escalated",
    )
    for row in (
        orders.filter(_in("rated_at", start, end), score__isnull=False)
        .values("site_id")
        .annotate(n=Count("id"), s=Sum("score"), high=Count("id", filter=Q(score__gte=4)))
        .order_by()
    ):
        fig = per_site[row["site_id"]]
        fig["ratings"] += row["n"]
        fig["rating_sum"] += row["s"] or 0
        fig["ratings_high"] += row["high"]

    for field, stamp in (("accept_hist", "accepted_at"), ("complete_hist", "completed_at")):
        dur = ExpressionWrapper(F(stamp) - F("created_at"), output_field=DurationField())
        rows = (
            orders.filter(_in(stamp, start, end))
            .annotate(d=dur)
            .annotate(b=_bucket_case("d"))
            .values("site_id", "b")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            per_site[row["site_id"]][field][row["b"]] += row["n"]

    # Hours: confirmed service hours of approved assessments, on the assessment day.
    assignments = OrderAssignment.objects.filter(
        _in("order__assessed_at", start, end),
        order__status="assessed",
        order__assessment_approved=True,
        confirmed_hours__gt=0,
    )
    if sites is not None:
        assignments = assignments.filter(order__site_id__in=sites)
    for row in (
        assignments.values("order__site_id", "order__service__category")
        .annotate(h=Sum("confirmed_hours"))
        .order_by()
    ):
        hours = Decimal(str(row["h"] or 0)).quantize(Decimal("0.1"))
        per_site[row["order__site_id"]]["volunteer_hours"] += hours
        per_cat[(row["order__site_id"], row["order__service__category"])]["volunteer_hours"] += (
            hours
        )

    for field, stamp in (("orders_placed", "created_at"), ("orders_completed", "completed_at")):
        for row in (
            orders.filter(_in(stamp, start, end))
            .values("site_id", "service__category")
            .annotate(n=Count("id"))
            .order_by()
        ):
            per_cat[(row["site_id"], row["service__category"])][field] += row["n"]

    # New volunteers: approvals of first applications, by the volunteer's site.
    # Only the first: a volunteer who withdraws, re-applies and is approved again is not
    # new, and counting each approval would make a period's sum of days exceed the
    # period's distinct count (roll-ups ≠ raw figures).
    approved = {"from_status": "pending", "to_status": "approved"}
    earlier = VolunteerEvent.objects.filter(
        volunteer=OuterRef("volunteer"), created_at__lt=OuterRef("created_at"), **approved
    )
    events = VolunteerEvent.objects.filter(_in("created_at", start, end), **approved).exclude(
        Exists(earlier)
    )
    if sites is not None:
        events = events.filter(volunteer__site_id__in=sites)
    add(
        events.values("volunteer__site_id")
        .annotate(n=Count("volunteer", distinct=True))
        .order_by(),
        "new_volunteers",
        key="volunteer__site_id",
    )

    # Points credited for service, by the order's point; redeemed (net of refunds) by shop.
    order_site = Subquery(
        ServiceOrder.objects.filter(pk=OuterRef("order_id")).values("site_id")[:1]
    )
    site_set = _as_set(sites) if sites is not None else None
    # Service credits count on their settlement date (the night they were paid).
    first_day = timezone.localtime(start, LOCAL_TZ).date()
    last_day = timezone.localtime(end - dt.timedelta(microseconds=1), LOCAL_TZ).date()
    credits = (
        LedgerTransaction.objects.filter(
            kind="service", run__settlement_date__gte=first_day, run__settlement_date__lte=last_day
        )
        .annotate(osite=order_site)
        .values("osite")
        .annotate(n=Sum("amount"))
        .order_by()
    )
    for row in credits:
        if row["osite"] is not None and (site_set is None or row["osite"] in site_set):
            per_site[row["osite"]]["points_credited"] += row["n"] or 0
    spent = LedgerTransaction.objects.filter(
        _in("created_at", start, end), kind__in=["redemption", "refund"]
    )
    if sites is not None:
        spent = spent.filter(site_id__in=sites)
    for row in (
        spent.values("site_id")
        .annotate(
            n=Sum(
                Case(
                    When(kind="refund", then=-F("amount")),
                    default=F("amount"),
                    output_field=BigIntegerField(),
                )
            )
        )
        .order_by()
    ):
        per_site[row["site_id"]]["points_redeemed"] += row["n"] or 0
    return dict(per_site), dict(per_cat)


def _as_set(sites: Any) -> set[int]:
    if isinstance(sites, set):
        return sites
    return set(sites if isinstance(sites, list | tuple) else sites.values_list("pk", flat=True))


def active_pairs(start: dt.datetime, end: dt.datetime, *, sites: Any = None) -> Any:
    """(site, volunteer) pairs who served (checked out) in [start, end)."""
    qs = OrderAssignment.objects.filter(_in("checked_out_at", start, end))
    if sites is not None:
        qs = qs.filter(order__site_id__in=sites)
    return qs.values_list("order__site_id", "volunteer_id").order_by().distinct()


def flatten(fig: dict[str, Any]) -> dict[str, Any]:
    """Figures dict → roll-up columns (histograms spread over the bucket columns)."""
    row = {k: v for k, v in fig.items() if k not in ("accept_hist", "complete_hist")}
    row.update(zip(ACCEPT_FIELDS, fig["accept_hist"], strict=True))
    row.update(zip(COMPLETE_FIELDS, fig["complete_hist"], strict=True))
    return row


def _rollup_day_rows(day: dt.date) -> int:
    """Replace the day rows of ``day`` (caller's transaction)."""
    start, end = day_window(day)
    per_site, per_cat = _group_figures(start, end)
    pairs = list(active_pairs(start, end))
    SiteDailyStat.objects.filter(day=day).delete()
    CategoryDailyStat.objects.filter(day=day).delete()
    ActiveVolunteerDay.objects.filter(day=day).delete()
    SiteDailyStat.objects.bulk_create(
        [SiteDailyStat(site_id=sid, day=day, **flatten(fig)) for sid, fig in per_site.items()],
        batch_size=1000,
    )
    CategoryDailyStat.objects.bulk_create(
        [
            CategoryDailyStat(site_id=sid, day=day, category=cat or "other", **fig)
            for (sid, cat), fig in per_cat.items()
        ],
        batch_size=1000,
    )
    ActiveVolunteerDay.objects.bulk_create(
        [ActiveVolunteerDay(site_id=sid, day=day, volunteer_id=vid) for sid, vid in pairs],
        batch_size=5000,
    )
    return len(per_site)


def rollup_days(days: Iterable[dt.date], on_day: Any = None) -> int:
    """Rebuild the roll-up rows of ``days``: one transaction per calendar month among
    them, holding that month's day rows, then its monthly sums and its month's and
    year's distinct volunteers, each computed once (so a month or period row always
    agrees with its day rows, and a range does not recompute its year once per day).
    Idempotent; readers never see half a month. Returns the site-day rows written."""
    by_month: dict[dt.date, list[dt.date]] = defaultdict(list)
    for day in sorted(set(days)):
        by_month[day.replace(day=1)].append(day)
    rows = 0
    for month, month_days in sorted(by_month.items()):
        with transaction.atomic():
            for day in month_days:
                rows += _rollup_day_rows(day)
                if on_day:
                    on_day(day)
            rollup_month(month)
            rollup_periods(month)
    return rows


def rollup_day(day: dt.date) -> int:
    """Rebuild the roll-up rows of ``day`` (and its month's and year's figures)."""
    return rollup_days([day])


def rollup_range(day_from: dt.date, day_to: dt.date, on_day: Any = None) -> int:
    count = (day_to - day_from).days + 1
    return rollup_days((day_from + dt.timedelta(days=i) for i in range(count)), on_day)


def today() -> dt.date:
    return timezone.localdate()
