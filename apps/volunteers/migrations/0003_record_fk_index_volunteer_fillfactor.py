"""Cheaper nightly hours (PostgreSQL; issue #13):

* ``volunteers_volunteer`` leaves 20 % of each heap page free (``fillfactor = 80``), so
  the settlement's nightly update of the served volunteers' hours can be a HOT update
  (the new row version on the same page; ``hours`` is not indexed and the star level
  rarely changes) instead of a new entry in each of the table's fifteen indexes. The
  setting applies to pages written from now on; an existing table gets it throughout
  when rewritten once (``VACUUM FULL volunteers_volunteer`` or pg_repack).
* the service record's volunteer foreign key loses its own index: ``rec_vol_date_idx``
  (volunteer, service_date) leads with the same column.

Reversible: backwards resets the fillfactor and recreates the index.
"""

import django.db.models.deletion
from django.db import migrations, models


def fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE volunteers_volunteer SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE volunteers_volunteer RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0002_scale_indexes")]

    operations = [
        migrations.AlterField(
            model_name="servicerecord",
            name="volunteer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="records",
                to="volunteers.volunteer",
            ),
        ),
        migrations.RunPython(fillfactor, reset_fillfactor),
    ]
