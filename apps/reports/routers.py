"""Report reads from a PostgreSQL streaming replica, when there is one and it keeps up.

With ``DATABASE_REPLICA_URL`` set, the settings add a ``replica`` database and this
router. Reads of the report roll-ups (the ``reports`` app's tables: site-days,
category-days, active volunteer-days — the large scans of the dashboard, the league
table and the report API) go to the replica; everything else, every write, and any
read inside a transaction on the primary (the nightly roll-up reads what it has just
written) stays on the primary.

The replica is used only while it is reachable and its replay is at most
``REPLICA_MAX_LAG_BYTES`` of WAL behind the primary. That is checked at most every
``REPLICA_CHECK_SECONDS`` per process (two small queries); an error counts as
unusable, so a replica that is down or lagging makes reports read the primary
again, a little slower but correct.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.db import connections

log = logging.getLogger(__name__)

REPLICA = "replica"
REPORT_APPS = frozenset({"reports"})
REPLICA_MAX_LAG_BYTES = int(os.environ.get("REPLICA_MAX_LAG_BYTES", 16 * 1024 * 1024))
REPLICA_CHECK_SECONDS = float(os.environ.get("REPLICA_CHECK_SECONDS", 10))

_state = threading.local()


def replica_lag_bytes(primary: Any, replica: Any) -> int | None:
    """How many bytes of WAL the replica has still to replay, or None when ``replica``
    is not a standby (or cannot say). ``primary`` and ``replica`` are DB-API
    connections (Django's or psycopg2's)."""
    with replica.cursor() as cur:
        cur.execute("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
        in_recovery, replayed = cur.fetchone()
    if not in_recovery or replayed is None:
        return None
    with primary.cursor() as cur:
        cur.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", [replayed])
        (diff,) = cur.fetchone()
    return max(int(diff), 0)


def replica_usable() -> bool:
    """Whether report reads may go to the replica now (cached for a few seconds)."""
    if REPLICA not in connections.settings:
        return False
    now = time.monotonic()
    checked = getattr(_state, "checked", None)
    if checked is not None and now - checked[0] < REPLICA_CHECK_SECONDS:
        return bool(checked[1])
    try:
        lag = replica_lag_bytes(connections["default"], connections[REPLICA])
        usable = lag is not None and lag <= REPLICA_MAX_LAG_BYTES
        if not usable:
            log.warning("report replica not used: lag %s bytes", lag)
    except Exception:  # noqa: BLE001  (down or unreachable: read the primary)
        log.warning("report replica not reachable: reading the primary", exc_info=True)
        connections[REPLICA].close()
        usable = False
    _state.checked = (now, usable)
    return usable


def forget_replica_state() -> None:
    """Check the replica again on the next read (tests; after a failover)."""
    _state.checked = None


class ReportReplicaRouter:
    """Reads of the report tables from the replica; everything else on the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if model._meta.app_label not in REPORT_APPS:
            return None
        if connections["default"].in_atomic_block:
            return None
        return REPLICA if replica_usable() else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # one database and its copy: any relation is within it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # the replica follows the primary's schema by replication
