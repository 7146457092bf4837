"""Nightly settlement: assessed orders and confirmed activity attendance → service
credits, hours and star levels.

For one settlement date (a day in Asia/Shanghai) every approved order assessed that
day becomes one credit per volunteer: confirmed hours × the item's points per hour,
moved from the issuing account of the site whose staff assessed it to the volunteer.
Every activity attendance confirmed that day (and not yet credited) becomes one
credit too: the points fixed when it was confirmed (the activity's points mode),
moved from the organising site's issuing account; its sign-up is then marked
credited (``credited_at``), after which the attendance can no longer be corrected.
Hours go into the volunteers' service records (what the certificate lists) and the
volunteers' cumulative hours and star levels follow.

Set-based: a fixed handful of INSERT … SELECT / UPDATE statements whatever the number
of orders or volunteers — on PostgreSQL one statement of data-modifying CTEs (the
records and the hours they add, the ledger), elsewhere one statement a step —
and nothing is loaded into Python, so memory does not grow with the data. Idempotent: every credit and record has a unique source key and the inserts
skip keys already written, so a rerun adds nothing. All writes of a run happen in one
database transaction: a run killed halfway leaves nothing behind, and the rerun ends
in the state one clean run gives.

A run row says "running" while its process lives: the process holds a PostgreSQL
session advisory lock on the run's id from before the row is visible until the run
ends, and PostgreSQL drops it when the process's connection goes, however it died.
``abandon_dead_runs`` (called when a run starts and when the settlements page is shown)
marks a "running" row whose lock is free as abandoned. Nothing is guessed from how long
a run has taken: a slow run keeps its lock and stays "running".
"""

from __future__ import annotations

import datetime as dt
import traceback
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from apps.activities.models import Activity, Signup
from apps.orders.models import OrderAssignment, ServiceItem, ServiceOrder
from apps.volunteers.models import ServiceRecord, Volunteer
from apps.volunteers.services import volunteers_recompute_hours
from apps.volunteers.stars import star_level_sql

from .models import Account, LedgerTransaction, Leg, SettlementRun, SettlementStatus

LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
# Advisory-lock namespace for settlement runs (PostgreSQL): one run per date at a time.
_LOCK_NAMESPACE = 5_310_001
# Session advisory locks held by a live run, keyed on the run's id (one run a night:
# ids stay far below the 2**31 an int4 key allows).
_RUN_LOCK_NAMESPACE = 5_310_002

StepCallback = Callable[[int, int, str], None]

STEPS = (
    "锁定结算日期",
    "建立志愿者积分账户",
    "建立阵地发放账户",
    "写入服务积分流水",
    "写入借贷分录",
    "更新账户余额",
    "写入志愿服务记录",
    "更新服务时长与星级",
)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)
    return start, start + dt.timedelta(days=1)


def _tables() -> dict[str, str]:
    return {
        "o": ServiceOrder._meta.db_table,
        "a": OrderAssignment._meta.db_table,
        "i": ServiceItem._meta.db_table,
        "acc": Account._meta.db_table,
        "t": LedgerTransaction._meta.db_table,
        "leg": Leg._meta.db_table,
        "rec": ServiceRecord._meta.db_table,
        "act": Activity._meta.db_table,
        "su": Signup._meta.db_table,
    }


def _local_date_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'Asia/Shanghai')::date"
    return f"date({column}, '+8 hours')"  # SQLite stores UTC; Shanghai has no DST


def _source() -> str:
    """The rows a settlement date covers: approved orders assessed that day, each
    volunteer who served with confirmed hours."""
    t = _tables()
    return f"""
        FROM {t["a"]} a
        JOIN {t["o"]} o ON o.id = a.order_id
        JOIN {t["i"]} i ON i.id = o.service_id
        WHERE o.status = 'assessed' AND o.assessment_approved
          AND o.assessed_at >= %(start)s AND o.assessed_at < %(end)s
          AND a.confirmed_hours > 0
    """


def _activity_source() -> str:
    """The attendance a settlement date covers: confirmed (by staff, from presence)
    that day, with hours, not credited before."""
    t = _tables()
    return f"""
        FROM {t["su"]} s
        JOIN {t["act"]} act ON act.id = s.activity_id
        WHERE s.attendance = 'confirmed' AND s.status = 'confirmed'
          AND s.credited_at IS NULL AND s.confirmed_hours > 0
          AND s.attendance_confirmed_at >= %(start)s AND s.attendance_confirmed_at < %(end)s
    """


