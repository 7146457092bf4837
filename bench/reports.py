"""County reports at design scale: 5,000,000 orders over a year (PostgreSQL).

    .venv/bin/python bench/reports.py              # generate once, roll up, time
    .venv/bin/python bench/reports.py --rebuild    # drop this benchmark's orders first

In the database ``portal_bench`` (see ``_setup.py``), next to what ``settlement.py`` and
``site_tree.py`` keep there, it builds once with set-based SQL (``INSERT … SELECT
generate_series``, ten batches of 500,000, no rows made one by one in Python):

* the 1,021-site tree those benchmarks use (built here if missing),
* ten menu items per township titled ``报表基准:<category>`` (this benchmark's own),
* 5,000,000 orders over ``YEAR_FROM`` … ``YEAR_TO`` (Asia/Shanghai), marked with a
  ``rpt-bench:`` note, at the 960 villages, in every state (cancelled, rejected, open,
  accepted, completed, rated, assessed), with acceptance and completion times spread
  over every histogram bucket, every 25th escalated,
* one assignment per accepted order (a volunteer of ``settlement.py``'s million; checked
  out when completed; confirmed hours on the assessed ones).

The year lies clear of ``settlement.py``'s date (2024-06-01), so its settlement never
picks up these orders, and this benchmark never writes to the ledger it truncates.

Then it rolls the year up, times the dashboard summary for the county over the year
from roll-ups (``summary``) beside the same figures from the orders (``summary_raw``)
— and checks they are equal — and the league table, and prints the EXPLAIN of the
slowest raw query.

Roll-up: ``rollup_day`` runs about twenty GROUP BY queries per day, each a scan of the
orders filtered on an unindexed timestamp, so a year of it is timed on a few days and
extrapolated; the year is built here with one set-based statement per table
(``rollup_year_sql``) that writes the same rows — compared row for row with
``rollup_day`` on a sample of days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from decimal import Decimal
from typing import Any

from _setup import setup

setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apps.reports.figures import summary, summary_raw  # noqa: E402
from apps.reports.league import league_table  # noqa: E402
from apps.reports.models import (  # noqa: E402
    ACCEPT_FIELDS,
    COMPLETE_FIELDS,
    RESPONSE_BUCKETS,
    ActiveVolunteerDay,
    CategoryDailyStat,
    SiteDailyStat,
)
from apps.reports.rollup import range_window, rollup_day  # noqa: E402
from apps.sites.models import Site, SiteLevel  # noqa: E402
from apps.volunteers.models import ServiceCategory  # noqa: E402

N_ORDERS = 5_000_000
BATCH = 500_000
YEAR_FROM, YEAR_TO = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
MARK = "rpt-bench:"  # note prefix: rpt-bench:<batch>:<series number>
ITEM_PREFIX = "报表基准:"
CATEGORIES = list(ServiceCategory.values)
TOWNSHIPS, VILLAGES_PER_TOWNSHIP = 30, 32
STRIDE = 7919  # prime: g ↦ g·7919 mod N spreads consecutive orders over villages/volunteers
SAMPLE_DAYS = [dt.date(2025, 3, 14), dt.date(2025, 9, 2)]


def scalar(sql: str, params: Any = None) -> Any:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def timed_sql(label: str, sql: str, params: Any = None) -> float:
    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.rowcount
    took = time.perf_counter() - start
    print(f"  {label}: {rows:,} rows in {took:.1f} s", flush=True)
    return took


def ensure_sites() -> None:
    """The same tree as bench/site_tree.py and bench/settlement.py."""
    if Site.objects.filter(level=SiteLevel.COUNTY).exists():
        return
    print("building the site tree …")
    county = Site(name="基准县中心", level=SiteLevel.COUNTY)
    county.save()
    for t in range(TOWNSHIPS):
        town = Site(name=f"乡镇{t}", level=SiteLevel.TOWNSHIP, parent=county)
        town.save()
        for v in range(VILLAGES_PER_TOWNSHIP):
            Site(name=f"村{t}-{v}", level=SiteLevel.VILLAGE, parent=town).save()
        Site(name=f"基地{t}", level=SiteLevel.BASE, parent=town).save()


def ensure_people() -> tuple[int, int, int]:
    """A resident who places the orders, and the volunteer id range to assign."""
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                                       email, is_staff, is_active, date_joined, mobile, real_name,
                                       language)
            VALUES ('!', false, 'rptres', '', '', '', false, true, now(), '19300000000', '报表基准居民', '')
            ON CONFLICT (username) DO NOTHING""")
        cur.execute("SELECT id FROM accounts_user WHERE username = 'rptres'")
        resident = cur.fetchone()[0]
        cur.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM volunteers_volunteer")
        lo, hi, n = cur.fetchone()
    if not n:
        raise SystemExit("no volunteers in portal_bench: run bench/settlement.py first")
    # Assignments pick ids lo … lo+n-1: the table must be contiguous for that.
    assert hi - lo + 1 == n, "volunteer ids are not contiguous"
    return resident, lo, n


