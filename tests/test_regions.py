"""Several regions: one failing region shows its error while the others' services are
listed; same-named services of two regions never mix (revisions, logs, URLs, health);
`regions = "all"` lists the project's Cloud Run locations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ui_app import make_app, sandbox_profile
from waiting import until

from staging_tui.cli import main
from staging_tui.config import parse_config
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.health import check_health
from staging_tui.gcp.log_query import build_filter
from staging_tui.gcp.logs import LogsAdapter
from staging_tui.gcp.run import RunAdapter
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine

REGIONS = ("us-central1", "europe-west1", "asia-east1")
SCENARIO = """
[project]
id = "p"
regions = ["us-central1", "europe-west1", "asia-east1"]
locations = ["us-central1", "europe-west1", "asia-east1", "us-east4"]

[faults]
permission_denied = ["projects/p/locations/asia-east1"]

[logs]
default_rate = 20.0

[[services]]
name = "api"
revisions = 2

[[services]]
name = "api"
region = "europe-west1"
revisions = 5

[[services]]
name = "web"
region = "europe-west1"
"""


@pytest.fixture(scope="module")
def regional(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    import tomllib

    path = tmp_path_factory.mktemp("regions") / "regions.toml"
    path.write_text(SCENARIO)
    thread = SandboxThread(scenario_from_dict(tomllib.loads(SCENARIO), source=str(path)))
    yield thread.start()
    thread.stop()


def _run(sandbox: RunningSandbox, regions: tuple[str, ...] = REGIONS) -> RunAdapter:
    return RunAdapter(Endpoints.for_sandbox(sandbox.endpoints), "p", regions)


async def test_a_failing_region_does_not_hide_the_others(regional: RunningSandbox) -> None:
    listing = await _run(regional).list_listing()
    assert [(s.name, s.region) for s in listing.services] == [
        ("api", "europe-west1"), ("api", "us-central1"), ("web", "europe-west1")]
    (failure,) = listing.failures
    assert failure.region == "asia-east1" and failure.code == "PERMISSION_DENIED"
    assert failure.fix


async def test_same_named_services_never_mix(regional: RunningSandbox) -> None:
    run = _run(regional)
    us = await run.get_service("api", "us-central1")
    eu = await run.get_service("api", "europe-west1")
    assert us.uri != eu.uri and us.uri.endswith("-uc.a.run.app")
    assert eu.uri.endswith("-ew.a.run.app")
    assert any(".europe-west1.run.app" in u for u in eu.urls)
    assert len(await run.list_revisions("api", "europe-west1")) == 5
    assert len(await run.list_revisions("api", "us-central1")) == 2
    endpoints = Endpoints.for_sandbox(regional.endpoints)
    assert (await check_health(endpoints, eu.uri, "/")).status == 200
    assert (await check_health(endpoints, eu.urls[0], "/")).status == 200


async def test_logs_of_a_service_carry_its_region(regional: RunningSandbox) -> None:
    logs = LogsAdapter(Endpoints.for_sandbox(regional.endpoints), "p")
    since = datetime.now(UTC) - timedelta(minutes=5)
    try:
        ids = {}
        for region in ("us-central1", "europe-west1", ""):
            entries = await logs.list_entries(build_filter("api", region=region), since=since,
                                              limit=2000)
            ids[region] = {e.insert_id for e in entries}
    finally:
        await logs.close()
    assert ids["us-central1"] and ids["europe-west1"]
    assert not ids["us-central1"] & ids["europe-west1"]
    assert 'resource.labels.location="europe-west1"' in build_filter("api", region="europe-west1")


async def test_regions_all_lists_every_cloud_run_location(regional: RunningSandbox) -> None:
    settings = parse_config("[profiles.a]\nproject = 'p'\nregions = 'all'\n", "c.toml")
    assert settings.regions == ("all",)
    run = _run(regional, settings.regions)
    assert await run.locations() == ("asia-east1", "europe-west1", "us-central1", "us-east4")
    listing = await run.list_listing()
    assert len(listing.services) == 3 and [f.region for f in listing.failures] == ["asia-east1"]


async def test_services_pane_shows_both_regions_and_the_failing_one(
        regional: RunningSandbox) -> None:
    app = make_app(regional, replace(sandbox_profile(regional), regions=REGIONS))
    async with app.run_test(size=(140, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await until(lambda: table.row_count, pilot)
        assert table.row_keys == ["api@europe-west1", "api@us-central1", "web@europe-west1"]
        status = str(app.screen.query_one(StatusLine).render())
        assert "region asia-east1: PERMISSION_DENIED" in status
        table.move_cursor(row=table.get_row_index("api@europe-west1"))
        await pilot.press("enter")
        await until(lambda: app.screen.query("#detail-revisions") and app.screen.query_one(
            "#detail-revisions").row_count, pilot)  # type: ignore[attr-defined]
        assert app.screen.query_one("#detail-revisions").row_count == 5  # type: ignore[attr-defined]


def test_services_command_prints_the_others_and_exits_1(
        regional: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "regions.toml"
    path.write_text(SCENARIO)
    assert main(["services", "--scenario", str(path)]) == 1
    captured = capsys.readouterr()
    assert "api · europe-west1" in captured.out and "api · us-central1" in captured.out
    assert "region asia-east1: PERMISSION_DENIED" in captured.err




def test_error_rates_of_same_named_services_stay_apart() -> None:
    from staging_tui.domain import LogEntry, Severity
    from staging_tui.render.error_rates import error_buckets

    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    entries = [LogEntry(str(i), now - timedelta(seconds=30), Severity.ERROR, "api",
                        resource_labels={"location": "europe-west1" if i < 3 else "us-central1"})
               for i in range(4)]
    rates = error_buckets(entries, now)
    assert rates["europe-west1/api"][-1] == 3 and rates["us-central1/api"][-1] == 1
    assert rates["api"][-1] == 4