_ACTIVITY_KEY = "'activity:' || act.id || ':signup:' || s.id"


def _settlement_rows() -> str:
    """One row per credit the date covers, orders' and activities' alike, with what the
    ledger and the service record each need: order_id (NULL for an activity),
    volunteer_id, site_id (the issuing site), service_site_id (where the service was),
    amount, hours, title, source_key, service_date, recorded_by_id (who confirmed it)."""
    return f"""
        SELECT o.id AS order_id, a.volunteer_id, {_ISSUING_SITE} AS site_id,
               o.site_id AS service_site_id, {_AMOUNT} AS amount,
               a.confirmed_hours AS hours, i.title AS title, {_KEY} AS source_key,
               {_service_date_sql()} AS service_date, o.assessed_by_id AS recorded_by_id
        {_source()}
        UNION ALL
        SELECT NULL, s.volunteer_id, act.site_id, act.site_id, COALESCE(s.points, 0),
               s.confirmed_hours, act.title, {_ACTIVITY_KEY},
               {_local_date_sql("act.starts_at")}, s.attendance_confirmed_by_id
        {_activity_source()}
    """


def _credit_rows() -> str:
    """The credits: order_id, volunteer_id, site_id (issuing), amount, hours, title,
    source_key."""
    return f"""
        SELECT order_id, volunteer_id, site_id, amount, hours, title, source_key
          FROM ({_settlement_rows()}) x
    """


def _record_rows() -> str:
    """One service record per credit row (what the certificate lists): volunteer_id,
    site_id (where the service was), service_date, title, hours, source_key,
    recorded_by_id."""
    return f"""
        SELECT volunteer_id, service_site_id AS site_id, service_date, title, hours,
               source_key, recorded_by_id
          FROM ({_settlement_rows()}) x
    """


def _mark_attendance_credited(cur: Any, params: dict[str, Any]) -> None:
    """The sign-ups this run credited: ``credited_at`` set in the run's transaction."""
    t = _tables()
    cur.execute(
        f"UPDATE {t['su']} SET credited_at = %(now)s"
        f" WHERE id IN (SELECT s.id {_activity_source()})",
        params,
    )


def _locks_available() -> bool:
    return connection.vendor == "postgresql"


def abandon_dead_runs() -> int:
    """Mark "running" runs whose process is gone as abandoned; returns how many.

    A live run holds its session lock, so ``pg_try_advisory_lock`` fails for it; when
    it succeeds nobody holds the run any more and the row is marked (then the probe's
    own lock is released). Without PostgreSQL (the embedded single-process default)
    there is no such lock and nothing is marked."""
    if not _locks_available():
        return 0
    marked = 0
    running = SettlementRun.objects.filter(status=SettlementStatus.RUNNING)
    for run_id in running.values_list("pk", flat=True):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [_RUN_LOCK_NAMESPACE, run_id])
            if not cur.fetchone()[0]:
                continue  # its process is alive and holds it
            try:
                marked += SettlementRun.objects.filter(
                    pk=run_id, status=SettlementStatus.RUNNING
                ).update(
                    status=SettlementStatus.ABANDONED,
                    finished_at=timezone.now(),
                    error="结算进程已中断（进程退出时未完成），本次结算未写入任何数据；请重新结算该日期。",
                )
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [_RUN_LOCK_NAMESPACE, run_id])
    return marked


def settle(
    day: dt.date,
    *,
    triggered_by: Any = None,
    on_step: StepCallback | None = None,
    at: dt.datetime | None = None,
) -> SettlementRun:
    """Settle ``day``. Returns the run row (status succeeded or failed).

    ``at``: the time the entries, records and run carry (default now). Only the demo
    passes it, to settle its past days as the nightly run would have."""
    abandon_dead_runs()
    with transaction.atomic():
        run = SettlementRun.objects.create(settlement_date=day, triggered_by=triggered_by)
        if _locks_available():
            # Taken before the row commits, so no one ever sees it "running" unlocked.
            # A session lock: it outlives this transaction and ends with the run below,
            # or with the connection if the process dies.
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(%s, %s)", [_RUN_LOCK_NAMESPACE, run.pk])
    try:
        _settle_in_transaction(run, day, on_step, at)
    except Exception as exc:
        SettlementRun.objects.filter(pk=run.pk).update(
            status=SettlementStatus.FAILED,
            finished_at=timezone.now(),
            error="".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000],
        )
        run.refresh_from_db()
        raise
    finally:
        if _locks_available():
            try:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s, %s)", [_RUN_LOCK_NAMESPACE, run.pk])
            except DatabaseError:
                pass  # the connection is gone, and the lock with it
    run.refresh_from_db()
    return run


