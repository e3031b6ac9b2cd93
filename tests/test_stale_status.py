"""Status lines never say what is no longer true: a masked password is not "revealed",
a cancelled statement does not show an older tab's rows as its own, an empty log view
says so, and the backfill's cap is not a gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fixtures_logs import logs_adapter
from fixtures_query import instances_admin_dsn, open_query, put_sql, run_and_wait, sleeping_on_the_server
from fixtures_tunnel import SqlSandbox
from textual.widgets import Static
from ui_app import make_app
from waiting import settled, until

from staging_tui.domain import LogEntry, LogMarker, MarkerKind, Severity
from staging_tui.model.log_view import LogViewModel
from staging_tui.render.log_lines import marker_text
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.widgets.status_line import StatusLine

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _entry(i: int, severity: Severity = Severity.INFO) -> LogEntry:
    return LogEntry(insert_id=f"id{i}", timestamp=T0, severity=severity, text=f"message {i}",
                    service="s", revision="s-1", log_name="run.googleapis.com/stdout")


def test_backfill_cap_is_not_a_gap_and_empty_views_say_so() -> None:
    model = LogViewModel(capacity=10, clock=lambda: T0.timestamp())
    assert model.status().startswith("no entries · ")
    older = LogMarker(MarkerKind.OLDER, T0, 0, "since 2026-11-23T08:45:00Z: showing the newest 5")
    model.add_batch([older, _entry(1)])
    status = model.status()
    assert "gaps 0" in status and "older entries not loaded" in status
    assert marker_text(older).startswith("── older entries not loaded ── since")
    model.set_filter(severity_floor=Severity.ERROR)
    model.clear()
    model.add_batch([_entry(2)])
    assert model.status().startswith("no entries match the severity floor or find")


async def test_tail_marks_the_backfill_cap_as_older_entries(sandbox: RunningSandbox) -> None:
    logs = logs_adapter(sandbox)
    try:
        stream = logs.tail("", since=datetime.now(UTC) - timedelta(hours=1), backfill_limit=5)
        first = await anext(stream)
        await stream.aclose()
    finally:
        await logs.close()
    assert isinstance(first[0], LogMarker) and first[0].kind is MarkerKind.OLDER


async def test_masked_password_is_not_left_revealed(sql_sandbox: SqlSandbox) -> None:
    app = make_app(sql_sandbox.running)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        status = app.screen.query_one(StatusLine)
        await pilot.press("v")
        await until(lambda: "password revealed" in str(status.render()), pilot)
        await pilot.press("v")
        assert "revealed" not in str(status.render())
        assert "masked again" in str(status.render())


async def test_a_cancelled_statement_does_not_wear_the_older_tabs_rows(sandbox: RunningSandbox
                                                                       ) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen: Any = await open_query(pilot)
        await put_sql(pilot, screen, "SELECT g FROM generate_series(1, 12) g")
        await run_and_wait(pilot, screen)
        assert str(screen.status.render()).startswith("12 rows")
        await put_sql(pilot, screen, "SELECT pg_sleep(5)")
        await pilot.press("f5")
        await sleeping_on_the_server(instances_admin_dsn(sandbox))
        await pilot.press("ctrl+c")
        await until(lambda: not screen.running, pilot, what="the cancelled statement to end")
        await settled(pilot)
        status = str(screen.status.render())
        assert status.startswith("✗ ") and "no result" in status, status
        assert "the tab shown is an earlier statement's (12 rows" in status
        session = str(screen.query_one("#query-session", Static).render())
        assert "12 rows" not in session, session
