"""Usable at 80x24: every pane's tab is reachable in the header, the filters never cover
it, the footer goes compact, and the query editor leaves room for results."""

from __future__ import annotations

from textual.widgets import Footer, Input, Static
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.widgets.env_header import EnvHeader
from staging_tui.ui.widgets.sql_editor import SqlEditor


def tabs(app: object) -> str:
    return str(app.screen.query_one("#env-tabs", Static).render())  # type: ignore[attr-defined]


async def test_header_tabs_footer_filters_and_editor_at_80x24(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert tabs(app).split() == ["1", "Services", "2", "3", "4", "5", "6"]
        assert app.screen.query_one(Footer).compact
        await pilot.press("slash")
        header = app.screen.query_one(EnvHeader).region
        box = app.screen.query_one("#services-filter", Input).region
        assert header.y == 0 and box.y >= 1 and box.height == 1  # under the header
        await pilot.press("escape", "2", "slash")
        box = app.screen.query_one("#secrets-filter", Input).region
        assert box.y >= 1
        await pilot.press("escape", "5")
        await until(lambda: app.screen.query(SqlEditor), pilot)
        await settled(pilot)
        assert tabs(app).split() == ["1", "2", "3", "4", "5", "Query", "6"]
        assert app.screen.query_one(SqlEditor).region.height <= 8  # was 10 of 24 rows


async def test_wide_terminal_keeps_full_titles(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(200, 50)) as pilot:
        await settled(pilot)
        assert "4 Database 5 Query 6 Doctor" in tabs(app)
        assert not app.screen.query_one(Footer).compact
        await pilot.press("5")
        await until(lambda: app.screen.query(SqlEditor), pilot)
        await settled(pilot)
        assert app.screen.query_one(SqlEditor).region.height == 10  # as before
