"""The ledger's keys checked once per statement on PostgreSQL instead of by
constraints (apps/core/references.py): accounts, transactions and legs, which the
nightly settlement writes by the hundred thousand. Legs do not lock their transaction:
ledger transactions are append-only (0002 refuses DELETE), so it cannot go away."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from apps.core.references import Reference, database_operations


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0006_drop_source_key_pattern_index"),
        ("sites", "0003_site_escalation_minutes"),
        ("volunteers", "0007_name_grams_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="account",
                    name="site",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="points_accounts",
                        to="sites.site",
                    ),
                ),
                migrations.AlterField(
                    model_name="account",
                    name="volunteer",
                    field=models.OneToOneField(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="points_account",
                        to="volunteers.volunteer",
                    ),
                ),
                migrations.AlterField(
                    model_name="ledgertransaction",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="ledgertransaction",
                    name="run",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transactions",
                        to="points.settlementrun",
                    ),
                ),
                migrations.AlterField(
                    model_name="ledgertransaction",
                    name="site",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="sites.site",
                    ),
                ),
                migrations.AlterField(
                    model_name="ledgertransaction",
                    name="volunteer",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="volunteers.volunteer",
                    ),
                ),
                migrations.AlterField(
                    model_name="leg",
                    name="account",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="legs",
                        to="points.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="leg",
                    name="run",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="points.settlementrun",
                    ),
                ),
                migrations.AlterField(
                    model_name="leg",
                    name="transaction",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="legs",
                        to="points.ledgertransaction",
                    ),
                ),
            ],
            database_operations=[
                *database_operations(
                    "points_account",
                    [
                        Reference("volunteer_id", "volunteers_volunteer"),
                        Reference("site_id", "sites_site"),
                    ],
                ),
                *database_operations(
                    "points_ledgertransaction",
                    [
                        Reference("volunteer_id", "volunteers_volunteer"),
                        Reference("site_id", "sites_site"),
                        Reference("run_id", "points_settlementrun"),
                        Reference("created_by_id", "accounts_user"),
                    ],
                ),
                *database_operations(
                    "points_leg",
                    [
                        Reference("transaction_id", "points_ledgertransaction", lock=False),
                        Reference("account_id", "points_account"),
                        Reference("run_id", "points_settlementrun"),
                    ],
                ),
            ],
        ),
    ]
