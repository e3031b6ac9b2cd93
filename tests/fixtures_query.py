"""Query fixtures: a database of our own in the shared `postgres` server, seeded with
tables, views, a materialized view with NULLs, and the traps the read-only tests use
(a function that writes, a view that calls it, a schema shadowing `lower`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from staging_tui.db.session import QuerySession
from staging_tui.sandbox.postgres import PostgresServer

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
