"""Emulated Cloud Monitoring v3: `MetricService.ListTimeSeries` over gRPC, Cloud Run metrics.

The numbers follow the traffic the Logging module generates (`[logs] rates`,
`error_share`, failing services): per service and minute, deterministic from the
scenario seed. Metrics (cloud.google.com/monitoring/api/metrics_gcp, run section),
all on the `cloud_run_revision` resource (labels project_id, service_name,
revision_name, location, configuration_name; location is the service's own region, so
the same service name in two regions makes two series):

- run.googleapis.com/request_count           DELTA INT64, labels response_code,
                                              response_code_class
- run.googleapis.com/request_latencies       DELTA DISTRIBUTION (ms)
- run.googleapis.com/container/instance_count  GAUGE INT64, label state (active/idle)
- run.googleapis.com/container/cpu/utilizations     DELTA DISTRIBUTION (ratio)
- run.googleapis.com/container/memory/utilizations  DELTA DISTRIBUTION (ratio)
- logging.googleapis.com/log_entry_count      DELTA INT64, labels log, severity (the
                                              sandbox splits ERROR from the rest: INFO)

The aggregation subset: aligners ALIGN_NONE (raw), ALIGN_DELTA, ALIGN_RATE, ALIGN_SUM,
ALIGN_MEAN, ALIGN_MAX, ALIGN_PERCENTILE_50/95/99; reducers REDUCE_NONE, REDUCE_SUM,
REDUCE_MEAN, REDUCE_MAX, REDUCE_PERCENTILE_50/95/99; group_by_fields on
resource.labels.* and metric.labels.*. Like Google, the filter must name one
metric.type, alignment periods are at least 60 s, percentiles need distributions,
points come newest first, and a reduced series keeps only its group-by labels.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc
from google.api import distribution_pb2, metric_pb2
from google.cloud import monitoring_v3 as mon

from staging_tui.sandbox.log_generator import ServiceLogs, error_entry_share, service_traffic
from staging_tui.sandbox.rpc import page, service_handler, unary
from staging_tui.sandbox.scenario import Scenario
from staging_tui.sandbox.server_context import SandboxContext

SERVICE = "google.monitoring.v3.MetricService"
PB: Any = {n: getattr(mon, n).pb() for n in ("ListTimeSeriesResponse", "TimeSeries", "Point")}
A = mon.Aggregation.Aligner
R = mon.Aggregation.Reducer
KIND = metric_pb2.MetricDescriptor.MetricKind
VTYPE = metric_pb2.MetricDescriptor.ValueType
RUN = "run.googleapis.com/"
METRICS = {  # type -> (kind, value type)
    RUN + "request_count": (KIND.DELTA, VTYPE.INT64),
    RUN + "request_latencies": (KIND.DELTA, VTYPE.DISTRIBUTION),
    RUN + "container/instance_count": (KIND.GAUGE, VTYPE.INT64),
    RUN + "container/cpu/utilizations": (KIND.DELTA, VTYPE.DISTRIBUTION),
    RUN + "container/memory/utilizations": (KIND.DELTA, VTYPE.DISTRIBUTION),
    "logging.googleapis.com/log_entry_count": (KIND.DELTA, VTYPE.INT64),
}
_CLAUSE = re.compile(r'([\w.]+)\s*=\s*"([^"]*)"')
_PERCENTILE_ALIGN = {A.ALIGN_PERCENTILE_50: 50, A.ALIGN_PERCENTILE_95: 95,
                     A.ALIGN_PERCENTILE_99: 99}
_PERCENTILE_REDUCE = {R.REDUCE_PERCENTILE_50: 50, R.REDUCE_PERCENTILE_95: 95,
                      R.REDUCE_PERCENTILE_99: 99}
BUCKETS = 64  # exponential buckets: scale * growth**i
_Z = {p: statistics.NormalDist().inv_cdf(p / 100) for p in (50, 95, 99)}
_BOUNDS = {  # metric -> (scale, growth): ms for latencies, a ratio for utilizations
    "request_latencies": (1.0, 1.25),
    "utilizations": (0.01, 1.08),
}


class BadRequest(Exception):
    pass


@dataclass(frozen=True)
class Raw:
    """One raw series: its labels and the value of each minute (int or bucket counts)."""

    metric: dict[str, str]
    resource: dict[str, str]
    service: ServiceLogs


def _noise(seed: int, *parts: object) -> float:
    """A deterministic factor in [0.8, 1.2) for (seed, parts)."""
    digest = hashlib.blake2b(repr((seed, parts)).encode(), digest_size=8).digest()
    return 0.8 + 0.4 * int.from_bytes(digest, "big") / 2**64


class Traffic:
    """Per-minute values of every raw series, from the generated log traffic."""

    def __init__(self, scenario: Scenario) -> None:
        self.project = scenario.project
        self.region = scenario.region
        self.seed = scenario.seed
        self.clock = scenario.clock  # no figures for a minute that has not ended on it
        self.services = service_traffic(scenario)
        self.error_share = float(scenario.tables.get("logs", {}).get("error_share", 0.05))
        self.scaling = {(str(s.get("region", self.region)), str(s["name"])): (
                            int(s.get("min_instances", 0)), int(s.get("max_instances", 100)))
                        for s in scenario.tables.get("services", [])}

    def _resource(self, s: ServiceLogs) -> dict[str, str]:
        return {"project_id": self.project, "service_name": s.name, "revision_name": s.revision,
                "location": s.region or self.region, "configuration_name": s.name}

    def _who(self, s: ServiceLogs) -> str:
        """What a service's noise is drawn for: its name in the project's first region (the
        figures of one-region worlds stay as they were), region/name elsewhere, so the
        same name in two regions has its own numbers."""
        region = s.region or self.region
        return s.name if region == self.region else f"{region}/{s.name}"

    def series(self, metric: str) -> list[Raw]:
        out = []
        for s in self.services:
            resource = self._resource(s)
            if metric == RUN + "request_count":
                for code in ("200", "404", "500"):
                    out.append(Raw({"response_code": code,
                                    "response_code_class": code[0] + "xx"}, resource, s))
            elif metric == RUN + "container/instance_count":
                for state in ("active", "idle"):
                    out.append(Raw({"state": state}, resource, s))
            elif metric.endswith("log_entry_count"):
                for severity in ("ERROR", "INFO"):
                    out.append(Raw({"log": "run.googleapis.com/stderr" if severity == "ERROR"
                                    else "run.googleapis.com/requests",
                                    "severity": severity}, resource, s))
            else:
                out.append(Raw({}, resource, s))
        return out

    def requests(self, s: ServiceLogs, minute: int) -> float:
        return s.rate * 60 * _noise(self.seed, self._who(s), minute)

    def count(self, metric: str, raw: Raw, minute: int) -> float:
        """A scalar per minute: requests of one code, or instances of one state."""
        s = raw.service
        if metric.endswith("log_entry_count"):
            total = s.rate * 60 * _noise(self.seed, "log", self._who(s), minute)
            errors = total * error_entry_share(s, self.error_share)
            return float(round(errors if raw.metric["severity"] == "ERROR" else total - errors))
        if metric == RUN + "request_count":
            total = self.requests(s, minute)
            share = {"5xx": s.error_share, "4xx": 0.02}.get(raw.metric["response_code_class"])
            if share is None:
                share = 1.0 - s.error_share - 0.02
            return float(round(total * share))
        low, high = self.scaling.get((s.region or self.region, s.name), (0, 100))
        active = max(low, min(high, math.ceil(s.rate / 20 * _noise(self.seed, "i", self._who(s),
                                                                      minute))))
        if s.errors:  # a crash-looping service keeps starting instances
            active = max(active, 1)
        return float(active if raw.metric["state"] == "active" else max(0, low - active))

    def shape(self, metric: str, raw: Raw, minute: int) -> tuple[float, float, int]:
        """(mu, sigma, samples) of one minute's log-normal distribution."""
        s = raw.service
        if metric.endswith("request_latencies"):
            median = (180.0 if s.errors else 45.0) * _noise(self.seed, "l", self._who(s), minute)
            return (math.log(median), 0.9 if s.errors else 0.6,
                    max(1, round(self.requests(s, minute))))
        base = 0.35 if "cpu" in metric else 0.5
        median = min(0.95, base * (1.6 if s.errors else 1.0)
                     * _noise(self.seed, metric, self._who(s), minute))
        return math.log(median), 0.25, 60

    def distribution(self, metric: str, raw: Raw, minute: int) -> tuple[list[float], int]:
        """Bucket counts (BUCKETS) and the sample count of one minute."""
        mu, sigma, n = self.shape(metric, raw, minute)
        scale, growth = _bounds(metric)
        counts = []
        previous = 0.0
        for i in range(BUCKETS):
            upper = scale * growth ** i
            cdf = 0.5 * (1 + math.erf((math.log(upper) - mu) / (sigma * math.sqrt(2))))
            counts.append((cdf - previous) * n)
            previous = cdf
        counts.append((1 - previous) * n)  # overflow
        return counts, n


