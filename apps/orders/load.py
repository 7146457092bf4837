"""The triggers that keep ``VolunteerLoad`` current, and its set-based rebuild.

Each change recomputes the touched volunteers' figures from their assignments (it does
not add or subtract), so a row can be wrong only while its transaction runs:

- PostgreSQL: statement-level triggers with transition tables on assignments
  (insert, update, delete) and on orders (a changed score) call
  ``orders_volunteer_load_refresh(ids)``, which creates missing rows, locks the rows
  in id order (two transactions touching the same volunteers queue instead of
  deadlocking, and the second recomputes after the first committed), then writes the
  figures in one UPDATE. A bulk INSERT … SELECT of assignments refreshes its
  volunteers in one statement.
- SQLite (the embedded default, one writer at a time): row-level triggers doing the
  same per volunteer.

Open task: asked (``assigned``) or accepted and not checked out. Rating: the scores of
the orders on which the volunteer's assignment was accepted.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

_OPEN = "(a.status = 'assigned' OR (a.status = 'accepted' AND a.checked_out_at IS NULL))"


def _figures(vid: str) -> str:
    """The three figures of volunteer ``vid`` (an SQL expression) as select-list items."""
    scored = (
        "FROM orders_orderassignment a JOIN orders_serviceorder o ON o.id = a.order_id"
        f" WHERE a.volunteer_id = {vid} AND a.status = 'accepted'"
    )
    return (
        f"(SELECT COUNT(*) FROM orders_orderassignment a WHERE a.volunteer_id = {vid}"
        f" AND {_OPEN}) AS open_tasks,"
        f" (SELECT COALESCE(SUM(o.score), 0) {scored}) AS rating_sum,"
        f" (SELECT COUNT(o.score) {scored}) AS rating_count"
    )


REBUILD_SQL = [
    "DELETE FROM orders_volunteerload",
    "INSERT INTO orders_volunteerload (volunteer_id, open_tasks, rating_sum, rating_count)"
    f" SELECT a.volunteer_id, SUM(CASE WHEN {_OPEN} THEN 1 ELSE 0 END),"
    " COALESCE(SUM(CASE WHEN a.status = 'accepted' THEN o.score END), 0),"
    " COUNT(CASE WHEN a.status = 'accepted' THEN o.score END)"
    " FROM orders_orderassignment a JOIN orders_serviceorder o ON o.id = a.order_id"
    " GROUP BY a.volunteer_id",
]

POSTGRES_SQL = [
    f"""
