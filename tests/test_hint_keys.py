"""Every hint line shows its keys: `[h]` in a status line is text, not markup (which
silently dropped it: "4 revisions ·  health check ·  logs")."""

from __future__ import annotations

import re
from typing import Any

from ui_app import make_app
from waiting import settled, until

from staging_tui.errors import StagingError
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.service_detail import ServiceDetailScreen
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine

LOST_KEY = re.compile(r"·\s{2,}\S|^\s+\S.*·|\(\s*\)")  # where a "[k]" vanished


def status_texts(app: Any) -> list[str]:
    return [str(w.render()) for w in app.screen.query(StatusLine)]


def assert_keys_shown(texts: list[str]) -> None:
    for text in texts:
        assert not LOST_KEY.search(text), f"a key hint vanished: {text!r}"


async def wait_for(pilot: Any, check: Any) -> None:
    await until(check, pilot)


async def test_status_line_never_reads_markup() -> None:
    from textual.app import App, ComposeResult

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield StatusLine("[h] health · [[profiles.NAME.sql]]")

    app = One()
    async with app.run_test():
        line = app.query_one(StatusLine)
        assert str(line.render()) == "[h] health · [[profiles.NAME.sql]]"
        line.info("[Errno 111] Connection refused · [l] logs")
        assert str(line.render()) == "[Errno 111] Connection refused · [l] logs"
        line.error(StagingError("bad [x]", "press [r]"))
        assert "bad [x]" in str(line.render()) and "press [r]" in str(line.render())


async def test_every_pane_and_the_service_detail_show_their_keys(sandbox: RunningSandbox
                                                                 ) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        table.move_cursor(row=table.get_row_index("backend-staging"))
        await pilot.press("enter")
        assert isinstance(app.screen, ServiceDetailScreen)
        await wait_for(pilot, lambda: "revisions ·" in status_texts(app)[0])
        hint = status_texts(app)[0]
        assert "[h] health check · [l] logs · [c] copy URL · [o] open URL" in hint and "[Esc] back" in hint
        await pilot.press("escape")
        for key in "123456":
            await pilot.press(key)
            await settled(pilot)
            assert_keys_shown(status_texts(app))