_ISSUING_SITE = "COALESCE(o.assessed_site_id, o.handling_site_id)"
_AMOUNT = "CAST(ROUND(a.confirmed_hours * i.points_per_hour, 0) AS BIGINT)"
_KEY = "'order:' || o.id || ':volunteer:' || a.volunteer_id"


def _service_date_sql() -> str:
    return _local_date_sql("COALESCE(a.checked_in_at, o.started_at, o.assessed_at)")


def _settle_in_transaction(
    run: SettlementRun, day: dt.date, on_step: StepCallback | None, at: dt.datetime | None
) -> None:
    start, end = day_bounds(day)
    now = at or timezone.now()
    # Raw SQL bypasses the ORM's datetime adaptation: on SQLite an aware datetime would
    # be bound as '…+08:00' text and compared as a string with the stored UTC values,
    # shifting the day by eight hours. Adapt as the ORM does (a no-op on PostgreSQL).
    adapt = connection.ops.adapt_datetimefield_value
    params: dict[str, Any] = {
        "start": adapt(start),
        "end": adapt(end),
        "now": adapt(now),
        "run": run.pk,
    }
    total = len(STEPS)

    def step(n: int) -> None:
        if on_step:
            on_step(n, total, STEPS[n - 1])

    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # Two runs for the same date queue up instead of racing each other's inserts
            # (the unique source keys would keep each credit once even without it).
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, day.toordinal()])
            # The night's sorts and groupings (by volunteer: ~120,000 rows of a county)
            # in memory rather than spilled to temporary files; this transaction only.
            cur.execute("SET LOCAL work_mem = '64MB'")
            step(1)
            figures = _write_postgresql(cur, params, step)
            _mark_attendance_credited(cur, params)
        else:
            step(1)
            figures = _write_portable(cur, params, step, run)
        SettlementRun.objects.filter(pk=run.pk).update(
            status=SettlementStatus.SUCCEEDED,
            finished_at=timezone.now() if at is None else at + (timezone.now() - run.started_at),
            **({} if at is None else {"started_at": at}),
            **figures,
        )


