"""Ledger verification: every cached balance equals the sum of its legs, every
transaction's legs sum to zero, and the whole ledger sums to zero."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from .models import Account, LedgerTransaction, Leg


@dataclass
class LedgerReport:
    accounts_checked: int = 0
    transactions_checked: int = 0
    ledger_total: int = 0
    balance_mismatches: list[tuple[int, int, int]] = field(default_factory=list)
    lifetime_mismatches: list[tuple[int, int, int]] = field(default_factory=list)
    unbalanced_transactions: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.balance_mismatches
            or self.lifetime_mismatches
            or self.unbalanced_transactions
            or self.ledger_total
        )


def verify_ledger(limit: int = 100) -> LedgerReport:
    """Three aggregate queries, whatever the size of the ledger (no rows in Python
    beyond the first ``limit`` mismatches of each kind)."""
    acc, leg, txn = Account._meta.db_table, Leg._meta.db_table, LedgerTransaction._meta.db_table
    report = LedgerReport()
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {acc}")
        report.accounts_checked = cur.fetchone()[0]
        cur.execute(f"SELECT COUNT(*), (SELECT COALESCE(SUM(amount), 0) FROM {leg}) FROM {txn}")
        report.transactions_checked, report.ledger_total = cur.fetchone()
        report.ledger_total = int(report.ledger_total)
        cur.execute(
            f"""
            SELECT a.id, a.balance, COALESCE(s.total, 0)
              FROM {acc} a LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM {leg}
                                      GROUP BY account_id) s ON s.account_id = a.id
             WHERE a.balance <> COALESCE(s.total, 0)
             ORDER BY a.id LIMIT %s""",
            [limit],
        )
        report.balance_mismatches = [(r[0], int(r[1]), int(r[2])) for r in cur.fetchall()]
        cur.execute(
            f"""
            SELECT a.id, a.lifetime_earned, COALESCE(s.total, 0)
              FROM {acc} a LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM {leg}
                                      WHERE amount > 0 AND kind IN ('service', 'activity')
                                      GROUP BY account_id) s ON s.account_id = a.id
             WHERE a.kind = 'volunteer' AND a.lifetime_earned <> COALESCE(s.total, 0)
             ORDER BY a.id LIMIT %s""",
            [limit],
        )
        report.lifetime_mismatches = [(r[0], int(r[1]), int(r[2])) for r in cur.fetchall()]
        cur.execute(
            f"""
            SELECT transaction_id, SUM(amount) FROM {leg}
             GROUP BY transaction_id HAVING SUM(amount) <> 0
             ORDER BY transaction_id LIMIT %s""",
            [limit],
        )
        report.unbalanced_transactions = [(r[0], int(r[1])) for r in cur.fetchall()]
    return report
