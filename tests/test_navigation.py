"""One navigation model for every list and table, pane by pane: arrows or j/k,
PgUp/PgDn, Home/End; the Doctor cursor never stops on a group header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fixtures_query import open_query, put_sql, run_and_wait
from textual.pilot import Pilot
from ui_app import make_app
from waiting import until as wait_until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.doctor import DoctorScreen
from staging_tui.ui.widgets.log_view import LogView
from staging_tui.ui.widgets.nav_table import NavTable
from staging_tui.ui.widgets.result_grid import ResultGrid
from staging_tui.ui.widgets.secrets_table import SecretsTable
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine


async def until(pilot: Pilot[Any], check: Callable[[], bool]) -> None:
    await wait_until(check, pilot)


async def assert_model(pilot: Pilot[Any], row: Callable[[], int], count: int) -> None:
    """The keys every list answers to, checked on the focused one (`count` rows)."""
    await pilot.press("home")
    assert row() == 0
    await pilot.press("j")
    assert row() == 1
    await pilot.press("down")
    assert row() == 2
    await pilot.press("k")
    assert row() == 1
    await pilot.press("up")
    assert row() == 0
    await pilot.press("end")
    assert row() == count - 1
    await pilot.press("pageup")
    assert row() < count - 1
    await pilot.press("pagedown")
    assert row() == count - 1 or row() > 0


async def test_services_secrets_and_logs(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await until(pilot, lambda: table.row_count > 3)
        await assert_model(pilot, lambda: table.cursor_row, table.row_count)
        await pilot.press("2")
        secrets = app.screen.query_one(SecretsTable)
        await until(pilot, lambda: secrets.row_count > 3)
        secrets.focus()
        await assert_model(pilot, lambda: secrets.cursor_row, secrets.row_count)
        await pilot.press("3")
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: len(view.model) > 50)
        view.focus()
        await pilot.press("home")
        assert view.cursor == 0 and not view.following
        await pilot.press("j", "down", "k")
        assert view.cursor == 1
        await pilot.press("end")
        assert view.following


async def test_service_detail_revisions(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await until(pilot, lambda: table.row_count > 0)
        table.move_cursor(row=table.get_row_index("backend-staging"))
        await pilot.press("enter")
        revisions = app.screen.query_one("#detail-revisions", NavTable)
        await until(pilot, lambda: revisions.row_count >= 4)
        revisions.focus()
        await assert_model(pilot, lambda: revisions.cursor_row, revisions.row_count)


async def test_doctor_skips_group_headers(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await until(pilot, lambda: not screen.running and bool(screen.findings) and not str(
            screen.query_one(StatusLine).render()).startswith("⟳"))
        table = screen.query_one("#doctor-table", NavTable)
        items = [i for i, f in enumerate(screen.finding_rows) if f is not None]
        await pilot.press("home")
        assert table.cursor_row == items[0] and items[0] > 0  # row 0 is a header
        seen = [table.cursor_row]
        for _ in range(len(items) - 1):
            await pilot.press("j")
            seen.append(table.cursor_row)
        assert seen == items  # every finding, no header
        await pilot.press("end")
        assert table.cursor_row == items[-1]
        for _ in range(3):
            await pilot.press("k")
            assert screen.finding_rows[table.cursor_row] is not None
        await pilot.press("pageup")
        assert screen.finding_rows[table.cursor_row] is not None


async def test_query_result_grid(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, "SELECT g FROM generate_series(1, 200) g")
        await run_and_wait(pilot, screen)
        grid = screen.query(ResultGrid).last()
        await pilot.press("f4")
        assert grid.has_focus
        await assert_model(pilot, lambda: grid.cursor_row, grid.row_count)


async def test_database_tunnels() -> None:
    from fixtures_tunnel import SQL_SCENARIO  # two instances, nothing started

    from staging_tui.sandbox.scenario import scenario_from_dict
    from staging_tui.sandbox.server import SandboxThread
    from staging_tui.ui.widgets.tunnel_view import TunnelTable

    thread = SandboxThread(scenario_from_dict(SQL_SCENARIO, source="<navigation>"))
    running = thread.start()
    try:
        app = make_app(running)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("4")
            table = app.screen.query_one(TunnelTable)
            await until(pilot, lambda: table.row_count == 2)
            await pilot.press("j")
            assert table.cursor_row == 1
            await pilot.press("k")
            assert table.cursor_row == 0
            await pilot.press("end")
            assert table.cursor_row == 1
            await pilot.press("home")
            assert table.cursor_row == 0
    finally:
        thread.stop()
