"""The service records' statement-level key checks (0008) rewritten as points 0009
rewrites the ledger's (apps/core/references.py)."""

from django.db import migrations

from apps.core.references import Reference, replace_check_operations


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0010_single_site_lists"),
    ]

    operations = replace_check_operations(
        "volunteers_servicerecord",
        [
            Reference("volunteer_id", "volunteers_volunteer"),
            Reference("site_id", "sites_site"),
            Reference("recorded_by_id", "accounts_user"),
        ],
    )
