"""P1 at the design scale: the queries each list endpoint and list page runs at page size
1, 50 and 200, in-process (Django's test client, production settings, the benchmark's
URLconf), on the large database of ``hotpaths.py`` with its fixtures.

    .venv/bin/python bench/p1_queries.py [--size small]

For every list endpoint of the API (``page_size``) and the dispatch board (``per_page``,
5 / 50 / 100: its bounds) it counts the queries of one request at each size, for the
staff of the county, the first township and its first village, after one warm-up
request, and prints the counts (after signing in: the session cookie's two queries, the
session and its user, are not counted, as the tests authenticate without one), the rows
each page held and whether P1 holds: the same count at every size, and at most 6 for
the API. The tests guard the same
(``tests/orders/test_page_size_queries.py`` and the other query tests); this prints it
at 1,000,000 volunteers and 5,100,000 orders.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import hotpaths as h

API_LISTS = (
    "/api/v1/orders/",
    "/api/v1/orders/?status=submitted",
    "/api/v1/volunteers/",
    "/api/v1/volunteers/?status=approved",
    "/api/v1/sites/",
    "/api/v1/services/",
    "/api/v1/teams/",
    "/api/v1/activities/",
    "/api/v1/showcase/posts/",
    "/api/v1/rewards/",
    "/api/v1/redemptions/",
    "/api/v1/notifications/",
)
API_SIZES = (1, 50, 200)
BOARD_SIZES = (5, 50, 100)
API_LIMIT = 6


def _rows(body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return len(data["results"])
    return None


def _signing_in(sql: str) -> bool:
    """The session cookie's two queries (the session, its user): the tests authenticate
    without a session (``force_authenticate``) and count from there, so P1 does too."""
    return '"django_session"' in sql or sql.startswith(
        'SELECT "accounts_user"."id", "accounts_user"."password"'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["small", "large"], default="large")
    args = parser.parse_args()
    db_url = h.SMALL_URL if args.size == "small" else h.LARGE_URL
    fx = h.run_prepare(args.size, db_url)
    os.environ.update(h.server_env(db_url))
    os.environ["ALLOWED_HOSTS"] += ",testserver"
    sys.path[:0] = [str(h.HERE), str(h.ROOT)]
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def counted(client: Client, url: str) -> tuple[int, int | None]:
        """The queries of one request after signing in, and the rows it returned."""
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url, secure=True)
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}")
        return sum(not _signing_in(q["sql"]) for q in ctx.captured_queries), _rows(r.content)

    failures = []
    checked = 0
    for who in ("county", "town", "village"):
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["sessionid"] = fx["sessions"][who]
        lists = [(u, "page_size", API_SIZES, API_LIMIT) for u in API_LISTS]
        lists.append(("/orders/board/", "per_page", BOARD_SIZES, None))
        for url, param, sizes, limit in lists:
            sep = "&" if "?" in url else "?"
            counted(client, f"{url}{sep}{param}={sizes[0]}")  # warm-up
            got = [counted(client, f"{url}{sep}{param}={n}") for n in sizes]
            counts = [c for c, _ in got]
            same = len(set(counts)) == 1
            within = limit is None or max(counts) <= limit
            checked += 1
            if not (same and within):
                failures.append((who, url))
            rows = "/".join("-" if r is None else str(r) for _, r in got)
            print(
                f"  {who:<8} {url + ' (' + param + ' ' + '/'.join(map(str, sizes)) + ')':<72}"
                f" queries {'/'.join(map(str, counts)):<9} rows {rows:<11}"
                f" {'ok' if same and within else 'NOT MET'}",
                flush=True,
            )
    print(
        f"P1: {checked - len(failures)} of {checked} lists run the same number of queries at"
        f" every page size (API ≤ {API_LIMIT}) at the {args.size} size"
        + ("" if not failures else f"; not met: {failures}")
    )


if __name__ == "__main__":
    main()
