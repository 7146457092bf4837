"""Nightly points settlement at county scale (PostgreSQL).

    .venv/bin/python bench/settlement.py

In the database ``portal_bench`` (``BENCH_DATABASE_URL``, see ``_setup.py``) it builds,
once, with set-based SQL (``INSERT … SELECT generate_series``; no rows made one by one
in Python):

* the 1,021-site tree of ``site_tree.py`` (1 county, 30 townships, 960 villages, 30 bases),
* 1,000,000 approved volunteers (and their users) spread over the villages,
* one menu item per township, and two sets of orders assessed by their township, spread
  over the day (Asia/Shanghai), each with one volunteer and every fifth with a second:
  100,000 orders on ``BENCH_DATE`` (120,000 credits) and 10,000 on ``SMALL_DATE``
  (12,000 credits).

For each set, smaller first, it clears the ledger (the points tables are this
benchmark's alone in its database; ``TRUNCATE`` does not fire the append-only row
triggers) and the service records it wrote, and times ``settle(date)`` in a child
process of its own (``--child-settle``), which reports the duration of each step, its
peak RSS (``ru_maxrss``: the whole process, Django and all) and the Python heap peak.
After the 100,000 it times the idempotent rerun, ``verify_ledger``, a plain
``INSERT … SELECT`` writing as many rows into a scratch table as the settlement wrote
(P5's yardstick), a reference beside it (the settlement's own rows copied into tables
shaped like its four, with their indexes and nothing else), and a full star-level recompute for every volunteer (``volunteers_recompute_hours()``),
and prints the two P5 figures: settle / insert, and peak RSS at 100,000 / at 10,000.

Rerunnable: data already generated is kept (``--rebuild`` drops this benchmark's orders
and makes them again); every run re-times the settlement from a clean ledger.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from _setup import setup

setup()

from django.db import connection, transaction  # noqa: E402

from apps.points.settlement import settle  # noqa: E402
from apps.points.verification import verify_ledger  # noqa: E402
from apps.sites.models import Site, SiteLevel  # noqa: E402
from apps.volunteers.services import volunteers_recompute_hours  # noqa: E402

N_VOLUNTEERS = 1_000_000
N_ORDERS = 100_000
SECOND_VOLUNTEER_EVERY = 5
BENCH_DATE = dt.date(2024, 6, 1)
TOWNSHIPS, VILLAGES_PER_TOWNSHIP = 30, 32
ORDER_NOTE = "pts-bench:"  # marks this benchmark's orders; the suffix is the series number
# The small set, for the memory comparison: a tenth of the orders, on the next day.
N_ORDERS_SMALL = 10_000
SMALL_DATE = dt.date(2024, 6, 2)
ORDER_NOTE_SMALL = "pts-bench-small:"
# 7919 is prime and shares no factor with 1,000,000 (2^6·5^6): g ↦ g·7919 mod N is a
# permutation, so the orders' volunteers are spread over the whole table, none twice.
STRIDE = 7919


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def scalar(sql: str, params: object = None) -> object:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def timed_sql(label: str, sql: str, params: object = None) -> float:
    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.rowcount
    took = time.perf_counter() - start
    print(f"  {label}: {rows:,} rows in {took:.1f} s")
    return took


def ensure_sites() -> None:
    """The same tree as bench/site_tree.py (which may have built it already)."""
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


# Names as a county's roster has them: a common surname and one or two given-name
# characters, mixed by a hash of the series number (so neighbours do not share a name,
# and common names repeat at a million as they do in life). Two thirds have three
# characters. (Names sharing a long prefix would fill the trigram index's posting lists
# with every volunteer, which no real roster does.)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜"
    "学祥才发新利清飞彬富顺信子昌成康星光天达安岩中茂进有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆民友裕"
)
NAME_SQL = (
    f"(SELECT substr('{SURNAMES}', 1 + get_byte(h, 0) %% {len(SURNAMES)}, 1) || substr('{GIVEN}', 1 + get_byte(h, 1) %% {len(GIVEN)}, 1)"
    f" || CASE WHEN get_byte(h, 2) %% 3 = 0 THEN '' ELSE substr('{GIVEN}', 1 + get_byte(h, 3) %% {len(GIVEN)}, 1) END"
    " FROM (SELECT decode(md5(g::text), 'hex') AS h) x)"
)


def ensure_volunteers() -> None:
    have = scalar("SELECT COUNT(*) FROM volunteers_volunteer WHERE number LIKE %s", ["PT%"])
    if have == N_VOLUNTEERS:
        print(f"volunteers: {have:,} (kept)")
        return
    assert have == 0, f"{have} benchmark volunteers: a partial build? run with --rebuild"
    villages = list(
        Site.objects.filter(level=SiteLevel.VILLAGE).order_by("id").values_list("id", flat=True)
    )
    print(f"generating {N_VOLUNTEERS:,} volunteers over {len(villages)} villages …")
    with transaction.atomic():
        timed_sql(
            "users",
            f"""
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                                       email, is_staff, is_active, date_joined, mobile, real_name,
                                       language)
            SELECT '!', false, 'ptsvol' || g, '', '', '', false, true, now(),
                   '190' || lpad(g::text, 8, '0'), {NAME_SQL}, ''
              FROM generate_series(1, %(n)s) g""",
            {"n": N_VOLUNTEERS},
        )
        timed_sql(
            "volunteers",
            """
            INSERT INTO volunteers_volunteer (
                number, real_name, mobile, id_number, specialties, service_area, availability,
                emergency_contact_name, emergency_contact_phone, status, status_reason,
                reviewed_at, hours, star_level, applied_at, updated_at, site_id, user_id)
            SELECT 'PT' || lpad(g::text, 8, '0'), u.real_name, u.mobile,
                   'PT' || lpad(g::text, 16, '0'), '', '', 0, '家属',
                   '191' || lpad(g::text, 8, '0'), 'approved', '', now(), 0, 0, now(), now(),
                   (%(villages)s::bigint[])[1 + g %% %(nv)s], u.id
              FROM generate_series(1, %(n)s) g
              JOIN accounts_user u ON u.username = 'ptsvol' || g""",
            {"n": N_VOLUNTEERS, "villages": villages, "nv": len(villages)},
        )
        timed_sql(
            "resident",
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                                       email, is_staff, is_active, date_joined, mobile, real_name,
                                       language)
            VALUES ('!', false, 'ptsres', '', '', '', false, true, now(), '19200000000', '基准居民', '')
            ON CONFLICT (username) DO NOTHING""",
        )


