"""Pilot tests of the Database pane against the tunnel-test sandbox: start / stop with
keys, several tunnels, reveal and copy, an unreachable instance with a retry, ad hoc
instances, and tunnels drained when the app quits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixtures_tunnel import SqlSandbox
from textual.widgets import DataTable
from ui_app import make_app
from waiting import until

from staging_tui.domain import TunnelStatus
from staging_tui.ui.screens.database import DatabaseScreen
from staging_tui.ui.widgets.status_line import StatusLine
from staging_tui.ui.widgets.tunnel_view import TunnelDetail

MAIN = "tunnel-test:us-central1:main-db"
DOWN = "tunnel-test:us-central1:down-db"


def detail(app: Any) -> str:
    return app.screen.query_one(TunnelDetail).plain


def status_of(screen: DatabaseScreen, name: str) -> TunnelStatus:
    return screen.states[name].status if name in screen.states else TunnelStatus.STOPPED


async def test_start_reveal_copy_stop_and_drain_on_quit(
        sql_sandbox: SqlSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    password = sql_sandbox.cloudsql.password("main-db")
    app = make_app(sql_sandbox.running)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, DatabaseScreen)
        table = screen.query_one("#database-tunnels", DataTable)
        assert [str(k.value) for k in table.rows] == [MAIN, DOWN]
        await pilot.press("s")
        await until(lambda: status_of(screen, MAIN) is TunnelStatus.READY
                    and not screen.busy, pilot)
        text = detail(app)
        assert "ok: SELECT 1" in text and "postgresql://app:********@127.0.0.1:" in text
        assert password not in text
        assert table.get_row(MAIN)[-1] == "PUBLIC"  # auto: the first type the instance has
        await pilot.press("c")
        assert "********" in app.clipboard
        await pilot.press("v")
        await until(lambda: password in detail(app), pilot)
        await pilot.press("p")
        assert app.clipboard.startswith(f"PGPASSWORD={password} psql ")
        await pilot.press("v")
        assert password not in detail(app)
        await pilot.press("v")
        await until(lambda: password in detail(app), pilot)
        await pilot.press("1", "4")  # leaving the pane hides it again
        assert app.screen is screen and password not in detail(app)
        trail = (tmp_path / "staging-tui" / "audit.jsonl").read_text()
        assert password not in trail
        actions = [json.loads(line)["action"] for line in trail.splitlines()]
        assert actions == ["reveal", "copy", "reveal"]
        assert json.loads(trail.splitlines()[0])["secret"] == "app-db-password"
        tunnel = (await app.backend.tunnels()).get(MAIN)
        assert tunnel is not None
        await pilot.press("s")  # stop
        await until(lambda: status_of(screen, MAIN) is TunnelStatus.STOPPED
                    and not screen.busy, pilot)
        await pilot.press("s")  # and start again, then quit with it running
        await until(lambda: status_of(screen, MAIN) is TunnelStatus.READY
                    and not screen.busy, pilot)
        tunnel = (await app.backend.tunnels()).get(MAIN)
        assert tunnel is not None
        await app.action_quit()
    assert tunnel.state.status is TunnelStatus.STOPPED


async def test_unreachable_instance_shows_error_and_retry_works(sql_sandbox: SqlSandbox) -> None:
    cloudsql = sql_sandbox.cloudsql
    app = make_app(sql_sandbox.running)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("4")
            screen = app.screen
            assert isinstance(screen, DatabaseScreen)
            await pilot.press("down", "s")  # auto IP type: PUBLIC missing, PRIVATE used
            await until(lambda: status_of(screen, DOWN) is TunnelStatus.ERROR
                        and not screen.busy, pilot)
            text = detail(app)
            assert "unreachable" in text and "r retry" in text
            assert "unreachable" in str(screen.query_one(StatusLine).render())
            await sql_sandbox.call(cloudsql.set_reachable("down-db", True))
            await pilot.press("r")
            await until(lambda: status_of(screen, DOWN) is TunnelStatus.READY
                        and not screen.busy, pilot)
            assert "ok: SELECT 1" in detail(app)
            await app.action_quit()
    finally:
        await sql_sandbox.call(cloudsql.set_reachable("down-db", False))


async def test_ad_hoc_instance_and_several_tunnels(sql_sandbox: SqlSandbox) -> None:
    app = make_app(sql_sandbox.running)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, DatabaseScreen)
        await pilot.press("a")
        await pilot.press(*"tunnel-test:us-central1:nope", "enter")
        table = screen.query_one("#database-tunnels", DataTable)
        assert [str(k.value) for k in table.rows][-1] == "tunnel-test:us-central1:nope"
        await pilot.press("s")
        await until(lambda: "nope" not in screen.busy and
                    status_of(screen, "tunnel-test:us-central1:nope") is TunnelStatus.ERROR, pilot)
        assert "not found" in str(screen.query_one(StatusLine).render())
        await pilot.press("up", "up", "s")
        await until(lambda: status_of(screen, MAIN) is TunnelStatus.READY
                    and not screen.busy, pilot)
        await pilot.press("down", "i", "i", "s")  # down-db with PRIVATE chosen explicitly
        await until(lambda: status_of(screen, DOWN) is TunnelStatus.ERROR
                    and not screen.busy, pilot)
        ports = {screen.states[MAIN].port, screen.states[DOWN].port}
        assert len(ports) == 2 and status_of(screen, MAIN) is TunnelStatus.READY
        await app.action_quit()


async def test_tunnels_started_elsewhere_show_in_the_pane(sql_sandbox: SqlSandbox) -> None:
    """The Query pane starts tunnels through the same Backend: the pane lists them."""
    app = make_app(sql_sandbox.running)
    async with app.run_test(size=(120, 40)) as pilot:
        tunnels = await app.backend.tunnels()
        await tunnels.start(MAIN, test=False)
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, DatabaseScreen)
        await until(lambda: status_of(screen, MAIN) is TunnelStatus.READY, pilot)
        assert "PUBLIC" in detail(app) and "127.0.0.1:" in detail(app)
        await app.action_quit()


async def test_clients_beyond_the_profiles_limit_are_refused_and_shown(
        sql_sandbox: SqlSandbox) -> None:
    """tunnel_max_connections = 1: a second client gets a FATAL error, the detail says so."""
    import socket

    from ui_app import sandbox_profile

    app = make_app(sql_sandbox.running,
                   sandbox_profile(sql_sandbox.running, tunnel_max_connections=1))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, DatabaseScreen)
        await pilot.press("s")
        await until(lambda: status_of(screen, MAIN) is TunnelStatus.READY
                    and not screen.busy, pilot)
        port = screen.states[MAIN].port
        first = socket.create_connection(("127.0.0.1", port))
        await until(lambda: screen.states[MAIN].connections == 1, pilot)
        second = socket.create_connection(("127.0.0.1", port))
        second.sendall((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))  # SSLRequest
        try:
            await until(lambda: "refused" in detail(app), pilot)
            text = detail(app)
            assert "1 client(s): connection limit 1 reached; close idle clients" in text
            assert "tunnel_max_connections" in text
        finally:
            first.close()
            second.close()
