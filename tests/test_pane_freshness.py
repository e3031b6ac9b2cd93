"""Every pane that loads from an API refreshes, backs off and says how fresh it is the
same way (model/refresh.py `Refresh`, shown by the Freshness widget beside the status
line). The failures are real: the sandbox refuses calls whose per-minute quota was spent
(with Google's RetryInfo), as when a teammate's script spent it."""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from ui_app import make_app
from waiting import until

from staging_tui.sandbox.quotas import QuotaBook
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.doctor import DoctorScreen
from staging_tui.ui.screens.jobs import JobsScreen
from staging_tui.ui.screens.secrets import SecretsScreen
from staging_tui.ui.widgets.freshness import Freshness
from staging_tui.ui.widgets.secrets_table import SecretsTable
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine

LIST_SECRETS = "/google.cloud.secretmanager.v1.SecretManagerService/ListSecrets"
SCENARIO: dict[str, Any] = {
    "project": {"id": "freshness", "region": "us-central1", "seed": 5},
    "quotas": {"retry_info": True},  # Google's numbers; RetryInfo says when to retry
    "services": [{"name": "api", "env": {"TOKEN": {"secret": "token-staging"}}}],
    "jobs": [{"name": "nightly"}],
    "secrets": [{"name": "token-staging", "value": "t"}],
}


@pytest.fixture(scope="module")
def quota_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(SCENARIO, source="<freshness>"))
    yield thread.start()
    thread.stop()


class RollingClock:
    """The quota clock, real time, placed so that the current minute ends in `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.offset = (60 - seconds) - time.time() % 60

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def book(quota_sandbox: RunningSandbox) -> Iterator[QuotaBook]:
    book = quota_sandbox.quotas
    book.clock = RollingClock(55.0)  # the spent minute lasts the test, unless it refills
    book.refill()
    book.reset_log()
    yield book
    book.clock = time.time
    book.refill()


def _status(pilot: Pilot[Any]) -> str:
    return str(pilot.app.screen.query_one(StatusLine).render())


def _screen_text(app: Any) -> str:
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def _freshness(pilot: Pilot[Any]) -> str:
    return pilot.app.screen.query_one(Freshness).text


async def test_a_failed_secrets_load_backs_off_and_a_reload_clears_it(
        quota_sandbox: RunningSandbox, book: QuotaBook) -> None:
    book.consume("secretmanager.read")  # a teammate spent the minute's reads
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        assert isinstance(app.screen, SecretsScreen)
        await until(lambda: "RESOURCE_EXHAUSTED" in _status(pilot), pilot)
        assert "Secret Manager" in _status(pilot) and "[r] retry" in _status(pilot)
        stale = _freshness(pilot)  # RetryInfo: when the spent minute ends (< 55 s)
        assert stale.startswith("stale: load failed once, next try in "), stale
        assert 0 < int(stale.rsplit(" ", 1)[1].rstrip("s")) <= 70, stale
        assert "stale: load failed once" in _screen_text(app)
        await pilot.press("1")  # the rest keeps working
        await until(lambda: app.screen.query_one(ServicesTable).row_count == 1, pilot)
        await until(lambda: _freshness(pilot).startswith("updated "), pilot)
        await pilot.press("2")
        book.refill()  # the quota is back; the user does not wait for the retry
        await pilot.press("r")
        table = app.screen.query_one(SecretsTable)
        await until(lambda: table.row_count == 1 and app.screen.versions_loaded, pilot)
        await until(lambda: _freshness(pilot).startswith("updated "), pilot)
        assert "RESOURCE_EXHAUSTED" not in _status(pilot)
        assert _status(pilot).startswith("1 of 1 secrets")
    assert book.refused[LIST_SECRETS] == 1  # one refused call, then the wait: no loop


async def test_an_on_demand_pane_retries_by_itself_when_google_says(
        quota_sandbox: RunningSandbox, book: QuotaBook) -> None:
    book.clock = RollingClock(4.0)  # RetryInfo: retry in ~4 s
    book.consume("secretmanager.read")
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await until(lambda: _freshness(pilot).startswith("stale: "), pilot)
        table = app.screen.query_one(SecretsTable)
        await until(lambda: table.row_count == 1, pilot)  # no key pressed
        await until(lambda: _freshness(pilot).startswith("updated "), pilot)
        assert "RESOURCE_EXHAUSTED" not in _status(pilot)
    assert book.refused[LIST_SECRETS] == 1


async def test_a_doctor_run_that_could_not_gather_an_area_is_a_failed_load(
        quota_sandbox: RunningSandbox, book: QuotaBook) -> None:
    book.consume("secretmanager.read")
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await until(lambda: "could not gather secrets" in _status(pilot), pilot)
        assert "RESOURCE_EXHAUSTED" in _status(pilot)
        assert _freshness(pilot).startswith("stale: load failed once, next try in ")
        assert any(f.area == "services" for f in screen.findings)  # the others were read
        book.refill()
        await pilot.press("r")
        await until(lambda: _freshness(pilot).startswith("updated "), pilot)
        assert "could not gather" not in _status(pilot)
        assert not [f for f in screen.findings if f.check_id.endswith(".gather")]


async def test_the_jobs_list_shows_its_freshness_and_a_failed_reload(
        quota_sandbox: RunningSandbox, book: QuotaBook) -> None:
    app = make_app(quota_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: app.screen.query_one(ServicesTable).row_count == 1, pilot)
        await pilot.press("J")
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        await until(lambda: _freshness(pilot).startswith("updated "), pilot)
        book.consume("run.read")
        await pilot.press("r")
        await until(lambda: _freshness(pilot).startswith("stale: load failed once"), pilot)
        assert "RESOURCE_EXHAUSTED" in _status(pilot)
        assert len(screen.jobs) == 1  # what was shown stays
        book.refill()
        await pilot.press("r")
        await until(lambda: _freshness(pilot).startswith("updated "), pilot)
        assert "RESOURCE_EXHAUSTED" not in _status(pilot)
