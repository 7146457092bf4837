"""The ledger's balance check per statement instead of per leg (PostgreSQL).

0002 refused an unbalanced transaction with a deferred constraint trigger that fired
once per inserted leg at commit, each firing summing that leg's transaction again: for
the 240,000 legs of a county's nightly settlement, 240,000 queries at commit (about
10 s of the 33 s run, docs/performance.md).

Every writer inserts all the legs of a transaction in one statement (``ledger.post``
with one ``bulk_create``; the settlement with one ``INSERT … SELECT``), so the check
can run once per statement, over the statement's transition table: every transaction
whose legs the statement inserted must have them sum to zero. Legs are append-only
(0002's triggers refuse UPDATE and DELETE), so a transaction's earlier legs already
summed to zero when their own statement ended; new legs that sum to zero keep the
whole transaction at zero. The check is now immediate (at the end of the statement,
not at commit) and a transaction's legs can no longer be split over two statements
that only balance together: stricter than before, never looser.

Reversible: backwards restores 0002's deferred per-leg constraint trigger.
"""

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS points_leg_balanced ON points_leg;
DROP FUNCTION IF EXISTS points_check_leg_balance();

CREATE OR REPLACE FUNCTION points_check_leg_balance_stmt() RETURNS trigger AS $$
DECLARE
    bad_txn bigint;
    total numeric;
BEGIN
    SELECT n.transaction_id, n.total INTO bad_txn, total
      FROM (SELECT transaction_id, SUM(amount) AS total
              FROM points_leg_inserted GROUP BY transaction_id) n
     WHERE n.total <> 0
     ORDER BY n.transaction_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: legs sum to %',
            bad_txn, total USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER points_leg_balanced
    AFTER INSERT ON points_leg
    REFERENCING NEW TABLE AS points_leg_inserted
    FOR EACH STATEMENT EXECUTE FUNCTION points_check_leg_balance_stmt();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS points_leg_balanced ON points_leg;
DROP FUNCTION IF EXISTS points_check_leg_balance_stmt();

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
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the RAISE format '%'s are not placeholders (see 0002).
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("points", "0003_settlement_abandoned")]
    operations = [migrations.RunPython(forward, backward)]
