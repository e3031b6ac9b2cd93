"""The read-only guard on PostgreSQL's own parser: every bypass of issue 11 is refused
before it is sent and changes nothing on the real server; function calls in every
spelling PostgreSQL accepts are seen (a property test); field notation is caught
through the catalog; statements over the size limit are refused, not parsed."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from staging_tui.db.classifier import classify
from staging_tui.db.read_only_functions import READ_ONLY_FUNCTIONS
from staging_tui.db.session import QuerySession
from staging_tui.db.statements import SCANNER_SPLIT_AT, split_statements
from staging_tui.errors import QueryError, ReadOnlyViolation

# the bypasses found in issue 11 (UESCAPE spellings of writing functions, field notation)
BYPASSES = [
    "SELECT U&\"!0073et_config\" UESCAPE '!' ('default_transaction_read_only','off',false)",
    "SELECT U&\"!0073etval\" UESCAPE '!' ('sample_id_seq', 99999)",
    "SELECT U&\"!0070g_terminate_backend\" UESCAPE '!' (pg_backend_pid())",
    "SELECT U&\"!0070g_advisory_lock\" UESCAPE '!' (42)",
    "SELECT U&\"!0070g_notify\" UESCAPE '!' ('chan', 'x')",
    "SELECT U&\"\\0073etval\"('sample_id_seq', 99999)",
    "SELECT \"pg_catalog\".U&\"!0073etval\" UESCAPE '!' ('sample_id_seq', 99999)",
    "SELECT i.touch FROM item i",
    "SELECT (i).touch FROM item i",
    "SELECT item.touch FROM item",
    "SELECT i.\"touch\" FROM item i",
]


def _state(dsn: str) -> tuple[int, int, int]:
    """audit rows, sample_id_seq's value, advisory locks held: what a bypass changes."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM audit), "
                           "(SELECT last_value FROM sample_id_seq), "
                           "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory')"
                           ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


@pytest.mark.parametrize("sql", BYPASSES)
async def test_issue_bypasses_are_refused_and_change_nothing(session: QuerySession,
                                                             query_dsn: str, sql: str) -> None:
    before = _state(query_dsn)
    with pytest.raises(ReadOnlyViolation, match="refused") as info:
        await session.run(sql)
    assert "read_only = false" in info.value.fix
    assert _state(query_dsn) == before
    assert (await session.run("SHOW default_transaction_read_only")).rows == (("on",),)
    assert (await session.run("SELECT 1")).rows == ((1,),)      # still the same backend


@pytest.mark.parametrize("sql", BYPASSES[:7])
def test_bypasses_are_seen_by_the_parser(sql: str) -> None:
    verdict = classify(sql)
    assert verdict.write and "not known to be read-only" in verdict.reason, verdict


def test_field_notation_names_reach_the_session() -> None:
    assert classify("SELECT i.touch, i.price, i.name FROM item i").field_names == {"touch", "price"}
    assert classify("SELECT (i).touch FROM item i").field_names == {"touch"}
    # an allowlisted function in field notation is a read
    assert classify("SELECT s.row_to_json FROM item s").field_names == frozenset()


async def test_field_notation_of_a_read_only_function_runs(session: QuerySession) -> None:
    result = await session.run("SELECT s.row_to_json FROM item s WHERE s.id = 1")
    assert result.rows[0][0]["id"] == 1


async def test_plain_columns_still_run(session: QuerySession) -> None:
    result = await session.run("SELECT i.id, i.price FROM item i WHERE i.id = 2")
    assert result.rows == ((2, 2),)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM item FOR UPDATE", "SELECT * INTO item_copy FROM item",
    "WITH d AS (DELETE FROM audit RETURNING *) SELECT count(*) FROM d",
    "DO $$ BEGIN PERFORM 1; END $$", "CALL nothing()", "COPY item TO STDOUT",
    "SET default_transaction_read_only = off", "RESET ALL",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "LOCK TABLE item", "LISTEN chan", "NOTIFY chan", "PREPARE p AS SELECT 1", "EXECUTE p",
    "SELECT 'x'::mood", "SELECT CAST('1' AS evil.t)", "SELECT 1 OPERATOR(public.+) 2",
    "SELECT * FROM item TABLESAMPLE evil(10)", "SELECT * FROM item ORDER BY id USING public.<",
    "EXPLAIN ANALYZE DELETE FROM item", "LOAD 'plpgsql'", "DISCARD ALL", "CHECKPOINT",
    "SET SESSION AUTHORIZATION app_readonly", "SET ROLE app_readonly",
    "BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE",
])
def test_statement_kinds_that_are_writes(sql: str) -> None:
    assert classify(sql).write, classify(sql)


def test_unparsable_statements_are_refused_with_the_parser_message() -> None:
    verdict = classify("SELEC 1")
    assert verdict.write and verdict.reason == ('cannot parse the statement: syntax error at or '
                                                'near "SELEC"')


def test_too_large_statements_are_refused_unparsed() -> None:
    big = "SELECT 1 WHERE 1 IN (" + ",".join(["1"] * 600_000) + ")"
    verdict = classify(big)
    assert verdict.write and verdict.command == "TOO LARGE"
    assert "limit is 1.0 MB" in verdict.reason and "max_statement_bytes" in verdict.reason
    assert classify(big, max_bytes=0).read


