"""The statement-level key checks (0007) rewritten: one pass over the parent per key, in
key order, and no row lock on a parent row version this transaction wrote itself; the
update guards made ``AFTER … WHEN`` row triggers, so that updating an account or a
volunteer no longer locks the row first (apps/core/references.py)."""

from django.db import migrations

from apps.core.references import Reference, upgrade_operations


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0008_partial_ledger_indexes"),
    ]

    operations = [
        *upgrade_operations(
            "points_account",
            [
                Reference("volunteer_id", "volunteers_volunteer"),
                Reference("site_id", "sites_site"),
            ],
        ),
        *upgrade_operations(
            "points_ledgertransaction",
            [
                Reference("volunteer_id", "volunteers_volunteer"),
                Reference("site_id", "sites_site"),
                Reference("run_id", "points_settlementrun"),
                Reference("created_by_id", "accounts_user"),
            ],
        ),
        *upgrade_operations(
            "points_leg",
            [
                Reference("transaction_id", "points_ledgertransaction", lock=False),
                Reference("account_id", "points_account"),
                Reference("run_id", "points_settlementrun"),
            ],
        ),
    ]