def ensure_orders(rebuild: bool, note: str, n_orders: int, day: dt.date) -> None:
    if rebuild:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "DELETE FROM orders_orderassignment WHERE order_id IN ("
                "SELECT id FROM orders_serviceorder WHERE note LIKE %s)",
                [note + "%"],
            )
            cur.execute("DELETE FROM orders_serviceorder WHERE note LIKE %s", [note + "%"])
    have = scalar("SELECT COUNT(*) FROM orders_serviceorder WHERE note LIKE %s", [note + "%"])
    if have == n_orders:
        print(f"orders: {have:,} assessed on {day} (kept)")
        return
    assert have == 0, f"{have} benchmark orders: a partial build? run with --rebuild"
    print(f"generating {n_orders:,} orders assessed on {day} …")
    params = {
        "n": n_orders,
        "nv": N_VOLUNTEERS,
        "stride": STRIDE,
        "note": note,
        "day": day.isoformat(),
        "every": SECOND_VOLUNTEER_EVERY,
    }
    with transaction.atomic():
        timed_sql(
            "menu items",
            """
            INSERT INTO orders_serviceitem (title, category, description, duration_hours,
                                            points_per_hour, volunteers_needed, is_active,
                                            created_at, updated_at, site_id)
            SELECT '积分基准服务', 'elderly', '', 2, 10 + mod(t.id, 11), 1, true, now(), now(), t.id
              FROM sites_site t WHERE t.level = 'township'
            ON CONFLICT DO NOTHING""",
        )
        # Each order at its volunteer's village, assessed by that village's township,
        # at an even spread over the Shanghai day.
        timed_sql(
            "orders",
            """
            INSERT INTO orders_serviceorder (
                address, contact_mobile, preferred_start, preferred_end, preferred_slot_bit,
                note, volunteers_needed, status, created_at, status_changed_at, started_at,
                completed_at, closed_at, nudge_count, rating_comment, dispute_text,
                assessment_queue, assessment_approved, assessment_comment, assessed_at,
                close_reason, handling_site_id, placed_by_id, resident_id, service_id, site_id,
                assessed_site_id, request_fingerprint)
            SELECT '基准地址', '19200000000', at - interval '2 days', at - interval '2 days'
                       + interval '2 hours', 0, %(note)s || g,
                   CASE WHEN g %% %(every)s = 0 THEN 2 ELSE 1 END, 'assessed',
                   at - interval '3 days', at, at - interval '2 days', at - interval '1 day', at,
                   0, '', '', '', true, '', at, '', v.site_id, r.id, r.id, i.id, v.site_id,
                   s.parent_id, ''
              FROM generate_series(1, %(n)s) g
              CROSS JOIN LATERAL (SELECT (%(day)s::date::timestamp AT TIME ZONE 'Asia/Shanghai')
                                         + (g - 1) * interval '86400 seconds' / %(n)s AS at) w
              JOIN volunteers_volunteer v
                ON v.number = 'PT' || lpad((1 + (g * %(stride)s) %% %(nv)s)::text, 8, '0')
              JOIN sites_site s ON s.id = v.site_id
              JOIN orders_serviceitem i ON i.site_id = s.parent_id AND i.title = '积分基准服务'
              CROSS JOIN (SELECT id FROM accounts_user WHERE username = 'ptsres') r""",
            params,
        )
        timed_sql(
            "assignments",
            """
            INSERT INTO orders_orderassignment (status, assigned_at, responded_at, decline_reason,
                                                checked_in_at, checked_out_at, reported_hours,
                                                confirmed_hours, summary, volunteer_id, order_id)
            SELECT 'accepted', o.preferred_start - interval '1 day', o.preferred_start, '',
                   o.started_at, o.completed_at, h.hours, h.hours, '', v.id, o.id
              FROM orders_serviceorder o
              CROSS JOIN LATERAL (SELECT substr(o.note, length(%(note)s) + 1)::int AS g) x
              CROSS JOIN LATERAL (VALUES (1, 1 + (x.g * %(stride)s) %% %(nv)s),
                                         (2, 1 + (x.g * %(stride)s + %(nv)s / 2) %% %(nv)s)) p(k, n)
              CROSS JOIN LATERAL (SELECT 0.5 + (x.g + p.k) %% 8 * 0.5 AS hours) h
              JOIN volunteers_volunteer v ON v.number = 'PT' || lpad(p.n::text, 8, '0')
             WHERE o.note LIKE %(note)s || '%%'
               AND (p.k = 1 OR x.g %% %(every)s = 0)""",
            params,
        )
    with connection.cursor() as cur:
        for table in (
            "orders_serviceorder",
            "orders_orderassignment",
            "volunteers_volunteer",
            "accounts_user",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")


def reset_ledger() -> None:
    """Back to a never-settled state: an empty ledger, no settlement service records,
    zero hours for the benchmark's volunteers."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "TRUNCATE points_leg, points_ledgertransaction, points_settlementrun, points_account"
        )
        cur.execute("DELETE FROM volunteers_servicerecord WHERE source_key LIKE %s", ["order:%"])
        cur.execute(
            "UPDATE volunteers_volunteer SET hours = 0, star_level = 0 "
            "WHERE number LIKE %s AND (hours <> 0 OR star_level <> 0)",
            ["PT%"],
        )
    with connection.cursor() as cur:
        # Analyzed, as autovacuum leaves them: the first night of a new deployment.
        for table in (
            "volunteers_servicerecord",
            "volunteers_volunteer",
            "points_account",
            "points_ledgertransaction",
            "points_leg",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")


def child_settle(day: dt.date) -> None:
    """In a process of its own: settle ``day`` and print one JSON line of figures."""
    steps: list[tuple[str, float]] = []
    last = [time.perf_counter()]

    def on_step(done: int, total: int, label: str) -> None:
        now = time.perf_counter()
        steps.append((f"{done}/{total} {label}", now - last[0]))
        last[0] = now

    rss_before = rss_mib()
    tracemalloc.start()
    start = time.perf_counter()
    last[0] = start
    run = settle(day, on_step=on_step)
    took = time.perf_counter() - start
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    steps.append(("totals, run row, commit", start + took - last[0]))
    print(
        json.dumps(
            {
                "took": took,
                "steps": steps,
                "status": run.status,
                "orders": run.orders_seen,
                "entries": run.entries_created,
                "points": run.points_credited,
                "hours": str(run.hours_credited),
                "volunteers": run.volunteers_credited,
                "rss_before_mib": rss_before,
                "rss_peak_mib": rss_mib(),
                "heap_peak_mib": heap_peak / 2**20,
            }
        )
    )


def volunteer_updates() -> tuple[int, int]:
    """Updates of volunteer rows so far, and how many were HOT (no index entries)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
            "WHERE relname = 'volunteers_volunteer'"
        )
        upd, hot = cur.fetchone()
    return upd, hot


