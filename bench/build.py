"""Build the large data set once, with the existing set-based builders (PostgreSQL).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_large .venv/bin/python bench/build.py

The 1,021-site tree, 1,000,000 approved volunteers and 100,000 assessed orders of
``settlement.py``, then the 5,000,000 orders of ``reports.py`` (one year, every state,
their assignments). Everything already there is kept, so it is safe to rerun.
"""

from __future__ import annotations

import time

import reports  # noqa: F401  (runs _setup.setup(): the database, migrated)
import settlement


def main() -> None:
    start = time.perf_counter()
    settlement.ensure_sites()
    settlement.ensure_volunteers()
    settlement.ensure_orders(
        False, settlement.ORDER_NOTE, settlement.N_ORDERS, settlement.BENCH_DATE
    )
    reports.ensure_orders(False)
    print(f"built in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
