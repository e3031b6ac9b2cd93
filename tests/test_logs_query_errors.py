"""A typing error in the Logs query is reported against what the user typed (not the
timestamp clause the pane adds), and the entries of the running query stay until a
valid query replaces them."""

from __future__ import annotations

from textual.widgets import Input
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.widgets.status_line import StatusLine


async def test_query_error_names_the_typed_text_and_keeps_entries(sandbox: RunningSandbox
                                                                   ) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(lambda: len(screen.model) >= 5, pilot)
        before = len(screen.model)
        assert before >= 5
        query = screen.query_one("#logs-query", Input)
        running = query.value
        await pilot.press("e")
        typed = running + " AND textPayload:"  # incomplete: the parser reads on
        query.value = typed
        await pilot.press("enter")
        error = screen.query_one("#logs-query-error")
        await until(lambda: "column" in str(error.render()), pilot)
        text = str(error.render())
        assert "timestamp" not in text, text
        assert f"column {len(typed) + 1}" in text, text
        status = str(screen.query_one(StatusLine).render())
        assert "still showing" in status
        await settled(pilot)
        assert len(screen.model) >= before  # the old entries (and the tail) are kept
        assert query.has_focus and query.value == typed
        # a valid query then replaces them
        query.value = running + ' AND severity>=ERROR'
        await pilot.press("enter")
        await until(lambda: str(error.render()) == "" and screen.running_query.endswith("ERROR"),
                    pilot)
        assert screen.running_query == running + " AND severity>=ERROR"
