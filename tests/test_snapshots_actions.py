"""SVG snapshots of the incident-action preview (single key, and protected: typed name)."""

from __future__ import annotations

from typing import Any

from conftest import FIXED_NOW
from fixtures_services import preview_shown, services_shown
from textual.pilot import Pilot
from textual.widgets import Input
from ui_app import make_app, sandbox_profile
from waiting import settled

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.widgets.services_table import ServicesTable


async def _rollback_preview(pilot: Pilot[Any]) -> None:
    await services_shown(pilot)  # services and error rates loaded
    table = pilot.app.screen.query_one(ServicesTable)
    table.move_cursor(row=table.get_row_index("backend-staging"))
    await pilot.press("b")
    panel = await preview_shown(pilot)
    for box in panel.query(Input):  # a blinking cursor differs run to run
        box.cursor_blink = False
    await settled(pilot)


def test_rollback_preview(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    settings = sandbox_profile(fixed_sandbox, read_only=False, profile="sandbox-actions")
    app = make_app(fixed_sandbox, settings, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_rollback_preview)


def test_rollback_preview_protected(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    settings = sandbox_profile(fixed_sandbox, read_only=False, protected=True,
                               profile="sandbox-protected")
    app = make_app(fixed_sandbox, settings, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_rollback_preview)
