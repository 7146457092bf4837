"""The access log's key checks (0008) rewritten and their update guards remade, as points
0009 does for the ledger's (apps/core/references.py)."""

from django.db import migrations

from apps.core.references import Reference, upgrade_operations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_access_log_statement_references"),
    ]

    operations = upgrade_operations(
        "accounts_personaldataaccess",
        [
            Reference("viewer_id", "accounts_user"),
            Reference("subject_id", "accounts_user"),
        ],
    )
