"""EXPLAIN (ANALYZE, BUFFERS) of the slowest query of each hot path (PostgreSQL).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_large \\
        .venv/bin/python bench/explain.py [--only REGEX] [--timeout 60]

Runs each request of ``hotpaths.py`` once in this process (Django's test client, signed
in as that case's user, against the database as it is: run it before and after a
change), records its queries and prints, per request, the wall time, the number of
queries, the slowest one's SQL and its plan with ``EXPLAIN (ANALYZE, BUFFERS)``. A
statement running longer than ``--timeout`` seconds is cancelled; its plan is then
printed without ANALYZE (estimates only) and marked so.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--only", help="regex: the hot paths to explain")
parser.add_argument("--timeout", type=int, default=60, help="statement timeout, seconds")
parser.add_argument("--queries", action="store_true", help="also list every query's time")
args = parser.parse_args()

sys.path.insert(0, str(HERE))
from _setup import setup  # noqa: E402

setup()

import re  # noqa: E402

import hotpaths  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apps.accounts.models import User  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]


def main() -> None:
    import apps

    print(f"project: {Path(apps.__file__).resolve().parent.parent}")
    fx = hotpaths.prepare("large")
    with connection.cursor() as cur:
        cur.execute("SHOW jit")
        print(
            f"jit: {cur.fetchone()[0]}; orders {fx['n_orders']:,}, volunteers {fx['n_volunteers']:,}"
        )
    seen = set()
    for label, who, urls in hotpaths.cases({"large": fx}):
        url = urls["large"]
        if args.only and not re.search(args.only, label):
            continue
        if (label, who) in seen:
            continue
        seen.add((label, who))
        client = Client()
        client.force_login(User.objects.get(pk=fx["users"][who]))
        client.get("/healthz")
        with connection.cursor() as cur:
            cur.execute(f"SET statement_timeout = '{int(args.timeout)}s'")
        error = ""
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            try:
                status = client.get(url, HTTP_X_FORWARDED_PROTO="https").status_code
            except Exception as exc:  # noqa: BLE001  (a cancelled statement: report it)
                status, error = 0, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            took = time.perf_counter() - start
        connection.close()  # a fresh connection: no aborted transaction carried over
        queries = ctx.captured_queries
        print(f"\n=== {label} ({who}) {url}")
        print(f"HTTP {status} in {took * 1000:,.0f} ms, {len(queries)} queries {error}")
        if not queries:
            continue
        if args.queries:
            total = sum(float(q["time"]) for q in queries)
            print(f"queries: {total * 1000:,.0f} ms in all")
            for q in queries:
                print(f"  {float(q['time']) * 1000:8.1f} ms  {q['sql'][:110]}")
        slow = max(queries, key=lambda q: float(q["time"]))
        print(f"slowest: {float(slow['time']) * 1000:,.0f} ms")
        print(slow["sql"][:1500])
        with connection.cursor() as cur:
            cur.execute(f"SET statement_timeout = '{int(args.timeout)}s'")
            try:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slow["sql"])
                plan = [r[0] for r in cur.fetchall()]
            except Exception:  # noqa: BLE001
                connection.close()
                with connection.cursor() as cur2:
                    cur2.execute("EXPLAIN " + slow["sql"])
                    plan = ["(estimates only: ANALYZE cancelled at the timeout)"]
                    plan += [r[0] for r in cur2.fetchall()]
        for line in plan:
            print("  " + line)


if __name__ == "__main__":
    main()
