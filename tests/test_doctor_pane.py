"""Pilot tests of the Doctor pane: progress, grouping, details, go-to and re-run."""

from __future__ import annotations

from typing import Any

from fixtures_doctor import wait_done
from textual.widgets import DataTable, Input, Static
from ui_app import make_app
from waiting import settled, until

from staging_tui.domain import Severity
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.doctor import DoctorFindingScreen, DoctorScreen
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.screens.service_detail import ServiceDetailScreen
from staging_tui.ui.widgets.status_line import StatusLine


def row_texts(screen: DoctorScreen) -> list[str]:
    table = screen.query_one("#doctor-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def select_row(screen: DoctorScreen, starts: str) -> None:
    table = screen.query_one("#doctor-table", DataTable)
    index = next(i for i, text in enumerate(row_texts(screen)) if text.strip().startswith(starts))
    table.move_cursor(row=index)


async def open_doctor(pilot: Any) -> DoctorScreen:
    await pilot.press("6")
    screen = pilot.app.screen
    assert isinstance(screen, DoctorScreen)
    return screen


async def test_checks_run_with_progress_and_group_by_area(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_doctor(pilot)
        await wait_done(pilot, screen)
        rows = row_texts(screen)
        headers = [r.split("  (")[0] for r in rows if not r.startswith("   ")]
        assert headers == ["✓ credentials", "✗ services", "✗ secrets", "✗ database",
                           "✗ health", "⚠ logs"]
        assert "   ✗ backend-staging: health check failed (HTTP 503)" in rows
        assert any(r.startswith("   ⚠ backend-staging: error rate above 20%") for r in rows)
        status = str(screen.query_one(StatusLine).render())
        assert status.startswith("errors: ")
        assert screen.progress_events == 12  # each area: running, then done
        progress = str(screen.query_one("#doctor-progress", Static).render())
        assert progress.split() == ["✓", "credentials", "✗", "services", "✗", "secrets", "✗",
                                    "database", "✗", "health", "⚠", "logs"]


async def test_enter_shows_evidence_and_fix(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_doctor(pilot)
        await wait_done(pilot, screen)
        select_row(screen, "⚠ backend-staging: error rate")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, DoctorFindingScreen), pilot)
        detail = app.screen
        assert isinstance(detail, DoctorFindingScreen)
        text = str(detail.query_one("#doctor-detail-text", Static).render())
        assert "× ConnectionRefusedError: [Errno 111] Connection refused" in text
        assert "staging-tui --sandbox logs backend-staging --severity ERROR" in text
        await pilot.press("escape")
        assert app.screen is screen


async def test_go_to_opens_the_service_detail(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_doctor(pilot)
        await wait_done(pilot, screen)
        select_row(screen, "✗ backend-staging is not Ready")
        await pilot.press("g")
        await until(lambda: isinstance(app.screen, ServiceDetailScreen), pilot)
        assert app.current_mode == "services"
        assert isinstance(app.screen, ServiceDetailScreen)
        assert app.screen.service.name == "backend-staging"


async def test_go_to_a_secret_filters_the_secrets_pane(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_doctor(pilot)
        await wait_done(pilot, screen)
        select_row(screen, "✗ found gemini-api-key, expected")
        await pilot.press("g")
        await until(lambda: app.current_mode == "secrets" and app.screen.query(
            "#secrets-filter") and app.screen.query_one("#secrets-filter", Input).value, pilot)
        assert app.current_mode == "secrets"
        box = app.screen.query_one("#secrets-filter", Input)
        assert box.value == "gemini-api-key"


async def test_go_to_an_instance_selects_it_in_the_database_pane(
        sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_doctor(pilot)
        await wait_done(pilot, screen)
        select_row(screen, "✗ sandbox-staging:us-central1:legacy-reports")
        await pilot.press("g")
        await until(lambda: app.current_mode == "database", pilot)
        await settled(pilot)
        assert app.current_mode == "database"
        selected = app.screen.selected()  # type: ignore[attr-defined]
        assert selected is not None
        assert selected.connection_name == "sandbox-staging:us-central1:legacy-reports"


async def test_r_reruns(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_doctor(pilot)
        await wait_done(pilot, screen)
        first = list(screen.findings)
        events = screen.progress_events
        await pilot.press("r")
        await until(lambda: screen.progress_events >= events + 12 and not screen.running, pilot)
        assert screen.progress_events == events + 12
        await wait_done(pilot, screen)
        key = {(f.check_id, f.target) for f in screen.findings}
        assert key == {(f.check_id, f.target) for f in first}


async def test_go_to_logs_filters_the_service(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_doctor(pilot)
        await wait_done(pilot, screen)
        select_row(screen, "⚠ backend-staging: error rate")
        await pilot.press("g")
        await until(lambda: isinstance(app.screen, LogsScreen), pilot)
        assert app.current_mode == "logs"
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        assert logs.service == "backend-staging"
        assert logs.model.severity_floor == Severity.ERROR  # errors only