def _bounds(metric: str) -> tuple[float, float]:
    return _BOUNDS["request_latencies" if metric.endswith("request_latencies")
                   else "utilizations"]


def percentile(counts: list[float], p: float, metric: str) -> float:
    """The p-th percentile of bucketed counts (linear inside the bucket, as Google does);
    a utilization never exceeds 1."""
    value = _percentile(counts, p, metric)
    return min(value, 1.0) if "utilizations" in metric else value


def _percentile(counts: list[float], p: float, metric: str) -> float:
    total = sum(counts)
    if total <= 0:
        return 0.0
    scale, growth = _bounds(metric)
    target = total * p / 100
    seen = 0.0
    for i, c in enumerate(counts):
        if seen + c >= target and c > 0:
            low = 0.0 if i == 0 else scale * growth ** (i - 1)
            high = scale * growth ** min(i, BUCKETS - 1)
            return low + (high - low) * (target - seen) / c
        seen += c
    return scale * growth ** (BUCKETS - 1)


def parse_filter(text: str) -> dict[str, str]:
    """`metric.type = "..." AND resource.type = "..." AND resource.labels.x = "..."`."""
    parts = [p.strip() for p in re.split(r"\s+AND\s+", text.strip()) if p.strip()]
    clauses: dict[str, str] = {}
    for part in parts:
        match = _CLAUSE.fullmatch(part)
        if not match:
            raise BadRequest(f"Field filter had an invalid value: could not parse {part!r}; "
                             'the sandbox supports KEY = "VALUE" clauses joined by AND')
        clauses[match.group(1)] = match.group(2)
    if "metric.type" not in clauses:
        raise BadRequest("Field filter had an invalid value: a metric.type must be given")
    return clauses


