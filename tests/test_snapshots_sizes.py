"""Every pane at the smallest supported terminal (80x24: abbreviated tabs, compact footer,
the query editor shrunk) and at a large one (200x50)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from conftest import FIXED_NOW
from fixtures_logs import SNAPSHOT_NOW
from test_snapshots_doctor import _done
from test_snapshots_logs import _logs_loaded
from test_snapshots_query import RESULT_SQL, _ready, _run
from test_snapshots_secrets import _on_mcp_token
from test_snapshots_services import _loaded
from textual.pilot import Pilot
from ui_app import make_app

from staging_tui.sandbox.server import RunningSandbox

SIZES = [(80, 24), (200, 50)]


async def _database(pilot: Pilot[Any]) -> None:
    await pilot.press("4")
    await pilot.pause(0.2)


async def _query(pilot: Pilot[Any]) -> None:
    screen = await _ready(pilot)
    await _run(pilot, screen, RESULT_SQL)


async def _services_filter(pilot: Pilot[Any]) -> None:
    await _loaded(pilot)
    await pilot.press("slash", *"backend")
    await pilot.pause(0.2)


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
