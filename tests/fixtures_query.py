"""Query fixtures: a database of our own in the shared `postgres` server, seeded with
tables, views, a materialized view with NULLs, and the traps the read-only tests use
(a function that writes, a view that calls it, a schema shadowing `lower`); the
classifier's write cases; and the helpers that drive the Query pane."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from textual.pilot import Pilot
from textual.widgets import Static
from waiting import TIMEOUT_S, settled, until

from staging_tui.db.session import QuerySession
from staging_tui.sandbox.cloudsql_api import CloudSqlState
from staging_tui.sandbox.postgres import PostgresServer
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.query import QueryScreen
from staging_tui.ui.widgets.result_grid import ResultGrid

QUERY_DB = "querytest"

SEED = """
CREATE TABLE item (id int PRIMARY KEY, name text, price numeric(10,2), tags jsonb);
INSERT INTO item SELECT g, CASE WHEN g = 3 THEN 'NULL' ELSE 'item ' || g END,
  CASE WHEN g % 5 = 0 THEN NULL ELSE g END, jsonb_build_object('g', g)
  FROM generate_series(1, 100) g;
CREATE INDEX item_name_idx ON item (name);
CREATE TABLE audit (at timestamptz DEFAULT now(), what text);
CREATE VIEW cheap_item AS SELECT * FROM item WHERE price < 10;
CREATE MATERIALIZED VIEW analysis_average_view AS
  SELECT id % 10 AS bucket, avg(price) AS average_value, NULL::text AS note FROM item GROUP BY 1;
