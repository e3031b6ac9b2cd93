"""Pilot tests of the Logs pane: follow / pause / resume, expand, both filters,
severity floor, markers, save, and opening it for one service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input
from ui_app import make_app
from waiting import settled, until, workers_done

from staging_tui.domain import LogEntry, MarkerKind, Severity
from staging_tui.render.log_lines import format_time
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.log_dialogs import LogEntryScreen
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.widgets.log_view import LogView, strip_text


async def _open_logs(pilot: Pilot[Any], rows: int = 5) -> LogsScreen:
    await pilot.press("3")
    screen = pilot.app.screen
    assert isinstance(screen, LogsScreen)
    await until(lambda: len(screen.model) >= rows, pilot)
    await settled(pilot)
    return screen


def _lines(view: LogView) -> list[str]:
    return [strip_text(view.render_line(y)) for y in range(view.size.height)]


async def test_follow_pause_resume_and_expand(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_logs(pilot, rows=50)
        view = screen.query_one(LogView)
        view.data_changed()
        assert view.following and view.cursor == len(screen.model) - 1
        assert any("INFO" in line or "ERROR" in line for line in _lines(view))
        await pilot.press("up", "up")
        assert not view.following
        paused_at = view.cursor
        arrived = len(screen.model)
        await until(lambda: len(screen.model) > arrived + 5, pilot)  # entries keep arriving
        await settled(pilot)  # ... and are shown: the cursor stays
        assert view.cursor == paused_at and not view.following
        assert "paused" in str(screen.query_one("#logs-status").render())
        await pilot.press("f")
        assert view.following
        await settled(pilot)
        view.data_changed()  # what the next frame does with entries that just arrived
        assert view.cursor == len(screen.model) - 1
        await pilot.press("up", "end")
        assert view.following
        # expand the entry under the cursor
        await pilot.press("up")
        item = screen.model.row(view.cursor)
        while not isinstance(item, LogEntry):
            await pilot.press("up")
            item = screen.model.row(view.cursor)
        await pilot.press("enter")
        assert isinstance(app.screen, LogEntryScreen)
        await settled(pilot)
        shown = app.export_screenshot()
        assert item.insert_id in shown and "logName" in shown
        await pilot.press("escape")
        assert isinstance(app.screen, LogsScreen)


async def test_server_filter_errors_and_quick_filter(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_logs(pilot)
        query = screen.query_one("#logs-query", Input)
        running = query.value
        await pilot.press("e", *" AND severity>=EROR")  # typed at the end, not replacing
        assert query.has_focus and query.value == running + " AND severity>=EROR"
        await pilot.press("escape")  # edits dropped, back to the list
        assert query.value == running and screen.query_one(LogView).has_focus
        await pilot.press("e")
        query.value = "severity>= AND"
        await pilot.press("enter")
        await until(lambda: "column" in str(screen.query_one("#logs-query-error").render()), pilot)
        error = str(screen.query_one("#logs-query-error").render())
        assert "unknown severity 'AND'" in error and "column 12" in error
        # back in the query, the cursor on the culprit
        assert query.has_focus and query.cursor_position == 11
        query.value = 'resource.labels.service_name="backend-staging" severity>=ERROR'
        await pilot.press("enter")
        await until(lambda: len(screen.model) > 5, pilot)
        assert str(screen.query_one("#logs-query-error").render()) == ""
        entries = [x for x in screen.model.rows(0, len(screen.model)) if isinstance(x, LogEntry)]
        assert entries and all(e.service == "backend-staging" for e in entries)
        assert all(e.severity >= Severity.ERROR for e in entries)
        # client-side quick filter with highlight, then inverse
        # a traceback's first line does not say "refused": its last line does
        await pilot.press("slash", *"refused")
        await until(lambda: screen.model.pattern == "refused", pilot)
        shown = [x for x in screen.model.rows(0, len(screen.model)) if isinstance(x, LogEntry)]
        assert shown and all("refused" in e.text.lower() for e in shown)
        view = screen.query_one(LogView)
        assert view.highlight is not None
        view.data_changed()
        assert any("ConnectionRefusedError" in line for line in _lines(view))
        await pilot.press("enter", "exclamation_mark")
        shown = [x for x in screen.model.rows(0, len(screen.model)) if isinstance(x, LogEntry)]
        assert shown and all("refused" not in (e.text or e.message).lower() for e in shown)
        await pilot.press("escape")
        assert screen.model.pattern == "" and not screen.model.inverse


async def test_severity_floor_mark_wrap_and_save(sandbox: RunningSandbox, tmp_path: Path
                                               ) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_logs(pilot, rows=30)
        for _ in range(5):
            await pilot.press("greater_than_sign")
        assert screen.model.severity_floor == Severity.ERROR
        entries = [x for x in screen.model.rows(0, len(screen.model)) if isinstance(x, LogEntry)]
        assert entries and all(e.severity >= Severity.ERROR for e in entries)
        await pilot.press("m")
        await until(lambda: any(getattr(x, "kind", None) is MarkerKind.MARK
                                for x in screen.model.rows(0, len(screen.model))), pilot)
        assert any(getattr(x, "kind", None) is MarkerKind.MARK
                   for x in screen.model.rows(0, len(screen.model)))
        await pilot.press("w")
        assert screen.query_one(LogView).wrap
        target = tmp_path / "saved.jsonl"
        await pilot.press("ctrl+s")
        await until(lambda: app.screen.query("#save-path"), pilot)
        box = app.screen.query_one("#save-path")
        box.value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await workers_done(pilot, "logs-save")
        rows = [json.loads(line) for line in target.read_text().splitlines()]
        assert rows and any(r.get("marker") == "mark" for r in rows)
        assert target.stat().st_mode & 0o777 == 0o600
        assert all(r["severity"] in ("ERROR", "CRITICAL") for r in rows if "severity" in r)


async def test_show_service_filters_to_one_service(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_logs(pilot)
        screen.show_service("backend-staging", "backend-staging-00004-7db")
        await until(lambda: len(screen.model) > 1, pilot)
        value = screen.query_one("#logs-query").value  # type: ignore[attr-defined]
        assert 'resource.labels.revision_name="backend-staging-00004-7db"' in value
        entries = [x for x in screen.model.rows(0, len(screen.model)) if isinstance(x, LogEntry)]
        assert entries and all(e.revision == "backend-staging-00004-7db" for e in entries)
        assert any("[Errno 111]" in e.text for e in entries)


async def test_l_in_services_opens_logs_for_the_service(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    from staging_tui.ui.widgets.services_table import ServicesTable

    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await until(lambda: table.row_count, pilot)
        table.move_cursor(row=table.get_row_index("backend-staging"))
        await pilot.press("l")
        await until(lambda: isinstance(app.screen, LogsScreen), pilot)
        assert app.screen.service == "backend-staging"


async def test_open_logs_recipe_from_the_services_pane(sandbox: RunningSandbox) -> None:
    """What `StagingApp.open_logs` does: switch to the Logs mode, then show_service."""
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await app.switch_mode("logs")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        screen.show_service("webservice")
        await until(lambda: len(screen.model) > 3, pilot)
        entries = [x for x in screen.model.rows(0, len(screen.model)) if isinstance(x, LogEntry)]
        assert entries and all(e.service == "webservice" for e in entries)


async def test_after_clear_the_view_shows_new_rows_not_cached_old_ones(
        sandbox: RunningSandbox) -> None:
    """A clear starts the ring's indexes over; rows cached under them must not come back."""
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_logs(pilot, rows=50)
        view = screen.query_one(LogView)
        await pilot.press("home")  # renders, and caches, the rows at the first indexes
        await settled(pilot)
        assert not view.following
        await pilot.press("c")
        await until(lambda: len(screen.model) >= 10, pilot)
        await pilot.press("home")
        view.data_changed()
        for y, line in enumerate(_lines(view)[:10]):
            assert format_time(screen.model.row(y).timestamp, view.utc) in line, (y, line)


