"""What the database itself refuses: an unbalanced transaction (PostgreSQL statement-level
trigger over the inserted legs), any UPDATE or DELETE of ledger rows (PostgreSQL
triggers), a negative volunteer balance and a duplicate source key (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.points import ledger
from apps.points.models import Account, AccountKind, EntryKind, LedgerTransaction, Leg
from apps.points.verification import verify_ledger
from apps.volunteers.models import Volunteer

from .conftest import require_postgres


def write(legs: list[tuple[Account, int]], key: str) -> LedgerTransaction:
    """Rows written directly, as a buggy caller would, bypassing ``ledger.post``."""
    now = timezone.now()
    txn = LedgerTransaction.objects.create(
        kind=EntryKind.ADJUSTMENT, source_key=key, amount=max(a for _, a in legs), created_at=now
    )
    Leg.objects.bulk_create(
        [
            Leg(
                transaction=txn,
                account=acc,
                amount=amount,
                kind=EntryKind.ADJUSTMENT,
                created_at=now,
            )
            for acc, amount in legs
        ]
    )
    return txn


@pytest.fixture
def accounts(tree: Any, vol: Volunteer) -> tuple[Account, Account]:
    return ledger.volunteer_account(vol), ledger.site_account(tree.county, AccountKind.ISSUING)


@pytest.mark.postgres
def test_unbalanced_legs_are_refused_by_the_statement_trigger(
    accounts: tuple[Account, Account],
) -> None:
    require_postgres()
    vol_acc, issuing = accounts
    # Refused at the end of the INSERT itself, not at commit.
    with pytest.raises(IntegrityError, match="is unbalanced: legs sum to 5"), transaction.atomic():
        write([(vol_acc, 5)], "rogue:one-leg")
    with pytest.raises(IntegrityError, match="legs sum to 1"), transaction.atomic():
        write([(vol_acc, 5), (issuing, -4)], "rogue:off-by-one")
    assert not LedgerTransaction.objects.exists() and not Leg.objects.exists()


def raw_txn(cur: Any, key: str) -> int:
    cur.execute(
        "INSERT INTO points_ledgertransaction (kind, source_key, amount, memo, created_at)"
        " VALUES ('adjustment', %s, 5, '', now()) RETURNING id",
        [key],
    )
    return cur.fetchone()[0]


def raw_legs(cur: Any, legs: list[tuple[int, int, int]]) -> None:
    """One INSERT statement of (transaction id, account id, amount) legs, in raw SQL."""
    values = ", ".join(["(%s, %s, %s, 'adjustment', now())"] * len(legs))
    cur.execute(
        "INSERT INTO points_leg (transaction_id, account_id, amount, kind, created_at)"
        f" VALUES {values}",
        [v for leg in legs for v in leg],
    )


@pytest.mark.postgres
def test_raw_sql_unbalanced_inserts_are_refused(accounts: tuple[Account, Account]) -> None:
    """Behind the ORM's back, in plain SQL: one statement of several transactions'
    legs, one of them off by two, is refused whole; so is a transaction whose legs
    come in two statements (the first leaves it unbalanced); a balanced statement of
    several transactions passes."""
    require_postgres()
    vol_acc, issuing = accounts
    with (
        pytest.raises(IntegrityError, match=r"ledger transaction \d+ is unbalanced: legs sum to 2"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        good, bad = raw_txn(cur, "raw:good"), raw_txn(cur, "raw:bad")
        raw_legs(
            cur,
            [
                (good, vol_acc.pk, 5),
                (good, issuing.pk, -5),
                (bad, vol_acc.pk, 5),
                (bad, issuing.pk, -3),
            ],
        )
    with (
        pytest.raises(IntegrityError, match="legs sum to 5"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        split = raw_txn(cur, "raw:split")
        raw_legs(cur, [(split, vol_acc.pk, 5)])
        raw_legs(cur, [(split, issuing.pk, -5)])  # never reached
    with (
        pytest.raises(IntegrityError, match="legs sum to 4"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        # A later statement's legs must balance on their own: adding to a transaction
        # that already balances cannot unbalance it.
        first = raw_txn(cur, "raw:first")
        raw_legs(cur, [(first, vol_acc.pk, 5), (first, issuing.pk, -5)])
        raw_legs(cur, [(first, vol_acc.pk, 4)])
    assert not LedgerTransaction.objects.exists() and not Leg.objects.exists()

    with transaction.atomic(), connection.cursor() as cur:
        one, two = raw_txn(cur, "raw:one"), raw_txn(cur, "raw:two")
        raw_legs(
            cur,
            [
                (one, vol_acc.pk, 5),
                (two, vol_acc.pk, 7),
                (one, issuing.pk, -5),
                (two, issuing.pk, -7),
            ],
        )
    assert Leg.objects.count() == 4


@pytest.mark.postgres
def test_a_balanced_transaction_passes_the_trigger(accounts: tuple[Account, Account]) -> None:
    require_postgres()
    vol_acc, issuing = accounts
    with transaction.atomic():
        write([(vol_acc, 5), (issuing, -5)], "ok:balanced")
    assert Leg.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_unbalanced_transaction_never_commits(accounts: tuple[Account, Account]) -> None:
    require_postgres()
    vol_acc, issuing = accounts
    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        write([(vol_acc, 5), (issuing, -3)], "rogue:commit")
    assert not LedgerTransaction.objects.exists() and not Leg.objects.exists()
    # The service layer's balanced write commits.
    ledger.post(
        kind=EntryKind.ADJUSTMENT, source_key="ok:commit", legs=[(vol_acc, 5), (issuing, -5)]
    )
    assert Leg.objects.count() == 2 and verify_ledger().ok


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE points_leg SET amount = amount * 2",
        "UPDATE points_leg SET kind = 'refund'",
        "DELETE FROM points_leg",
        "UPDATE points_ledgertransaction SET memo = 'edited'",
        "DELETE FROM points_ledgertransaction WHERE id NOT IN (SELECT transaction_id FROM points_leg)",
    ],
)
def test_ledger_rows_cannot_be_updated_or_deleted(
    accounts: tuple[Account, Account], sql: str
) -> None:
    require_postgres()
    vol_acc, issuing = accounts
    ledger.post(kind=EntryKind.ADJUSTMENT, source_key="a", legs=[(vol_acc, 5), (issuing, -5)])
    # A transaction without legs, so the DELETE is not stopped by the foreign key first.
    LedgerTransaction.objects.create(
        kind=EntryKind.ADJUSTMENT, source_key="empty", amount=0, created_at=timezone.now()
    )
    before = sorted(Leg.objects.values_list("id", "amount", "kind"))
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(sql)
    assert sorted(Leg.objects.values_list("id", "amount", "kind")) == before
    assert LedgerTransaction.objects.count() == 2
    assert set(LedgerTransaction.objects.values_list("memo", flat=True)) == {""}


def test_a_volunteer_balance_cannot_go_negative_in_the_database(
    accounts: tuple[Account, Account],
) -> None:
    vol_acc, issuing = accounts
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=vol_acc.pk).update(balance=-1)
    # Site accounts may: the issuing account is where points come from.
    Account.objects.filter(pk=issuing.pk).update(balance=-1)
    # Through the ledger: an overdraw is refused by the same CHECK, nothing written.
    with pytest.raises(IntegrityError):
        ledger.post(
            kind=EntryKind.ADJUSTMENT, source_key="overdraw", legs=[(vol_acc, -1), (issuing, 1)]
        )
    assert not LedgerTransaction.objects.filter(source_key="overdraw").exists()
    vol_acc.refresh_from_db()
    assert vol_acc.balance == 0


def test_the_same_source_key_is_written_once(accounts: tuple[Account, Account]) -> None:
    vol_acc, issuing = accounts
    first, created = ledger.post(
        kind=EntryKind.ADJUSTMENT, source_key="once", legs=[(vol_acc, 5), (issuing, -5)]
    )
    again, created_again = ledger.post(
        kind=EntryKind.ADJUSTMENT, source_key="once", legs=[(vol_acc, 5), (issuing, -5)]
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(
            kind=EntryKind.ADJUSTMENT, source_key="once", amount=5, created_at=timezone.now()
        )
    vol_acc.refresh_from_db()
    assert vol_acc.balance == 5 and Leg.objects.count() == 2


def test_the_service_layer_never_writes_an_unbalanced_transaction(
    accounts: tuple[Account, Account],
) -> None:
    vol_acc, issuing = accounts
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post(kind=EntryKind.ADJUSTMENT, source_key="bad", legs=[(vol_acc, 5), (issuing, -4)])
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post(kind=EntryKind.ADJUSTMENT, source_key="zero", legs=[(vol_acc, 0), (issuing, 0)])
    assert not LedgerTransaction.objects.exists()
