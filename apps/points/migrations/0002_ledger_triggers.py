"""PostgreSQL guards for the ledger (SQLite relies on the service layer alone):

* a deferred constraint trigger that refuses, at commit, any transaction whose legs do
  not sum to zero (the approach django-hordak takes);
* triggers that refuse UPDATE and DELETE on legs and ledger transactions: the ledger
  is append-only, corrections are new adjustment transactions.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION points_check_leg_balance() RETURNS trigger AS $$
DECLARE
    total bigint;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total FROM points_leg
     WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: legs sum to %',
            NEW.transaction_id, total USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER points_leg_balanced
    AFTER INSERT ON points_leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION points_check_leg_balance();

CREATE OR REPLACE FUNCTION points_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the points ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER points_leg_append_only
    BEFORE UPDATE OR DELETE ON points_leg
    FOR EACH ROW EXECUTE FUNCTION points_refuse_change();
CREATE TRIGGER points_txn_append_only
    BEFORE UPDATE OR DELETE ON points_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION points_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS points_txn_append_only ON points_ledgertransaction;
DROP TRIGGER IF EXISTS points_leg_append_only ON points_leg;
DROP FUNCTION IF EXISTS points_refuse_change();
DROP TRIGGER IF EXISTS points_leg_balanced ON points_leg;
DROP FUNCTION IF EXISTS points_check_leg_balance();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the SQL holds RAISE format '%'s, which must not be read as
        # placeholders (PostgreSQL's schema editor composes the SQL client-side).
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
