"""SVG snapshots of the Database pane at 120x40 (tunnels stopped: nothing time- or
port-dependent on screen)."""

from __future__ import annotations

from typing import Any

from conftest import FIXED_NOW
from textual.pilot import Pilot
from ui_app import make_app

from staging_tui.sandbox.server import RunningSandbox


def test_database_pane(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, press=["4"], terminal_size=(120, 40))


def test_database_pane_add_instance(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def type_name(pilot: Pilot[Any]) -> None:
        await pilot.press("4", "down", "a", *"other-project:europe-west1:reports")
        await pilot.pause(0.1)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=type_name)
