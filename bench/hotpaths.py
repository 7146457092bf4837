"""The hot paths over HTTP, at the design scale beside a small county (PostgreSQL).

    .venv/bin/python bench/hotpaths.py                 # prepare both databases, serve, measure
    .venv/bin/python bench/hotpaths.py --rounds 21     # more samples per request

Two databases (``BENCH_LARGE_URL``, default ``…/bench_large``; ``BENCH_SMALL_URL``,
default ``…/bench_small``), both built with the set-based builders of ``settlement.py``
and ``reports.py`` on the same 1,021-site tree:

* large: 1,000,000 volunteers, 5,100,000 orders (``bench/build.py``; built once, kept),
* small: 2,000 volunteers, 10,000 + 1,000 orders (built here when missing),

plus, in each, the same few fixtures (``prepare``): staff at the county, the first
township and its first village, a resident with five orders, a volunteer with tasks,
one waiting order handled at the village, one at the township and one at the county
(the oldest), a year of roll-ups, and a signed-in session for each of them.

Then it starts two gunicorn servers as production runs them (``DJANGO_ENV=production``,
gthread, 2 workers × 4 threads, ``bench_settings``: the product's settings with this
benchmark's URLconf, which adds the two comparison views of ``bench_urls.py``), one per
database, and measures, side by side in one run:

* P4 / P7: each hot path for county, township and village staff, alternating between the
  two servers request by request; p50 and p95 at each size and the ratio of the p50s,
* P2: ``GET /api/v1/orders/?page_size=50`` beside the lean ``.values()`` view of the same
  rows, one connection, both servers,
* P3: the same two, and the constant JSON view, under ``wrk`` at 64 connections against
  the small server: requests/s, p99, errors.

Requests carry ``X-Forwarded-Proto: https`` (the TLS proxy's header: production
redirects plain HTTP). API throttling is lifted for the run (``THROTTLE_USER``).
Nothing here asserts a time: it prints what it measured.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
PG = "postgres://postgres@127.0.0.1:5432/"
LARGE_URL = os.environ.get("BENCH_LARGE_URL", PG + "bench_large")
SMALL_URL = os.environ.get("BENCH_SMALL_URL", PG + "bench_small")
SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"
PORTS = {"small": 8761, "large": 8762}
STATIC_ROOT = "/tmp/bench_hotpaths_static"  # collected once per run (manifest storage)
SMALL = {"volunteers": 2_000, "pts_orders": 1_000, "rpt_orders": 10_000}


def server_env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=db_url,
        BENCH_DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=f"{HERE}{os.pathsep}{ROOT}",
        THROTTLE_USER="100000000/min",
        THROTTLE_ANON="100000000/min",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=STATIC_ROOT,
    )
    env.pop("REDIS_URL", None)
    return env


# --- prepare (runs in a child process, one per database) ---------------------------------
def prepare(size: str) -> dict[str, Any]:
    """Build (small) or check (large) the data set, add the fixtures; return them."""
    sys.path.insert(0, str(HERE))
    import reports
    import settlement

    if size == "small":
        settlement.N_VOLUNTEERS = SMALL["volunteers"]
        settlement.N_ORDERS = SMALL["pts_orders"]
        reports.N_ORDERS = reports.BATCH = SMALL["rpt_orders"]
    settlement.ensure_sites()
    settlement.ensure_volunteers()
    settlement.ensure_orders(
        False, settlement.ORDER_NOTE, settlement.N_ORDERS, settlement.BENCH_DATE
    )
    reports.ensure_orders(False)

    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, transaction

    from apps.accounts.models import Role, User
    from apps.reports.models import SiteDailyStat
    from apps.sites.models import Site, SiteLevel

    county = Site.objects.get(level=SiteLevel.COUNTY)
    town = Site.objects.filter(level=SiteLevel.TOWNSHIP).order_by("id").first()
    village = Site.objects.filter(parent=town, level=SiteLevel.VILLAGE).order_by("id").first()
    assert town and village

    def person(username: str, mobile: str, name: str) -> User:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"mobile": mobile, "real_name": name}
        )
        return user

    with transaction.atomic():
        staff = {
            "county": person("hb_county", "19400000001", "县级管理员"),
            "town": person("hb_town", "19400000002", "乡镇工作人员"),
            "village": person("hb_village", "19400000003", "村站工作人员"),
        }
        for key, site, role in (
            ("county", county, "county_admin"),
            ("town", town, "staff"),
            ("village", village, "staff"),
        ):
            Role.objects.get_or_create(user=staff[key], site=site, role=role)
        resident = person("hb_res", "19400000004", "基准居民乙")
        with connection.cursor() as cur:
            # Five of the village's orders become hb_res's (the same five every time).
            cur.execute(
                """UPDATE orders_serviceorder SET resident_id = %s, placed_by_id = %s
                    WHERE id IN (SELECT id FROM orders_serviceorder WHERE site_id = %s
                                    AND note LIKE 'rpt-bench:%%' ORDER BY id LIMIT 5)""",
                [resident.pk, resident.pk, village.pk],
            )
            # The village's three oldest orders, waiting for dispatch: handled at the
            # village, at the township, at the county (the oldest of the benchmark year:
            # first on the boards). The same three every time.
            cur.execute(
                """SELECT id FROM orders_serviceorder WHERE site_id = %s
                      AND note LIKE 'rpt-bench:%%' ORDER BY created_at, id LIMIT 3""",
                [village.pk],
            )
            at_county, at_town, at_village = [r[0] for r in cur.fetchall()]
            cur.execute(
                """UPDATE orders_serviceorder
                      SET status = 'submitted', dispatched_at = NULL, accepted_at = NULL,
                          started_at = NULL, completed_at = NULL, closed_at = NULL,
                          score = NULL, rated_at = NULL, assessed_at = NULL,
                          assessment_approved = NULL, assessed_site_id = NULL
                    WHERE id IN (%s, %s, %s) AND status <> 'submitted'""",
                [at_county, at_town, at_village],
            )
            for order_id, site in ((at_county, county), (at_town, town), (at_village, village)):
                cur.execute(
                    "UPDATE orders_serviceorder SET handling_site_id = %s WHERE id = %s",
                    [site.pk, order_id],
                )
            # A volunteer of the village with the most assignments: "my tasks".
            cur.execute(
                """SELECT v.user_id FROM volunteers_volunteer v
                     JOIN orders_orderassignment a ON a.volunteer_id = v.id
                    WHERE v.site_id = %s GROUP BY v.id, v.user_id ORDER BY COUNT(*) DESC, v.id
                    LIMIT 1""",
                [village.pk],
            )
            volunteer_user = User.objects.get(pk=cur.fetchone()[0])
            cur.execute(
                "SELECT real_name, mobile FROM volunteers_volunteer WHERE site_id = %s "
                "ORDER BY id DESC LIMIT 1",
                [village.pk],
            )
            _, mobile = cur.fetchone()
            # Names to search for, the same at both sizes (the builders name volunteer
            # n alike in both): the first three-character name (the trigram index) and
            # the first two-character one (the index of the names' pieces).
            names = {}
            for length in (3, 2):
                cur.execute(
                    "SELECT real_name FROM volunteers_volunteer WHERE number LIKE 'PT%%'"
                    " AND char_length(real_name) = %s ORDER BY number LIMIT 1",
                    [length],
                )
                names[length] = cur.fetchone()[0]
            name, short_name = names[3], names[2]
    if not SiteDailyStat.objects.exists():
        print("rolling up the year …", file=sys.stderr, flush=True)
        reports.rollup_year_sql(reports.YEAR_FROM, reports.YEAR_TO)
    from apps.reports.distinct import rollup_all_periods
    from apps.reports.models import ActiveVolunteerPeriod, SiteMonthlyStat
    from apps.reports.monthly import rollup_all_months

    if not SiteMonthlyStat.objects.exists():  # day rows loaded before the month rows
        print("month rows …", file=sys.stderr, flush=True)
        rollup_all_months()

    if not ActiveVolunteerPeriod.objects.exists():  # the year's months and the year
        print("distinct volunteers per month and year …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        rows = rollup_all_periods()
        print(f"  {rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    with connection.cursor() as cur:
        # Every table, as autovacuum would have done after the bulk load (it is off on
        # some servers: the site tree itself was then never analyzed, and PostgreSQL
        # took a path pattern over all 1,021 sites for one row).
        cur.execute("ANALYZE")

    sessions = {}
    people = {**staff, "resident": resident, "volunteer": volunteer_user}
    for key, user in people.items():
        s = SessionStore()
        s["_auth_user_id"] = str(user.pk)
        s["_auth_user_backend"] = "apps.accounts.backends.UsernameOrMobileBackend"
        s["_auth_user_hash"] = user.get_session_auth_hash()
        s.create()
        sessions[key] = s.session_key
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders_serviceorder")
        n_orders = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM volunteers_volunteer")
        n_volunteers = cur.fetchone()[0]
    return {
        "sessions": sessions,
        "users": {key: user.pk for key, user in people.items()},
        "orders": {"county": at_county, "town": at_town, "village": at_village},
        "county": county.pk,
        "town": town.pk,
        "village": village.pk,
        "name_term": name,
        "name_term_short": short_name,
        "mobile_term": mobile[:10],
        "n_orders": n_orders,
        "n_volunteers": n_volunteers,
    }


def run_prepare(size: str, db_url: str) -> dict[str, Any]:
    out = subprocess.run(
        [PY, str(Path(__file__)), "--prepare", size],
        env=server_env(db_url),
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- serving ---------------------------------------------------------------------------
def start_server(size: str, db_url: str) -> subprocess.Popen[bytes]:
    # The product's own gunicorn configuration (deploy/gunicorn.conf.py, as
    # docker-compose.yml runs it), with its defaults for workers and threads unless
    # WEB_WORKERS / WEB_THREADS are set; only the address, the log level, the timeout
    # (a cold first request at 5M may take long) and recycling are the benchmark's.
    cmd = [
        str(Path(PY).parent / "gunicorn"),
        "--config",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "practice_portal.wsgi:application",
    ]
    env = server_env(db_url)
    # Workers are not recycled during the run: a recycled worker closes the keep-alive
    # connections wrk holds (behind nginx, production's proxy retries on another).
    env.update(
        WEB_BIND=f"127.0.0.1:{PORTS[size]}",
        WEB_TIMEOUT="600",
        WEB_LOG_LEVEL="warning",
        WEB_MAX_REQUESTS="0",
    )
    log = open(f"/tmp/bench_http_{size}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=log)
    for _ in range(100):
        try:
            status, _ = get(size, "/healthz", None)
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the {size} server did not start: see /tmp/bench_http_{size}.log")


_conns: dict[str, http.client.HTTPConnection] = {}


def get(size: str, url: str, session: str | None) -> tuple[int, bytes]:
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    if session:
        headers["Cookie"] = f"sessionid={session}"
    for attempt in (1, 2):
        conn = _conns.get(size) or http.client.HTTPConnection("127.0.0.1", PORTS[size], timeout=900)
        _conns[size] = conn
        try:
            conn.request("GET", url, headers=headers)
            r = conn.getresponse()
            return r.status, r.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            _conns.pop(size, None)
            if attempt == 2:
                raise
    raise AssertionError


def timed_get(size: str, url: str, session: str) -> float:
    start = time.perf_counter()
    status, body = get(size, url, session)
    took = time.perf_counter() - start
    if status != 200:
        raise SystemExit(f"{size} {url}: HTTP {status}: {body[:300]!r}")
    return took


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def ms(x: float) -> str:
    return f"{x * 1000:,.0f} ms" if x >= 0.0095 else f"{x * 1000:.1f} ms"


# --- the cases -------------------------------------------------------------------------
def cases(fx: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, str]]]:
    """(label, who, {size: url}) for every hot path."""
    out: list[tuple[str, str, dict[str, str]]] = []

    def both(label: str, who: str, url: Any) -> None:
        out.append((label, who, {s: url(fx[s]) if callable(url) else url for s in fx}))

    for who in ("county", "town", "village"):
        both("dispatch board", who, "/orders/board/")
    both("suggestions, order at the village", "village", lambda f: sug(f, "village"))
    both("suggestions, order at the village", "town", lambda f: sug(f, "village"))
    both("suggestions, order at the township", "town", lambda f: sug(f, "town"))
    both("suggestions, order at the township", "county", lambda f: sug(f, "town"))
    both("suggestions, order at the county", "county", lambda f: sug(f, "county"))
    for who in ("county", "town", "village"):
        both("order list, first page", who, "/api/v1/orders/?page_size=50")
    # The small county's village has 12 orders and 2 volunteers: its 50-row pages hold
    # 12 and 2 rows against 50 at the large size. The same page filled at both sizes:
    both("order list, first page of 10", "village", "/api/v1/orders/?page_size=10")
    both("order list, page 100", "county", "/api/v1/orders/?page_size=50&page=100")
    both("order list, page 5", "town", "/api/v1/orders/?page_size=50&page=5")
    for who in ("county", "town", "village"):
        both("order list, status=submitted", who, "/api/v1/orders/?page_size=50&status=submitted")
    for who in ("county", "town", "village"):
        both("order detail", who, lambda f: f"/api/v1/orders/{f['orders']['village']}/")
    for who in ("county", "town", "village"):
        both("roster API, first page", who, "/api/v1/volunteers/?page_size=50")
    both("roster API, first page of 2", "village", "/api/v1/volunteers/?page_size=2")
    both("roster API, status=approved", "county", "/api/v1/volunteers/?status=approved")
    both("roster page", "county", "/volunteers/roster/")
    both("roster page", "town", "/volunteers/roster/")
    both("roster, search by name", "county", lambda f: f"/api/v1/volunteers/?q={q(f['name_term'])}")
    # A two-character name matches about a hundred volunteers at 1M and one or none
    # in the small county: the large page holds more rows.
    both(
        "roster, search by a two-character name",
        "county",
        lambda f: f"/api/v1/volunteers/?q={q(f['name_term_short'])}",
    )
    both(
        "roster, search by a two-character name, first page of 1",
        "county",
        lambda f: f"/api/v1/volunteers/?q={q(f['name_term_short'])}&page_size=1",
    )
    both(
        "roster, search by mobile", "county", lambda f: f"/api/v1/volunteers/?q={f['mobile_term']}"
    )
    both("my tasks", "volunteer", "/orders/tasks/")
    both("my orders", "resident", "/orders/mine/")
    year = "from=2025-01-01&to=2025-12-31"
    both("county dashboard, a year", "county", f"/reports/?{year}")
    both("reports summary API, a year", "county", f"/api/v1/reports/summary/?{year}")
    both(
        "reports summary API, a year",
        "town",
        lambda f: f"/api/v1/reports/summary/?{year}&site={f['town']}",
    )
    return out


def q(term: str) -> str:
    from urllib.parse import quote

    return quote(term)


def sug(f: dict[str, Any], level: str) -> str:
    return f"/api/v1/orders/{f['orders'][level]}/suggestions/"


def measure_pairs(
    fx: dict[str, dict[str, Any]], rounds: int, only: str | None
) -> list[tuple[str, str, dict[str, list[float]]]]:
    results = []
    for label, who, urls in cases(fx):
        if only and not re.search(only, label):
            continue
        samples: dict[str, list[float]] = {"small": [], "large": []}
        for size in ("small", "large"):  # warm-up: one of each
            timed_get(size, urls[size], fx[size]["sessions"][who])
        for _ in range(rounds):
            for size in ("small", "large"):
                samples[size].append(timed_get(size, urls[size], fx[size]["sessions"][who]))
        s50, l50 = statistics.median(samples["small"]), statistics.median(samples["large"])
        print(
            f"  {label + ' (' + who + ')':<52} small p50 {ms(s50):>9} p95 {ms(pct(samples['small'], 95)):>9}"
            f" | large p50 {ms(l50):>9} p95 {ms(pct(samples['large'], 95)):>9} | {l50 / s50:5.2f}×",
            flush=True,
        )
        results.append((label, who, samples))
    return results


def p2(fx: dict[str, dict[str, Any]], rounds: int) -> None:
    for size in ("small", "large"):
        sess = fx[size]["sessions"]["county"]
        api, lean = "/api/v1/orders/?page_size=50", "/bench/lean-orders/?page_size=50"
        a_body = json.loads(get(size, api, sess)[1])
        l_body = json.loads(get(size, lean, sess)[1])
        same = [r["id"] for r in a_body["results"]] == [r["id"] for r in l_body["results"]]
        ta: list[float] = []
        tl: list[float] = []
        for _ in range(rounds):
            ta.append(timed_get(size, api, sess))
            tl.append(timed_get(size, lean, sess))
        a50, l50 = statistics.median(ta), statistics.median(tl)
        print(
            f"  P2 {size}: API p50 {ms(a50)} (p95 {ms(pct(ta, 95))}), lean p50 {ms(l50)} "
            f"(p95 {ms(pct(tl, 95))}): {a50 / l50:.2f}× (goal ≤ 2×); same rows: {same}",
            flush=True,
        )


def wrk(url: str, session: str, seconds: int) -> dict[str, Any]:
    cmd = [
        "wrk",
        "-t2",
        "-c64",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-H",
        f"Cookie: sessionid={session}",
        "-H",
        "X-Forwarded-Proto: https",
        f"http://127.0.0.1:{PORTS['small']}{url}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    p99s = float(p99.group(1)) * unit[p99.group(2)] if p99 else float("nan")
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p50s = float(p50.group(1)) * unit[p50.group(2)] if p50 else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(x) for x in sock.groups()) if sock else 0
    )
    return {"rps": rps, "p50": p50s, "p99": p99s, "errors": errors}


def p3(fx: dict[str, dict[str, Any]], seconds: int) -> None:
    sess = fx["small"]["sessions"]["county"]
    runs = {}
    for name, url in (
        ("hello", "/bench/hello/"),
        ("lean", "/bench/lean-orders/?page_size=50"),
        ("api", "/api/v1/orders/?page_size=50"),
    ):
        runs[name] = r = wrk(url, sess, seconds)
        print(
            f"  P3 {name:<5} {url:<36} {r['rps']:8.1f} req/s  p50 {ms(r['p50'])}  "
            f"p99 {ms(r['p99'])}  errors {r['errors']}",
            flush=True,
        )
    api, lean = runs["api"], runs["lean"]
    print(
        f"  P3: order list / lean = {api['rps'] / lean['rps'] * 100:.0f} % of the lean view's "
        f"req/s (goal ≥ 50 %), p99 {ms(api['p99'])} (goal ≤ 1 s), errors {api['errors']} (goal 0)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepare", choices=["small", "large"], help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=11, help="samples per request and size")
    parser.add_argument("--only", help="regex: measure only the hot paths it matches")
    parser.add_argument("--wrk-seconds", type=int, default=15)
    parser.add_argument("--skip", default="", help="comma list of p2,p3,p4 to skip")
    args = parser.parse_args()
    if args.prepare:
        sys.path.insert(0, str(HERE))
        from _setup import setup

        setup()
        print(json.dumps(prepare(args.prepare)))
        return

    print("preparing the databases …", flush=True)
    fx = {"small": run_prepare("small", SMALL_URL), "large": run_prepare("large", LARGE_URL)}
    for size in ("small", "large"):
        print(
            f"  {size}: {fx[size]['n_orders']:,} orders, {fx[size]['n_volunteers']:,} volunteers",
            flush=True,
        )
    subprocess.run(
        [PY, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        env=server_env(SMALL_URL),
        cwd=ROOT,
        check=True,
    )
    servers = [
        start_server(size, url) for size, url in (("small", SMALL_URL), ("large", LARGE_URL))
    ]
    skip = set(args.skip.split(","))
    try:
        if "p4" not in skip:
            print(f"\nP4/P7: p50 and p95 of {args.rounds} requests per size, alternating:")
            measure_pairs(fx, args.rounds, args.only)
        if "p2" not in skip:
            print("\nP2: the order list beside the lean view of the same rows (one connection):")
            p2(fx, max(args.rounds, 21))
        if "p3" not in skip:
            print(f"\nP3: wrk, 64 connections, {args.wrk_seconds} s each, small server:")
            p3(fx, args.wrk_seconds)
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