def ensure_items() -> None:
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO orders_serviceitem (title, category, description, duration_hours,
                                            points_per_hour, volunteers_needed, is_active,
                                            created_at, updated_at, site_id)
            SELECT %(prefix)s || c, c, '', 2, 10, 1, true, now(), now(), t.id
              FROM sites_site t CROSS JOIN unnest(%(cats)s::text[]) c
             WHERE t.level = 'township'
            ON CONFLICT DO NOTHING""",
            {"prefix": ITEM_PREFIX, "cats": CATEGORIES},
        )


# One order per series number g: its point, item, state and times are functions of g.
# k = g mod 20 picks the state: 0 cancelled, 1 rejected, 2 submitted, 3 accepted,
# 4–7 completed, 8–12 rated, 13–19 assessed (rated, approved). Minutes to acceptance run
# 1 … ~6,000 (cubed, so most are quick), completion 1–49 hours after that.
ORDERS_SQL = """
INSERT INTO orders_serviceorder (
    address, contact_mobile, preferred_start, preferred_end, preferred_slot_bit, note,
    volunteers_needed, status, created_at, status_changed_at, dispatched_at, accepted_at,
    started_at, completed_at, closed_at, escalated_at, nudge_count, score, rating_comment,
    rated_at, dispute_text, assessment_queue, assessment_approved, assessment_comment,
    assessed_at, close_reason, handling_site_id, placed_by_id, resident_id, service_id,
    site_id, assessed_site_id, request_fingerprint)