CREATE OR REPLACE FUNCTION orders_volunteer_load_refresh(vids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF vids IS NULL OR cardinality(vids) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO orders_volunteerload (volunteer_id, open_tasks, rating_sum, rating_count)
    SELECT DISTINCT v, 0, 0, 0 FROM unnest(vids) AS v ORDER BY v
    ON CONFLICT (volunteer_id) DO NOTHING;
    PERFORM 1 FROM orders_volunteerload WHERE volunteer_id = ANY (vids)
     ORDER BY volunteer_id FOR UPDATE;
    UPDATE orders_volunteerload l
       SET open_tasks = s.open_tasks, rating_sum = s.rating_sum, rating_count = s.rating_count
      FROM (SELECT v AS vid, {_figures("v")} FROM (SELECT DISTINCT unnest(vids) AS v) u) s
     WHERE l.volunteer_id = s.vid;
END $$""",
    """
CREATE OR REPLACE FUNCTION orders_volunteer_load_assignments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM orders_volunteer_load_refresh(ARRAY(SELECT volunteer_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM orders_volunteer_load_refresh(ARRAY(SELECT volunteer_id FROM old_rows));
    ELSE
        PERFORM orders_volunteer_load_refresh(ARRAY(
            SELECT x.vid FROM new_rows n JOIN old_rows o ON o.id = n.id,
                   LATERAL (VALUES (n.volunteer_id), (o.volunteer_id)) AS x(vid)
             WHERE n.status IS DISTINCT FROM o.status
                OR n.checked_out_at IS DISTINCT FROM o.checked_out_at
                OR n.volunteer_id IS DISTINCT FROM o.volunteer_id
                OR n.order_id IS DISTINCT FROM o.order_id));
    END IF;
    RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION orders_volunteer_load_scores() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM orders_volunteer_load_refresh(ARRAY(
        SELECT a.volunteer_id FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN orders_orderassignment a ON a.order_id = n.id
         WHERE n.score IS DISTINCT FROM o.score));
    RETURN NULL;
END $$""",
    "CREATE TRIGGER orders_volunteer_load_ins AFTER INSERT ON orders_orderassignment"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION orders_volunteer_load_assignments()",
    "CREATE TRIGGER orders_volunteer_load_upd AFTER UPDATE ON orders_orderassignment"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION orders_volunteer_load_assignments()",
    "CREATE TRIGGER orders_volunteer_load_del AFTER DELETE ON orders_orderassignment"
    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION orders_volunteer_load_assignments()",
    "CREATE TRIGGER orders_volunteer_load_score AFTER UPDATE ON orders_serviceorder"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION orders_volunteer_load_scores()",
]

POSTGRES_DROP_SQL = [
    "DROP TRIGGER IF EXISTS orders_volunteer_load_ins ON orders_orderassignment",
    "DROP TRIGGER IF EXISTS orders_volunteer_load_upd ON orders_orderassignment",
    "DROP TRIGGER IF EXISTS orders_volunteer_load_del ON orders_orderassignment",
    "DROP TRIGGER IF EXISTS orders_volunteer_load_score ON orders_serviceorder",
    "DROP FUNCTION IF EXISTS orders_volunteer_load_scores()",
    "DROP FUNCTION IF EXISTS orders_volunteer_load_assignments()",
    "DROP FUNCTION IF EXISTS orders_volunteer_load_refresh(bigint[])",
]


def _sqlite_upsert(vid: str, source: str = "") -> str:
    return (
        "INSERT INTO orders_volunteerload (volunteer_id, open_tasks, rating_sum, rating_count)"
        f" SELECT {vid}, {_figures(vid)} {source or 'WHERE true'}"
        " ON CONFLICT (volunteer_id) DO UPDATE SET open_tasks = excluded.open_tasks,"
        " rating_sum = excluded.rating_sum, rating_count = excluded.rating_count;"
    )


SQLITE_SQL = [
    "CREATE TRIGGER orders_volunteer_load_ins AFTER INSERT ON orders_orderassignment"
    f" BEGIN {_sqlite_upsert('NEW.volunteer_id')} END",
    "CREATE TRIGGER orders_volunteer_load_upd"
    " AFTER UPDATE OF status, checked_out_at, volunteer_id, order_id ON orders_orderassignment"
    f" BEGIN {_sqlite_upsert('NEW.volunteer_id')} {_sqlite_upsert('OLD.volunteer_id')} END",
    "CREATE TRIGGER orders_volunteer_load_del AFTER DELETE ON orders_orderassignment"
    f" BEGIN {_sqlite_upsert('OLD.volunteer_id')} END",
    "CREATE TRIGGER orders_volunteer_load_score AFTER UPDATE OF score ON orders_serviceorder"
    " BEGIN "
    + _sqlite_upsert(
        "x.volunteer_id",
        "FROM orders_orderassignment x WHERE x.order_id = NEW.id",
    )
    + " END",
]

SQLITE_DROP_SQL = [
    "DROP TRIGGER IF EXISTS orders_volunteer_load_ins",
    "DROP TRIGGER IF EXISTS orders_volunteer_load_upd",
    "DROP TRIGGER IF EXISTS orders_volunteer_load_del",
    "DROP TRIGGER IF EXISTS orders_volunteer_load_score",
]

TRIGGER_NAMES = (
    "orders_volunteer_load_ins",
    "orders_volunteer_load_upd",
    "orders_volunteer_load_del",
    "orders_volunteer_load_score",
)


def run(statements: list[str], conn: Any = None) -> None:
    with (conn or connection).cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def install(apps: Any, schema_editor: Any) -> None:
    """Migration step: the triggers, then every row from the assignments so far."""
    conn = schema_editor.connection
    run(POSTGRES_SQL if conn.vendor == "postgresql" else SQLITE_SQL, conn)
    run(REBUILD_SQL, conn)


def uninstall(apps: Any, schema_editor: Any) -> None:
    conn = schema_editor.connection
    run(POSTGRES_DROP_SQL if conn.vendor == "postgresql" else SQLITE_DROP_SQL, conn)


def rebuild_volunteer_load() -> None:
    """Every volunteer's row from their assignments, set-based (after a bulk load that
    bypassed the triggers, or to check them)."""
    run(REBUILD_SQL)
