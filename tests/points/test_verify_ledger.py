"""``manage.py verify_ledger``: passes on a consistent ledger, fails on any mismatch."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from apps.points import services
from apps.points.models import Account, AccountKind, EntryKind, LedgerTransaction, Leg
from apps.points.settlement import settle
from apps.points.verification import verify_ledger
from apps.volunteers.models import Volunteer

from .factories import assessed_order, local


@pytest.fixture
def ledger(
    tree: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, item: Any, reward: Any
) -> dict[str, Any]:
    """A ledger with every kind of movement: settlement, adjustment, redemption, refund."""
    assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=tree.town1,
        assessed_at=local(2024, 3, 1, 15),
        hours=[(vol, "3"), (vol_b, "2")],
    )
    settle(dt.date(2024, 3, 1))
    services.points_adjust(actor=cast.county, volunteer=vol_b, amount=5, reason="补记")
    soap = reward(points_cost=8)
    kept, _ = services.reward_redeem(actor=cast.vol1, reward_id=soap.pk)
    services.redemption_hand_over(actor=cast.town1, redemption_id=kept.pk)
    back, _ = services.reward_redeem(actor=cast.vol1, reward_id=soap.pk)
    services.redemption_cancel(actor=cast.vol1, redemption_id=back.pk)
    assert set(LedgerTransaction.objects.values_list("kind", flat=True)) == set(
        EntryKind.values
    ) - {EntryKind.ACTIVITY}
    return {"vol_account": Account.objects.get(volunteer=vol)}


def run_verify() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_ledger", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_passes_on_a_consistent_ledger(ledger: dict[str, Any]) -> None:
    out, err = run_verify()
    accounts = Account.objects.count()
    txns = LedgerTransaction.objects.count()
    assert f"账户 {accounts} 个，流水 {txns} 笔，全账合计 0" in out
    assert "积分账本核对通过" in out
    assert err == ""
    report = verify_ledger()
    assert report.ok and report.accounts_checked == accounts >= 5


def test_fails_when_a_cached_balance_is_tampered_with(ledger: dict[str, Any]) -> None:
    acc = ledger["vol_account"]
    with connection.cursor() as cur:  # accounts are not append-only, on either database
        cur.execute(
            f"UPDATE {Account._meta.db_table} SET balance = balance + 7 WHERE id = %s", [acc.pk]
        )
    err = StringIO()
    with pytest.raises(CommandError, match="核对未通过"):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)
    assert f"账户 {acc.pk}: 缓存余额 {acc.balance + 7} ≠ 分录合计 {acc.balance}" in err.getvalue()
    assert verify_ledger().balance_mismatches == [(acc.pk, acc.balance + 7, acc.balance)]


def test_fails_when_lifetime_earned_is_tampered_with(ledger: dict[str, Any]) -> None:
    acc = ledger["vol_account"]
    Account.objects.filter(pk=acc.pk).update(lifetime_earned=acc.lifetime_earned - 1)
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())
    report = verify_ledger()
    assert report.balance_mismatches == []
    assert report.lifetime_mismatches == [(acc.pk, acc.lifetime_earned - 1, acc.lifetime_earned)]


def test_fails_on_an_unbalanced_transaction(ledger: dict[str, Any], tree: Any) -> None:
    # Written behind the service layer's back, in a savepoint rolled back at the end. On
    # PostgreSQL the balance trigger refuses it at the INSERT, so it is switched off
    # inside the savepoint (the ALTER rolls back with it): what verify_ledger must catch
    # is a ledger that got unbalanced some other way (triggers disabled, a restore).
    acc = ledger["vol_account"]
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                # (The ALTER needs no pending deferred checks: the fixture's are run now.)
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("ALTER TABLE points_leg DISABLE TRIGGER points_leg_balanced")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")
        txn = LedgerTransaction.objects.create(
            kind=EntryKind.ADJUSTMENT, source_key="rogue:1", amount=3, created_at=now
        )
        Leg.objects.create(
            transaction=txn, account=acc, amount=3, kind=EntryKind.ADJUSTMENT, created_at=now
        )
        Account.objects.filter(pk=acc.pk).update(balance=acc.balance + 3)  # cache "consistent"
        err = StringIO()
        with pytest.raises(CommandError):
            call_command("verify_ledger", stdout=StringIO(), stderr=err)
        report = verify_ledger()
        transaction.set_rollback(True)
    assert f"流水 {txn.pk}: 借贷不平衡，合计 3" in err.getvalue()
    assert "全账合计应为 0，实为 3" in err.getvalue()
    assert report.unbalanced_transactions == [(txn.pk, 3)] and report.ledger_total == 3
    assert report.balance_mismatches == []
    assert verify_ledger().ok  # rolled back


def test_an_empty_ledger_passes(db: Any) -> None:
    out, _ = run_verify()
    assert "账户 0 个，流水 0 笔，全账合计 0" in out and "核对通过" in out


def test_issuing_accounts_carry_the_negative_side(ledger: dict[str, Any], tree: Any) -> None:
    town1_issuing = Account.objects.get(kind=AccountKind.ISSUING, site=tree.town1)
    assert town1_issuing.balance == -50
    assert sum(Account.objects.values_list("balance", flat=True)) == 0
