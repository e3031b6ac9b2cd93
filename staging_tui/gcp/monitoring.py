"""Cloud Monitoring adapter: the golden signals of every Cloud Run service.

One `ListTimeSeries` per metric for all services (grouped by service_name and
location, so same-named services of two regions never mix), not one per service:
six calls per refresh against 6,000 time-series queries per minute.
Requests/s and the 5xx ratio come from one request_count query grouped by service
and response_code_class; latency p50/p95 and CPU/memory p95 reduce distributions
(ALIGN_DELTA + REDUCE_PERCENTILE_*), instances sum the active instance counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core import retry_async
from google.cloud.monitoring_v3 import types as mon
from google.cloud.monitoring_v3.services.metric_service import MetricServiceAsyncClient
from google.cloud.monitoring_v3.services.metric_service.transports.grpc_asyncio import (
    MetricServiceGrpcAsyncIOTransport,
)
from google.protobuf import duration_pb2, timestamp_pb2

from staging_tui.domain import GoldenSignals
from staging_tui.gcp.api_errors import mapped, transient
from staging_tui.gcp.call_budget import CallBudget, quota_share_budget
from staging_tui.gcp.endpoints import Endpoints

READ_QUOTA_PER_MINUTE = 6_000  # time-series queries per project (Monitoring quotas page)
RUN = "run.googleapis.com/"
A = mon.Aggregation.Aligner
R = mon.Aggregation.Reducer
# Group-by fields as Google's filter syntax spells resource labels (monitoring/api/v3/filters)
BY_SERVICE = "resource.labels.service_name"
BY_LOCATION = "resource.labels.location"
BY_KEY = [BY_SERVICE, BY_LOCATION]
# The library retries UNAVAILABLE for 90 s, the auth plugin's too (expired ADC): a pane
# and the doctor would wait that long for an error no retry fixes.
READ_RETRY = retry_async.AsyncRetry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=3.0,
                                    predicate=transient)


def _ts(when: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when)
    return ts


class MonitoringAdapter:
    """Reads Cloud Run metrics of one project."""

    def __init__(self, endpoints: Endpoints, project: str, *, quota_share: float = 0.5) -> None:
        self.project = project
        self.budget = CallBudget(quota_share_budget(READ_QUOTA_PER_MINUTE, quota_share))
        channel = (endpoints.grpc_channel() if endpoints.sandbox
                   else endpoints.google_channel(MetricServiceGrpcAsyncIOTransport))
        self._client = MetricServiceAsyncClient(
            transport=MetricServiceGrpcAsyncIOTransport(channel=channel))

    async def _series(self, metric: str, aligner: int, reducer: int, group_by: list[str],
                      start: datetime, end: datetime, extra: str = "") -> list[Any]:
        request = mon.ListTimeSeriesRequest(
            name=f"projects/{self.project}",
            filter=f'metric.type = "{RUN}{metric}" AND resource.type = "cloud_run_revision"'
                   + (f" AND {extra}" if extra else ""),
            interval=mon.TimeInterval(start_time=_ts(start), end_time=_ts(end)),
            aggregation=mon.Aggregation(
                alignment_period=duration_pb2.Duration(seconds=60),
                per_series_aligner=aligner, cross_series_reducer=reducer,
                group_by_fields=group_by),
            view=mon.ListTimeSeriesRequest.TimeSeriesView.FULL)
        out: list[Any] = []
        async with mapped(request.name):
            await self.budget.acquire()
            pager = await self._client.list_time_series(request=request, retry=READ_RETRY)
            async for response in pager.pages:
                out.extend(type(response).pb(response).time_series)
                if response.next_page_token:
                    await self.budget.acquire()
        return out

    async def golden_signals(self, minutes: int = 15, now: datetime | None = None
                             ) -> dict[str, GoldenSignals]:
        """Service.key (region/name) -> its signals over the last `minutes` whole minutes
        (6 calls)."""
        end = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        start = end - timedelta(minutes=minutes)
        times = tuple(start + timedelta(minutes=i + 1) for i in range(minutes))
        pct = R.REDUCE_PERCENTILE_50, R.REDUCE_PERCENTILE_95
        requests, p50, p95, instances, cpu, memory = await asyncio.gather(
            self._series("request_count", A.ALIGN_RATE, R.REDUCE_SUM,
                         [*BY_KEY, "metric.labels.response_code_class"], start, end),
            self._series("request_latencies", A.ALIGN_DELTA, pct[0], BY_KEY, start, end),
            self._series("request_latencies", A.ALIGN_DELTA, pct[1], BY_KEY, start, end),
            self._series("container/instance_count", A.ALIGN_MAX, R.REDUCE_SUM, BY_KEY,
                         start, end, 'metric.labels.state = "active"'),
            self._series("container/cpu/utilizations", A.ALIGN_DELTA, pct[1], BY_KEY,
                         start, end),
            self._series("container/memory/utilizations", A.ALIGN_DELTA, pct[1], BY_KEY,
                         start, end))
        total: dict[str, list[float]] = {}
        errors: dict[str, list[float]] = {}
        for ts in requests:
            service = _key(ts)
            values = _per_minute(ts, times)
            total[service] = [a + b for a, b in zip(total.get(service, [0.0] * minutes),
                                                    values, strict=True)]
            if ts.metric.labels.get("response_code_class") == "5xx":
                errors[service] = values
        by_service = {name: _by_service(series, times) for name, series in (
            ("p50", p50), ("p95", p95), ("instances", instances), ("cpu", cpu),
            ("memory", memory))}
        names = set(total) | {s for m in by_service.values() for s in m}
        zero = [0.0] * minutes
        out = {}
        for name in sorted(names):
            rps = total.get(name, zero)
            err = errors.get(name, zero)
            out[name] = GoldenSignals(
                service=name.rpartition("/")[2], times=times, requests_per_s=tuple(rps),
                errors_per_min=tuple(e * 60 for e in err),
                error_ratio=tuple(e / r if r else 0.0 for e, r in zip(err, rps, strict=True)),
                p50_ms=tuple(by_service["p50"].get(name, zero)),
                p95_ms=tuple(by_service["p95"].get(name, zero)),
                instances=tuple(by_service["instances"].get(name, zero)),
                cpu=tuple(by_service["cpu"].get(name, zero)),
                memory=tuple(by_service["memory"].get(name, zero)))
        return out

    async def log_error_counts(self, window_min: float, now: datetime | None = None
                               ) -> dict[str, tuple[int, int]]:
        """Service.key (region/name) -> (entries at ERROR or worse, all entries) over the last `window_min`
        minutes, from logging.googleapis.com/log_entry_count: one call, whatever the
        volume (the doctor no longer reads thousands of entries to count them)."""
        end = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        seconds = max(60, int(window_min * 60) // 60 * 60)
        start = end - timedelta(seconds=seconds)
        request = mon.ListTimeSeriesRequest(
            name=f"projects/{self.project}",
            filter='metric.type = "logging.googleapis.com/log_entry_count" AND '
                   'resource.type = "cloud_run_revision"',
            interval=mon.TimeInterval(start_time=_ts(start), end_time=_ts(end)),
            aggregation=mon.Aggregation(
                alignment_period=duration_pb2.Duration(seconds=seconds),
                per_series_aligner=A.ALIGN_DELTA, cross_series_reducer=R.REDUCE_SUM,
                group_by_fields=[*BY_KEY, "metric.labels.severity"]))
        counts: dict[str, list[int]] = {}
        async with mapped(request.name):
            await self.budget.acquire()
            pager = await self._client.list_time_series(request=request, retry=READ_RETRY)
            async for response in pager.pages:
                for ts in type(response).pb(response).time_series:
                    n = round(sum(_value(p) for p in ts.points))
                    pair = counts.setdefault(_key(ts), [0, 0])
                    pair[1] += n
                    if ts.metric.labels.get("severity") in ("ERROR", "CRITICAL", "ALERT",
                                                             "EMERGENCY"):
                        pair[0] += n
        return {name: (errors, total) for name, (errors, total) in counts.items()}

    async def close(self) -> None:
        transport: Any = self._client.transport
        await transport.close()


def _value(point: Any) -> float:
    kind = point.value.WhichOneof("value")
    return float(getattr(point.value, kind)) if kind in ("double_value", "int64_value") else 0.0


def _key(ts: Any) -> str:
    """Service.key of a series grouped by service_name and location."""
    return f'{ts.resource.labels["location"]}/{ts.resource.labels["service_name"]}'


def _per_minute(ts: Any, times: tuple[datetime, ...]) -> list[float]:
    """The series' values at `times` (oldest first); minutes without a point are 0."""
    at = {p.interval.end_time.seconds: _value(p) for p in ts.points}
    return [at.get(int(t.timestamp()), 0.0) for t in times]


def _by_service(series: list[Any], times: tuple[datetime, ...]) -> Mapping[str, list[float]]:
    return {_key(ts): _per_minute(ts, times) for ts in series}
