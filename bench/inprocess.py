"""One request at a time, in-process (Django's test client, production settings, the
benchmark's URLconf): the time of a URL for a signed-in fixture user, the best of five
rounds, and how much of it each optional part takes when switched off.

    .venv/bin/python bench/inprocess.py                       # the small county
    BENCH_SMALL_URL=…/bench_large .venv/bin/python bench/inprocess.py --size large \\
        --who village --url '/api/v1/volunteers/?page_size=50'

Uses the databases and fixtures of ``hotpaths.py`` (prepared the same way). Prints,
for ``--url`` (default: the order list, 50 rows): the full request, the request with
the list's rows written as ids only (``listing.order_rows``), with the access log's
write skipped, the lean view and the constant view; then the response's body written
by the API's renderer and by DRF's. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import hotpaths as h


def _setup(db_url: str) -> None:
    os.environ.update(h.server_env(db_url))
    os.environ["ALLOWED_HOSTS"] += ",testserver"
    sys.path[:0] = [str(h.HERE), str(h.ROOT)]
    import django

    django.setup()


@contextmanager
def _replaced(module: Any, name: str, value: Any) -> Iterator[None]:
    real = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["small", "large"], default="small")
    parser.add_argument("--who", default="county")
    parser.add_argument("--url", default="/api/v1/orders/?page_size=50")
    parser.add_argument("--requests", type=int, default=150)
    args = parser.parse_args()
    db_url = h.SMALL_URL if args.size == "small" else h.LARGE_URL
    fx = h.run_prepare(args.size, db_url)
    _setup(db_url)
    from django.test import Client

    from apps.accounts import access_log
    from apps.orders import listing

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = fx["sessions"][args.who]

    def best(url: str) -> float:
        for _ in range(20):
            assert client.get(url, secure=True).status_code == 200, url
        rounds = []
        per_round = max(args.requests // 5, 1)
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(per_round):
                client.get(url, secure=True)
            rounds.append((time.perf_counter() - start) / per_round * 1000)
        return min(rounds)

    variants: list[tuple[str, Callable[[], float]]] = [("full request", lambda: best(args.url))]

    def ids_only() -> float:
        with _replaced(
            listing, "order_rows", lambda rows, request: [{"id": r["id"]} for r in rows]
        ):
            return best(args.url)

    def no_access_log() -> float:
        with _replaced(access_log, "write_access_rows", lambda rows: None):
            return best(args.url)

    if args.url.startswith("/api/v1/orders/"):
        variants += [("rows as ids only", ids_only), ("access log not written", no_access_log)]
    variants += [
        ("lean view", lambda: best("/bench/lean-orders/?page_size=50")),
        ("constant view", lambda: best("/bench/hello/")),
    ]
    print(f"{args.size}, {args.who}, {args.url}: best of 5 rounds, ms per request")
    for label, run in variants:
        print(f"  {label:<24} {run():7.2f} ms", flush=True)

    # The response's JSON written again by the API's renderer and by DRF's.
    import json

    from rest_framework.renderers import JSONRenderer as DRFRenderer

    from apps.core.renderers import JSONRenderer

    data = json.loads(client.get(args.url, secure=True).content)
    for label, renderer in (("orjson renderer", JSONRenderer()), ("DRF's renderer", DRFRenderer())):
        start = time.perf_counter()
        for _ in range(200):
            renderer.render(data)
        took = (time.perf_counter() - start) / 200 * 1000
        print(f"  {label:<24} {took:7.3f} ms for the response's body", flush=True)


if __name__ == "__main__":
    main()