SELECT '基准地址', '19300000000', t + interval '1 day', t + interval '1 day 2 hours', 0,
       %(mark)s || %(batch)s || ':' || g, 1,
       CASE WHEN k = 0 THEN 'cancelled' WHEN k = 1 THEN 'rejected' WHEN k = 2 THEN 'submitted'
            WHEN k = 3 THEN 'accepted' WHEN k <= 7 THEN 'completed' WHEN k <= 12 THEN 'rated'
            ELSE 'assessed' END,
       t, t,
       CASE WHEN k >= 3 THEN t + am / 2 END,
       CASE WHEN k >= 3 THEN t + am END,
       CASE WHEN k >= 4 THEN t + am + interval '30 minutes' END,
       CASE WHEN k >= 4 THEN t + am + cm END,
       CASE WHEN k = 0 THEN t + interval '20 minutes' WHEN k = 1 THEN t + interval '3 hours'
            WHEN k >= 13 THEN t + am + cm + interval '2 days' END,
       CASE WHEN g %% 25 = 0 THEN t + interval '40 minutes' END,
       0,
       CASE WHEN k >= 8 THEN CASE WHEN g %% 17 = 0 THEN 1 WHEN g %% 11 = 0 THEN 2
                                  WHEN g %% 7 = 0 THEN 3 WHEN g %% 3 = 0 THEN 4 ELSE 5 END END,
       '',
       CASE WHEN k >= 8 THEN t + am + cm + interval '1 day' END,
       '', '', CASE WHEN k >= 13 THEN true END, '',
       CASE WHEN k >= 13 THEN t + am + cm + interval '2 days' END,
       '',
       CASE WHEN g %% 25 = 0 THEN s.parent_id ELSE s.id END, %(resident)s, %(resident)s, i.id,
       s.id, CASE WHEN k >= 13 THEN s.parent_id END, ''
  FROM generate_series(%(g0)s::bigint, %(g1)s::bigint) g
  CROSS JOIN LATERAL (SELECT g %% 20 AS k,
         (%(from)s::date::timestamp AT TIME ZONE 'Asia/Shanghai')
             + interval '1 second' * ((g - 1) * %(days)s * 86400.0 / %(n)s) AS t,
         interval '1 minute' * (1 + power(((g * 37) %% 1000) / 1000.0, 3) * 6000) AS am,
         interval '1 minute' * (60 + (g * 13) %% 2880) AS cm,
         (%(villages)s::bigint[])[1 + (g * %(stride)s) %% %(nv)s] AS village,
         (%(cats)s::text[])[1 + g %% %(ncat)s] AS cat) x
  JOIN sites_site s ON s.id = x.village
  JOIN orders_serviceitem i ON i.site_id = s.parent_id AND i.title = %(prefix)s || x.cat
"""

ASSIGNMENTS_SQL = """
INSERT INTO orders_orderassignment (status, assigned_at, responded_at, decline_reason,
                                    checked_in_at, checked_out_at, reported_hours,
                                    confirmed_hours, summary, volunteer_id, order_id)
SELECT 'accepted', o.dispatched_at, o.accepted_at, '', o.started_at, o.completed_at,
       CASE WHEN o.completed_at IS NOT NULL THEN h.hours END,
       CASE WHEN o.status = 'assessed' THEN h.hours END, '',
       %(vlo)s + (x.g * %(stride)s) %% %(nvol)s, o.id
  FROM orders_serviceorder o
  CROSS JOIN LATERAL (SELECT split_part(o.note, ':', 3)::bigint AS g) x
  CROSS JOIN LATERAL (SELECT 0.5 + (x.g %% 8) * 0.5 AS hours) h
 WHERE o.note LIKE %(mark)s || %(batch)s || ':%%' AND o.accepted_at IS NOT NULL