def settle_in_child(day: dt.date) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child-settle", day.isoformat()],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def scratch_insert(rows: int) -> float:
    """Seconds to write ``rows`` rows of the ledger's width into a table with a primary
    key only (``INSERT … SELECT generate_series``), in a transaction of its own."""
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pts_bench_scratch")
        cur.execute("""CREATE TABLE pts_bench_scratch (
                           id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                           source_key varchar(100) NOT NULL, account_id bigint NOT NULL,
                           amount bigint NOT NULL, kind varchar(16) NOT NULL,
                           created_at timestamptz NOT NULL)""")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO pts_bench_scratch (source_key, account_id, amount, kind, created_at)
            SELECT 'order:' || g || ':volunteer:' || (g * 7), g, 10 + g %% 30, 'service', now()
              FROM generate_series(1, %s) g""",
            [rows],
        )
    took = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("DROP TABLE pts_bench_scratch")
    return took


# The settlement's rows, by table (the service records: the settlement's own).
_COPIES = {
    "points_ledgertransaction": "",
    "points_leg": "",
    "points_account": "",
    "volunteers_servicerecord": " WHERE source_key LIKE 'order:%%'",
}


def copy_into_same_tables() -> tuple[float, int]:
    """Seconds to write the rows the settlement wrote, ``INSERT … SELECT *``, into tables
    shaped like its four with their indexes (no key checks, no triggers, no balance rule,
    no hours), in one transaction; and how many indexes those tables carry."""
    with connection.cursor() as cur:
        for table in _COPIES:
            cur.execute(f"DROP TABLE IF EXISTS bench_copy_{table}")
            cur.execute(
                f"CREATE TABLE bench_copy_{table} (LIKE {table} INCLUDING DEFAULTS"
                " INCLUDING INDEXES)"
            )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for table, where in _COPIES.items():
            cur.execute(f"INSERT INTO bench_copy_{table} SELECT * FROM {table}{where}")
    took = time.perf_counter() - start
    with connection.cursor() as cur:
        for table in _COPIES:
            cur.execute(f"DROP TABLE bench_copy_{table}")
    indexes = sum(
        int(
            scalar(  # type: ignore[arg-type]
                "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
                " WHERE c.relname = %s",
                [table],
            )
        )
        for table in _COPIES
    )
    return took, indexes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="regenerate the orders")
    parser.add_argument(
        "--child-settle",
        metavar="DATE",
        help="internal: settle DATE in this process and print its figures as JSON",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="settle each set N times from a clean ledger, and time the yardsticks N times"
        " (medians; default 3)",
    )
    args = parser.parse_args()
    if args.child_settle:
        child_settle(dt.date.fromisoformat(args.child_settle))
        return

    ensure_sites()
    ensure_volunteers()
    ensure_orders(args.rebuild, ORDER_NOTE, N_ORDERS, BENCH_DATE)
    ensure_orders(args.rebuild, ORDER_NOTE_SMALL, N_ORDERS_SMALL, SMALL_DATE)
    total_volunteers = scalar("SELECT COUNT(*) FROM volunteers_volunteer")
    assignments = scalar(
        """SELECT COUNT(*) FROM orders_orderassignment a
                              JOIN orders_serviceorder o ON o.id = a.order_id
                             WHERE o.note LIKE %s""",
        [ORDER_NOTE + "%"],
    )
    print(
        f"data: {total_volunteers:,} volunteers, {N_ORDERS:,} orders, {assignments:,} assignments"
        f" (and {N_ORDERS_SMALL:,} orders on {SMALL_DATE})"
    )

    results: dict[int, dict[str, object]] = {}
    times: dict[int, list[float]] = {}
    for n_orders, day in ((N_ORDERS_SMALL, SMALL_DATE), (N_ORDERS, BENCH_DATE)):
        for attempt in range(1, args.repeat + 1):
            reset_ledger()
            print(
                f"\nsettle({day}), {n_orders:,} orders, on a clean ledger, in a child process"
                f" (run {attempt} of {args.repeat}) …"
            )
            upd_before, hot_before = volunteer_updates()
            r = settle_in_child(day)
            time.sleep(1)  # the child's server process reports its statistics as it exits
            upd_after, hot_after = volunteer_updates()
            times.setdefault(n_orders, []).append(float(r["took"]))  # type: ignore[arg-type]
            peak = max(float(r["rss_peak_mib"]), float(results.get(n_orders, r)["rss_peak_mib"]))  # type: ignore[arg-type]
            results[n_orders] = {**r, "rss_peak_mib": peak}
            for label, seconds in r["steps"]:  # type: ignore[attr-defined]
                print(f"  {label:<28} {seconds:7.2f} s")
            print(
                f"settlement: {r['took']:.2f} s; status {r['status']}; orders {r['orders']:,}, "
                f"entries {r['entries']:,}, points {r['points']:,}, hours {r['hours']}, "
                f"volunteers {r['volunteers']:,}"
            )
            print(
                f"memory (child): RSS {r['rss_before_mib']:.0f} MiB before settle, peak "
                f"{r['rss_peak_mib']:.0f} MiB; Python heap peak during settle "
                f"{r['heap_peak_mib']:.2f} MiB"
            )
            print(
                f"volunteer rows updated: {upd_after - upd_before:,}, of which HOT (no index "
                f"entries written): {hot_after - hot_before:,}"
            )
    took = statistics.median(times[N_ORDERS])
    print(
        f"\nsettlement of {N_ORDERS:,} orders, {args.repeat} runs: "
        + ", ".join(f"{t:.2f}" for t in times[N_ORDERS])
        + f" s; median {took:.2f} s"
    )

    rows = {
        "transactions": scalar("SELECT COUNT(*) FROM points_ledgertransaction"),
        "legs": scalar("SELECT COUNT(*) FROM points_leg"),
        "service records": scalar(
            "SELECT COUNT(*) FROM volunteers_servicerecord WHERE source_key LIKE %s", ["order:%"]
        ),
        "accounts": scalar("SELECT COUNT(*) FROM points_account"),
    }
    written = sum(rows.values())
    print(
        "rows written: "
        + ", ".join(f"{k} {v:,}" for k, v in rows.items())
        + f"; {written:,} in all"
    )

    start = time.perf_counter()
    rerun = settle(BENCH_DATE)
    print(
        f"rerun (idempotent): {time.perf_counter() - start:.1f} s, "
        f"{rerun.entries_created} new entries"
    )

    start = time.perf_counter()
    report = verify_ledger()
    print(
        f"verify_ledger: {time.perf_counter() - start:.1f} s, ok={report.ok}, "
        f"{report.accounts_checked:,} accounts, {report.transactions_checked:,} transactions"
    )

    scratch = [scratch_insert(written) for _ in range(args.repeat)]
    baseline = statistics.median(scratch)
    print(
        f"\nyardstick 1: plain INSERT … SELECT of {written:,} rows into a scratch table with"
        " a primary key only: "
        + ", ".join(f"{t:.2f}" for t in scratch)
        + f" s; median {baseline:.2f} s"
    )
    copies, indexes = zip(*(copy_into_same_tables() for _ in range(args.repeat)), strict=True)
    same_tables = statistics.median(copies)
    print(
        f"yardstick 2: the same {written:,} rows, INSERT … SELECT into tables shaped like the"
        f" four the settlement writes, with their {indexes[0]} indexes: "
        + ", ".join(f"{t:.2f}" for t in copies)
        + f" s; median {same_tables:.2f} s"
    )

    print(f"\nstar-level recompute for all {total_volunteers:,} volunteers …")
    start = time.perf_counter()
    with transaction.atomic():
        count = volunteers_recompute_hours()
    print(
        f"volunteers_recompute_hours(): {count:,} volunteers in {time.perf_counter() - start:.1f} s"
    )
    stars = scalar("SELECT COUNT(*) FROM volunteers_volunteer WHERE hours > 0")
    print(f"volunteers with hours after the recompute: {stars:,}")

    small_rss = float(results[N_ORDERS_SMALL]["rss_peak_mib"])  # type: ignore[arg-type]
    large_rss = float(results[N_ORDERS]["rss_peak_mib"])  # type: ignore[arg-type]
    print(
        f"\nP5: settle / INSERT … SELECT of the same rows into their tables = "
        f"{took / same_tables:.2f}× (goal ≤ 3×): settlement of {N_ORDERS:,} orders "
        f"{took:.2f} s, its {written:,} rows written with their indexes {same_tables:.2f} s"
        " (medians)"
    )
    print(
        f"    beside it: settle / INSERT … SELECT into a scratch table = "
        f"{took / baseline:.2f}× ({baseline:.2f} s; the rows without their tables' indexes)"
    )
    print(
        f"P5: peak RSS 100k / 10k = {large_rss / small_rss:.2f}× (goal ≤ 1.2×): "
        f"{large_rss:.1f} MiB settling {N_ORDERS:,} orders, {small_rss:.1f} MiB settling "
        f"{N_ORDERS_SMALL:,} (each in its own process)"
    )


if __name__ == "__main__":
    main()
