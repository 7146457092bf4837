"""The figures a report shows, for a site's subtree and a date range.

``summary`` reads the roll-ups for past days and computes today live from the orders;
``summary_raw`` computes the same figures straight from the orders for the whole range
(the check the roll-ups must pass, and the benchmark's baseline).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Sum
from django.db.models.functions import Substr, TruncMonth, TruncWeek

from apps.sites.models import Site
from apps.volunteers.models import ServiceCategory

from .distinct import period_count
from .models import (
    ACCEPT_FIELDS,
    COMPLETE_FIELDS,
    RESPONSE_BUCKETS,
    ActiveVolunteerDay,
    SiteDailyStat,
)
from .monthly import stat_querysets
from .rollup import (
    COUNT_FIELDS,
    _group_figures,
    active_pairs,
    day_window,
    range_window,
    today,
)

SUM_FIELDS = (*COUNT_FIELDS, "volunteer_hours", *ACCEPT_FIELDS, *COMPLETE_FIELDS)


OVERFLOW_MINUTES = RESPONSE_BUCKETS[-1] + 1  # "more than the last bound" (7 days)


def percentile_minutes(hist: list[int], p: float) -> int | None:
    """The upper bound (minutes) of the bucket holding the p-th percentile; None if no
    data; ``OVERFLOW_MINUTES`` (10081) when it lies beyond the last bound."""
    total = sum(hist)
    if not total:
        return None
    rank, seen = p * total, 0
    for i, n in enumerate(hist):
        seen += n
        if seen >= rank and n:
            return RESPONSE_BUCKETS[i] if i < len(RESPONSE_BUCKETS) else OVERFLOW_MINUTES
    return OVERFLOW_MINUTES


@dataclass
class Figures:
    orders_placed: int = 0
    orders_accepted: int = 0
    orders_completed: int = 0
    orders_cancelled: int = 0
    orders_rejected: int = 0
    orders_escalated: int = 0
    ratings: int = 0
    rating_sum: int = 0
    ratings_high: int = 0
    volunteer_hours: Decimal = Decimal("0")
    active_volunteers: int = 0
    new_volunteers: int = 0
    points_credited: int = 0
    points_redeemed: int = 0
    accept_hist: list[int] = field(default_factory=lambda: [0] * (len(RESPONSE_BUCKETS) + 1))
    complete_hist: list[int] = field(default_factory=lambda: [0] * (len(RESPONSE_BUCKETS) + 1))
    by_category: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, fig: dict[str, Any]) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + (fig.get(name) or 0))
        self.volunteer_hours += Decimal(str(fig.get("volunteer_hours") or 0))
        for i, n in enumerate(fig.get("accept_hist") or []):
            self.accept_hist[i] += n
        for i, n in enumerate(fig.get("complete_hist") or []):
            self.complete_hist[i] += n

    @property
    def completion_rate(self) -> float | None:
        """Completed ÷ orders that reached an end (completed, cancelled or rejected)."""
        ended = self.orders_completed + self.orders_cancelled + self.orders_rejected
        return round(self.orders_completed / ended, 4) if ended else None

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.ratings, 2) if self.ratings else None

    @property
    def high_rating_share(self) -> float | None:
        return round(self.ratings_high / self.ratings, 4) if self.ratings else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders_placed": self.orders_placed,
            "orders_accepted": self.orders_accepted,
            "orders_completed": self.orders_completed,
            "orders_cancelled": self.orders_cancelled,
            "orders_rejected": self.orders_rejected,
            "orders_escalated": self.orders_escalated,
            "completion_rate": self.completion_rate,
            "accept_minutes_median": percentile_minutes(self.accept_hist, 0.5),
            "accept_minutes_p90": percentile_minutes(self.accept_hist, 0.9),
            "complete_minutes_median": percentile_minutes(self.complete_hist, 0.5),
            "complete_minutes_p90": percentile_minutes(self.complete_hist, 0.9),
            "ratings": self.ratings,
            "average_rating": self.average_rating,
            "high_rating_share": self.high_rating_share,
            "volunteer_hours": str(self.volunteer_hours.quantize(Decimal("0.1"))),
            "active_volunteers": self.active_volunteers,
            "new_volunteers": self.new_volunteers,
            "points_credited": self.points_credited,
            "points_redeemed": self.points_redeemed,
            "by_category": self.by_category,
        }


def _row_to_fig(row: dict[str, Any]) -> dict[str, Any]:
    fig = {k: row.get(k) or 0 for k in (*COUNT_FIELDS, "volunteer_hours")}
    fig["accept_hist"] = [row.get(f) or 0 for f in ACCEPT_FIELDS]
    fig["complete_hist"] = [row.get(f) or 0 for f in COMPLETE_FIELDS]
    return fig


def _split_today(day_from: dt.date, day_to: dt.date) -> tuple[dt.date | None, bool]:
    """Last day to read from roll-ups (None: none), and whether today is in range."""
    now = today()
    if day_to < now:
        return day_to, False
    last = min(day_to, now - dt.timedelta(days=1))
    return (last if last >= day_from else None), day_from <= now <= day_to


def _categories(cat_rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    labels = dict(ServiceCategory.choices)
    return {
        code: {
            "label": str(labels.get(code, code)),
            "orders_placed": v["orders_placed"],
            "orders_completed": v["orders_completed"],
            "volunteer_hours": str(Decimal(str(v["volunteer_hours"])).quantize(Decimal("0.1"))),
        }
        for code, v in sorted(cat_rows.items())
    }


def summary(site: Site, day_from: dt.date, day_to: dt.date) -> Figures:
    """Roll-ups for past days + today live. A fixed number of queries."""
    figures = Figures()
    cats: dict[str, dict[str, Any]] = {}
    last_rolled, with_today = _split_today(day_from, day_to)
    subtree = Site.objects.filter(path__startswith=site.path).values("pk")
    if last_rolled is not None:
        # Whole calendar months from the month rows, the other days from the day rows.
        for rows in stat_querysets(site.path, day_from, last_rolled):
            figures.add(_row_to_fig(rows.aggregate(**{f: Sum(f) for f in SUM_FIELDS})))
        for cat_rows in stat_querysets(site.path, day_from, last_rolled, category=True):
            for row in (
                cat_rows.values("category")
                .annotate(
                    p=Sum("orders_placed"), c=Sum("orders_completed"), h=Sum("volunteer_hours")
                )
                .order_by()
            ):
                _merge_cat(cats, row["category"], row["p"], row["c"], row["h"])
    pairs: set[int] = set()
    if with_today:
        start, end = day_window(today())
        per_site, per_cat = _group_figures(start, end, sites=subtree)
        for fig in per_site.values():
            figures.add(fig)
        for (_sid, cat), v in per_cat.items():
            _merge_cat(cats, cat, v["orders_placed"], v["orders_completed"], v["volunteer_hours"])
        pairs = {vid for _sid, vid in active_pairs(start, end, sites=subtree)}
    if last_rolled is not None:
        # Counted in SQL, not by loading the ids: a county year is ~4,000,000 rows and
        # 800,000 distinct volunteers at design scale (10 s in Python, 2 s as COUNT
        # DISTINCT; docs/performance.md). Only today's few ids are matched in Python.
        rolled = ActiveVolunteerDay.objects.filter(
            site__path__startswith=site.path, day__gte=day_from, day__lte=last_rolled
        )
        # A calendar month or year: the period's row (reports.distinct); any other range
        # is counted from the days.
        counted = period_count([site.pk], day_from, last_rolled)
        figures.active_volunteers = (
            counted[site.pk]
            if counted is not None
            else rolled.aggregate(n=Count("volunteer", distinct=True))["n"]
        )
        if pairs:
            pairs -= set(
                rolled.filter(volunteer_id__in=pairs)
                .values_list("volunteer_id", flat=True)
                .distinct()
            )
    figures.active_volunteers += len(pairs)
    figures.by_category = _categories(cats)
    return figures


def _merge_cat(
    cats: dict[str, dict[str, Any]], code: str, placed: Any, completed: Any, hours: Any
) -> None:
    entry = cats.setdefault(
        code or "other",
        {"orders_placed": 0, "orders_completed": 0, "volunteer_hours": Decimal("0")},
    )
    entry["orders_placed"] += placed or 0
    entry["orders_completed"] += completed or 0
    entry["volunteer_hours"] += Decimal(str(hours or 0))


def summary_raw(site: Site, day_from: dt.date, day_to: dt.date) -> Figures:
    """The same figures straight from orders, assignments, events and the ledger."""
    start, end = range_window(day_from, day_to)
    subtree = Site.objects.filter(path__startswith=site.path).values("pk")
    per_site, per_cat = _group_figures(start, end, sites=subtree)
    figures = Figures()
    for fig in per_site.values():
        figures.add(fig)
    cats: dict[str, dict[str, Any]] = {}
    for (_sid, cat), v in per_cat.items():
        _merge_cat(cats, cat, v["orders_placed"], v["orders_completed"], v["volunteer_hours"])
    figures.by_category = _categories(cats)
    figures.active_volunteers = len({vid for _s, vid in active_pairs(start, end, sites=subtree)})
    return figures


def by_child_site(site: Site, day_from: dt.date, day_to: dt.date) -> list[tuple[Site, Figures]]:
    """Figures for each direct child of ``site`` (its subtree summed): two grouped
    queries over the roll-ups plus today's live figures."""
    # Bases run activities, not orders: the league compares stations and points.
    children = list(site.children.filter(is_active=True).exclude(level="base").order_by("path"))
    if not children:
        return []
    by_prefix = {c.path: c for c in children}
    width = len(children[0].path)
    result = {c.pk: Figures() for c in children}
    last_rolled, with_today = _split_today(day_from, day_to)
    if last_rolled is not None:
        for stats in stat_querysets(site.path, day_from, last_rolled):
            rows = (
                stats.exclude(site=site)
                .annotate(child=Substr("site__path", 1, width))
                .values("child")
                .annotate(**{f: Sum(f) for f in SUM_FIELDS})
                .order_by()
            )
            for row in rows:
                child = by_prefix.get(row["child"])
                if child:
                    result[child.pk].add(_row_to_fig(dict(row)))
        actives = (
            ActiveVolunteerDay.objects.filter(
                site__path__startswith=site.path, day__gte=day_from, day__lte=last_rolled
            )
            .exclude(site=site)
            .annotate(child=Substr("site__path", 1, width))
        )
        counted = None if with_today else period_count(list(result), day_from, last_rolled)
        if counted is not None:
            for pk, n in counted.items():
                result[pk].active_volunteers = n
        elif not with_today:
            for row in (
                actives.values("child").annotate(n=Count("volunteer", distinct=True)).order_by()
            ):
                child = by_prefix.get(row["child"])
                if child:
                    result[child.pk].active_volunteers = row["n"]
    if with_today:
        start, end = day_window(today())
        subtree = Site.objects.filter(path__startswith=site.path).exclude(pk=site.pk)
        paths = dict(subtree.values_list("pk", "path"))
        per_site, _ = _group_figures(start, end, sites=list(paths))
        for sid, fig in per_site.items():
            child = by_prefix.get(paths[sid][:width])
            if child:
                result[child.pk].add(fig)
        # Distinct volunteers across rolled days and today: union the id sets.
        active: dict[int, set[int]] = {}
        if last_rolled is not None:
            for prefix, vid in actives.values_list("child", "volunteer_id").distinct():
                child = by_prefix.get(prefix)
                if child:
                    active.setdefault(child.pk, set()).add(vid)
        for sid, vid in active_pairs(start, end, sites=list(paths)):
            child = by_prefix.get(paths[sid][:width])
            if child:
                active.setdefault(child.pk, set()).add(vid)
        for pk, vids in active.items():
            result[pk].active_volunteers = len(vids)
    return [(c, result[c.pk]) for c in children]


