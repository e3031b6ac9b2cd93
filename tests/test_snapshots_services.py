"""SVG snapshots of the Services screen and the service detail at 120x40."""

from __future__ import annotations

from typing import Any

from conftest import FIXED_NOW
from fixtures_services import services_shown
from textual.pilot import Pilot
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.widgets.services_table import GROUP_PREFIX, ServicesTable


async def _loaded(pilot: Pilot[Any]) -> None:
    await services_shown(pilot)


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
        await pilot.app.workers.wait_for_complete()  # the IAM policy too
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=open_backend)


def test_services_grouped_by_pr(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def grouped(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("g")
        await until(lambda: any(k.startswith(GROUP_PREFIX)
                                for k in pilot.app.screen.query_one(ServicesTable).row_keys), pilot)
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=grouped)
