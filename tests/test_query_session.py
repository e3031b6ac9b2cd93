"""The SQL session against a real PostgreSQL: read-only walls, streaming, honest
limits, NULLs, cancel, timeout, reconnect, write mode and destructive confirmation."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from fixtures_query import WRITES, sleeping_on_the_server

from staging_tui.db.classifier import Classification
from staging_tui.db.session import INLINE_PARSE_CHARS, DestructiveStatement, QuerySession
from staging_tui.errors import QueryError, ReadOnlyViolation


async def _audit_count(dsn: str) -> int:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        row = await (await conn.execute("SELECT count(*) FROM audit")).fetchone()
        assert row is not None
        return int(row[0])


async def test_reads_return_rows_types_and_nulls(session: QuerySession) -> None:
    result = await session.run("SELECT id, name, price, tags FROM item WHERE id IN (3, 5) "
                               "ORDER BY id")
    assert [c.name for c in result.columns] == ["id", "name", "price", "tags"]
    assert [c.type_name for c in result.columns] == ["int4", "text", "numeric(10,2)", "jsonb"]
    assert result.rows[0][1] == "NULL" and result.rows[1][2] is None   # 'NULL' vs NULL
    assert result.rows[1][3] == {"g": 5}
    assert not result.truncated


async def test_honest_limit_fetches_one_more(session: QuerySession) -> None:
    cut = await session.run("SELECT * FROM item", limit=50)
    assert len(cut.rows) == 50 and cut.truncated
    exact = await session.run("SELECT * FROM item", limit=100)
    assert len(exact.rows) == 100 and not exact.truncated


async def test_rows_stream_in_batches_before_the_query_ends(session: QuerySession) -> None:
    chunks = [c async for c in session.stream("SELECT g FROM generate_series(1, 50000) g")]
    assert len(chunks) > 2 and chunks[0].rows and not chunks[0].done
    assert chunks[-1].done and sum(len(c.rows) for c in chunks) == 50000
    assert chunks[-1].status == "SELECT 50000"


@pytest.mark.parametrize("sql", [w for w in WRITES if "unterminated" not in w
                                 and not w.startswith("SELECT 1;")
                                 and not w.startswith("SELECT 'a';")])
async def test_every_write_class_is_refused_before_it_is_sent(session: QuerySession,
                                                             query_dsn: str, sql: str) -> None:
    before = await _audit_count(query_dsn)
    with pytest.raises((ReadOnlyViolation, QueryError)) as info:
        await session.run(sql)
    assert "read_only = false" in info.value.fix or "one at a time" in info.value.message
    assert await _audit_count(query_dsn) == before
    assert (await session.run("SELECT count(*) FROM item")).rows == ((100,),)


async def test_several_statements_in_one_string_are_refused(session: QuerySession) -> None:
    with pytest.raises(QueryError, match="one at a time"):
        await session.run("SELECT 1; DELETE FROM item")


async def test_server_wall_blocks_what_slips_past_the_classifier(session: QuerySession,
                                                                query_dsn: str) -> None:
    """A view calling a writing function: the classifier sees a read;
    default_transaction_read_only stops it on the server. A schema put before
    pg_catalog to shadow lower() is refused by the classifier itself."""
    before = await _audit_count(query_dsn)
    with pytest.raises(ReadOnlyViolation, match="refused by the server"):
        await session.run("SELECT * FROM logging_view")
    with pytest.raises(ReadOnlyViolation, match="put pg_catalog first"):
        await session.run("SET search_path = evil, pg_catalog, public")
    await session.run("SET search_path = evil, public")     # pg_catalog is searched first
    assert (await session.run("SELECT lower('X')")).rows == (("x",),)
    await session.run("SET search_path = public")
    assert await _audit_count(query_dsn) == before


async def test_escape_attempts_are_refused(session: QuerySession) -> None:
    for sql in ["SET default_transaction_read_only = off", "BEGIN READ WRITE",
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
                "SELECT set_config('default_transaction_read_only', 'off', false)",
                "RESET ALL", "SET transaction_read_only TO off", "COMMIT; DELETE FROM item",
                "/* */ SET/**/default_transaction_read_only/**/=/**/off"]:
        with pytest.raises((ReadOnlyViolation, QueryError)):
            await session.run(sql)
    shown = await session.run("SHOW default_transaction_read_only")
    assert shown.rows == (("on",),)
    await session.run("BEGIN")
    with pytest.raises(ReadOnlyViolation):
        await session.run("SELECT * FROM logging_view")
    await session.run("ROLLBACK")


async def test_reads_in_a_user_transaction(session: QuerySession) -> None:
    await session.run("BEGIN")
    assert session.status().transaction == "in transaction"
    assert len((await session.run("SELECT * FROM item")).rows) == 100
    await session.run("COMMIT")
    assert session.status().transaction == "idle"


async def test_error_position_points_into_the_statement(session: QuerySession) -> None:
    with pytest.raises(QueryError) as info:
        await session.run("SELECT nosuch FROM item")
    assert info.value.position == len("SELECT ") + 1
    with pytest.raises(QueryError) as info:
        await session.run("SHOW nosuch")
    assert "nosuch" in info.value.message


async def test_cancel_keeps_the_connection(session: QuerySession, query_dsn: str) -> None:
    task = asyncio.create_task(session.run("SELECT pg_sleep(30)"))
    await sleeping_on_the_server(query_dsn)
    await session.cancel()
    with pytest.raises(QueryError, match="cancelled"):
        await task
    assert (await session.run("SELECT 1")).rows == ((1,),)
    assert session.status().transaction == "idle"


async def test_statement_timeout(query_dsn: str) -> None:
    s = QuerySession(query_dsn, statement_timeout_s=0.3)
    try:
        with pytest.raises(QueryError, match="statement timeout") as info:
            await s.run("SELECT pg_sleep(5)")
        assert "statement_timeout" in info.value.fix
        assert (await s.run("SHOW statement_timeout")).rows == (("300ms",),)
    finally:
        await s.close()


async def test_reconnects_after_the_backend_is_terminated(session: QuerySession,
                                                          query_dsn: str) -> None:
    pid = (await session.run("SELECT pg_backend_pid()")).rows[0][0]
    async with await psycopg.AsyncConnection.connect(query_dsn, autocommit=True) as other:
        await other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        gone = False
        while not gone:  # terminate only signals: until the backend has exited
            row = await (await other.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))).fetchone()
            gone = bool(row and row[0] == 0)
            if not gone:
                await asyncio.sleep(0.02)
    result = await session.run("SELECT 42")
    assert result.rows == ((42,),)
    assert "reconnected" in result.notice
    new_pid = (await session.run("SELECT pg_backend_pid()")).rows[0][0]
    assert new_pid != pid
    assert (await session.run("SHOW default_transaction_read_only")).rows == (("on",),)


async def test_write_mode_needs_the_profile(query_dsn: str) -> None:
    protected = QuerySession(query_dsn, allow_writes=True, protected=True)
    read_only = QuerySession(query_dsn)
    for s in (protected, read_only):
        with pytest.raises(ReadOnlyViolation):
            await s.enable_writes()
        assert not s.write_mode
        await s.close()


async def test_write_mode_and_destructive_confirmation(writable_session: QuerySession,
                                                       query_dsn: str) -> None:
    s = writable_session
    with pytest.raises(ReadOnlyViolation):
        await s.run("INSERT INTO audit (what) VALUES ('x')")
    await s.enable_writes()
    assert s.status().write_mode and "WRITE" in s.status().line()
    before = await _audit_count(query_dsn)
    await s.run("INSERT INTO audit (what) VALUES ('x')")
    assert await _audit_count(query_dsn) == before + 1
    with pytest.raises(DestructiveStatement, match="staging"):
        await s.run("DELETE FROM audit")
    assert await _audit_count(query_dsn) == before + 1
    await s.run("DELETE FROM audit WHERE what = 'x'")
    await s.run("CREATE TABLE scratch (a int)")
    await s.run("DROP TABLE scratch", confirm_destructive=True)
    await s.disable_writes()
    with pytest.raises(ReadOnlyViolation):
        await s.run("INSERT INTO audit (what) VALUES ('x')")


async def test_status_line(session: QuerySession) -> None:
    await session.run("SELECT * FROM item", limit=10)
    line = session.status().line()
    assert line.startswith("postgres@querytest | idle | read-only")
    assert line.endswith("10 rows")


async def test_write_mode_changes_only_between_transactions(writable_session: QuerySession
                                                            ) -> None:
    """A SET inside a transaction is undone by ROLLBACK: turning writes off there would
    leave the server read-write under a session that says read-only."""
    s = writable_session
    await s.enable_writes()
    await s.run("BEGIN")
    with pytest.raises(QueryError, match="transaction is open"):
        await s.disable_writes()
    assert s.write_mode
    await s.run("ROLLBACK")
    await s.disable_writes()
    assert (await s.run("SHOW default_transaction_read_only")).rows == (("on",),)
    await s.run("BEGIN")
    with pytest.raises(QueryError, match="transaction is open"):
        await s.enable_writes()
    await s.run("ROLLBACK")
    assert not s.write_mode


def _finished_without_waiting(coro: Any) -> object:
    """The coroutine's result when it ran to the end at its first step (never awaited
    a thread or the loop); raises AssertionError when it suspended."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise AssertionError("vet() suspended: it went to a thread")


def test_vet_checks_a_short_statement_on_the_loop() -> None:
    """The first rows wait for vet(): a short statement is parsed right away, without
    the hop to a worker thread and back (tens of ms on a loaded machine)."""
    session = QuerySession("postgresql://nowhere/none")
    verdict = _finished_without_waiting(session.vet("SELECT * FROM big"))
    assert isinstance(verdict, Classification) and verdict.read and verdict.streamable
    with pytest.raises(ReadOnlyViolation):
        _finished_without_waiting(session.vet("DELETE FROM big WHERE id = 1"))


async def test_vet_parses_a_long_statement_in_a_thread_once() -> None:
    session = QuerySession("postgresql://nowhere/none")
    long_sql = "SELECT " + ", ".join(f"{i} AS c{i}" for i in range(2000))
    assert len(long_sql) > INLINE_PARSE_CHARS
    with pytest.raises(AssertionError, match="went to a thread"):
        _finished_without_waiting(session.vet(long_sql))
    await session.vet(long_sql)         # vetted in a thread; the run vets it again:
    verdict = _finished_without_waiting(session.vet(long_sql))
    assert isinstance(verdict, Classification) and verdict.read