async def test_l_on_a_revision_in_service_detail_while_an_entry_is_expanded(
        sandbox: RunningSandbox) -> None:
    """`l` on a revision of the service detail; the Logs pane was left showing one entry
    in full: the pane comes back to its list, filtered to that revision."""
    from textual.widgets import DataTable

    from staging_tui.ui.widgets.services_table import ServicesTable

    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        logs = await _open_logs(pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, LogEntryScreen)
        await pilot.press("1")
        table = app.screen.query_one(ServicesTable)
        await until(lambda: table.row_count, pilot)
        table.move_cursor(row=table.get_row_index("backend-staging"))
        await pilot.press("enter")
        revisions = app.screen.query_one("#detail-revisions", DataTable)
        await until(lambda: revisions.row_count, pilot)
        revisions.focus()
        await settled(pilot)
        failed = str(revisions.coordinate_to_cell_key(revisions.cursor_coordinate).row_key.value)
        await pilot.press("l")
        await until(lambda: app.screen is logs, pilot)
        assert (logs.service, logs.revision) == ("backend-staging", failed)
        await until(lambda: len(logs.model) > 1, pilot)
        entries = [x for x in logs.model.rows(0, len(logs.model)) if isinstance(x, LogEntry)]
        assert entries and all(e.revision == failed for e in entries)
