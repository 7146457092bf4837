"""The access log's statement-level key checks (0008) rewritten as points 0009 rewrites
the ledger's (apps/core/references.py)."""

from django.db import migrations

from apps.core.references import Reference, replace_check_operations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_access_log_statement_references"),
    ]

    operations = replace_check_operations(
        "accounts_personaldataaccess",
        [
            Reference("viewer_id", "accounts_user"),
            Reference("subject_id", "accounts_user"),
        ],
    )
