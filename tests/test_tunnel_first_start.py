"""The first tunnel start shows its steps and the time so far, and succeeds even when
the database behind the instance is still starting (the sandbox's PostgreSQL starts on
first use, like a cold instance): the first connection test gets a longer budget."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fixtures_tunnel import SQL_SCENARIO, SqlSandbox
from ui_app import make_app
from waiting import until

from staging_tui.domain import TunnelOptions
from staging_tui.render.tunnels import start_progress
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import SandboxThread
from staging_tui.ui.widgets.status_line import StatusLine


@pytest.fixture
def cold_sandbox() -> Iterator[SqlSandbox]:
    """A sandbox whose PostgreSQL has not started yet (each test gets its own)."""
    scenario = {**SQL_SCENARIO, "sql": [SQL_SCENARIO["sql"][0]],
                "faults": {"database_start_ms": 3000}}  # slower than the 1-2 s budgets
    thread = SandboxThread(scenario_from_dict(scenario, source="<cold start>"))
    running = thread.start()
    yield SqlSandbox(running, thread)
    thread.stop()


def test_progress_text_names_the_step_and_the_time() -> None:
    assert start_progress("main-db", "login", 3.24) == (
        "starting main-db · 4/5 login (the database may still be starting) · 3.2 s")
    assert start_progress("main-db", "", 0.0) == "starting main-db · listening · 0.0 s"


async def test_first_test_waits_for_a_cold_database(cold_sandbox: SqlSandbox) -> None:
    assert not cold_sandbox.cloudsql.database.started
    tunnels = cold_sandbox.tunnels()
    steps: list[str] = []
    try:
        # 1 s (libpq: 2 s) is less than the cold database needs: only the first-test
        # budget passes it
        tunnel = await tunnels.start("main-db", TunnelOptions(connect_timeout=1),
                                     progress=steps.append)
        test = tunnel.state.connection_test
        assert test is not None and test.ok, tunnel.state
        assert steps == ["certificate", "password", "dial", "login", "test"]
        assert (await tunnels.test("main-db")).ok  # warm: the short budget is plenty
    finally:
        await tunnels.close()


async def test_database_pane_shows_start_steps_and_elapsed_time(cold_sandbox: SqlSandbox
                                                                ) -> None:
    app = make_app(cold_sandbox.running)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        status = app.screen.query_one(StatusLine)
        await pilot.press("s")

        def ended() -> bool:
            """Each text the status line shows (the login step lasts 3 s: the cold
            database), until the start has ended either way."""
            text = str(status.render())
            if not seen or seen[-1] != text:
                seen.append(text)
            return text.startswith(("✓", "✗"))

        # a cold start spawns a PostgreSQL: minutes on a busy machine, not seconds
        await until(ended, pilot, timeout=180, what="the tunnel start to end")
        logins = [t for t in seen if "4/5 login" in t]
        assert logins, seen
        assert any(t.endswith(" s…") for t in logins)
        assert seen[-1].startswith("✓ main-db"), seen
        await app.action_quit()
