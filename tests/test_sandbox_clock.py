"""The sandbox's clock (Scenario.freeze): what the fixed-clock snapshots stand on.
Frozen, the generated logs stop at that instant and Monitoring has figures for the
minutes before it (following that traffic) and none for minutes not yet over, through
the real client libraries."""

from __future__ import annotations

from datetime import timedelta

from conftest import FIXED_NOW
from google.cloud.logging_v2 import types as log_types
from google.cloud.logging_v2.services.logging_service_v2 import LoggingServiceV2AsyncClient
from google.cloud.logging_v2.services.logging_service_v2.transports.grpc_asyncio import (
    LoggingServiceV2GrpcAsyncIOTransport,
)
from google.cloud.monitoring_v3 import types as mon
from google.cloud.monitoring_v3.services.metric_service import MetricServiceAsyncClient
from google.cloud.monitoring_v3.services.metric_service.transports.grpc_asyncio import (
    MetricServiceGrpcAsyncIOTransport,
)
from google.protobuf import timestamp_pb2

from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.monitoring import MonitoringAdapter
from staging_tui.sandbox.server import RunningSandbox


def _ts(seconds: float) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=int(seconds))


async def test_frozen_logs_end_at_the_sandbox_clock(fixed_sandbox: RunningSandbox) -> None:
    channel = Endpoints.for_sandbox(fixed_sandbox.endpoints).grpc_channel()
    client = LoggingServiceV2AsyncClient(
        transport=LoggingServiceV2GrpcAsyncIOTransport(channel=channel))
    try:
        pager = await client.list_log_entries(request=log_types.ListLogEntriesRequest(
            resource_names=[f"projects/{fixed_sandbox.scenario.project}"],
            order_by="timestamp desc", page_size=5))
        newest = next(iter([p async for p in pager.pages])).entries
    finally:
        await client.transport.close()
    stamps = [e.timestamp for e in newest]
    assert stamps and all(FIXED_NOW - timedelta(seconds=5) < t <= FIXED_NOW for t in stamps)


async def test_frozen_monitoring_follows_the_sandbox_clock(fixed_sandbox: RunningSandbox
                                                           ) -> None:
    endpoints = Endpoints.for_sandbox(fixed_sandbox.endpoints)
    project = fixed_sandbox.scenario.project
    adapter = MonitoringAdapter(endpoints, project)
    try:
        signals = await adapter.golden_signals(15, now=FIXED_NOW)
    finally:
        await adapter.close()
    failing = signals["us-central1/backend-staging"]
    assert failing.times[-1] == FIXED_NOW and all(e > 0 for e in failing.errors_per_min)

    client = MetricServiceAsyncClient(transport=MetricServiceGrpcAsyncIOTransport(
        channel=endpoints.grpc_channel()))
    now = FIXED_NOW.timestamp()
    try:  # three minutes before the clock and two after: points for the first three only
        pager = await client.list_time_series(request=mon.ListTimeSeriesRequest(
            name=f"projects/{project}",
            filter='metric.type = "run.googleapis.com/request_count" AND '
                   'resource.labels.service_name = "backend-staging"',
            interval=mon.TimeInterval(start_time=_ts(now - 180), end_time=_ts(now + 120))))
        series = [ts async for ts in pager]
    finally:
        await client.transport.close()
    assert series
    for ts in series:
        ends = [p.interval.end_time.timestamp() for p in ts.points]
        assert ends == [now, now - 60, now - 120], ends
