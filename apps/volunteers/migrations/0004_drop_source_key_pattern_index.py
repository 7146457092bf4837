"""Drop the ``varchar_pattern_ops`` index Django adds beside a unique CharField's own
index on PostgreSQL (for ``LIKE 'prefix%'`` lookups): nothing queries source keys by
prefix, and the nightly settlement would maintain it for every service record (issue #13).
The unique index stays. Reversible: backwards recreates it under the same name."""

from django.db import migrations

INDEX = "volunteers_servicerecord_source_key_6c2a305d_like"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "volunteers_servicerecord" '
            '("source_key" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0003_record_fk_index_volunteer_fillfactor")]
    operations = [migrations.RunPython(forward, backward)]
