"""SVG snapshots of the Query pane at 120x40: a result with NULL vs 'NULL', a
refused write with its fix, and the destructive confirmation naming the environment."""

from __future__ import annotations

from typing import Any

from conftest import FIXED_NOW
from fixtures_query import open_query, run_and_wait
from textual.pilot import Pilot
from ui_app import make_app, sandbox_profile
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.query import QueryScreen
from staging_tui.ui.screens.query_dialogs import ConfirmScreen

RESULT_SQL = ("SELECT site, count(*) AS samples, NULL::text AS note, 'NULL' AS literal\n"
              "FROM sample GROUP BY site ORDER BY site;")


async def _ready(pilot: Pilot[Any]) -> QueryScreen:
    screen = await open_query(pilot)
    assert screen.session is not None
    screen.session.timing = False  # no wall-clock figures in a snapshot
    return screen


async def _run(pilot: Pilot[Any], screen: QueryScreen, sql: str, key: str = "f5") -> None:
    screen.editor.load_text(sql)
    screen.editor.move_cursor((0, 0))
    await run_and_wait(pilot, screen, key)
    await pilot.app.workers.wait_for_complete()
    await settled(pilot)


def test_query_result(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        screen = await _ready(pilot)
        await _run(pilot, screen, RESULT_SQL)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_query_refused_write(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        screen = await _ready(pilot)
        await _run(pilot, screen, "UPDATE sample SET site = 'x'")

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_query_destructive_confirmation(snap_compare: Any,
                                        fixed_sandbox: RunningSandbox) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        screen = await _ready(pilot)
        assert screen.session is not None
        await screen.session.enable_writes()
        screen.refresh_session_line()  # as f2 does after it (else the line says read-only
        screen.editor.load_text("DELETE FROM sample")  # until something else redraws it)
        await pilot.press("f5")
        await until(lambda: isinstance(pilot.app.screen, ConfirmScreen), pilot)
        await settled(pilot)

    settings = sandbox_profile(fixed_sandbox, read_only=False)
    app = make_app(fixed_sandbox, settings, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_query_quality_of_a_view(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    """F3 on analysis_average_view: the NULL averages seed 000 found, at a glance."""
    async def run(pilot: Pilot[Any]) -> None:
        screen = await _ready(pilot)
        screen.editor.load_text("SELECT * FROM analysis_average_view")
        await pilot.press("f3")
        await until(lambda: "quality" in str(screen.status.render()), pilot)
        await pilot.app.workers.wait_for_complete()
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)
