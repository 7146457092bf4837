"""Drop the ``varchar_pattern_ops`` index Django adds beside a unique CharField's own
index on PostgreSQL (for ``LIKE 'prefix%'`` lookups): nothing queries source keys by
prefix, and the nightly settlement would maintain it for every credit (issue #13).
The unique index stays. Reversible: backwards recreates it under the same name."""

from django.db import migrations

INDEX = "points_ledgertransaction_source_key_085ee27b_like"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "points_ledgertransaction" '
            '("source_key" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("points", "0005_drop_redundant_fk_indexes")]
    operations = [migrations.RunPython(forward, backward)]
