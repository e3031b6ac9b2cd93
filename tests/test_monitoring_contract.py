"""Cloud Monitoring's ListTimeSeries in the sandbox, through the real client library:
Cloud Run metrics consistent with the generated traffic, the aggregation subset the
console uses, and Google's INVALID_ARGUMENTs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud.monitoring_v3 import types as mon
from google.cloud.monitoring_v3.services.metric_service import MetricServiceAsyncClient
from google.cloud.monitoring_v3.services.metric_service.transports.grpc_asyncio import (
    MetricServiceGrpcAsyncIOTransport,
)
from google.protobuf import duration_pb2, timestamp_pb2

from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.monitoring import MonitoringAdapter
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

SCENARIO: dict[str, Any] = {
    "project": {"id": "mon-test", "region": "us-central1", "seed": 5},
    "services": [{"name": "api", "min_instances": 1, "max_instances": 10},
                 {"name": "worker", "revisions": 2, "latest_ready": 1, "failure": "crash"}],
    "logs": {"rates": {"api": 50.0, "worker": 5.0}, "error_share": 0.5,
             "background_error_share": 0.01},
}
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def mon_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(SCENARIO, source="<monitoring test>"))
    running = thread.start()
    yield running
    thread.stop()


def _ts(when: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when)
    return ts


async def test_golden_signals_follow_the_traffic(mon_sandbox: RunningSandbox) -> None:
    adapter = MonitoringAdapter(Endpoints.for_sandbox(mon_sandbox.endpoints), "mon-test")
    before = dict(mon_sandbox.quotas.calls)
    try:
        signals = await adapter.golden_signals(minutes=10, now=NOW)
    finally:
        await adapter.close()
    calls = sum(mon_sandbox.quotas.calls.values()) - sum(before.values())
    assert calls == 6  # one query per metric for all services
    api, worker = signals["us-central1/api"], signals["us-central1/worker"]
    assert api.service == "api"
    assert len(api.requests_per_s) == 10 and api.times[-1] == NOW
    assert 35 < sum(api.requests_per_s) / 10 < 65  # 50/s with ±20 % noise
    assert max(api.error_ratio) < 0.05 < min(worker.error_ratio)  # the crash-looping one
    assert all(e > 0 for e in worker.errors_per_min)
    assert all(lo < hi for lo, hi in zip(api.p50_ms, api.p95_ms, strict=True))
    assert min(worker.p50_ms) > max(api.p50_ms)  # failing: slower
    assert min(api.instances) >= 1 and all(0 < c < 1 for c in api.cpu + api.memory)


async def test_raw_series_and_google_errors(mon_sandbox: RunningSandbox) -> None:
    channel = Endpoints.for_sandbox(mon_sandbox.endpoints).grpc_channel()
    client = MetricServiceAsyncClient(transport=MetricServiceGrpcAsyncIOTransport(channel=channel))
    interval = mon.TimeInterval(start_time=_ts(NOW - timedelta(minutes=3)), end_time=_ts(NOW))
    count = 'metric.type = "run.googleapis.com/request_count"'
    try:
        pager = await client.list_time_series(request=mon.ListTimeSeriesRequest(
            name="projects/mon-test", filter=count + ' AND resource.labels.service_name = "api"',
            interval=interval))
        series = [ts async for ts in pager]
        assert {ts.metric.labels["response_code_class"] for ts in series} == {"2xx", "4xx",
                                                                              "5xx"}
        assert all(ts.resource.type == "cloud_run_revision" for ts in series)
        assert {ts.resource.labels["service_name"] for ts in series} == {"api"}
        points = series[0].points
        assert points[0].interval.end_time > points[-1].interval.end_time  # newest first

        bad = [
            ("", None),  # no metric.type
            (count, mon.Aggregation(alignment_period=duration_pb2.Duration(seconds=30),
                                    per_series_aligner=mon.Aggregation.Aligner.ALIGN_RATE)),
            (count, mon.Aggregation(alignment_period=duration_pb2.Duration(seconds=60),
                                    per_series_aligner=mon.Aggregation.Aligner.ALIGN_DELTA,
                                    cross_series_reducer=mon.Aggregation.Reducer
                                    .REDUCE_PERCENTILE_95)),  # INT64 has no percentiles
        ]
        for flt, agg in bad:
            with pytest.raises(gexc.InvalidArgument):
                pager = await client.list_time_series(request=mon.ListTimeSeriesRequest(
                    name="projects/mon-test", filter=flt, interval=interval, aggregation=agg),
                    retry=None)
                [ts async for ts in pager]
    finally:
        await client.transport.close()
