"""Cloud Monitoring per region on the two-regions scenario (token valid, `api` in
europe-west1 failing): every query groups by service name and resource.labels.location,
so the two `api` services get their own golden signals in the adapter and the Services
pane, and the doctor's error-rate check (and its follow-up Logging query) names the
failing one's region."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from google.cloud.monitoring_v3 import types as mon
from google.cloud.monitoring_v3.services.metric_service import MetricServiceAsyncClient
from google.cloud.monitoring_v3.services.metric_service.transports.grpc_asyncio import (
    MetricServiceGrpcAsyncIOTransport,
)
from google.protobuf import duration_pb2, timestamp_pb2
from ui_app import backend_for, make_app
from waiting import until

from staging_tui.audit.runner import run_doctor
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.monitoring import MonitoringAdapter
from staging_tui.sandbox.scenario import load_scenario, scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.service_detail import ServiceDetailScreen
from staging_tui.ui.screens.services import ServicesScreen
from staging_tui.ui.widgets.services_table import ServicesTable

US, EU = "us-central1/api", "europe-west1/api"
FAILURE = "RuntimeError: europe-west1's database is unreachable"


def _tables() -> dict[str, object]:
    """two-regions with a valid token, and europe-west1's `api` failing."""
    tables = dict(load_scenario("two-regions").tables)
    tables.pop("auth")
    services = [dict(s) for s in tables["services"]]  # type: ignore[attr-defined]
    for spec in services:
        if spec["name"] == "api" and spec.get("region") == "europe-west1":
            spec["failure"] = FAILURE
    tables["services"] = services
    return tables


@pytest.fixture(scope="module")
def world() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(_tables(), source="two-regions (eu api failing)"))
    yield thread.start()
    thread.stop()


async def test_adapter_keeps_same_named_services_apart(world: RunningSandbox) -> None:
    adapter = MonitoringAdapter(Endpoints.for_sandbox(world.endpoints), "acme-staging")
    try:
        signals = await adapter.golden_signals(minutes=10)
        counts = await adapter.log_error_counts(10)
    finally:
        await adapter.close()
    assert {US, EU} <= set(signals) and "api" not in signals
    us, eu = signals[US], signals[EU]
    assert us.service == eu.service == "api"
    assert us.requests_per_s != eu.requests_per_s
    assert max(us.error_ratio) == 0.0 < min(eu.error_ratio)  # only europe-west1 fails
    assert min(eu.p50_ms) > max(us.p50_ms)
    assert counts[US][0] == 0 < counts[EU][0]


async def test_sandbox_series_carry_their_location(world: RunningSandbox) -> None:
    """Grouped by Google's `resource.labels.location`, the sandbox answers one series per
    region, each labelled with its own location."""
    channel = Endpoints.for_sandbox(world.endpoints).grpc_channel()
    client = MetricServiceAsyncClient(transport=MetricServiceGrpcAsyncIOTransport(channel=channel))
    end = timestamp_pb2.Timestamp()
    end.FromDatetime(datetime.now(UTC).replace(second=0, microsecond=0))
    start = timestamp_pb2.Timestamp(seconds=end.seconds - 300)
    A, R = mon.Aggregation.Aligner, mon.Aggregation.Reducer
    try:
        pager = await client.list_time_series(request=mon.ListTimeSeriesRequest(
            name="projects/acme-staging",
            filter='metric.type = "run.googleapis.com/request_count" AND '
                   'resource.labels.service_name = "api"',
            interval=mon.TimeInterval(start_time=start, end_time=end),
            aggregation=mon.Aggregation(
                alignment_period=duration_pb2.Duration(seconds=60),
                per_series_aligner=A.ALIGN_RATE, cross_series_reducer=R.REDUCE_SUM,
                group_by_fields=["resource.labels.service_name", "resource.labels.location"])))
        series = [ts async for ts in pager]
        raw = await client.list_time_series(request=mon.ListTimeSeriesRequest(
            name="projects/acme-staging",
            filter='metric.type = "run.googleapis.com/request_count" AND '
                   'resource.labels.location = "europe-west1"',
            interval=mon.TimeInterval(start_time=start, end_time=end)))
        raw_locations = {ts.resource.labels["location"] async for ts in raw}
    finally:
        await channel.close()
    assert {tuple(sorted(ts.resource.labels.items())) for ts in series} == {
        (("location", "europe-west1"), ("service_name", "api")),
        (("location", "us-central1"), ("service_name", "api"))}
    assert raw_locations == {"europe-west1"}


async def test_services_pane_and_detail_show_each_regions_signals(
        world: RunningSandbox) -> None:
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ServicesScreen)
        table = screen.query_one(ServicesTable)
        await until(lambda: table.row_count > 0 and {US, EU} <= set(screen.signals), pilot)
        assert screen.signals[US].requests_per_s != screen.signals[EU].requests_per_s
        assert sum(table.error_rates[EU]) > 0 and sum(table.error_rates[US]) == 0
        assert table.row_keys[0] == "api@europe-west1"
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ServiceDetailScreen), pilot)
        detail = app.screen
        assert isinstance(detail, ServiceDetailScreen)
        assert detail.signals is screen.signals[EU]


async def test_doctor_names_the_failing_region(world: RunningSandbox) -> None:
    backend = backend_for(world)
    try:
        findings = await run_doctor(backend)
    finally:
        await backend.close()
    rates = [f for f in findings if f.check_id == "logs.error-rate"]
    assert len(rates) == 1, [f.title for f in rates]
    (rate,) = rates
    assert rate.target == "api" and rate.title.startswith("api (europe-west1): error rate")
    assert "at ERROR or worse in europe-west1" in rate.evidence
    assert "--region europe-west1" in rate.fix
    # the follow-up Logging query read europe-west1's entries: its own traceback
    assert FAILURE in rate.evidence