CREATE SEQUENCE counter;
CREATE FUNCTION log_it(t text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO audit (what) VALUES (t); RETURN t; END $$;
CREATE VIEW logging_view AS SELECT log_it('viewed') AS x;
CREATE SCHEMA evil;
CREATE FUNCTION evil.lower(t text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.audit (what) VALUES ('shadowed'); RETURN t; END $$;
CREATE FUNCTION touch(item) RETURNS int LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO audit (what) VALUES ('touched'); RETURN 1; END $$;
CREATE SEQUENCE sample_id_seq;
CREATE ROLE app_readonly LOGIN PASSWORD 'ro-password';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_readonly;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO app_readonly;
ANALYZE item;
"""


@pytest.fixture(scope="session")
def query_dsn(postgres: PostgresServer) -> str:
    """DSN of the seeded `querytest` database (superuser: read-only comes from the session)."""
    postgres.psql(f"DROP DATABASE IF EXISTS {QUERY_DB}")
    postgres.psql("DROP ROLE IF EXISTS app_readonly")
    postgres.psql(f"CREATE DATABASE {QUERY_DB}")
    postgres.psql(SEED, database=QUERY_DB)
    return postgres.dsn(QUERY_DB)


@pytest.fixture(scope="session")
def readonly_dsn(query_dsn: str, postgres: PostgresServer) -> str:
    """The same database as `app_readonly`, a role that can only SELECT."""
    return postgres.dsn(QUERY_DB, user="app_readonly", password="ro-password")


@pytest.fixture
async def session(query_dsn: str) -> AsyncIterator[QuerySession]:
    s = QuerySession(query_dsn, environment="staging", statement_timeout_s=5)
    await s.connect()
    yield s
    await s.close()


@pytest.fixture
async def writable_session(query_dsn: str) -> AsyncIterator[QuerySession]:
    s = QuerySession(query_dsn, environment="staging", allow_writes=True)
    await s.connect()
    yield s
    await s.close()


# ------------------------------------------------------------------ the classifier's cases

WRITES = [
    "INSERT INTO item VALUES (1)",
    "UPDATE item SET name = 'x' WHERE id = 1",
    "DELETE FROM item WHERE id = 1",
    "MERGE INTO item USING (SELECT 1 AS id) s ON s.id = item.id WHEN MATCHED THEN DELETE",
    "TRUNCATE item",
    "COPY item FROM STDIN",
    "CREATE TABLE t (a int)",
    "ALTER TABLE item ADD COLUMN z int",
    "DROP TABLE item",
    "CREATE INDEX ON item (price)",
    "COMMENT ON TABLE item IS 'x'",
    "GRANT SELECT ON item TO PUBLIC",
    "REVOKE SELECT ON item FROM PUBLIC",
    "REFRESH MATERIALIZED VIEW analysis_average_view",
    "VACUUM item",
    "ANALYZE item",
    "CLUSTER item",
    "REINDEX TABLE item",
    "LOCK TABLE item",
    "SET default_transaction_read_only = off",
    "SET SESSION default_transaction_read_only TO false",
    "SET transaction_read_only = off",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "SET TRANSACTION READ WRITE",
    "RESET default_transaction_read_only",
    "RESET ALL",
    "SET ROLE postgres",
    "SET SESSION AUTHORIZATION postgres",
    "SET standard_conforming_strings = off",
    "BEGIN READ WRITE",
    "START TRANSACTION READ WRITE",
    "BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE",
    "DO $$ BEGIN DELETE FROM item; END $$",
    "CALL some_procedure()",
    "SELECT nextval('counter')",
    "SELECT setval('counter', 5)",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT pg_terminate_backend(1)",
    "SELECT log_it('x')",
    "SELECT evil.lower('x')",
    "SELECT pg_catalog.set_config('a.b', 'c', false)",
    'SELECT "nextval"(\'counter\')',
    "WITH x AS (DELETE FROM item RETURNING *) SELECT * FROM x",
    "WITH x AS (UPDATE item SET price = 0 RETURNING *) SELECT count(*) FROM x",
    "WITH x AS (INSERT INTO audit (what) VALUES ('a') RETURNING *) SELECT 1",
    "SELECT * INTO item_copy FROM item",
    "SELECT * FROM item FOR UPDATE",
    "SELECT * FROM item FOR NO KEY UPDATE",
    "SELECT * FROM item FOR SHARE",
    "SELECT 1; DELETE FROM item",
    "SELECT 'a'; DELETE FROM item",
    "SELECT 'a\\'; DELETE FROM item; --'",
    "EXPLAIN ANALYZE DELETE FROM item",
    "EXPLAIN (ANALYZE) UPDATE item SET price = 1",
    "PREPARE p AS DELETE FROM item",
    "EXECUTE p",
    "COMMIT PREPARED 'x'",
    "NOTIFY chan",
    "SELECT 1 /* unterminated",
    "SELECT 'unterminated",
    "SELECT $$unterminated",
    "SECURITY LABEL ON TABLE item IS 'x'",
    "IMPORT FOREIGN SCHEMA s FROM SERVER x INTO y",
    "DECLARE c CURSOR FOR SELECT * FROM item FOR UPDATE",
    "VALUES (nextval('counter'))",
    "SELECT * FROM ROWS FROM (nextval('counter'))",
    "SELECT U&\"\\006eextval\"('counter')",
    "(DELETE FROM item)",
    "SET search_path = evil, pg_catalog, public",
]


# ------------------------------------------------------------------ driving the Query pane


async def open_query(pilot: Pilot[Any]) -> QueryScreen:
    await pilot.press("5")
    screen = pilot.app.screen
    assert isinstance(screen, QueryScreen)
    # the first connection may start the sandbox's PostgreSQL (a cold instance): minutes
    # on a busy machine; the status line says why when it never connects
    await until(lambda: screen.session is not None and screen.catalog is not None, pilot,
                timeout=4 * TIMEOUT_S,
                what=lambda: f"the Query pane to connect (status: {status(screen)!r})")
    assert screen.session is not None, str(screen.status.render())
    screen.editor.cursor_blink = False
    return screen


async def type_sql(pilot: Pilot[Any], screen: QueryScreen, sql: str) -> None:
    """Type `sql` key by key into the editor."""
    screen.editor.load_text("")
    screen.editor.focus()
    await pilot.press(*[{" ": "space", "\n": "enter"}.get(ch, ch) for ch in sql])


async def put_sql(pilot: Pilot[Any], screen: QueryScreen, sql: str) -> None:
    """Paste `sql` into the editor (cursor at the end)."""
    screen.editor.load_text(sql)
    screen.editor.focus()
    screen.editor.move_cursor((sql.count("\n"), len(sql.rsplit("\n", 1)[-1])))
    await pilot.pause()


async def run_and_wait(pilot: Pilot[Any], screen: QueryScreen, key: str = "f5") -> None:
    """Run (F5: `running` is set while the key is handled), until the pane is no longer
    running, then until what the run updated has been handled and painted."""
    await pilot.press(key)
    await until(lambda: not screen.running, pilot, what="the statement to end")
    await settled(pilot)


async def sleeping_on_the_server(dsn: str) -> None:
    """Until PostgreSQL is inside a `pg_sleep` of another session (pg_stat_activity's
    wait event, seen from a superuser connection of our own; the statement's text may be
    a FETCH from its cursor): a cancel sent before the server has read the statement
    cancels nothing."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as watcher:
        async def sleeping() -> bool:
            row = await (await watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                "AND pid <> pg_backend_pid()")).fetchone()
            return bool(row and row[0])

        deadline = asyncio.get_running_loop().time() + TIMEOUT_S
        while not await sleeping():
            assert asyncio.get_running_loop().time() < deadline, "no pg_sleep on the server"
            await asyncio.sleep(0.02)


def instances_admin_dsn(sandbox: RunningSandbox) -> str:
    """A superuser DSN of the PostgreSQL behind the sandbox's Cloud SQL instances."""
    state: CloudSqlState = sandbox.shared["cloudsql"]
    server = state.database.server
    assert server is not None, "no instance has been connected to yet"
    return server.dsn()


def grid(screen: QueryScreen) -> ResultGrid:
    return screen.query(ResultGrid).last()


def status(screen: QueryScreen) -> str:
    return str(screen.status.render())


def error_box(screen: QueryScreen) -> str:
    return str(screen.query_one("#query-error", Static).render())