async def test_the_session_refuses_too_large_statements_even_in_write_mode(
        writable_session: QuerySession) -> None:
    writable_session.max_statement_bytes = 1000
    await writable_session.enable_writes()
    with pytest.raises(QueryError, match="too large"):
        await writable_session.run("SELECT '" + "x" * 2000 + "'")


# ------------------------------------------------------------------ every spelling

_WRITING = ["set_config", "setval", "nextval", "pg_terminate_backend", "pg_advisory_lock",
            "pg_notify", "lo_import", "pg_reload_conf", "txid_current", "query_to_xml",
            "dblink_exec", "log_it", "pg_cancel_backend", "pg_advisory_xact_lock"]
assert not set(_WRITING) & READ_ONLY_FUNCTIONS


@st.composite
def spelled(draw: st.DrawFn, name: str) -> str:
    """`name` as PostgreSQL accepts it: bare (any case), quoted, U&"" with \\XXXX,
    \\+XXXXXX or a custom UESCAPE, each character escaped or not."""
    style = draw(st.sampled_from(["bare", "quoted", "unicode", "uescape", "plus"]))
    if style == "bare":
        flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
        return "".join(c.upper() if f else c for c, f in zip(name, flips, strict=True))
    if style == "quoted":
        return f'"{name}"'
    escape = draw(st.sampled_from(["!", "#", "*", "~"])) if style == "uescape" else "\\"
    picks = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    body = "".join(
        (f"{escape}+{ord(c):06x}" if style == "plus" else f"{escape}{ord(c):04x}") if p else c
        for c, p in zip(name, picks, strict=True))
    suffix = f" UESCAPE '{escape}'" if style == "uescape" else ""
    return f'U&"{body}"{suffix}'


@st.composite
def writing_calls(draw: st.DrawFn) -> tuple[str, str, bool]:
    name = draw(st.sampled_from(_WRITING))
    fn = draw(spelled(name))
    schema = draw(st.sampled_from(["", "pg_catalog.", '"pg_catalog".', "PG_CATALOG.",
                                   'U&"pg\\005fcatalog".', "public.", "evil."]))
    call = f"{schema}{fn}('a', 1)"
    shape = draw(st.sampled_from([
        "SELECT {}", "SELECT * FROM {}", "SELECT * FROM item WHERE id = {}",
        "SELECT * FROM item ORDER BY {}", "VALUES ({})", "WITH x AS (SELECT {}) SELECT * FROM x",
        "SELECT (SELECT {})", "SELECT * FROM ROWS FROM ({})", "EXPLAIN SELECT {}",
        "SELECT count(*) FILTER (WHERE {} IS NULL) FROM item", "SELECT {}::text",
        "SELECT CASE WHEN true THEN {} END", "SELECT ARRAY[{}]", "DECLARE c CURSOR FOR SELECT {}",
        "SELECT i.{} FROM item i",
    ]))
    if shape.startswith("SELECT i."):
        return name, shape.format(fn), True          # field notation: no call, no schema
    return name, shape.format(call), False


@settings(max_examples=800, deadline=None)
@given(writing_calls())
def test_every_spelling_of_a_writing_function_is_refused(case: tuple[str, str, bool]
                                                          ) -> None:
    name, sql, field_notation = case
    verdict = classify(sql)
    if field_notation:
        # a read to the parser; the session's catalog look-up refuses it
        assert name in verdict.field_names, (sql, verdict)
    else:
        assert verdict.write, (sql, verdict)


@settings(max_examples=60, deadline=None)
@given(writing_calls())
def test_every_spelling_decodes_to_the_function_name(case: tuple[str, str, bool]) -> None:
    """The property test's spellings are real: the parser decodes them to the name."""
    name, sql, _ = case
    verdict = classify(sql)
    assert name in verdict.reason or name in verdict.field_names, (sql, verdict)


# ------------------------------------------------------------------ the third wall

async def test_write_privileges_of_a_superuser_and_a_read_only_role(
        session: QuerySession, readonly_dsn: str) -> None:
    assert "superuser" in await session.write_privileges()
    reader = QuerySession(readonly_dsn)
    try:
        assert await reader.write_privileges() == ()
    finally:
        await reader.close()


# ------------------------------------------------------------------ splitting big buffers

@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["SELECT 1", "SELECT ';'", "SELECT $$;$$", "-- x;\nSELECT 2",
                                 "/* ; */ SELECT 3", "SELECT 'é;' AS \"a;b\"",
                                 "SELECT E'\\';'"]), min_size=1, max_size=6))
def test_big_buffers_split_by_the_scanner_like_small_ones(parts: list[str]) -> None:
    """Over SCANNER_SPLIT_AT the buffer is split by PostgreSQL's scanner: same
    statements, same offsets into the buffer."""
    small = ";\n".join(parts)
    big = small + " " * SCANNER_SPLIT_AT
    assert [s.text for s in split_statements(small)] == parts
    found = split_statements(big)
    assert [s.text for s in found] == parts
    assert all(big[s.start:s.start + len(s.text)] == s.text for s in found)
