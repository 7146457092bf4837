"""The service records' key checks (0008) rewritten and their update guards remade, as
points 0009 does for the ledger's (apps/core/references.py)."""

from django.db import migrations

from apps.core.references import Reference, upgrade_operations


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0010_single_site_lists"),
    ]

    operations = upgrade_operations(
        "volunteers_servicerecord",
        [
            Reference("volunteer_id", "volunteers_volunteer"),
            Reference("site_id", "sites_site"),
            Reference("recorded_by_id", "accounts_user"),
        ],
    )
