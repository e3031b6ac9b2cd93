"""SVG snapshots of the Logs pane (fixed entries, fixed clock, UTC) at 120x40."""

from __future__ import annotations

from typing import Any

from fixtures_logs import SNAPSHOT_NOW
from textual.pilot import Pilot
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.log_dialogs import LogEntryScreen
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.widgets.log_view import LogView


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


def test_logs_pane(snap_compare: Any, quiet_logs_sandbox: RunningSandbox) -> None:
    app = make_app(quiet_logs_sandbox, clock=lambda: SNAPSHOT_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_logs_loaded)


def test_logs_pane_find_and_expand_json(snap_compare: Any,
                                        quiet_logs_sandbox: RunningSandbox) -> None:
    async def find_and_expand(pilot: Pilot[Any]) -> None:
        await _logs_loaded(pilot)
        await pilot.press("slash", *"handled", "enter")
        await settled(pilot)
        await pilot.press("up", "enter")
        await until(lambda: isinstance(pilot.app.screen, LogEntryScreen), pilot)
        await settled(pilot)

    app = make_app(quiet_logs_sandbox, clock=lambda: SNAPSHOT_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=find_and_expand)


def test_logs_pane_wrapped_errors(snap_compare: Any, quiet_logs_sandbox: RunningSandbox) -> None:
    async def errors_wrapped(pilot: Pilot[Any]) -> None:
        await _logs_loaded(pilot)
        for _ in range(5):
            await pilot.press("greater_than_sign")
        await pilot.press("w")
        await settled(pilot)

    app = make_app(quiet_logs_sandbox, clock=lambda: SNAPSHOT_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=errors_wrapped)
