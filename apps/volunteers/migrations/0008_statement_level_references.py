"""Service records' keys checked once per statement on PostgreSQL instead of by
constraints (apps/core/references.py; the settlement writes 120,000 a night)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from apps.core.references import Reference, database_operations


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0003_site_escalation_minutes"),
        ("volunteers", "0007_name_grams_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="servicerecord",
                    name="recorded_by",
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
                    model_name="servicerecord",
                    name="site",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="sites.site",
                        verbose_name="服务阵地",
                    ),
                ),
                migrations.AlterField(
                    model_name="servicerecord",
                    name="volunteer",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="records",
                        to="volunteers.volunteer",
                    ),
                ),
            ],
            database_operations=[
                *database_operations(
                    "volunteers_servicerecord",
                    [
                        Reference("volunteer_id", "volunteers_volunteer"),
                        Reference("site_id", "sites_site"),
                        Reference("recorded_by_id", "accounts_user"),
                    ],
                ),
            ],
        ),
    ]
