# ruff: noqa: S608 (the SQL is built from table and column names in migrations, never input)
"""Foreign keys checked once per statement (PostgreSQL), for the tables a nightly
settlement fills in bulk.

A foreign key constraint checks every inserted row on its own: PostgreSQL queues one
trigger event per row and key and, at commit (Django makes them deferred), runs one
``SELECT … FOR KEY SHARE`` on the parent per event. For a county's night (120,000
credits: transactions, legs, accounts and service records, 12 keys) that is about 1.7
million look-ups, and it was 22 of the settlement's 37 seconds (docs/performance.md).

The same guarantee, set-based:

* **Inserts into the child**: an ``AFTER INSERT … FOR EACH STATEMENT`` trigger over the
  statement's transition table joins the distinct keys the statement refers to, in key
  order, to their parents and raises ``foreign_key_violation`` (23503) if any is
  missing — one pass per key and statement instead of one query per row and key — and
  locks the parents found (``FOR KEY SHARE``, the lock a foreign key takes, so a
  concurrent delete waits for this transaction), except a parent row version this
  transaction wrote itself, which nobody else can delete before it ends.
* **Updates of a key column** (rare: an owner never changes): a row-level trigger
  ``AFTER UPDATE OF`` the key columns, ``WHEN`` one changed, checks it the same way.
* **Deletes of a parent**: an ``AFTER DELETE … FOR EACH STATEMENT`` trigger on the
  parent raises 23503 if a child still refers to a deleted row (every key column leads
  an index of its child, so that is an index probe per deleted row); a parent's id
  never changes (refused by an ``AFTER UPDATE OF id`` row trigger ``WHEN`` it does).
  No ``BEFORE UPDATE`` row trigger anywhere: those make PostgreSQL lock every updated
  row first (``update_triggers_sql``).

Races end as with a constraint: an insert that locks a parent first makes the delete
wait and then fail its check (the child has committed); a delete that comes first makes
the insert's lock wait and then find the row gone.

The checks are immediate (end of statement), not deferred to commit: a child cannot be
inserted before its parent in the same transaction (nothing here does). Where a parent
row cannot be deleted at all (an append-only table), the insert check does not lock.

Django keeps these as ``ForeignKey(db_constraint=False)`` in its state, for PostgreSQL;
SQLite (the embedded default) keeps its ordinary foreign keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    column: str
    parent: str
    lock: bool = True  # False only for a parent whose rows can never be deleted


def _check_function(child: str) -> str:
    return f"portal_refs_{child}"


def _guard_function(child: str, column: str) -> str:
    return f"portal_refguard_{child}_{column}"[:63]


def check_function_sql(child: str, references: Sequence[Reference]) -> str:
    """The statement-level insert check of ``child``'s references (PostgreSQL)."""
    checks = []
    for ref in references:
        col, parent = ref.column, ref.parent
        refuse = (
            f"RAISE EXCEPTION 'insert on {child} violates reference {col} → {parent}: "
            f"key % is not present', missing USING ERRCODE = 'foreign_key_violation';\n"
        )
        keys = (
            f"(SELECT n.{col} AS k FROM new_rows n WHERE n.{col} IS NOT NULL"
            f" GROUP BY 1 ORDER BY 1) d"
        )
        # One pass: the distinct keys the statement refers to, each joined to its parent
        # row; fewer parents than keys means one is missing (and only then is it looked
        # for, to name it). The parents to lock are gathered in the same pass. In key
        # order, so the probes walk the parent's index and table in order (hash order
        # jumps about a table far larger than the cache: 470 against 250 ms for 120,000
        # volunteers).
        unlocked = (
            ",\n           array_agg(p.id) FILTER (WHERE p.id IS NOT NULL AND p.xmin <> mine)"
            if ref.lock
            else ",\n           NULL::bigint[]"
        )
        # A parent row version this transaction wrote (inserted it, or updated it and so
        # holds its row lock) cannot be deleted by anyone else before this commits: a
        # deleter waits for this transaction. Every other parent is locked as a foreign
        # key locks it; one deleted (and committed) between the look above and the lock
        # is not returned by the lock, and is refused the same way.
        lock_block = (
            f"    IF unlocked IS NOT NULL THEN\n"
            f"        SELECT count(*) INTO present FROM (\n"
            f"            SELECT 1 FROM {parent} p WHERE p.id = ANY (unlocked)\n"
            f"               FOR KEY SHARE OF p) x;\n"
            f"        IF present < cardinality(unlocked) THEN\n"
            f"            SELECT k INTO missing FROM unnest(unlocked) k\n"
            f"             WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = k) LIMIT 1;\n"
            f"            {refuse}"
            f"        END IF;\n"
            f"    END IF;\n"
            if ref.lock
            else ""
        )
        checks.append(
            f"    SELECT count(*), count(p.id){unlocked}\n"
            f"      INTO wanted, present, unlocked\n"
            f"      FROM {keys}\n"
            f"      LEFT JOIN {parent} p ON p.id = d.k;\n"
            f"    IF present < wanted THEN\n"
            f"        SELECT d.k INTO missing FROM {keys}\n"
            f"         WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = d.k) LIMIT 1;\n"
            f"        {refuse}"
            f"    END IF;\n" + lock_block
        )
    return f"""
CREATE OR REPLACE FUNCTION {_check_function(child)}() RETURNS trigger AS $$
DECLARE
    present bigint;
    wanted bigint;
    missing bigint;
    unlocked bigint[];
    -- This transaction's id as row versions carry it (xmin: 32 bits, no epoch).
    mine xid := (pg_current_xact_id()::text::bigint % 4294967296)::text::xid;
BEGIN
{"".join(checks)}    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def functions_sql(child: str, references: Sequence[Reference]) -> str:
    """Every trigger function of ``child``'s references (``CREATE OR REPLACE``)."""
    row_checks = "".join(
        f"    IF NEW.{ref.column} IS DISTINCT FROM OLD.{ref.column} AND NEW.{ref.column} IS NOT NULL THEN\n"
        f"        PERFORM 1 FROM {ref.parent} p WHERE p.id = NEW.{ref.column} FOR KEY SHARE OF p;\n"
        f"        IF NOT FOUND THEN\n"
        f"            RAISE EXCEPTION 'update on {child} violates reference {ref.column} → {ref.parent}: "
        f"key % is not present', NEW.{ref.column} USING ERRCODE = 'foreign_key_violation';\n"
        f"        END IF;\n"
        f"    END IF;\n"
        for ref in references
    )
    parts = [
        check_function_sql(child, references)
        + f"""
CREATE OR REPLACE FUNCTION {_check_function(child)}_upd() RETURNS trigger AS $$
BEGIN
{row_checks}    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
    ]
    for ref in references:
        guard = _guard_function(child, ref.column)
        parts.append(
            f"""
CREATE OR REPLACE FUNCTION {guard}() RETURNS trigger AS $$
DECLARE
    held bigint;
BEGIN
    SELECT o.id INTO held FROM old_rows o
     WHERE EXISTS (SELECT 1 FROM {child} c WHERE c.{ref.column} = o.id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'delete on {ref.parent} violates reference from {child}.{ref.column}: '
            'key % is still referenced', held USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION {guard}_key() RETURNS trigger AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION 'the id of {ref.parent} never changes (referenced from {child})'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
        )
    return "".join(parts)


def forward_sql(child: str, references: Sequence[Reference]) -> str:
    """The triggers for ``child``'s references (PostgreSQL)."""
    fn = _check_function(child)
    parts = [
        functions_sql(child, references),
        f"""
CREATE TRIGGER {fn}_ins AFTER INSERT ON {child}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {fn}();
""",
    ]
    for ref in references:
        guard = _guard_function(child, ref.column)
        parts.append(
            f"""
CREATE TRIGGER {guard}_del AFTER DELETE ON {ref.parent}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {guard}();
"""
        )
    parts.append(update_triggers_sql(child, references))
    return "".join(parts)


def update_triggers_sql(child: str, references: Sequence[Reference]) -> str:
    """The row triggers on updates of key columns (PostgreSQL), made afresh.

    ``AFTER … FOR EACH ROW WHEN (the key changed)``, not ``BEFORE``: a relation with any
    ``BEFORE UPDATE`` row trigger has every updated row locked first (PostgreSQL fetches
    the row for the trigger under a tuple lock, whatever the trigger's column list: one
    more WAL record and lock per row), and the volunteers' hours, the accounts' balances
    and the users' sign-in times are updated by the hundred thousand. An ``AFTER`` row
    trigger whose ``WHEN`` is false queues nothing; one that raises undoes the
    statement, as the ``BEFORE`` one did."""
    fn = _check_function(child)
    columns = ", ".join(ref.column for ref in references)
    changed = " OR ".join(
        f"OLD.{ref.column} IS DISTINCT FROM NEW.{ref.column}" for ref in references
    )
    parts = [
        f"DROP TRIGGER IF EXISTS {fn}_upd ON {child};\n"
        f"CREATE TRIGGER {fn}_upd AFTER UPDATE OF {columns} ON {child}\n"
        f"    FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {fn}_upd();\n"
    ]
    for ref in references:
        guard = _guard_function(child, ref.column)
        parts.append(
            f"DROP TRIGGER IF EXISTS {guard}_key ON {ref.parent};\n"
            f"CREATE TRIGGER {guard}_key AFTER UPDATE OF id ON {ref.parent}\n"
            f"    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)"
            f" EXECUTE FUNCTION {guard}_key();\n"
        )
    return "".join(parts)


def backward_sql(child: str, references: Sequence[Reference]) -> str:
    fn = _check_function(child)
    parts = [
        f"DROP TRIGGER IF EXISTS {fn}_ins ON {child};\n"
        f"DROP TRIGGER IF EXISTS {fn}_upd ON {child};\n"
        f"DROP FUNCTION IF EXISTS {fn}();\nDROP FUNCTION IF EXISTS {fn}_upd();\n"
    ]
    for ref in references:
        guard = _guard_function(child, ref.column)
        parts.append(
            f"DROP TRIGGER IF EXISTS {guard}_del ON {ref.parent};\n"
            f"DROP TRIGGER IF EXISTS {guard}_key ON {ref.parent};\n"
            f"DROP FUNCTION IF EXISTS {guard}();\nDROP FUNCTION IF EXISTS {guard}_key();\n"
        )
    return "".join(parts)


def drop_constraints_sql(child: str, references: Sequence[Reference]) -> str:
    """Drop the ordinary foreign-key constraints on ``child``'s key columns (their
    names are Django's generated ones, so they are found in the catalogue)."""
    columns = ", ".join(f"'{ref.column}'" for ref in references)
    return f"""
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.conname FROM pg_constraint c
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
              WHERE c.conrelid = '{child}'::regclass AND c.contype = 'f'
                AND a.attname IN ({columns})
    LOOP
        EXECUTE format('ALTER TABLE {child} DROP CONSTRAINT %I', r.conname);
    END LOOP;
END $$;
"""


def add_constraints_sql(child: str, references: Sequence[Reference]) -> str:
    return "".join(
        f"ALTER TABLE {child} ADD CONSTRAINT {(child + '_' + ref.column + '_fk')[:63]} "
        f"FOREIGN KEY ({ref.column}) REFERENCES {ref.parent} (id) DEFERRABLE INITIALLY DEFERRED;\n"
        for ref in references
    )


def upgrade_operations(child: str, references: Sequence[Reference]) -> list[object]:
    """A later migration's database side for tables set up by ``database_operations``:
    the insert check rewritten in place (``CREATE OR REPLACE``) and the update triggers
    made afresh (``update_triggers_sql``), with their functions. Backwards everything
    stays: each version gives the same guarantee."""
    from django.db import migrations

    def forward(apps: object, schema_editor: object) -> None:
        if schema_editor.connection.vendor == "postgresql":  # type: ignore[attr-defined]
            schema_editor.execute(functions_sql(child, references), params=None)  # type: ignore[attr-defined]
            schema_editor.execute(update_triggers_sql(child, references), params=None)  # type: ignore[attr-defined]

    return [migrations.RunPython(forward, migrations.RunPython.noop)]


def database_operations(child: str, references: Sequence[Reference]) -> list[object]:
    """The migration's database side: on PostgreSQL drop the constraints and create the
    triggers (backwards: the reverse); nothing on SQLite, which keeps its own keys."""
    from django.db import migrations

    def forward(apps: object, schema_editor: object) -> None:
        if schema_editor.connection.vendor == "postgresql":  # type: ignore[attr-defined]
            schema_editor.execute(drop_constraints_sql(child, references), params=None)  # type: ignore[attr-defined]
            schema_editor.execute(forward_sql(child, references), params=None)  # type: ignore[attr-defined]

    def backward(apps: object, schema_editor: object) -> None:
        if schema_editor.connection.vendor == "postgresql":  # type: ignore[attr-defined]
            schema_editor.execute(backward_sql(child, references), params=None)  # type: ignore[attr-defined]
            schema_editor.execute(add_constraints_sql(child, references), params=None)  # type: ignore[attr-defined]

    return [migrations.RunPython(forward, backward)]
