"""Every pane at the smallest supported terminal (80x24: abbreviated tabs, compact footer,
the query editor shrunk) and at a large one (200x50)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from conftest import FIXED_NOW
from fixtures_doctor import wait_done
from fixtures_logs import SNAPSHOT_NOW
from fixtures_query import open_query, run_and_wait
from fixtures_secrets import open_secrets
from fixtures_services import services_shown
from textual.pilot import Pilot
from textual.widgets import Input
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.database import DatabaseScreen
from staging_tui.ui.screens.doctor import DoctorScreen
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.widgets.log_view import LogView
from staging_tui.ui.widgets.secrets_table import SecretsTable
from staging_tui.ui.widgets.services_table import ServicesTable

RESULT_SQL = ("SELECT site, count(*) AS samples, NULL::text AS note, 'NULL' AS literal\n"
              "FROM sample GROUP BY site ORDER BY site;")


async def _loaded(pilot: Pilot[Any]) -> None:
    await services_shown(pilot)


async def _on_mcp_token(pilot: Pilot[Any]) -> None:
    screen = await open_secrets(pilot)
    table = screen.query_one(SecretsTable)
    table.move_cursor(table.get_row_index("mcp-bearer-token-staging"))
    await until(lambda: screen.selected() is not None and screen.selected().versions_known,  # type: ignore[union-attr]
                pilot)
    await settled(pilot)


async def _logs_loaded(pilot: Pilot[Any]) -> None:
    await pilot.press("3")
    screen = pilot.app.screen
    assert isinstance(screen, LogsScreen)
    await until(lambda: len(screen.model) >= 45, pilot)
    await pilot.press("u")  # UTC: the same picture in every time zone
    # what the pane's next frame and chart tick do (timers: not waited for by settled)
    screen.query_one(LogView).data_changed()
    screen.update_chart()
    await settled(pilot)


async def _done(pilot: Pilot[Any]) -> None:
    await pilot.press("6")
    screen = pilot.app.screen
    assert isinstance(screen, DoctorScreen)
    await wait_done(pilot, screen)

SIZES = [(80, 24), (200, 50)]


async def _database(pilot: Pilot[Any]) -> None:
    await pilot.press("4")
    screen = pilot.app.screen
    assert isinstance(screen, DatabaseScreen)
    await until(lambda: screen.tunnels is not None, pilot)  # attached to the tunnels
    await settled(pilot)


async def _query(pilot: Pilot[Any]) -> None:
    screen = await open_query(pilot)
    assert screen.session is not None
    screen.session.timing = False  # no wall-clock figures in a snapshot
    screen.editor.load_text(RESULT_SQL)
    screen.editor.move_cursor((0, 0))
    await run_and_wait(pilot, screen)
    await pilot.app.workers.wait_for_complete()
    await settled(pilot)


async def _services_filter(pilot: Pilot[Any]) -> None:
    await _loaded(pilot)
    await pilot.press("slash", *"backend")
    # a blinking cursor is drawn or not depending on when the picture is taken
    pilot.app.screen.query_one(Input).cursor_blink = False
    table = pilot.app.screen.query_one(ServicesTable)
    await until(lambda: table.row_keys and all("backend" in k for k in table.row_keys), pilot)
    await settled(pilot)


PANES: dict[str, Callable[[Pilot[Any]], Awaitable[None]]] = {
    "services": _loaded, "services-filter": _services_filter, "secrets": _on_mcp_token,
    "database": _database, "query": _query, "doctor": _done,
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pane", list(PANES))
def test_pane_at_size(snap_compare: Any, fixed_sandbox: RunningSandbox, pane: str,
                      size: tuple[int, int]) -> None:
    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=size, run_before=PANES[pane])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_logs_at_size(snap_compare: Any, quiet_logs_sandbox: RunningSandbox,
                      size: tuple[int, int]) -> None:
    app = make_app(quiet_logs_sandbox, clock=lambda: SNAPSHOT_NOW)
    assert snap_compare(app, terminal_size=size, run_before=_logs_loaded)
