"""The one place ledger rows are written.

``post`` writes a balanced transaction (legs summing to zero) and moves the cached
balances in the same database transaction. Callers that debit a volunteer hold that
volunteer's account row lock (``lock_volunteer_account``) so concurrent debits queue up
and the balance check sees the latest value; the CHECK constraint on the cached balance
is the last line of defence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from apps.sites.models import Site
from apps.volunteers.models import Volunteer

from .models import Account, AccountKind, EntryKind, LedgerTransaction, Leg

# Credits of these kinds count towards a volunteer's lifetime earned points.
EARNING_KINDS = frozenset({EntryKind.SERVICE, EntryKind.ACTIVITY})


class UnbalancedTransaction(ValueError):
    """A programming error: the service layer never writes an unbalanced transaction."""


def volunteer_account(volunteer: Volunteer | int) -> Account:
    vid = volunteer if isinstance(volunteer, int) else volunteer.pk
    account, _ = Account.objects.get_or_create(kind=AccountKind.VOLUNTEER, volunteer_id=vid)
    return account


def site_account(site: Site | int, kind: str) -> Account:
    sid = site if isinstance(site, int) else site.pk
    try:
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(kind=kind, site_id=sid)
    except IntegrityError:  # created concurrently: the unique index decided
        account = Account.objects.get(kind=kind, site_id=sid)
    return account


def lock_volunteer_account(volunteer: Volunteer | int) -> Account:
    """The volunteer's account, row-locked until the end of the caller's transaction."""
    account = volunteer_account(volunteer)
    return Account.objects.select_for_update().get(pk=account.pk)


def post(
    *,
    kind: str,
    source_key: str,
    legs: Sequence[tuple[Account, int]],
    created_by: Any = None,
    memo: str = "",
    volunteer: Volunteer | None = None,
    site: Site | None = None,
    order_id: int | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Write one balanced transaction; ``(existing, False)`` if ``source_key`` was
    written before (the unique index makes a second write impossible)."""
    if sum(amount for _, amount in legs) != 0 or any(amount == 0 for _, amount in legs):
        raise UnbalancedTransaction(f"{source_key}: legs must be non-zero and sum to zero")
    existing = LedgerTransaction.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    moved = sum(amount for _, amount in legs if amount > 0)
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                kind=kind,
                source_key=source_key,
                amount=moved,
                memo=memo[:300],
                volunteer=volunteer,
                site=site,
                order_id=order_id,
                created_by=created_by,
                created_at=now,
            )
            Leg.objects.bulk_create(
                [
                    Leg(transaction=txn, account=acc, amount=amount, kind=kind, created_at=now)
                    for acc, amount in legs
                ]
            )
            for account, amount in legs:
                earned = amount if (kind in EARNING_KINDS and amount > 0) else 0
                Account.objects.filter(pk=account.pk).update(
                    balance=F("balance") + amount,
                    lifetime_earned=F("lifetime_earned")
                    + Case(When(kind=AccountKind.VOLUNTEER, then=Value(earned)), default=Value(0)),
                )
    except IntegrityError:
        existing = LedgerTransaction.objects.filter(source_key=source_key).first()
        if existing is None:
            raise  # not a duplicate key: e.g. the balance CHECK refused an overdraw
        return existing, False
    return txn, True
