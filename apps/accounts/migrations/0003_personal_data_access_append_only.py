"""PostgreSQL guard: the personal-data access log refuses UPDATE and DELETE (the model
and its queryset refuse them too; SQLite relies on those alone)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION accounts_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the personal-data access log is append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_access_append_only
    BEFORE UPDATE OR DELETE ON accounts_personaldataaccess
    FOR EACH ROW EXECUTE FUNCTION accounts_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS accounts_access_append_only ON accounts_personaldataaccess;
DROP FUNCTION IF EXISTS accounts_refuse_change();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_personal_data_access")]
    operations = [migrations.RunPython(forward, backward)]
