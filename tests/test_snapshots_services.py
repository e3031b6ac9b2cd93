"""SVG snapshots of the Services screen and the service detail at 120x40."""

from __future__ import annotations

from typing import Any

from conftest import FIXED_NOW
from textual.pilot import Pilot
from ui_app import make_app
from waiting import until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.widgets.services_table import ServicesTable


async def _loaded(pilot: Pilot[Any]) -> None:
    table = pilot.app.screen.query_one(ServicesTable)
    await until(lambda: table.row_count, pilot)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


def test_services_screen(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_loaded)


def test_service_detail_of_the_failed_service(snap_compare: Any,
                                              fixed_sandbox: RunningSandbox) -> None:
    async def open_backend(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        table = pilot.app.screen.query_one(ServicesTable)
        table.move_cursor(row=table.get_row_index("backend-staging"))
        await pilot.press("enter")
        await until(lambda: pilot.app.screen.query("#detail-revisions") and pilot.app.screen.query_one(
            "#detail-revisions").row_count, pilot)
        await pilot.pause(0.1)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=open_backend)


def test_services_grouped_by_pr(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def grouped(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("g")
        await pilot.pause(0.1)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=grouped)
