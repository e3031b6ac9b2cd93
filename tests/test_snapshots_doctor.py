"""SVG snapshots of the Doctor pane (default scenario, fixed clock) at 120x40."""

from __future__ import annotations

from typing import Any

from conftest import FIXED_NOW
from fixtures_doctor import wait_done
from textual.pilot import Pilot
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.doctor import DoctorFindingScreen


async def _done(pilot: Pilot[Any]) -> None:
    await pilot.press("6")
    await wait_done(pilot, pilot.app.screen)  # type: ignore[arg-type]


def test_doctor_pane(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_done)


def test_doctor_finding_detail(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def detail(pilot: Pilot[Any]) -> None:
        await _done(pilot)
        await pilot.press("down", "enter")  # the cursor starts on the first problem
        await until(lambda: isinstance(pilot.app.screen, DoctorFindingScreen), pilot)
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=detail)
