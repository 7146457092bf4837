"""Two ledger indexes the nightly settlement no longer maintains: spending by period covers only redemptions and refunds, the creator index only rows that have one (service credits have none)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('points', '0007_statement_level_references'),
        ('sites', '0003_site_escalation_minutes'),
        ('volunteers', '0008_statement_level_references'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='ledgertransaction',
            name='txn_kind_created_idx',
        ),
        migrations.AlterField(
            model_name='ledgertransaction',
            name='created_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='ledgertransaction',
            index=models.Index(condition=models.Q(('kind__in', ['redemption', 'refund'])), fields=['kind', 'created_at'], name='txn_spent_created_idx'),
        ),
        migrations.AddIndex(
            model_name='ledgertransaction',
            index=models.Index(condition=models.Q(('created_by__isnull', False)), fields=['created_by'], name='txn_created_by_idx'),
        ),
    ]
