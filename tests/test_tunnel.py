"""The tunnel end to end: real psycopg (and Debian's psql) through gcp/cloudsql.py to the
sandbox's mutual-TLS instance server and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess

import psycopg
import pytest
from fixtures_tunnel import SqlSandbox
from waiting import until

from staging_tui.domain import DEFAULT_MAX_CONNECTIONS, SqlInstance, TunnelOptions, TunnelStatus
from staging_tui.errors import TunnelError
from staging_tui.gcp.cloudsql import DEFAULT_PORT
from staging_tui.render.tunnels import database_url

MAIN = "tunnel-test:us-central1:main-db"


async def _query(port: int, sql: str, user: str = "app", password: str = "",
                 dbname: str = "app") -> list[tuple[object, ...]]:
    async with await psycopg.AsyncConnection.connect(
            host="127.0.0.1", port=port, dbname=dbname, user=user,
            password=password or None, connect_timeout=20) as conn:
        return await (await conn.execute(sql)).fetchall()


async def test_psycopg_through_the_tunnel_with_password_from_secret_manager(
        sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db")
        state = tunnel.state
        assert state.status is TunnelStatus.READY
        assert str(state.connection_test).startswith("ok: SELECT 1")
        assert DEFAULT_PORT <= state.port < DEFAULT_PORT + 100
        password = await tunnels.password(tunnel.instance)
        assert password == sql_sandbox.cloudsql.password("main-db")
        url = database_url(state, password)
        async with await psycopg.AsyncConnection.connect(url) as conn:
            rows = await (await conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE average_value IS NULL) "
                "FROM analysis_average_view")).fetchall()
        assert rows[0][0] == 10 and rows[0][1] >= 1
        after = tunnel.state
        assert after.bytes_in > 0 and after.bytes_out > 0
        assert "********" in database_url(after) and password not in repr(after)
    finally:
        await tunnels.close()


async def test_read_only_role_cannot_write(sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", test=False)
        password = sql_sandbox.cloudsql.password("main-db", "app_readonly")
        rows = await _query(tunnel.port, "SELECT count(*) FROM item", "app_readonly", password)
        assert rows == [(100,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await _query(tunnel.port, "DELETE FROM item", "app_readonly", password)
    finally:
        await tunnels.close()


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not on the PATH")
async def test_debian_psql_through_the_tunnel(sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", test=False)
        env = {**os.environ, "PGPASSWORD": sql_sandbox.cloudsql.password("main-db")}
        proc = await asyncio.create_subprocess_exec(
            "psql", f"host=127.0.0.1 port={tunnel.port} dbname=app user=app", "-XAtc",
            "SELECT sum(id) FROM item", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        assert out.decode().strip() == "5050"
    finally:
        await tunnels.close()


@pytest.mark.parametrize("ip_type", ["PRIVATE", "PSC"])
async def test_ip_types_and_lazy_refresh(sql_sandbox: SqlSandbox, ip_type: str) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", TunnelOptions(ip_type=ip_type, refresh="lazy"))
        assert tunnel.state.connection_test and tunnel.state.connection_test.ok, tunnel.state
    finally:
        await tunnels.close()


async def test_iam_database_authentication(sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    robot = SqlInstance(MAIN, database="app", user="robot@tunnel-test.iam", iam_auth=True)
    try:
        tunnel = await tunnels.start(robot)
        assert tunnel.state.connection_test and tunnel.state.connection_test.ok, tunnel.state
        assert database_url(tunnel.state, None, masked=False).startswith(
            "postgresql://robot%40tunnel-test.iam@127.0.0.1:")
    finally:
        await tunnels.close()


async def test_port_in_use_is_a_clear_error(sql_sandbox: SqlSandbox) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        tunnels = sql_sandbox.tunnels()
        with pytest.raises(TunnelError) as err:
            await tunnels.start("main-db", TunnelOptions(port=port))
        assert f"127.0.0.1:{port}" in err.value.message and "in use" in err.value.message
        assert str(port) in err.value.fix
        await tunnels.close()


async def test_several_tunnels_pick_free_ports(sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        first = await tunnels.start("main-db", test=False)
        ad_hoc = SqlInstance(MAIN, database="app", user="app", password_secret="app-db-password")
        other = await tunnels.start("down-db", TunnelOptions(ip_type="PRIVATE"), test=False)
        assert first.port != other.port
        names = [s.instance for s in tunnels.states()]
        assert names == [MAIN, "tunnel-test:us-central1:down-db"]
        assert tunnels.resolve(ad_hoc.connection_name).user == "app"
        assert tunnels.resolve("p:r:adhoc").connection_name == "p:r:adhoc"
        with pytest.raises(TunnelError):
            tunnels.resolve("nope")
    finally:
        await tunnels.close()


async def test_unknown_instance_and_wrong_ip_type_are_reported(sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    # Google answers 403 not authorized for an unknown instance, not 404: the message
    # names the likely causes and the fix starts with the connection name.
    with pytest.raises(TunnelError, match="typo in the connection name") as unknown:
        await tunnels.start("tunnel-test:us-central1:missing")
    assert "403" in unknown.value.message and "roles/cloudsql.client" in unknown.value.message
    assert unknown.value.fix.startswith("check the connection name")
    assert "--project tunnel-test" in unknown.value.fix
    with pytest.raises(TunnelError, match="no IP address of the requested type") as err:
        await tunnels.start("down-db", TunnelOptions(ip_type="PUBLIC"))  # it is PRIVATE only
    assert "--private-ip" in err.value.fix
    await tunnels.close()


async def test_auto_ip_type_picks_what_the_instance_has(sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("down-db", test=False)  # no options: AUTO
        assert tunnel.state.status is TunnelStatus.READY  # listening; the network is down
        main_tunnel = await tunnels.start("main-db", test=False)
        assert main_tunnel.state.status is TunnelStatus.READY
    finally:
        await tunnels.close()


async def test_certificate_lifetime_comes_from_the_scenario(sql_sandbox: SqlSandbox) -> None:
    from datetime import UTC, datetime

    from staging_tui.gcp.cloudsql import ConnectorSession

    session = ConnectorSession(sql_sandbox.endpoints, MAIN, iam_auth=False, refresh="lazy")
    try:
        _, _, _, expires = await session.target("AUTO")
    finally:
        await session.close()
    remaining = (expires - datetime.now(UTC)).total_seconds()
    assert 3500 < remaining <= 3600  # cert_lifetime defaults to 1h


async def test_max_connections_refuses_extra_clients(sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", TunnelOptions(max_connections=1), test=False)
        password = sql_sandbox.cloudsql.password("main-db")
        refused: list[str] = []
        tunnel.on_refused = refused.append
        async with await psycopg.AsyncConnection.connect(
                host="127.0.0.1", port=tunnel.port, dbname="app", user="app", password=password):
            with pytest.raises(psycopg.OperationalError) as err:
                await _query(tunnel.port, "SELECT 1", password=password)
            # libpq shows the tunnel's own FATAL error, not "server closed the connection".
            assert "too many connections (limit 1)" in str(err.value), err.value
        assert tunnel.rejected == 1
        state = tunnel.state
        assert state.refused == 1 and state.max_connections == 1
        assert "connection limit 1 reached: refused 1 client(s)" in state.last_error
        assert len(refused) == 1 and refused[0].startswith(state.last_error + "; fix: close idle")
        assert state.status is TunnelStatus.READY  # the tunnel keeps serving
        # the first client's session ends on its pipe thread: wait until it is counted
        await until(lambda: tunnel.state.connections == 0, what="the closed client counted")
        assert await _query(tunnel.port, "SELECT 1", password=password) == [(1,)]
    finally:
        await tunnels.close()


async def test_the_default_connection_limit(sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", test=False)
        assert tunnel.state.max_connections == DEFAULT_MAX_CONNECTIONS == 50
    finally:
        await tunnels.close()


async def test_an_address_of_no_interface_fails_at_once(sql_sandbox: SqlSandbox) -> None:
    """Not a scan of 100 ports: the first bind error that is not "in use" ends it."""
    tunnels = sql_sandbox.tunnels()
    try:
        with pytest.raises(TunnelError) as err:
            await tunnels.start("main-db", TunnelOptions(address="192.0.2.1"), test=False)
        assert "cannot listen on 192.0.2.1:5433" in err.value.message
        assert "address of this machine" in err.value.fix
    finally:
        await tunnels.close()
