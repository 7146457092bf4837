"""The money tables' keys, checked per statement on PostgreSQL (apps/core/references.py)
instead of by foreign-key constraints: every key column of accounts, ledger
transactions, legs and service records refuses a missing parent (SQLSTATE 23503, as a
constraint would), on insert and on update; a parent still referenced cannot be
deleted; and the races a constraint's lock settles end the same way."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, connections, transaction

from apps.points import ledger
from apps.points.models import Account, AccountKind, LedgerTransaction
from apps.volunteers.models import ServiceRecord, Volunteer

from .conftest import require_postgres
from .factories import PointsVolunteerFactory

pytestmark = pytest.mark.postgres

MISSING = 2_000_000_000
# The tables whose keys are checked per statement, and the parents they refer to.
CHECKED_TABLES = [
    "points_account",
    "points_ledgertransaction",
    "points_leg",
    "volunteers_servicerecord",
    "accounts_personaldataaccess",
]
PARENT_TABLES = ["volunteers_volunteer", "sites_site", "accounts_user", "points_settlementrun"]


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(
        getattr(cause, "diag", None), "sqlstate", None
    )


def _wait_for_lock_wait(pid_holder: dict[str, int]) -> None:
    """Until the backend whose pid lands in ``pid_holder`` waits on a lock."""
    for _ in range(200):
        if "pid" in pid_holder:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                    [pid_holder["pid"]],
                )
                row = cur.fetchone()
            if row and row[0] == "Lock":
                return
        time.sleep(0.02)
    raise AssertionError("the second transaction never waited")


def _refused(sql: str, params: list[Any]) -> IntegrityError:
    with pytest.raises(IntegrityError) as info, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    assert _sqlstate(info.value) == "23503", info.value
    return info.value


@pytest.fixture
def book(tree: Any, vol: Volunteer) -> dict[str, Any]:
    require_postgres()
    vol_acc = ledger.volunteer_account(vol)
    issuing = ledger.site_account(tree.county, AccountKind.ISSUING)
    txn, _ = ledger.post(
        kind="adjustment",
        source_key="ref:seed",
        legs=[(vol_acc, 5), (issuing, -5)],
        volunteer=vol,
        site=tree.county,
    )
    return {"vol": vol, "vol_acc": vol_acc, "issuing": issuing, "txn": txn, "site": tree.county}


def test_every_key_of_a_ledger_transaction_refuses_a_missing_parent(book, cast) -> None:
    base = {"volunteer_id": book["vol"].pk, "site_id": book["site"].pk, "run_id": None}
    base["created_by_id"] = cast.county.pk
    for n, column in enumerate(["volunteer_id", "site_id", "run_id", "created_by_id"]):
        row = {**base, column: MISSING}
        err = _refused(
            "INSERT INTO points_ledgertransaction (kind, source_key, amount, memo, created_at,"
            " volunteer_id, site_id, run_id, created_by_id)"
            " VALUES ('adjustment', %s, 0, '', now(), %s, %s, %s, %s)",
            [f"ref:{n}", row["volunteer_id"], row["site_id"], row["run_id"], row["created_by_id"]],
        )
        assert column in str(err) and str(MISSING) in str(err)
    assert LedgerTransaction.objects.count() == 1


def test_legs_refuse_a_missing_transaction_account_or_run(book) -> None:
    txn, acc = book["txn"].pk, book["vol_acc"].pk
    cases = [(MISSING, acc, None), (txn, MISSING, None), (txn, acc, MISSING)]
    issuing = book["issuing"].pk
    for transaction_id, account_id, run_id in cases:
        # Two legs that balance, so only the bad key can be what is refused.
        _refused(
            "INSERT INTO points_leg (transaction_id, account_id, run_id, amount, kind, created_at)"
            " VALUES (%s, %s, %s, 1, 'adjustment', now()), (%s, %s, %s, -1, 'adjustment', now())",
            [transaction_id, account_id, run_id, transaction_id, issuing, run_id],
        )


def test_accounts_and_service_records_refuse_missing_parents(book, tree) -> None:
    _refused(
        "INSERT INTO points_account (kind, volunteer_id, balance, lifetime_earned, created_at)"
        " VALUES ('volunteer', %s, 0, 0, now())",
        [MISSING],
    )
    _refused(
        "INSERT INTO points_account (kind, site_id, balance, lifetime_earned, created_at)"
        " VALUES ('issuing', %s, 0, 0, now())",
        [MISSING],
    )
    record = "INSERT INTO volunteers_servicerecord (volunteer_id, site_id, recorded_by_id,"
    record += " service_date, title, hours, source_key, created_at)"
    record += " VALUES (%s, %s, %s, '2026-01-01', 't', 1, %s, now())"
    vol, site = book["vol"].pk, tree.village1.pk
    for n, (v, s, by) in enumerate(
        [(MISSING, site, None), (vol, MISSING, None), (vol, site, MISSING)]
    ):
        _refused(record, [v, s, by, f"ref:rec:{n}"])
    # One statement of many rows, one of them bad: refused whole.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO volunteers_servicerecord (volunteer_id, site_id, service_date, title,"
            " hours, source_key, created_at)"
            " SELECT CASE WHEN g = 7 THEN %s ELSE %s END, %s, '2026-01-01', 't', 1,"
            " 'ref:many:' || g, now() FROM generate_series(1, 10) g",
            [MISSING, vol, site],
        )
    assert not ServiceRecord.objects.exists()


def test_changing_a_key_to_a_missing_parent_is_refused(book) -> None:
    _refused(
        "UPDATE points_account SET volunteer_id = %s WHERE id = %s", [MISSING, book["vol_acc"].pk]
    )
    # Other updates of the same rows pass (the balance moves every night).
    Account.objects.filter(pk=book["vol_acc"].pk).update(lifetime_earned=7)


def test_a_referenced_parent_cannot_be_deleted(book, tree) -> None:
    err = _refused("DELETE FROM volunteers_volunteer WHERE id = %s", [book["vol"].pk])
    assert "still referenced" in str(err)
    _refused("DELETE FROM sites_site WHERE id = %s", [book["site"].pk])
    _refused("UPDATE volunteers_volunteer SET id = %s WHERE id = %s", [MISSING, book["vol"].pk])
    lonely = PointsVolunteerFactory(site=tree.village1)
    with connection.cursor() as cur:  # nothing refers to it: deleted as ever
        cur.execute("DELETE FROM volunteers_volunteer WHERE id = %s", [lonely.pk])
        assert cur.rowcount == 1
    assert Volunteer.objects.filter(pk=book["vol"].pk).exists()


@pytest.mark.django_db(transaction=True)
def test_insert_and_delete_racing_end_as_with_a_constraint(tree) -> None:
    """A deletes a volunteer and waits; B inserts a record for it (its check waits on
    A's row lock); A commits: B is refused. Then the other way round: B's record
    first, A's delete waits for B, B commits: A is refused."""
    require_postgres()
    victim = PointsVolunteerFactory(site=tree.village1)
    kept = PointsVolunteerFactory(site=tree.village1)
    insert = (
        "INSERT INTO volunteers_servicerecord (volunteer_id, site_id, service_date, title,"
        " hours, source_key, created_at) VALUES (%s, %s, '2026-01-01', 't', 1, %s, now())"
    )
    outcome: dict[str, Any] = {}

    def in_thread(name: str, work: Any, started: threading.Event | None = None) -> threading.Thread:
        def run() -> None:
            try:
                with transaction.atomic(), connection.cursor() as cur:
                    work(cur, started)
                outcome[name] = "ok"
            except IntegrityError as exc:
                outcome[name] = _sqlstate(exc)
            finally:
                connections.close_all()

        t = threading.Thread(target=run)
        t.start()
        return t

    poll = _wait_for_lock_wait

    # 1. delete first
    deleted, go = threading.Event(), threading.Event()
    pid: dict[str, int] = {}

    def delete_then_wait(cur: Any, _: Any) -> None:
        cur.execute("DELETE FROM volunteers_volunteer WHERE id = %s", [victim.pk])
        deleted.set()
        go.wait(10)

    def insert_record(cur: Any, _: Any) -> None:
        cur.execute("SELECT pg_backend_pid()")
        pid["pid"] = cur.fetchone()[0]
        cur.execute(insert, [victim.pk, tree.village1.pk, "race:1"])

    a = in_thread("a1", delete_then_wait)
    deleted.wait(10)
    b = in_thread("b1", insert_record)
    poll(pid)
    go.set()
    a.join(10)
    b.join(10)
    assert outcome == {"a1": "ok", "b1": "23503"}

    # 2. insert first
    inserted, go2 = threading.Event(), threading.Event()
    pid2: dict[str, int] = {}

    def insert_then_wait(cur: Any, _: Any) -> None:
        cur.execute(insert, [kept.pk, tree.village1.pk, "race:2"])
        inserted.set()
        go2.wait(10)

    def delete_volunteer(cur: Any, _: Any) -> None:
        cur.execute("SELECT pg_backend_pid()")
        pid2["pid"] = cur.fetchone()[0]
        cur.execute("DELETE FROM volunteers_volunteer WHERE id = %s", [kept.pk])

    b = in_thread("b2", insert_then_wait)
    inserted.wait(10)
    a = in_thread("a2", delete_volunteer)
    poll(pid2)
    go2.set()
    b.join(10)
    a.join(10)
    assert outcome["b2"] == "ok" and outcome["a2"] == "23503"
    assert ServiceRecord.objects.filter(volunteer=kept).count() == 1
    assert not Volunteer.objects.filter(pk=victim.pk).exists()


@pytest.mark.django_db
def test_no_foreign_key_constraints_left_on_the_checked_tables() -> None:
    """The checks replace the constraints (not both: that would pay twice), and every
    key column the models declare is covered by a check trigger."""
    require_postgres()
    tables = CHECKED_TABLES
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        assert cur.fetchall() == []
        for table in tables:
            cur.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [f"portal_refs_{table}"])
            source = cur.fetchone()[0]
            model = next(m for m in apps.get_models() if m._meta.db_table == table)
            for field in model._meta.concrete_fields:
                if field.is_relation:
                    assert f"n.{field.column}" in source, (table, field.column)