def _write_postgresql(
    cur: Any, params: dict[str, Any], step: Callable[[int], None]
) -> dict[str, Any]:
    """Steps 2–8 in one statement of data-modifying CTEs (PostgreSQL): the service
    records and the hours they add, the credits, the accounts that did not exist yet,
    both legs of every credit and the cached balances.

    The source rows are read once. Records and credits are inserted skipping source keys
    written before (``ON CONFLICT DO NOTHING``: a rerun adds nothing), and only the rows
    those inserts returned count further:

    * **Hours**: a volunteer's hours are the sum of their service records, and every
      writer of a record adds its hours in the same transaction (``service_record_add``;
      this settlement). So the hours of the records inserted here are added to what the
      volunteer has and the star level follows from the new total — what a full
      recompute from all their records (``volunteers_recompute_hours``) gives, without
      reading those records again. The update takes each volunteer's row lock, as
      ``service_record_add`` does, so a record added concurrently by staff queues
      behind it and both add up; and the key checks at the end of the statement find
      the volunteers written by this transaction and need not lock them again
      (apps/core/references.py).
    * **Money**: each account is upserted once with the sum of its new credits — a new
      account is born with its balance, an existing one is updated once (``ON CONFLICT
      DO UPDATE``). Every volunteer and issuing site the date covers gets its account,
      even when it receives nothing new. The legs of each credit come from the same
      returned rows in one ``INSERT`` (the statement-level balance trigger sees both legs
      together).

    Rows go in ordered by volunteer, so the key checks and the volunteer-id index
    entries walk the volunteer table and its indexes in order instead of jumping about a
    table far larger than the buffer cache."""
    t = _tables()
    vol = Volunteer._meta.db_table
    cur.execute(
        f"""
        WITH src AS MATERIALIZED (
            SELECT * FROM ({_settlement_rows()}) c
             ORDER BY volunteer_id, order_id, source_key COLLATE "C"
        ),
        rec AS (
            INSERT INTO {t["rec"]} (volunteer_id, site_id, service_date, title, hours,
                                    source_key, recorded_by_id, created_at)
            SELECT volunteer_id, service_site_id, service_date, title, hours, source_key,
                   recorded_by_id, %(now)s
              FROM src
            ON CONFLICT (source_key) DO NOTHING
            RETURNING volunteer_id, hours
        ),
        served AS (  -- runs though nothing reads it, as every data-modifying CTE does
            UPDATE {vol} AS v
               SET hours = ROUND(v.hours + added.hours, 1),
                   star_level = {star_level_sql("ROUND(v.hours + added.hours, 1)")}
              FROM (SELECT volunteer_id, SUM(hours) AS hours FROM rec
                     GROUP BY volunteer_id ORDER BY volunteer_id) added
             WHERE v.id = added.volunteer_id
        ),
        txn AS (
            INSERT INTO {t["t"]} (kind, source_key, order_id, volunteer_id, site_id, amount,
                                  hours, memo, run_id, created_at)
            SELECT 'service', source_key, order_id, volunteer_id, site_id, amount, hours,
                   title, %(run)s, %(now)s
              FROM src
             WHERE amount > 0
            ON CONFLICT (source_key) DO NOTHING
            RETURNING id, volunteer_id, site_id, amount, hours
        ),
        vacc AS (
            INSERT INTO {t["acc"]} AS acc (kind, volunteer_id, site_id, balance,
                                           lifetime_earned, created_at)
            SELECT 'volunteer', v.volunteer_id, NULL, COALESCE(c.points, 0),
                   COALESCE(c.points, 0), %(now)s
              FROM (SELECT DISTINCT volunteer_id FROM src) v
              LEFT JOIN (SELECT volunteer_id, SUM(amount) AS points FROM txn
                          GROUP BY volunteer_id) c ON c.volunteer_id = v.volunteer_id
             ORDER BY v.volunteer_id
            ON CONFLICT (volunteer_id) DO UPDATE
               SET balance = acc.balance + EXCLUDED.balance,
                   lifetime_earned = acc.lifetime_earned + EXCLUDED.lifetime_earned
             WHERE EXCLUDED.balance <> 0
            RETURNING acc.id, acc.volunteer_id
        ),
        sacc AS (
            INSERT INTO {t["acc"]} AS acc (kind, volunteer_id, site_id, balance,
                                           lifetime_earned, created_at)
            SELECT 'issuing', NULL, s.site_id, -COALESCE(c.points, 0), 0, %(now)s
              FROM (SELECT DISTINCT site_id FROM src) s
              LEFT JOIN (SELECT site_id, SUM(amount) AS points FROM txn
                          GROUP BY site_id) c ON c.site_id = s.site_id
            ON CONFLICT (site_id, kind) WHERE site_id IS NOT NULL DO UPDATE
               SET balance = acc.balance + EXCLUDED.balance
             WHERE EXCLUDED.balance <> 0
            RETURNING acc.id, acc.site_id
        ),
        legs AS (
            INSERT INTO {t["leg"]} (transaction_id, account_id, amount, kind, run_id,
                                    created_at)
            SELECT txn.id, vacc.id, txn.amount, 'service', %(run)s, %(now)s
              FROM txn JOIN vacc ON vacc.volunteer_id = txn.volunteer_id
            UNION ALL
            SELECT txn.id, sacc.id, -txn.amount, 'service', %(run)s, %(now)s
              FROM txn JOIN sacc ON sacc.site_id = txn.site_id
            RETURNING 1
        )
        SELECT (SELECT COUNT(DISTINCT order_id) FROM src),
               (SELECT COUNT(*) FROM legs),
               COUNT(*), COALESCE(SUM(amount), 0), COALESCE(SUM(hours), 0),
               COUNT(DISTINCT volunteer_id)
          FROM txn
    """,
        params,
    )
    orders_seen, legs, entries, points, hours, volunteers = cur.fetchone()
    if legs != 2 * entries:  # every credit has its account pair; never expected
        raise DatabaseError(f"settlement wrote {legs} legs for {entries} credits")
    for n in range(2, 9):
        step(n)
    return {
        "orders_seen": orders_seen,
        "entries_created": entries,
        "points_credited": points,
        "hours_credited": hours,
        "volunteers_credited": volunteers,
    }


