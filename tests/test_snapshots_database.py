"""SVG snapshots of the Database pane at 120x40 (tunnels stopped: nothing time- or
port-dependent on screen)."""

from __future__ import annotations

from typing import Any

from conftest import FIXED_NOW
from textual.pilot import Pilot
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.database import DatabaseScreen


async def _database(pilot: Pilot[Any]) -> DatabaseScreen:
    await pilot.press("4")
    screen = pilot.app.screen
    assert isinstance(screen, DatabaseScreen)
    await until(lambda: screen.tunnels is not None, pilot)  # attached to the tunnels
    await settled(pilot)
    return screen


def test_database_pane(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_database)


def test_database_pane_add_instance(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def type_name(pilot: Pilot[Any]) -> None:
        await _database(pilot)
        await pilot.press("down", "a", *"other-project:europe-west1:reports")
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=type_name)