def test_the_access_log_refuses_missing_users_and_keeps_them(tree, cast) -> None:
    """The personal-data access log (accounts 0008) is checked the same way."""
    require_postgres()
    insert = (
        "INSERT INTO accounts_personaldataaccess (viewer_id, subject_id, subject_label,"
        " field, source, created_at) VALUES (%s, %s, '', 'mobile', '/', now())"
    )
    _refused(insert, [MISSING, cast.res1.pk])
    _refused(insert, [cast.county.pk, MISSING])
    with connection.cursor() as cur:
        cur.execute(insert, [cast.county.pk, None])  # no account of their own: allowed
        cur.execute(insert, [cast.county.pk, cast.res1.pk])
    err = _refused("DELETE FROM accounts_user WHERE id = %s", [cast.res1.pk])
    assert "still referenced" in str(err)
    _refused("DELETE FROM accounts_user WHERE id = %s", [cast.county.pk])


@pytest.mark.django_db(transaction=True)
def test_a_parent_written_by_the_inserting_transaction_is_not_locked_again_and_still_kept(
    tree,
) -> None:
    """The check locks no parent row version this transaction wrote itself (the
    settlement updates the volunteers it credits before its ledger's checks run): such a
    row is already held. A delete by someone else still waits for the writer and is
    refused once the record is committed."""
    require_postgres()
    kept = PointsVolunteerFactory(site=tree.village1)
    insert = (
        "INSERT INTO volunteers_servicerecord (volunteer_id, site_id, service_date, title,"
        " hours, source_key, created_at) VALUES (%s, %s, '2026-01-01', 't', 1, %s, now())"
    )
    outcome: dict[str, Any] = {}
    written, go = threading.Event(), threading.Event()
    pid: dict[str, int] = {}

    def writer() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("UPDATE volunteers_volunteer SET hours = 1 WHERE id = %s", [kept.pk])
                cur.execute(insert, [kept.pk, tree.village1.pk, "own:1"])
                # What the check relies on to skip the lock: the row version it finds
                # was written by this (top-level) transaction.
                cur.execute(
                    "SELECT xmin::text::bigint = pg_current_xact_id()::text::bigint"
                    " %% 4294967296 FROM volunteers_volunteer WHERE id = %s",
                    [kept.pk],
                )
                outcome["own_version"] = cur.fetchone()[0]
                written.set()
                go.wait(10)
            outcome["writer"] = "ok"
        finally:
            connections.close_all()

    def deleter() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid["pid"] = cur.fetchone()[0]
                cur.execute("DELETE FROM volunteers_volunteer WHERE id = %s", [kept.pk])
            outcome["deleter"] = "ok"
        except IntegrityError as exc:
            outcome["deleter"] = _sqlstate(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=writer)
    a.start()
    written.wait(10)
    assert outcome["own_version"] is True
    b = threading.Thread(target=deleter)
    b.start()
    _wait_for_lock_wait(pid)
    go.set()
    a.join(10)
    b.join(10)
    assert outcome["writer"] == "ok" and outcome["deleter"] == "23503"
    assert ServiceRecord.objects.filter(volunteer=kept).count() == 1
    connections.close_all()