"""


def ensure_orders(rebuild: bool) -> None:
    if rebuild:
        print("dropping this benchmark's orders …")
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "DELETE FROM orders_orderassignment WHERE order_id IN ("
                "SELECT id FROM orders_serviceorder WHERE note LIKE %s)",
                [MARK + "%"],
            )
            cur.execute("DELETE FROM orders_serviceorder WHERE note LIKE %s", [MARK + "%"])
    ensure_items()
    resident, vlo, nvol = ensure_people()
    villages = list(
        Site.objects.filter(level=SiteLevel.VILLAGE).order_by("id").values_list("id", flat=True)
    )
    done = {row[0]: row[1] for row in _batch_counts()}
    made = False
    for b in range(N_ORDERS // BATCH):
        batch = f"{b:02d}"
        if done.get(batch) == BATCH:
            continue
        assert not done.get(batch), f"batch {batch} is partial: run with --rebuild"
        print(f"batch {batch}: orders {b * BATCH + 1:,} … {(b + 1) * BATCH:,}", flush=True)
        params = {
            "mark": MARK,
            "batch": batch,
            "g0": b * BATCH + 1,
            "g1": (b + 1) * BATCH,
            "from": YEAR_FROM.isoformat(),
            "days": (YEAR_TO - YEAR_FROM).days + 1,
            "n": N_ORDERS,
            "villages": villages,
            "nv": len(villages),
            "stride": STRIDE,
            "cats": CATEGORIES,
            "ncat": len(CATEGORIES),
            "prefix": ITEM_PREFIX,
            "resident": resident,
            "vlo": vlo,
            "nvol": nvol,
        }
        with transaction.atomic():  # a batch is all there or not at all
            timed_sql("orders", ORDERS_SQL, params)
            timed_sql("assignments", ASSIGNMENTS_SQL, params)
        made = True
    if made:
        with connection.cursor() as cur:
            for table in ("orders_serviceorder", "orders_orderassignment"):
                cur.execute(f"VACUUM ANALYZE {table}")


def _batch_counts() -> list[tuple[str, int]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT split_part(note, ':', 2), COUNT(*) FROM orders_serviceorder "
            "WHERE note LIKE %s GROUP BY 1",
            [MARK + "%"],
        )
        return cur.fetchall()


# ---------------------------------------------------------------------------
# Set-based roll-up of a whole range: the same rows rollup_day writes, one statement
# per table over every day at once (one scan of the orders, one of the assignments).

LOCAL_DAY = "(({}) AT TIME ZONE 'Asia/Shanghai')::date"


def _bucket_filters(prefix: str, kind: str) -> list[str]:
    out = []
    bounds = [None, *RESPONSE_BUCKETS]
    for i in range(len(RESPONSE_BUCKETS) + 1):
        lo = bounds[i]
        hi = RESPONSE_BUCKETS[i] if i < len(RESPONSE_BUCKETS) else None
        cond = [f"kind = '{kind}'"]
        if lo is not None:
            cond.append(f"dur > interval '{lo} minutes'")
        if hi is not None:
            cond.append(f"dur <= interval '{hi} minutes'")
        out.append(f"COUNT(*) FILTER (WHERE {' AND '.join(cond)}) AS {prefix}_b{i}")
    return out


def rollup_year_sql(day_from: dt.date, day_to: dt.date) -> None:
    start, end = range_window(day_from, day_to)
    p = {"start": start, "end": end, "d0": day_from, "d1": day_to}
    hist = ACCEPT_FIELDS + COMPLETE_FIELDS
    zero_hist = ", ".join(f"0 AS {f}" for f in hist)
    cols = (
        "orders_placed, orders_accepted, orders_completed, orders_cancelled, "
        "orders_rejected, orders_escalated, ratings, rating_sum, ratings_high, "
        "volunteer_hours, new_volunteers, points_credited, points_redeemed"
    )
    events = f"""
        SELECT o.site_id, {LOCAL_DAY.format("e.at")} AS day, e.kind, e.at - o.created_at AS dur,
               o.score
          FROM orders_serviceorder o
          CROSS JOIN LATERAL (VALUES ('placed', o.created_at), ('accepted', o.accepted_at),
              ('completed', o.completed_at),
              ('cancelled', CASE WHEN o.status = 'cancelled' THEN o.closed_at END),
              ('rejected', CASE WHEN o.status = 'rejected' THEN o.closed_at END),
              ('escalated', o.escalated_at),
              ('rated', CASE WHEN o.score IS NOT NULL THEN o.rated_at END)) e(kind, at)
         WHERE e.at >= %(start)s AND e.at < %(end)s"""
    per_order = f"""
        SELECT site_id, day,
               COUNT(*) FILTER (WHERE kind = 'placed') AS orders_placed,
               COUNT(*) FILTER (WHERE kind = 'accepted') AS orders_accepted,
               COUNT(*) FILTER (WHERE kind = 'completed') AS orders_completed,
               COUNT(*) FILTER (WHERE kind = 'cancelled') AS orders_cancelled,
               COUNT(*) FILTER (WHERE kind = 'rejected') AS orders_rejected,
               COUNT(*) FILTER (WHERE kind = 'escalated') AS orders_escalated,
               COUNT(*) FILTER (WHERE kind = 'rated') AS ratings,
               COALESCE(SUM(score) FILTER (WHERE kind = 'rated'), 0) AS rating_sum,
               COUNT(*) FILTER (WHERE kind = 'rated' AND score >= 4) AS ratings_high,
               0 AS volunteer_hours, 0 AS new_volunteers, 0 AS points_credited,
               0 AS points_redeemed,
               {", ".join(_bucket_filters("accept", "accepted") + _bucket_filters("complete", "completed"))}
          FROM ({events}) ev GROUP BY site_id, day"""
    hours = f"""
        SELECT o.site_id, {LOCAL_DAY.format("o.assessed_at")} AS day, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               SUM(a.confirmed_hours), 0, 0, 0, {zero_hist}
          FROM orders_orderassignment a JOIN orders_serviceorder o ON o.id = a.order_id
         WHERE o.status = 'assessed' AND o.assessment_approved AND a.confirmed_hours > 0
           AND o.assessed_at >= %(start)s AND o.assessed_at < %(end)s
         GROUP BY 1, 2"""
    new_vols = f"""
        SELECT v.site_id, {LOCAL_DAY.format("e.created_at")} AS day, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               0, COUNT(DISTINCT e.volunteer_id), 0, 0, {zero_hist}
          FROM volunteers_volunteerevent e JOIN volunteers_volunteer v ON v.id = e.volunteer_id
         WHERE e.from_status = 'pending' AND e.to_status = 'approved'
           AND e.created_at >= %(start)s AND e.created_at < %(end)s
           AND NOT EXISTS (SELECT 1 FROM volunteers_volunteerevent x  -- first approval only
                           WHERE x.volunteer_id = e.volunteer_id AND x.from_status = 'pending'
                             AND x.to_status = 'approved' AND x.created_at < e.created_at)
         GROUP BY 1, 2"""
    credits = f"""
        SELECT o.site_id, r.settlement_date AS day, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               SUM(t.amount), 0, {zero_hist}
          FROM points_ledgertransaction t JOIN points_settlementrun r ON r.id = t.run_id
          JOIN orders_serviceorder o ON o.id = t.order_id
         WHERE t.kind = 'service' AND r.settlement_date BETWEEN %(d0)s AND %(d1)s
         GROUP BY 1, 2"""
    spent = f"""
        SELECT t.site_id, {LOCAL_DAY.format("t.created_at")} AS day, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               0, 0, 0, SUM(CASE WHEN t.kind = 'refund' THEN -t.amount ELSE t.amount END),
               {zero_hist}
          FROM points_ledgertransaction t
         WHERE t.kind IN ('redemption', 'refund') AND t.site_id IS NOT NULL
           AND t.created_at >= %(start)s AND t.created_at < %(end)s
         GROUP BY 1, 2"""
    all_cols = cols + ", " + ", ".join(hist)
    sums = ", ".join(f"SUM({c.strip()})" for c in all_cols.split(","))
    with transaction.atomic():
        for model in (SiteDailyStat, CategoryDailyStat, ActiveVolunteerDay):
            model.objects.filter(day__gte=day_from, day__lte=day_to).delete()
        timed_sql(
            "site-day rows",
            f"""
            INSERT INTO reports_sitedailystat (site_id, day, {all_cols})
            SELECT site_id, day, {sums}
              FROM ({per_order} UNION ALL {hours} UNION ALL {new_vols}
                    UNION ALL {credits} UNION ALL {spent}) u
             GROUP BY site_id, day""",
            p,
        )
        cat_events = f"""
            SELECT o.site_id, {LOCAL_DAY.format("e.at")} AS day, COALESCE(i.category, 'other') AS category,
                   COUNT(*) FILTER (WHERE e.kind = 'placed') AS placed,
                   COUNT(*) FILTER (WHERE e.kind = 'completed') AS completed, 0 AS hours
              FROM orders_serviceorder o JOIN orders_serviceitem i ON i.id = o.service_id
              CROSS JOIN LATERAL (VALUES ('placed', o.created_at),
                                         ('completed', o.completed_at)) e(kind, at)
             WHERE e.at >= %(start)s AND e.at < %(end)s
             GROUP BY 1, 2, 3"""
        cat_hours = f"""
            SELECT o.site_id, {LOCAL_DAY.format("o.assessed_at")}, COALESCE(i.category, 'other'),
                   0, 0, SUM(a.confirmed_hours)
              FROM orders_orderassignment a JOIN orders_serviceorder o ON o.id = a.order_id
              JOIN orders_serviceitem i ON i.id = o.service_id
             WHERE o.status = 'assessed' AND o.assessment_approved AND a.confirmed_hours > 0
               AND o.assessed_at >= %(start)s AND o.assessed_at < %(end)s
             GROUP BY 1, 2, 3"""
        timed_sql(
            "category-day rows",
            f"""
            INSERT INTO reports_categorydailystat (site_id, day, category, orders_placed,
                                                   orders_completed, volunteer_hours)
            SELECT site_id, day, category, SUM(placed), SUM(completed), SUM(hours)
              FROM ({cat_events} UNION ALL {cat_hours}) u GROUP BY 1, 2, 3""",
            p,
        )
        timed_sql(
            "active volunteer-days",
            f"""
            INSERT INTO reports_activevolunteerday (site_id, day, volunteer_id)
            SELECT DISTINCT o.site_id, {LOCAL_DAY.format("a.checked_out_at")}, a.volunteer_id
              FROM orders_orderassignment a JOIN orders_serviceorder o ON o.id = a.order_id
             WHERE a.checked_out_at >= %(start)s AND a.checked_out_at < %(end)s""",
            p,
        )
    with connection.cursor() as cur:
        for table in (
            "reports_sitedailystat",
            "reports_categorydailystat",
            "reports_activevolunteerday",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")
    from apps.reports.monthly import rollup_all_months

    started = time.perf_counter()
    rows = rollup_all_months()  # the month rows, as rollup_day keeps them
    print(f"  month rows: {rows:,} in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE reports_sitemonthlystat")
        cur.execute("ANALYZE reports_categorymonthlystat")


def day_rows(
    day: dt.date,
) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    fields = [f.attname for f in SiteDailyStat._meta.concrete_fields if f.attname != "id"]
    sites = {
        tuple(Decimal(x) if isinstance(x, Decimal) else x for x in row)
        for row in SiteDailyStat.objects.filter(day=day).values_list(*fields)
    }
    cats = set(
        CategoryDailyStat.objects.filter(day=day).values_list(
            "site_id", "category", "orders_placed", "orders_completed", "volunteer_hours"
        )
    )
    actives = set(ActiveVolunteerDay.objects.filter(day=day).values_list("site_id", "volunteer_id"))
    return sites, cats, actives


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="regenerate the orders")
    parser.add_argument(
        "--skip-rollup",
        action="store_true",
        help="keep the roll-ups already built (after a full run)",
    )
    args = parser.parse_args()

    ensure_sites()
    ensure_orders(args.rebuild)
    ours = scalar("SELECT COUNT(*) FROM orders_serviceorder WHERE note LIKE %s", [MARK + "%"])
    total = scalar("SELECT COUNT(*) FROM orders_serviceorder")
    assignments = scalar("SELECT COUNT(*) FROM orders_orderassignment")
    sites = scalar("SELECT COUNT(*) FROM sites_site")
    print(
        f"data: {ours:,} benchmark orders ({total:,} in all), {assignments:,} assignments, "
        f"{sites:,} sites; {YEAR_FROM} … {YEAR_TO}"
    )

    print("\nroll-up, product path (rollup_day), on sample days:")
    per_day = []
    for day in SAMPLE_DAYS:
        start = time.perf_counter()
        rows = rollup_day(day)
        per_day.append(time.perf_counter() - start)
        print(f"  rollup_day({day}): {rows} site rows in {per_day[-1]:.1f} s", flush=True)
    reference = {day: day_rows(day) for day in SAMPLE_DAYS}
    days = (YEAR_TO - YEAR_FROM).days + 1
    print(
        f"  → a year day by day ≈ {statistics.mean(per_day) * days / 60:.0f} min "
        f"({statistics.mean(per_day):.1f} s × {days} days)"
    )

    if not args.skip_rollup:
        print(f"\nroll-up, set-based, {YEAR_FROM} … {YEAR_TO} in one pass:")
        start = time.perf_counter()
        rollup_year_sql(YEAR_FROM, YEAR_TO)
        print(f"  total {time.perf_counter() - start:.1f} s", flush=True)
    for day in SAMPLE_DAYS:
        same = day_rows(day) == reference[day]
        print(f"  set-based rows for {day} equal rollup_day's: {same}")
        assert same, f"set-based roll-up differs from rollup_day on {day}"
    print(
        f"  roll-up rows: {SiteDailyStat.objects.count():,} site-days, "
        f"{CategoryDailyStat.objects.count():,} category-days, "
        f"{ActiveVolunteerDay.objects.count():,} active volunteer-days"
    )

    county = Site.objects.get(level=SiteLevel.COUNTY)
    town = Site.objects.filter(level=SiteLevel.TOWNSHIP).order_by("id").first()
    assert town is not None
    print(f"\ndashboard figures, county ({county.name}), {YEAR_FROM} … {YEAR_TO}:")
    with CaptureQueriesContext(connection) as ctx:
        t_roll, fig_roll = timed(lambda: summary(county, YEAR_FROM, YEAR_TO), 5)
    print(
        f"  summary (roll-ups): {t_roll * 1000:.0f} ms median of 5, "
        f"{len(ctx.captured_queries) // 5} queries"
    )
    with CaptureQueriesContext(connection) as raw_ctx:
        t_raw, fig_raw = timed(lambda: summary_raw(county, YEAR_FROM, YEAR_TO), 1)
    print(f"  summary_raw (orders): {t_raw:.1f} s, {len(raw_ctx.captured_queries)} queries")
    print(f"  raw / roll-ups: {t_raw / t_roll:,.0f}×")
    equal = fig_roll.as_dict() == fig_raw.as_dict()
    print(f"  figures equal: {equal}")
    assert equal, (fig_roll.as_dict(), fig_raw.as_dict())
    figs = fig_roll.as_dict()
    for key in (
        "orders_placed",
        "orders_completed",
        "completion_rate",
        "accept_minutes_median",
        "accept_minutes_p90",
        "complete_minutes_median",
        "average_rating",
        "volunteer_hours",
        "active_volunteers",
    ):
        print(f"    {key}: {figs[key]}")

    month_from, month_to = dt.date(2025, 10, 1), dt.date(2025, 10, 31)
    t_town, _ = timed(lambda: summary(town, month_from, month_to), 5)
    t_town_raw, _ = timed(lambda: summary_raw(town, month_from, month_to), 1)
    print(
        f"  township ({town.name}), October: summary {t_town * 1000:.0f} ms, "
        f"summary_raw {t_town_raw:.1f} s"
    )

    t_league, rows = timed(lambda: league_table(county, YEAR_FROM, YEAR_TO), 3)
    print(
        f"  league_table (county, year, with last year's ranks): {t_league * 1000:.0f} ms "
        f"median of 3, {len(rows)} townships; top: {rows[0].site.name} {rows[0].score}"
    )

    slowest = max(raw_ctx.captured_queries, key=lambda q: float(q["time"]))
    print(f"\nslowest raw query ({float(slowest['time']):.1f} s):\n  {slowest['sql'][:400]} …")
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        for (line,) in cur.fetchall():
            print("  " + line)


if __name__ == "__main__":
    main()
