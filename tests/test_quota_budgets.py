"""The console lives inside Google's quotas: each pane and the doctor against a sandbox
that enforces Google's per-minute numbers (RetryInfo on, so a refused call says when
the minute rolls over), counted by the sandbox's QuotaBook. None shows
RESOURCE_EXHAUSTED; when a teammate already spent a quota, the pane says which one
and recovers by itself at the next minute."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from ui_app import make_app, sandbox_profile
from waiting import TIMEOUT_S, until, workers_done

from staging_tui.audit.runner import run_doctor
from staging_tui.audit.secrets_audit import audit_input, needed_secrets
from staging_tui.backend import Backend
from staging_tui.domain import LogMarker
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.quotas import QuotaBook
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.screens.secrets import SecretsScreen
from staging_tui.ui.widgets.freshness import Freshness
from staging_tui.ui.widgets.secrets_table import SecretsTable
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine

PROJECT = "quota-budgets"
LIST_LOGS = "/google.logging.v2.LoggingServiceV2/ListLogEntries"
TAIL_LOGS = "/google.logging.v2.LoggingServiceV2/TailLogEntries"
SM = "/google.cloud.secretmanager.v1.SecretManagerService/"
LIST_SERVICES = "/google.cloud.run.v2.Services/ListServices"
LIST_TS = "/google.monitoring.v3.MetricService/ListTimeSeries"


def _scenario() -> dict[str, Any]:
    services: list[dict[str, Any]] = [
        {"name": "worker", "revisions": 2, "latest_ready": 1, "failure": "crash",
         "env": {"TOKEN": {"secret": "app-00001-staging"}}}]
    for i in range(30):
        services.append({"name": f"api-{i:02d}", "env": {
            "A": {"secret": f"app-{(7 * i) % 5000:05d}-staging"},
            "B": {"secret": f"app-{(11 * i + 3) % 5000:05d}-staging", "version": "1"}}})
    return {
        "project": {"id": PROJECT, "region": "us-central1", "seed": 9},
        "quotas": {"retry_info": True},  # Google's numbers; RetryInfo for quick recovery
        "services": services,
        "secrets": [{"name": f"app-{i:05d}-staging", "value": f"v{i}"} for i in range(5000)],
        "logs": {"history": "2m", "default_rate": 0.2, "rates": {"worker": 200.0},
                 "faults": {"stream_cut_after": 300}},  # the crash loop's stream keeps ending
    }


@pytest.fixture(scope="module")
def quota_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(_scenario(), source="<quota budgets>"))
    running = thread.start()
    yield running
    thread.stop()


class RollingClock:
    """The quota clock, real time, placed so that the current minute ends in `seconds`."""

    def __init__(self, seconds: float) -> None:
        now = time.time()
        self.offset = (60 - seconds) - now % 60

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def book(quota_sandbox: RunningSandbox) -> QuotaBook:
    book = quota_sandbox.quotas
    book.clock = time.time
    book.refill()
    book.reset_log()
    return book


def _no_exhausted(app: Any, book: QuotaBook) -> None:
    assert "RESOURCE_EXHAUSTED" not in app.export_screenshot()
    assert not book.refused, book.refused


async def _until(pilot: Pilot[Any], predicate: Any, seconds: float = TIMEOUT_S) -> None:
    await until(predicate, pilot, timeout=max(seconds, TIMEOUT_S))  # a busy machine: never less


async def test_secrets_pane_on_5000_secrets(quota_sandbox: RunningSandbox,
                                            book: QuotaBook) -> None:
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        table = screen.query_one(SecretsTable)
        await _until(pilot, lambda: screen.versions_loaded, 30)
        assert table.row_count == 5000
        s = screen.settings
        data = audit_input(s.project, s.secret_suffix, s.required_secrets, screen.services)
        needed = set(needed_secrets(data))
        # the names: one call for the global secrets, one per region for regional ones
        assert book.calls[SM + "ListSecrets"] == 1 + len(s.regions)
        assert book.calls[SM + "ListSecretVersions"] <= len(needed) + 1  # + the selected one
        assert not [x for x in screen.secrets if x.versions_known and x.name not in needed
                    and x.name != screen.secrets[0].name]
        # a secret nobody uses: its versions load when the cursor rests on it
        before = book.calls[SM + "ListSecretVersions"]
        table.move_cursor(table.get_row_index("app-04999-staging"))
        await _until(pilot, lambda: screen.selected() is not None
                     and screen.selected().versions_known, 30)  # type: ignore[union-attr]
        assert book.calls[SM + "ListSecretVersions"] == before + 1
        assert str(table.get_row("app-04999-staging")[1]) == "1"
        _no_exhausted(app, book)
        assert book.max_per_window() <= 600 * 0.5


async def test_logs_pane_following_a_crash_looping_service(quota_sandbox: RunningSandbox,
                                                           book: QuotaBook) -> None:
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        screen.show_service("worker")
        await asyncio.sleep(8.0)  # the stream ends every ~1.5 s: reconnects, re-reads
        assert len(screen.model) > 500
        _no_exhausted(app, book)
    assert book.max_per_window({LIST_LOGS}) <= 10  # backfill + re-reads within the budget
    assert book.calls[TAIL_LOGS] <= 6  # clean ends reopen after a growing delay: no loop


async def test_services_pane_refreshes_within_budget(quota_sandbox: RunningSandbox,
                                                    book: QuotaBook) -> None:
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await _until(pilot, lambda: table.row_count > 0 and book.calls[LIST_TS] >= 6)
        for _ in range(5):  # a user hammering refresh
            await pilot.press("r")
            await pilot.pause(0.2)  # the user's rhythm, not a wait for something
        await workers_done(pilot, "services-refresh", "services-errors")
        _no_exhausted(app, book)
    assert book.calls[LIST_SERVICES] <= 6
    assert book.calls[LIST_TS] == 6  # golden signals: six calls, at most once a minute
    assert book.calls[LIST_LOGS] == 0  # the sparklines no longer page through the logs


async def test_doctor_within_budget(quota_sandbox: RunningSandbox, book: QuotaBook) -> None:
    backend = Backend(sandbox_profile(quota_sandbox), Endpoints.for_sandbox(
        quota_sandbox.endpoints))
    try:
        findings = await run_doctor(backend)
    finally:
        await backend.close()
    assert not [f for f in findings if f.check_id.endswith(".gather")], findings
    assert any(f.check_id == "logs.error-rate" and f.target == "worker" for f in findings)
    assert book.calls[LIST_LOGS] <= 20
    assert not book.refused


async def test_spent_quota_is_named_and_the_pane_recovers(quota_sandbox: RunningSandbox,
                                                         book: QuotaBook) -> None:
    book.clock = RollingClock(8.0)  # room for a slow start on a loaded machine
    book.consume("run.read")  # a teammate's script spent the minute's Cloud Run reads
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        status = app.screen.query_one(StatusLine)
        await _until(pilot, lambda: "RESOURCE_EXHAUSTED" in str(status.render()))
        shown = str(status.render())
        assert "Cloud Run Admin read quota: 1,000/min for the project, shared with your team" \
            in shown
        freshness = app.screen.query_one(Freshness)
        assert freshness.text.startswith("stale: load failed once, next try in ")
        table = app.screen.query_one(ServicesTable)
        await _until(pilot, lambda: table.row_count > 0, 20)  # the next minute: served
        assert "RESOURCE_EXHAUSTED" not in str(status.render())
        assert freshness.text == "updated just now" or freshness.text.endswith("s ago")
    assert book.refused[LIST_SERVICES] == 1  # one refused call, then the wait: no loop


async def test_spent_logging_quota_shows_in_the_logs_and_recovers(
        quota_sandbox: RunningSandbox, book: QuotaBook) -> None:
    book.clock = RollingClock(8.0)  # room for a slow start on a loaded machine
    book.consume("logging.read")
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        def markers() -> list[str]:
            return [x.detail for x in screen.model.rows(0, len(screen.model))
                    if isinstance(x, LogMarker)]

        await _until(pilot, lambda: any(
            "RESOURCE_EXHAUSTED: Logging read quota: 60/min for the project, shared with "
            "your team; retrying in" in m for m in markers()))
        assert "RESOURCE_EXHAUSTED" in app.export_screenshot()  # on screen, as a marker line
        await _until(pilot, lambda: len(screen.model) > 50, 20)  # the next minute: entries
    assert book.refused[LIST_LOGS] <= 2


async def test_help_shows_this_sessions_calls_per_api(quota_sandbox: RunningSandbox,
                                                      book: QuotaBook) -> None:
    from textual.widgets import Static

    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await _until(pilot, lambda: table.row_count > 0 and book.calls[LIST_TS] >= 6)
        await pilot.press("question_mark")
        await _until(pilot, lambda: bool(app.screen.query("#quota-line")))
        line = str(app.screen.query_one("#quota-line", Static).render())
        assert line.startswith("quota: this session's API calls in the last minute:")
        assert "monitoring " in line and "run " in line