@pytest.mark.django_db
def test_no_before_update_row_triggers_on_the_parents_and_children() -> None:
    """A BEFORE UPDATE row trigger makes PostgreSQL lock every updated row first, and
    the volunteers' hours and the accounts' balances are updated by the hundred
    thousand each night: the guards are AFTER … WHEN row triggers."""
    require_postgres()
    tables = [*CHECKED_TABLES, *PARENT_TABLES]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
            " WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY(%s)"
            # tgtype bits: 1 row, 2 before, 16 update
            " AND tgtype & 1 = 1 AND tgtype & 2 = 2 AND tgtype & 16 = 16"
            " AND tgname LIKE 'portal_ref%%'",
            [tables],
        )
        assert cur.fetchall() == []
        cur.execute(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'portal_ref%%'"
            " AND tgtype & 16 = 16 AND tgtype & 1 = 1 AND tgqual IS NOT NULL"
        )
        assert cur.fetchone()[0] >= 10  # the key guards and the children's checks, with WHEN


@pytest.mark.django_db(transaction=True)
def test_updating_a_volunteer_writes_no_row_lock(tree) -> None:
    """The night's hours update writes one WAL record per volunteer (the update), not
    a row lock before it (``pg_walinspect`` reads the records of this database)."""
    require_postgres()
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_walinspect'")
        if not cur.fetchone():
            pytest.skip("pg_walinspect is not installed on this server")
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    vol = PointsVolunteerFactory(site=tree.village1)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT dattablespace FROM pg_database WHERE datname = current_database()),"
            " (SELECT oid FROM pg_database WHERE datname = current_database()),"
            " pg_relation_filenode('volunteers_volunteer')"
        )
        rel = "/".join(str(part) for part in cur.fetchone())
        cur.execute("SELECT pg_current_wal_lsn()")
        start = cur.fetchone()[0]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE volunteers_volunteer SET hours = hours + 1 WHERE id = %s", [vol.pk])
    with connection.cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()")
        end = cur.fetchone()[0]
        cur.execute(
            "SELECT record_type FROM pg_get_wal_records_info(%s, %s)"
            " WHERE resource_manager = 'Heap' AND block_ref LIKE %s",
            [start, end, f"%rel {rel} %"],
        )
        kinds = [row[0] for row in cur.fetchall()]
    assert kinds and "LOCK" not in kinds, kinds
    assert any(k in ("HOT_UPDATE", "UPDATE") for k in kinds), kinds