def timeseries(site: Site, day_from: dt.date, day_to: dt.date, bucket: str) -> list[dict[str, Any]]:
    """Orders placed/completed, hours and ratings per day, week or month (roll-ups,
    plus today live)."""
    trunc = {"day": F("day"), "week": TruncWeek("day"), "month": TruncMonth("day")}[bucket]
    last_rolled, with_today = _split_today(day_from, day_to)
    points: dict[dt.date, dict[str, Any]] = {}
    fields = (
        "orders_placed",
        "orders_completed",
        "orders_cancelled",
        "volunteer_hours",
        "ratings",
        "rating_sum",
    )
    if last_rolled is not None:
        # Months: whole months from the month rows; days and weeks from the day rows.
        if bucket == "month":
            stats = stat_querysets(site.path, day_from, last_rolled)
            periods: list[Any] = [trunc, F("month")]
        else:
            stats = [
                SiteDailyStat.objects.filter(
                    site__path__startswith=site.path, day__gte=day_from, day__lte=last_rolled
                )
            ]
            periods = [trunc]
        for qs, period_expr in zip(stats, periods, strict=True):
            rows = (
                qs.annotate(period=period_expr)
                .values("period")
                .annotate(**{f: Sum(f) for f in fields})
                .order_by("period")
            )
            for row in rows:
                period = row["period"]
                period = period.date() if isinstance(period, dt.datetime) else period
                entry = points.setdefault(period, {f: 0 for f in fields})
                for f in fields:
                    entry[f] = (entry[f] or 0) + (row[f] or 0)
    if with_today:
        now = today()
        period = {
            "day": now,
            "week": now - dt.timedelta(days=now.weekday()),
            "month": now.replace(day=1),
        }[bucket]
        start, end = day_window(now)
        subtree = Site.objects.filter(path__startswith=site.path).values("pk")
        per_site, _ = _group_figures(start, end, sites=subtree)
        entry = points.setdefault(period, {f: 0 for f in fields})
        for fig in per_site.values():
            for f in fields:
                entry[f] = (entry[f] or 0) + (fig.get(f) or 0)
    return [
        {
            "period": p.isoformat(),
            "orders_placed": v["orders_placed"],
            "orders_completed": v["orders_completed"],
            "orders_cancelled": v["orders_cancelled"],
            "volunteer_hours": str(Decimal(str(v["volunteer_hours"])).quantize(Decimal("0.1"))),
            "average_rating": round(v["rating_sum"] / v["ratings"], 2) if v["ratings"] else None,
        }
        for p, v in sorted(points.items())
    ]
