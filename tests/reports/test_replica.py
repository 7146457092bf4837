"""Report reads from a streaming replica: the router, and the lag check against a real
replica — a private primary started with ``initdb`` and a standby made from it with
``pg_basebackup`` (ports 55451/55452, in a temporary directory), never the server the
tests use."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from apps.orders.models import ServiceOrder
from apps.reports import routers
from apps.reports.models import SiteDailyStat

PRIMARY_PORT, REPLICA_PORT, DEAD_PORT = 55451, 55452, 55459
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _pg(*args: str, **kw) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool as the ``postgres`` user when we are root (initdb refuses)."""
    cmd = [str(PG_BIN / args[0]), *args[1:]]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def _connect(port: int):
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def pair():
    if not (PG_BIN / "initdb").exists() or not shutil.which("runuser"):
        pytest.skip("PostgreSQL 15 server binaries are not installed here")
    root = Path(tempfile.mkdtemp(prefix="portal-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    primary, replica = root / "primary", root / "replica"
    started = []
    try:
        _pg("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {PRIMARY_PORT}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{root}'\nwal_level = replica\n"
                "max_wal_senders = 4\nfsync = off\n"
            )
        _pg("pg_ctl", "-D", str(primary), "-l", str(root / "primary.log"), "-w", "start")
        started.append(primary)
        _pg(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(PRIMARY_PORT), "-U", "postgres",
            "-D", str(replica), "-R", "-X", "stream",
        )  # fmt: skip
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"port = {REPLICA_PORT}\n")
        _pg("pg_ctl", "-D", str(replica), "-l", str(root / "replica.log"), "-w", "start")
        started.append(replica)
        yield _connect(PRIMARY_PORT), _connect(REPLICA_PORT)
    finally:
        for data in reversed(started):
            _pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _wait(fn, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_lag_of_a_real_replica(pair):
    primary, replica = pair
    with primary.cursor() as cur:
        cur.execute("CREATE TABLE probe (n int)")
        cur.execute("INSERT INTO probe VALUES (42)")

    def replicated():
        with replica.cursor() as cur:
            cur.execute("SELECT to_regclass('probe') IS NOT NULL")
            return cur.fetchone()[0]

    assert _wait(replicated), "the replica never replayed the primary's table"
    assert _wait(lambda: routers.replica_lag_bytes(primary, replica) == 0)
    # The primary is not a standby: no lag to speak of, never "usable" as a replica.
    assert routers.replica_lag_bytes(primary, primary) is None

    # Replay paused while the primary writes ~30 MB of WAL: the replica is behind.
    with replica.cursor() as cur:
        cur.execute("SELECT pg_wal_replay_pause()")
    with primary.cursor() as cur:
        cur.execute(
            "CREATE TABLE bulk AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 120000) g"
        )
    lag = _wait(
        lambda: (routers.replica_lag_bytes(primary, replica) or 0) > routers.REPLICA_MAX_LAG_BYTES
    )
    assert lag, routers.replica_lag_bytes(primary, replica)
    with replica.cursor() as cur:
        cur.execute("SELECT pg_wal_replay_resume()")
    assert _wait(lambda: routers.replica_lag_bytes(primary, replica) == 0)
    with replica.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM bulk")
        assert cur.fetchone()[0] == 120000


@pytest.fixture
def replica_alias():
    """A ``replica`` database alias for the duration of a test (then removed)."""
    added = routers.REPLICA not in connections.settings

    def point_at(port: int) -> None:
        connections.settings[routers.REPLICA] = {
            **connections.settings["default"],
            "NAME": "postgres",
            "HOST": "127.0.0.1",
            "PORT": port,
            "TEST": {"MIRROR": "default"},
        }
        if hasattr(connections._connections, routers.REPLICA):
            delattr(connections._connections, routers.REPLICA)
        routers.forget_replica_state()

    yield point_at
    if added:
        if hasattr(connections._connections, routers.REPLICA):
            getattr(connections._connections, routers.REPLICA).close()
            delattr(connections._connections, routers.REPLICA)
        connections.settings.pop(routers.REPLICA, None)
    routers.forget_replica_state()


def test_router_sends_report_reads_only(monkeypatch):
    router = routers.ReportReplicaRouter()
    monkeypatch.setattr(routers, "replica_usable", lambda: True)
    assert router.db_for_read(SiteDailyStat) == "replica"
    assert router.db_for_read(ServiceOrder) is None
    assert router.db_for_write(SiteDailyStat) is None
    assert router.allow_migrate("replica", "reports") is False
    assert router.allow_migrate("default", "reports") is True
    monkeypatch.setattr(routers, "replica_usable", lambda: False)
    assert router.db_for_read(SiteDailyStat) is None  # lagging or down: the primary


@pytest.mark.django_db
def test_reads_in_a_transaction_stay_on_the_primary(monkeypatch):
    monkeypatch.setattr(routers, "replica_usable", lambda: True)
    with transaction.atomic():
        assert routers.ReportReplicaRouter().db_for_read(SiteDailyStat) is None


@pytest.mark.django_db
def test_unreachable_replica_is_not_used(replica_alias):
    if connection.vendor != "postgresql":
        pytest.skip("the replica is a PostgreSQL feature")
    replica_alias(DEAD_PORT)  # nothing listens there
    assert routers.replica_usable() is False
    assert routers.ReportReplicaRouter().db_for_read(SiteDailyStat) is None


def test_without_a_replica_setting_nothing_changes():
    if routers.REPLICA in connections.settings:
        pytest.skip("DATABASE_REPLICA_URL is set for this run")
    assert routers.replica_usable() is False