def _write_portable(
    cur: Any,
    params: dict[str, Any],
    step: Callable[[int], None],
    run: SettlementRun,
) -> dict[str, Any]:
    """Steps 2–8 one statement each, in SQL SQLite runs too (no data-modifying CTEs);
    hours and star levels recomputed from all the served volunteers' records."""
    t = _tables()
    credits = f"({_credit_rows()}) c"
    cur.execute(f"SELECT COUNT(DISTINCT c.order_id) FROM {credits}", params)
    orders_seen = cur.fetchone()[0]
    # The volunteers served, read before the attendance is marked credited (their
    # hours are recomputed at the end).
    cur.execute(f"SELECT DISTINCT c.volunteer_id FROM {credits}", params)
    served = [row[0] for row in cur.fetchall()]
    # ON CONFLICT, not NOT EXISTS: with few accounts yet (a new deployment) the planner
    # can choose a nested-loop anti join re-scanning the account table once per new row
    # as the statement grows it — quadratic (docs/performance.md). (``WHERE true``:
    # SQLite needs it before an upsert clause on INSERT … SELECT.)
    cur.execute(
        f"""
        INSERT INTO {t["acc"]} (kind, volunteer_id, site_id, balance, lifetime_earned, created_at)
        SELECT 'volunteer', v.volunteer_id, NULL, 0, 0, %(now)s
        FROM (SELECT DISTINCT c.volunteer_id FROM {credits}) v
        WHERE true
        ON CONFLICT (volunteer_id) DO NOTHING
    """,
        params,
    )
    step(2)
    cur.execute(
        f"""
        INSERT INTO {t["acc"]} (kind, volunteer_id, site_id, balance, lifetime_earned, created_at)
        SELECT 'issuing', NULL, s.site_id, 0, 0, %(now)s
        FROM (SELECT DISTINCT c.site_id FROM {credits}) s
        WHERE NOT EXISTS (SELECT 1 FROM {t["acc"]} x
                          WHERE x.site_id = s.site_id AND x.kind = 'issuing')
    """,
        params,
    )
    step(3)
    cur.execute(
        f"""
        INSERT INTO {t["t"]} (kind, source_key, order_id, volunteer_id, site_id, amount,
                              hours, memo, run_id, created_at)
        SELECT 'service', c.source_key, c.order_id, c.volunteer_id, c.site_id, c.amount,
               c.hours, c.title, %(run)s, %(now)s
          FROM {credits}
         WHERE c.amount > 0
        ON CONFLICT (source_key) DO NOTHING
    """,
        params,
    )
    entries = max(cur.rowcount, 0)
    step(4)
    cur.execute(
        f"""
        INSERT INTO {t["leg"]} (transaction_id, account_id, amount, kind, run_id, created_at)
        SELECT x.id, acc.id, x.amount, 'service', x.run_id, x.created_at
          FROM {t["t"]} x JOIN {t["acc"]} acc ON acc.volunteer_id = x.volunteer_id
         WHERE x.run_id = %(run)s
        UNION ALL
        SELECT x.id, acc.id, -x.amount, 'service', x.run_id, x.created_at
          FROM {t["t"]} x JOIN {t["acc"]} acc ON acc.site_id = x.site_id AND acc.kind = 'issuing'
         WHERE x.run_id = %(run)s
    """,
        params,
    )
    step(5)
    run_sum = f"(SELECT SUM(l.amount) FROM {t['leg']} l WHERE l.run_id = %(run)s AND l.account_id = {t['acc']}.id)"
    cur.execute(
        f"""
        UPDATE {t["acc"]}
           SET balance = balance + {run_sum},
               lifetime_earned = lifetime_earned
                   + CASE WHEN kind = 'volunteer' THEN {run_sum} ELSE 0 END
         WHERE id IN (SELECT l.account_id FROM {t["leg"]} l WHERE l.run_id = %(run)s)
    """,
        params,
    )
    step(6)
    cur.execute(
        f"""
        INSERT INTO {t["rec"]} (volunteer_id, site_id, service_date, title, hours, source_key,
                                recorded_by_id, created_at)
        SELECT r.volunteer_id, r.site_id, r.service_date, r.title, r.hours, r.source_key,
               r.recorded_by_id, %(now)s
          FROM ({_record_rows()}) r
         WHERE true
        ON CONFLICT (source_key) DO NOTHING
    """,
        params,
    )
    step(7)
    _mark_attendance_credited(cur, params)
    for i in range(0, len(served), 500):  # SQLite bounds the parameters of a statement
        volunteers_recompute_hours(volunteer_ids=served[i : i + 500])
    step(8)
    totals = LedgerTransaction.objects.filter(run=run).aggregate(
        points=Sum("amount"), hours=Sum("hours"), volunteers=Count("volunteer", distinct=True)
    )
    return {
        "orders_seen": orders_seen,
        "entries_created": entries,
        "points_credited": totals["points"] or 0,
        "hours_credited": totals["hours"] or Decimal("0"),
        "volunteers_credited": totals["volunteers"] or 0,
    }
