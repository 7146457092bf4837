"""A GIN index of each name's one- and two-character pieces, for roster searches too
short for trigrams (most Chinese names have two or three characters). PostgreSQL only.

``portal_name_grams(t)`` is every substring of ``t`` one or two characters long, so
``portal_name_grams(UPPER(real_name)) @> ARRAY[UPPER(term)]`` holds exactly when the
name contains a one- or two-character ``term`` (what ``icontains`` means)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_name_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(array_agg(DISTINCT substr(t, i, n)), '{}')
      FROM generate_series(1, char_length(t)) AS i, generate_series(1, 2) AS n
     WHERE i + n - 1 <= char_length(t)
$$
"""
INDEX = (
    "CREATE INDEX IF NOT EXISTS vol_name_grams_idx ON volunteers_volunteer "
    "USING gin (portal_name_grams(UPPER(real_name::text)))"
)


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS vol_name_grams_idx")
        schema_editor.execute("DROP FUNCTION IF EXISTS portal_name_grams(text)")


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0006_volunteerevent_code")]

    operations = [migrations.RunPython(add, drop)]
