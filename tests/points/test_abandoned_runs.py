"""A settlement run whose process dies is seen as dead by its lock, not by its age.

A real process runs the settlement against the test database and is killed with
SIGKILL in the middle of its transaction. Until it dies its run is "running" and nothing
marks it; once it is gone PostgreSQL has dropped its session lock, the settlements page
(or the next run) marks the row abandoned, and the rerun settles the date as one clean
run would. PostgreSQL only: the lock is a PostgreSQL advisory lock."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from apps.points.models import LedgerTransaction, SettlementRun, SettlementStatus
from apps.points.settlement import abandon_dead_runs, settle
from apps.volunteers.models import Volunteer

from .conftest import balance, require_postgres
from .factories import assessed_order, local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2024, 3, 1)

# Settles DAY and stops for good inside the transaction, after the credits are written
# (step 4), printing "paused" so the test knows when to kill it.
SCRIPT = """
import datetime as dt, sys, time
import django
django.setup()
from apps.points.settlement import settle

def on_step(n, total, label):
    if n == 4:
        print("paused", flush=True)
        time.sleep(600)

settle(dt.date(2024, 3, 1), on_step=on_step)
"""


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_settlement() -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "practice_portal.settings",
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "paused", line + proc.stdout.read()
    return proc


@pytest.fixture
def assessed(tree: Any, cast: Any, vol: Volunteer, item: Any) -> Any:
    return assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_by=cast.town1,
        assessed_at=local(2024, 3, 1, 15),
        assessed_site=tree.town1,
        hours=[(vol, "2.5")],
        checked_in_at=local(2024, 3, 1, 9),
    )


def test_a_killed_run_is_marked_abandoned_and_the_rerun_settles(
    assessed: Any, vol: Volunteer, cast: Any, login_as: Any
) -> None:
    require_postgres()
    proc = start_settlement()
    try:
        run = SettlementRun.objects.get(settlement_date=DAY)
        assert run.status == SettlementStatus.RUNNING
        # Alive: its lock is held, so neither a probe nor the page marks it.
        assert abandon_dead_runs() == 0
        page = login_as(cast.county).get("/points/settlements/").content.decode()
        assert "进行中" in page
        run.refresh_from_db()
        assert run.status == SettlementStatus.RUNNING
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    # PostgreSQL ends the dead client's backend (and its lock) as soon as it reads EOF.
    deadline = time.monotonic() + 20
    html = ""
    while time.monotonic() < deadline:
        html = login_as(cast.county).get("/points/settlements/").content.decode()
        run.refresh_from_db()
        if run.status != SettlementStatus.RUNNING:
            break
        time.sleep(0.2)
    assert run.status == SettlementStatus.ABANDONED
    assert run.finished_at is not None and "中断" in run.error
    assert "已中断" in html
    assert LedgerTransaction.objects.count() == 0  # its transaction rolled back

    rerun = settle(DAY)
    assert rerun.status == SettlementStatus.SUCCEEDED
    assert rerun.entries_created == 1
    assert balance(vol) == 25  # 2.5 h × 10 points, once
    assert SettlementRun.objects.filter(status=SettlementStatus.RUNNING).count() == 0


def run_lock_held(run_id: int) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
            " AND objid = %s AND database = (SELECT oid FROM pg_database"
            " WHERE datname = current_database())",
            [5_310_002, run_id],
        )
        return bool(cur.fetchone()[0])


def test_the_next_run_marks_a_dead_run_before_it_starts(assessed: Any, vol: Volunteer) -> None:
    require_postgres()
    proc = start_settlement()
    dead = SettlementRun.objects.get(settlement_date=DAY)
    assert run_lock_held(dead.pk)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while run_lock_held(dead.pk):
        assert time.monotonic() < deadline, "the dead run's backend kept its lock"
        time.sleep(0.1)

    rerun = settle(DAY)  # finds the dead run first
    assert rerun.status == SettlementStatus.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == SettlementStatus.ABANDONED
    assert balance(vol) == 25


def test_a_run_that_finished_leaves_no_lock_behind(assessed: Any) -> None:
    require_postgres()
    run = settle(DAY)
    assert run.status == SettlementStatus.SUCCEEDED
    assert not run_lock_held(run.pk)