def _label(raw: Raw, field: str) -> str:
    if field.startswith("resource.labels."):
        return raw.resource.get(field.removeprefix("resource.labels."), "")
    if field.startswith("metric.labels."):
        return raw.metric.get(field.removeprefix("metric.labels."), "")
    if field.startswith("resource.label."):
        return raw.resource.get(field.removeprefix("resource.label."), "")
    if field.startswith("metric.label."):
        return raw.metric.get(field.removeprefix("metric.label."), "")
    raise BadRequest(f"Field aggregation.groupByFields had an invalid value: {field!r}")


def _matches(raw: Raw, clauses: dict[str, str]) -> bool:
    for key, value in clauses.items():
        if key in ("metric.type", "resource.type", "project"):
            continue
        if _label(raw, key) != value:
            return False
    return True


def list_time_series(traffic: Traffic, req: Any) -> list[Any]:
    """The TimeSeries (raw protobuf) answering a ListTimeSeriesRequest (raw protobuf)."""
    if req.name != f"projects/{traffic.project}":
        raise PermissionError(req.name)
    clauses = parse_filter(req.filter)
    metric = clauses["metric.type"]
    if clauses.get("resource.type", "cloud_run_revision") != "cloud_run_revision" \
            or metric not in METRICS:
        return []
    kind, vtype = METRICS[metric]
    end = req.interval.end_time.seconds
    if not end:
        raise BadRequest("Field interval.endTime had an invalid value: it is required")
    start = req.interval.start_time.seconds or end
    if start > end:
        raise BadRequest("Field interval.startTime had an invalid value: after endTime")
    agg = req.aggregation
    aligner = agg.per_series_aligner
    reducer = agg.cross_series_reducer
    period = agg.alignment_period.seconds or 0
    if aligner == A.ALIGN_NONE and reducer != R.REDUCE_NONE:
        raise BadRequest("Field aggregation.perSeriesAligner had an invalid value: "
                         "a cross-series reducer needs an aligner")
    if aligner != A.ALIGN_NONE and period < 60:
        raise BadRequest("Field aggregation.alignmentPeriod had an invalid value: "
                         "it must be at least 60s")
    distribution = vtype == VTYPE.DISTRIBUTION
    if aligner in _PERCENTILE_ALIGN and not distribution:
        raise BadRequest("Field aggregation.perSeriesAligner had an invalid value: "
                         f"{A(aligner).name} needs a DISTRIBUTION metric")
    if reducer in _PERCENTILE_REDUCE and not (distribution and aligner == A.ALIGN_DELTA):
        raise BadRequest("Field aggregation.crossSeriesReducer had an invalid value: "
                         f"{R(reducer).name} needs distributions aligned with ALIGN_DELTA")
    if aligner == A.ALIGN_RATE and kind == KIND.GAUGE:
        raise BadRequest("Field aggregation.perSeriesAligner had an invalid value: "
                         "ALIGN_RATE needs a DELTA or CUMULATIVE metric")
    raws = [r for r in traffic.series(metric) if _matches(r, clauses)]
    step = period or 60
    ends = list(range(end - (end - start) % step if start != end else end, start, -step)) \
        if start != end else [end]
    # newest first; a window still open on the sandbox's clock has no point yet
    now = traffic.clock()
    windows = [(e - step, e) for e in ends if e <= now]

    def aligned(raw: Raw, lo: int, hi: int) -> Any:
        minutes = range(lo // 60, max(lo // 60 + 1, hi // 60))
        if distribution:
            total = [0.0] * (BUCKETS + 1)
            n = 0
            for m in minutes:
                counts, c = traffic.distribution(metric, raw, m)
                total = [a + b for a, b in zip(total, counts, strict=True)]
                n += c
            if aligner in _PERCENTILE_ALIGN:
                return percentile(total, _PERCENTILE_ALIGN[aligner], metric)
            return total
        values = [traffic.count(metric, raw, m) for m in minutes]
        if kind == KIND.GAUGE:
            return {A.ALIGN_MAX: max(values)}.get(aligner, sum(values) / len(values))
        total_value = sum(values)
        return total_value / step if aligner == A.ALIGN_RATE else total_value

    groups: dict[tuple[str, ...], list[Raw]] = {}
    fields = list(agg.group_by_fields)
    for raw in raws:
        key = tuple(_label(raw, f) for f in fields) if reducer != R.REDUCE_NONE else \
            (repr(sorted(raw.metric.items())), raw.resource["location"],
             raw.resource["service_name"])
        groups.setdefault(key, []).append(raw)
    out = []
    for key, members in sorted(groups.items()):
        ts = PB["TimeSeries"]()
        ts.metric.type = metric
        ts.resource.type = "cloud_run_revision"
        if reducer == R.REDUCE_NONE:
            ts.metric.labels.update(members[0].metric)
            ts.resource.labels.update(members[0].resource)
        else:
            for f, v in zip(fields, key, strict=True):
                target = ts.resource.labels if f.startswith("resource.") else ts.metric.labels
                target[f.rsplit(".", 1)[-1]] = v
        out_distribution = distribution and aligner in (A.ALIGN_NONE, A.ALIGN_DELTA) \
            and reducer not in _PERCENTILE_REDUCE
        ts.metric_kind = KIND.GAUGE if aligner not in (A.ALIGN_NONE, A.ALIGN_DELTA) \
            else kind
        ts.value_type = (VTYPE.DISTRIBUTION if out_distribution else
                         VTYPE.INT64 if vtype == VTYPE.INT64 and aligner in
                         (A.ALIGN_NONE, A.ALIGN_DELTA, A.ALIGN_SUM) and reducer in
                         (R.REDUCE_NONE, R.REDUCE_SUM) else VTYPE.DOUBLE)
        single = _PERCENTILE_REDUCE.get(reducer) or _PERCENTILE_ALIGN.get(aligner)
        for lo, hi in windows:
            point = ts.points.add()
            if single and len(members) == 1 and hi - lo == 60:
                # one minute of one series: its percentile in closed form (the bucketed
                # path below gives the same within a bucket, at 60x the cost)
                point.interval.end_time.seconds = hi
                point.interval.start_time.seconds = lo
                mu, sigma, _ = traffic.shape(metric, members[0], lo // 60)
                value = math.exp(mu + sigma * _Z[single])
                point.value.double_value = min(value, 1.0) if "utilizations" in metric \
                    else value
                continue
            values = [aligned(r, lo, hi) for r in members]
            point.interval.end_time.seconds = hi
            if kind == KIND.DELTA or aligner != A.ALIGN_NONE:
                point.interval.start_time.seconds = lo
            _set_value(point, metric, values, reducer, ts.value_type)
        out.append(ts)
    return out


def _set_value(point: Any, metric: str, values: list[Any], reducer: int, vtype: int) -> None:
    if vtype == VTYPE.DISTRIBUTION or reducer in _PERCENTILE_REDUCE:
        counts = [sum(c) for c in zip(*values, strict=True)]
        if reducer in _PERCENTILE_REDUCE:
            point.value.double_value = percentile(counts, _PERCENTILE_REDUCE[reducer], metric)
            return
        scale, growth = _bounds(metric)
        dist = distribution_pb2.Distribution(count=round(sum(counts)))
        dist.bucket_options.exponential_buckets.num_finite_buckets = BUCKETS - 1
        dist.bucket_options.exponential_buckets.growth_factor = growth
        dist.bucket_options.exponential_buckets.scale = scale
        dist.bucket_counts.extend(round(c) for c in counts)
        if dist.count:
            dist.mean = percentile(counts, 50, metric)
        point.value.distribution_value.CopyFrom(dist)
        return
    if reducer == R.REDUCE_MAX:
        value = max(values)
    elif reducer == R.REDUCE_MEAN:
        value = sum(values) / len(values)
    else:
        value = sum(values)
    if vtype == VTYPE.INT64:
        point.value.int64_value = round(value)
    else:
        point.value.double_value = float(value)


def install(ctx: SandboxContext) -> None:
    traffic = Traffic(ctx.scenario)
    faults = ctx.scenario.faults

    async def list_ts(req: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await faults.apply("monitoring", "ListTimeSeries", req.name, context)
        series: list[Any] = []
        try:
            # computed off the event loop: the other APIs keep answering meanwhile
            series = await asyncio.to_thread(list_time_series, traffic, req)
        except BadRequest as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except PermissionError:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"Permission monitoring.timeSeries.list denied (or the "
                                f"resource may not exist): {req.name}")
        chunk, token = page(series, req.page_size, req.page_token, default=100_000,
                            maximum=100_000)
        return PB["ListTimeSeriesResponse"](time_series=chunk, next_page_token=token)

    ctx.add_grpc(service_handler(SERVICE, [
        unary(SERVICE, "ListTimeSeries", _Raw(mon.ListTimeSeriesRequest),
              mon.ListTimeSeriesResponse, list_ts),
    ]))


class _Raw:
    """Requests decoded as raw protobuf."""

    def __init__(self, proto_plus_type: Any) -> None:
        self.deserialize = proto_plus_type.pb().FromString


def series_values(series: Iterable[Any]) -> dict[str, list[float]]:
    """service_name -> values newest first (for tests reading reduced double series)."""
    return {ts.resource.labels["service_name"]: [p.value.double_value for p in ts.points]
            for ts in series}
