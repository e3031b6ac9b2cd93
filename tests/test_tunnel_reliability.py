"""The tunnel under the issue's reliability cases: certificate refreshes (short
lifetimes stand in for the 10-minute run), a database restart, 100 concurrent
connections, a client killed mid-query, an unreachable instance with a retry, drain."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess

import psycopg
import pytest
from fixtures_tunnel import SqlSandbox
from waiting import until

from staging_tui.domain import TunnelStatus
from staging_tui.gcp.cloudsql import Tunnel, TunnelOptions


async def _connect(tunnel: Tunnel, password: str) -> psycopg.AsyncConnection[tuple[object, ...]]:
    return await psycopg.AsyncConnection.connect(
        host="127.0.0.1", port=tunnel.port, dbname="app", user="app", password=password,
        autocommit=True, connect_timeout=30)


async def test_lazy_refresh_serves_across_expired_certificates(sql_sandbox: SqlSandbox) -> None:
    state = sql_sandbox.cloudsql
    password = state.password("main-db")
    tunnels = sql_sandbox.tunnels()
    state.cert_lifetime_override = 1.5
    try:
        tunnel = await tunnels.start("main-db", TunnelOptions(refresh="lazy"), test=False)
        old = await _connect(tunnel, password)
        issued = state.certs_issued
        for _ in range(2):  # each round outlives the certificate the last one used
            await asyncio.sleep(1.6)
            async with await _connect(tunnel, password) as fresh:
                assert await (await fresh.execute("SELECT 1")).fetchone() == (1,)
            assert await (await old.execute("SELECT count(*) FROM item")).fetchone() == (100,)
        assert state.certs_issued >= issued + 2
        await old.close()
    finally:
        state.cert_lifetime_override = None
        await tunnels.close()


async def test_background_refresh_replaces_certificates_while_serving(
        sql_sandbox: SqlSandbox) -> None:
    """245 s certificates are renewed 4 minutes before expiry, i.e. after ~5 s."""
    state = sql_sandbox.cloudsql
    password = state.password("main-db")
    tunnels = sql_sandbox.tunnels()
    state.cert_lifetime_override = 245
    try:
        issued = state.certs_issued
        tunnel = await tunnels.start("main-db", TunnelOptions(refresh="background"), test=False)
        old = await _connect(tunnel, password)
        await until(lambda: state.certs_issued >= issued + 2)
        async with await _connect(tunnel, password) as fresh:
            assert await (await fresh.execute("SELECT 1")).fetchone() == (1,)
        assert await (await old.execute("SELECT 2")).fetchone() == (2,)
        assert tunnel.state.status is TunnelStatus.READY
        await old.close()
    finally:
        state.cert_lifetime_override = None
        await tunnels.close()


async def test_database_restart_ends_open_sessions_new_ones_succeed(
        sql_sandbox: SqlSandbox) -> None:
    password = sql_sandbox.cloudsql.password("main-db")
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", test=False)
        open_session = await _connect(tunnel, password)
        await sql_sandbox.call(sql_sandbox.cloudsql.restart_database())
        with pytest.raises(psycopg.OperationalError):
            await open_session.execute("SELECT 1")
        await open_session.close()
        async with await _connect(tunnel, password) as fresh:
            assert await (await fresh.execute("SELECT count(*) FROM item")).fetchone() == (100,)
        await until(lambda: tunnel.state.connections == 0)
    finally:
        await tunnels.close()


async def test_hundred_concurrent_connections(sql_sandbox: SqlSandbox) -> None:
    password = sql_sandbox.cloudsql.password("main-db")
    tunnels = sql_sandbox.tunnels()
    try:
        # Above the default connection limit (50): raised, as a profile can.
        tunnel = await tunnels.start("main-db", TunnelOptions(ip_type="AUTO",
                                                              max_connections=100), test=False)
        started = asyncio.Event()
        peak = 0

        async def client(n: int) -> int:
            nonlocal peak
            async with await _connect(tunnel, password) as conn:
                peak = max(peak, tunnel.state.connections)
                if peak >= 100:
                    started.set()
                await asyncio.wait_for(started.wait(), 60)  # all 100 open at once
                row = await (await conn.execute("SELECT %s::int + 1", (n,))).fetchone()
                assert row is not None
                return int(str(row[0]))

        results = await asyncio.gather(*(client(n) for n in range(100)))
        assert sorted(results) == list(range(1, 101))
        assert peak == 100
        await until(lambda: tunnel.state.connections == 0)
        assert tunnel.connections_total == 100
    finally:
        await tunnels.close()


async def test_bulk_copy_both_ways_arrives_intact_past_a_stalled_reader(
        sql_sandbox: SqlSandbox) -> None:
    """24 MB up (COPY FROM STDIN) and back down (COPY TO STDOUT) with the reader stalled
    for a moment: more than the sockets buffer, so the pipe must hold back and resume."""
    import hashlib

    password = sql_sandbox.cloudsql.password("main-db")
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", test=False)
        rows = [(n, hashlib.sha256(str(n).encode()).hexdigest() * 16) for n in range(24_000)]
        sent = hashlib.md5("".join(t for _, t in rows).encode()).hexdigest()

        async def round_trip() -> str:
            async with await _connect(tunnel, password) as conn:
                await conn.execute("CREATE TEMP TABLE bulk (n int, t text)")
                async with conn.cursor().copy("COPY bulk FROM STDIN") as copy:
                    for row in rows:
                        await copy.write_row(row)
                stored = await (await conn.execute(
                    "SELECT md5(string_agg(t, '' ORDER BY n)) FROM bulk")).fetchone()
                assert stored == (sent,)
                received = hashlib.md5()
                copy_out = "COPY (SELECT t FROM bulk ORDER BY n) TO STDOUT"
                async with conn.cursor().copy(copy_out) as copy:
                    first = True
                    async for chunk in copy:
                        if first:
                            await asyncio.sleep(0.5)  # stall: the instance keeps sending
                            first = False
                        received.update(bytes(chunk).replace(b"\n", b""))
                return received.hexdigest()
        # a pipe that loses bytes leaves the client waiting: a deadline, not a timing
        assert await asyncio.wait_for(round_trip(), 30) == sent
        assert tunnel.bytes_in > 24_000 * 1024 and tunnel.bytes_out > 24_000 * 1024
    finally:
        await tunnels.close()


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not on the PATH")
async def test_client_killed_mid_query_frees_its_session(sql_sandbox: SqlSandbox) -> None:
    password = sql_sandbox.cloudsql.password("main-db")
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", test=False)
        proc = await asyncio.create_subprocess_exec(
            "psql", f"host=127.0.0.1 port={tunnel.port} dbname=app user=app", "-Xc",
            "SELECT pg_sleep(60)", env={**os.environ, "PGPASSWORD": password},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        async with await _connect(tunnel, password) as watcher:
            async def sleeping() -> int:
                row = await (await watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'"
                )).fetchone()
                return int(str(row[0])) if row else 0

            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while await sleeping() == 0:
                assert loop.time() < deadline
                await asyncio.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            await until(lambda: tunnel.state.connections == 1)  # the watcher only
            await watcher.execute(
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                "WHERE query = 'SELECT pg_sleep(60)'")
            assert await (await watcher.execute("SELECT 1")).fetchone() == (1,)
    finally:
        await tunnels.close()


async def test_unreachable_instance_is_reported_and_retry_succeeds(
        sql_sandbox: SqlSandbox) -> None:
    cloudsql = sql_sandbox.cloudsql
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("down-db", TunnelOptions(ip_type="PRIVATE",
                                                              connect_timeout=5))
        state = tunnel.state
        assert state.status is TunnelStatus.ERROR
        assert "unreachable" in state.last_error and "down-db" in state.last_error
        assert state.connection_test is not None and not state.connection_test.ok
        await sql_sandbox.call(cloudsql.set_reachable("down-db", True))
        result = await tunnels.test("down-db")  # the pane's retry key
        assert result.ok, result
        assert tunnel.state.status is TunnelStatus.READY and not tunnel.state.last_error
    finally:
        await sql_sandbox.call(cloudsql.set_reachable("down-db", False))
        await tunnels.close()


async def test_stop_closes_idle_sessions_at_once_and_busy_ones_after_their_query(
        sql_sandbox: SqlSandbox) -> None:
    """The drain waits for what is in flight (a query, an open transaction), not for
    idle sessions: with a 60 s drain window, close() still returns within the deadline."""
    password = sql_sandbox.cloudsql.password("main-db")
    tunnels = sql_sandbox.tunnels()
    tunnel = await tunnels.start("main-db", test=False)
    idle = await _connect(tunnel, password)
    busy = await _connect(tunnel, password)
    in_transaction = await _connect(tunnel, password)
    await in_transaction.execute("BEGIN")
    await in_transaction.execute("SELECT count(*) FROM item")
    query = asyncio.ensure_future(busy.execute("SELECT pg_sleep(0.5)"))
    await until(lambda: tunnel.state.idle_connections == 1)  # the query is in
    closing = asyncio.ensure_future(tunnels.close(drain_timeout=60))
    await until(lambda: tunnel.state.connections == 2)  # the idle one went at once
    await query  # finished inside the drain window
    await in_transaction.execute("COMMIT")  # ends the transaction: the session may go
    await asyncio.wait_for(closing, 20)
    assert tunnel.state.status is TunnelStatus.STOPPED and tunnel.state.connections == 0
    for conn in (idle, busy, in_transaction):
        with pytest.raises(psycopg.OperationalError):
            await conn.execute("SELECT 1")
        await conn.close()


async def test_stop_cuts_what_is_still_busy_when_the_drain_times_out(
        sql_sandbox: SqlSandbox) -> None:
    password = sql_sandbox.cloudsql.password("main-db")
    tunnels = sql_sandbox.tunnels()
    tunnel = await tunnels.start("main-db", test=False)
    slow = await _connect(tunnel, password)
    query = asyncio.ensure_future(slow.execute("SELECT pg_sleep(30)"))
    await until(lambda: tunnel.bytes_in > 0 and tunnel.state.connections == 1)
    await tunnels.close(drain_timeout=0.2)
    with pytest.raises(psycopg.OperationalError):
        await asyncio.wait_for(query, 20)
    assert tunnel.state.connections == 0
    await slow.close()
