from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.points.verification import verify_ledger


class Command(BaseCommand):
    help = "核对积分账本：每个账户的缓存余额等于分录合计，每笔流水借贷平衡，全账合计为零。"

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_ledger()
        self.stdout.write(
            f"账户 {report.accounts_checked} 个，流水 {report.transactions_checked} 笔，"
            f"全账合计 {report.ledger_total}"
        )
        for account_id, cached, actual in report.balance_mismatches:
            self.stderr.write(f"账户 {account_id}: 缓存余额 {cached} ≠ 分录合计 {actual}")
        for account_id, cached, actual in report.lifetime_mismatches:
            self.stderr.write(f"账户 {account_id}: 累计获得 {cached} ≠ 分录合计 {actual}")
        for txn_id, total in report.unbalanced_transactions:
            self.stderr.write(f"流水 {txn_id}: 借贷不平衡，合计 {total}")
        if report.ledger_total:
            self.stderr.write(f"全账合计应为 0，实为 {report.ledger_total}")
        if not report.ok:
            raise CommandError("积分账本核对未通过。")
        self.stdout.write(self.style.SUCCESS("积分账本核对通过。"))
