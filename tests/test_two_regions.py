"""The second built-in scenario (two-regions), unlike the default: two regions with the
same service name, a private and an internal service, a public one, a migration job with
a failed execution, a secret only that job uses, and an expired token. The panes, the
doctor and the headless commands are right on it, and the doctor reports only what the
scenario contains."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input
from ui_app import backend_for, make_app
from waiting import until

from staging_tui.audit.runner import run_doctor
from staging_tui.cli import main
from staging_tui.domain import ExecutionStatus, Level
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.jobs import JobsAdapter
from staging_tui.gcp.log_query import build_filter
from staging_tui.gcp.logs import LogsAdapter
from staging_tui.sandbox.scenario import load_scenario, scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.jobs import JobsScreen
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine

LOGIN = "gcloud auth application-default login"


def _valid_tables() -> dict[str, object]:
    """The scenario with a valid token, to see past the expired one."""
    tables = dict(load_scenario("two-regions").tables)
    tables.pop("auth")
    return tables


@pytest.fixture(scope="module")
def world() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(_valid_tables(), source="two-regions (valid)"))
    yield thread.start()
    thread.stop()


@pytest.fixture(scope="module")
def expired_world() -> Iterator[RunningSandbox]:
    thread = SandboxThread(load_scenario("two-regions"))
    yield thread.start()
    thread.stop()


@pytest.fixture
def valid_file(tmp_path: Path) -> str:
    text = (Path(__file__).parents[1] / "staging_tui/sandbox/scenarios/two-regions.toml"
            ).read_text().replace('[auth]\nstate = "expired"\n', "")
    path = tmp_path / "two-regions-valid.toml"
    path.write_text(text)
    return str(path)


def _jobs(sandbox: RunningSandbox) -> JobsAdapter:
    async def regions() -> tuple[str, ...]:
        return sandbox.scenario.regions

    return JobsAdapter(Endpoints.for_sandbox(sandbox.endpoints), sandbox.scenario.project,
                       regions)


async def test_jobs_and_executions(world: RunningSandbox) -> None:
    listing = await _jobs(world).list_jobs()
    jobs = {j.name: j for j in listing.jobs}
    assert set(jobs) == {"db-migrate", "nightly-report"} and not listing.failures
    migrate = jobs["db-migrate"]
    assert (migrate.region, migrate.latest_status, migrate.execution_count) == (
        "us-central1", ExecutionStatus.FAILED, 2)
    assert [r.secret for r in migrate.secret_refs()] == ["migrate-db-url-staging"]
    assert jobs["nightly-report"].latest_status is ExecutionStatus.SUCCEEDED
    latest, first = await _jobs(world).list_executions("db-migrate", "us-central1")
    assert latest.name == migrate.latest_execution and latest.status is ExecutionStatus.FAILED
    assert (latest.failed, latest.task_count, latest.retried) == (1, 1, 1)
    assert "exit code of 1" in latest.failure_reason
    assert "(NON_ZERO_EXIT_CODE)" in latest.failure_reason
    assert latest.start_time and latest.completion_time
    assert first.status is ExecutionStatus.SUCCEEDED and first.failure_reason == ""


async def test_job_logs_are_cloud_run_job_entries(world: RunningSandbox) -> None:
    logs = LogsAdapter(Endpoints.for_sandbox(world.endpoints), "acme-staging")
    since = datetime.now(UTC) - timedelta(days=4)
    latest, _ = await _jobs(world).list_executions("db-migrate", "us-central1")
    try:
        every = await logs.list_entries(build_filter(job="db-migrate", region="us-central1"),
                                        since=since)
        one = await logs.list_entries(build_filter(job="db-migrate", execution=latest.name),
                                      since=since)
    finally:
        await logs.close()
    assert len(every) == 4 and len(one) == 2
    assert any("DependentObjectsStillExist" in e.message for e in one)


async def test_doctor_reports_only_what_the_scenario_contains(world: RunningSandbox) -> None:
    backend = backend_for(world)
    try:
        findings = await run_doctor(backend)
    finally:
        await backend.close()

    def keyed(level: Level) -> set[tuple[str, str]]:
        return {(f.check_id, f.target) for f in findings if f.level is level}

    problems = keyed(Level.ERROR) | keyed(Level.WARNING)
    assert problems == {("services.job-execution", "db-migrate")}
    notes = keyed(Level.INFO)
    assert {("health.status", "billing"), ("health.status", "metrics-collector"),
            ("services.public-invoker", "web")} <= notes
    assert not any(f.check_id == "secrets.unused" for f in findings)  # the job uses it
    failed_job = next(f for f in findings if f.check_id == "services.job-execution")
    assert "1 of 1 tasks failed" in failed_job.evidence


def test_jobs_json_headless(valid_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "--json", "--scenario", valid_file]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(j["name"], j["region"], j["latest_status"]) for j in data} == {
        ("db-migrate", "us-central1", "Failed"), ("nightly-report", "europe-west1", "Succeeded")}
    assert main(["jobs", "db-migrate", "--scenario", valid_file]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("EXECUTION") and "✗ Failed" in out[1] and "exit code" in out[1]
    assert main(["jobs", "nope", "--scenario", valid_file]) == 2
    assert "no job 'nope'" in capsys.readouterr().err


def test_services_headless_lists_both_regions(valid_file: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["services", "--scenario", valid_file]) == 0
    out = capsys.readouterr().out
    assert "api · us-central1" in out and "api · europe-west1" in out
    assert "-ew.a.run.app" in out and "-uc.a.run.app" in out


def test_expired_token_headless_says_what_to_run(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["services"], ["jobs"], ["secrets", "list"], ["logs"]):
        assert main([*command, "--scenario", "two-regions"]) != 0
        err = capsys.readouterr().err
        assert LOGIN in err and "invalid_grant" in err and "press" not in err, command
        assert "Traceback" not in err and "AuthMetadataPluginCallback" not in err


async def test_doctor_on_the_expired_token_names_the_credentials(
        expired_world: RunningSandbox) -> None:
    backend = backend_for(expired_world)
    try:
        findings = await asyncio.wait_for(run_doctor(backend), timeout=60)
    finally:
        await backend.close()
    adc = next(f for f in findings if f.check_id == "credentials.adc")
    assert adc.level is Level.ERROR and LOGIN in adc.fix
    assert all(LOGIN in f.fix for f in findings if f.level is Level.ERROR)


async def test_jobs_view_executions_and_logs(world: RunningSandbox) -> None:
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("J")
        await until(lambda: isinstance(app.screen, JobsScreen)
                    and app.screen.query_one("#jobs-table", DataTable).row_count == 2, pilot)
        screen = app.screen
        jobs = screen.query_one("#jobs-table", DataTable)
        assert [str(k.value) for k in jobs.rows] == ["us-central1/db-migrate",
                                                     "europe-west1/nightly-report"]
        assert "1 last failed" in str(screen.query_one(StatusLine).render())
        await pilot.press("enter")
        executions = screen.query_one("#executions-table", DataTable)
        await until(lambda: executions.row_count == 2, pilot)
        first = [str(c) for c in executions.get_row_at(0)]
        assert "✗ Failed" in first[1] and first[2] == "0/1 ok, 1 failed, 1 retried"
        assert "exit code of 1" in first[6]
        await pilot.press("l")
        await until(lambda: isinstance(app.screen, LogsScreen), pilot)
        query = app.screen.query_one("#logs-query", Input).value
        assert 'resource.type="cloud_run_job"' in query and 'job_name="db-migrate"' in query
        assert "execution_name" in query


async def test_services_pane_on_two_regions(world: RunningSandbox) -> None:
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await until(lambda: table.row_count > 0, pilot)
        assert table.row_keys == ["api@europe-west1", "api@us-central1", "billing@europe-west1",
                                  "metrics-collector@us-central1", "web@us-central1"]


async def test_services_pane_on_the_expired_token(expired_world: RunningSandbox) -> None:
    app = make_app(expired_world)
    async with app.run_test(size=(140, 40)) as pilot:
        status = app.screen.query_one(StatusLine)
        await until(lambda: LOGIN in str(status.render()), pilot)
        assert "retry in a moment" not in str(status.render())
