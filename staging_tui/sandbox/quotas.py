"""Per-project, per-minute rate quotas with Google's published defaults.

Google counts API calls per project (the quota "consumer") and per quota group
("read requests", "access requests" ...) in synchronized one-minute intervals: a
project that spends its quota at 10:00:15 waits for 10:01:00 (Compute Engine rate
quotas page, which describes the shared quota system). A call over the limit fails
with RESOURCE_EXHAUSTED and a `google.rpc.Status` in `grpc-status-details-bin`
holding an `ErrorInfo` (reason RATE_LIMIT_EXCEEDED, domain googleapis.com,
metadata quota_metric / quota_limit / quota_limit_value / consumer / service) and
a `Help` link. Google's quota errors for these APIs carry no `RetryInfo`; a
scenario can ask for one (`retry_info = true`) to exercise clients that honour it.

`QuotaInterceptor` is a grpc.aio server interceptor, independent of any other
(authentication, faults): it only counts and refuses. `QuotaBook` is what tests
and benchmarks read (`calls`, `used`) and what they use to play a teammate who
already spent the quota (`consume`). docs/sandbox-fidelity.md cites the sources.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from staging_tui.errors import SandboxError

SHARED_KEY = "quotas"
HELP_URL = "https://cloud.google.com/docs/quotas/help/request_increase"


@dataclass(frozen=True)
class QuotaGroup:
    """One quota: the methods it counts and Google's default limit per minute."""

    key: str  # the scenario's name for it, e.g. "logging.read"
    service: str  # e.g. "logging.googleapis.com"
    metric: str  # e.g. "logging.googleapis.com/read_requests"
    metric_title: str  # e.g. "Read requests"
    limit_name: str  # e.g. "ReadRequestsPerMinutePerProject"
    limit_title: str  # e.g. "Read requests per minute"
    per_minute: int
    methods: tuple[str, ...]  # full gRPC method names ("/pkg.Service/Method") or HTTP keys


_SM = "/google.cloud.secretmanager.v1.SecretManagerService/"
_LOG = "/google.logging.v2.LoggingServiceV2/"
_RUN_S = "/google.cloud.run.v2.Services/"
_RUN_R = "/google.cloud.run.v2.Revisions/"
_RUN_J = "/google.cloud.run.v2.Jobs/"
_RUN_E = "/google.cloud.run.v2.Executions/"
_MON = "/google.monitoring.v3.MetricService/"

# Google's defaults (sources in docs/sandbox-fidelity.md, "Quotas and Cloud Monitoring").
DEFAULT_GROUPS: tuple[QuotaGroup, ...] = (
    QuotaGroup("logging.read", "logging.googleapis.com", "logging.googleapis.com/read_requests",
               "Read requests", "ReadRequestsPerMinutePerProject", "Read requests per minute",
               60, (_LOG + "ListLogEntries", _LOG + "ListLogs")),
    QuotaGroup("logging.write", "logging.googleapis.com", "logging.googleapis.com/write_requests",
               "Write requests", "WriteRequestsPerMinutePerProject",
               "Write requests per minute", 120_000, (_LOG + "WriteLogEntries",)),
    QuotaGroup("secretmanager.read", "secretmanager.googleapis.com",
               "secretmanager.googleapis.com/read_requests", "Read requests",
               "ReadRequestsPerMinutePerProject", "Read requests per minute", 600,
               tuple(_SM + m for m in ("ListSecrets", "GetSecret", "ListSecretVersions",
                                       "GetSecretVersion", "GetIamPolicy"))),
    QuotaGroup("secretmanager.access", "secretmanager.googleapis.com",
               "secretmanager.googleapis.com/access_requests", "Access requests",
               "AccessRequestsPerMinutePerProject", "Access requests per minute", 90_000,
               (_SM + "AccessSecretVersion",)),
    QuotaGroup("secretmanager.write", "secretmanager.googleapis.com",
               "secretmanager.googleapis.com/write_requests", "Write requests",
               "WriteRequestsPerMinutePerProject", "Write requests per minute", 600,
               tuple(_SM + m for m in ("CreateSecret", "UpdateSecret", "DeleteSecret",
                                       "AddSecretVersion", "EnableSecretVersion",
                                       "DisableSecretVersion", "DestroySecretVersion"))),
    QuotaGroup("run.read", "run.googleapis.com", "run.googleapis.com/read_requests",
               "Read requests", "ReadRequestsPerMinutePerProjectPerRegion",
               "Read requests per minute per region", 1_000,
               tuple(p + m for p in (_RUN_S, _RUN_R, _RUN_J, _RUN_E)
                     for m in ("ListServices", "GetService", "ListRevisions", "GetRevision",
                               "ListJobs", "GetJob", "ListExecutions", "GetExecution"))),
    QuotaGroup("run.write", "run.googleapis.com", "run.googleapis.com/write_requests",
               "Write requests", "WriteRequestsPerMinutePerProjectPerRegion",
               "Write requests per minute per region", 180,
               tuple(p + m for p in (_RUN_S, _RUN_R, _RUN_J)
                     for m in ("CreateService", "UpdateService", "DeleteService",
                               "DeleteRevision", "CreateJob", "UpdateJob", "DeleteJob",
                               "RunJob"))),
    QuotaGroup("sqladmin.default", "sqladmin.googleapis.com", "sqladmin.googleapis.com/default",
               "Queries", "defaultPerMinutePerProject", "Queries per minute", 180,
               ("sqladmin:connectSettings", "sqladmin:generateEphemeralCert",
                "sqladmin:get", "sqladmin:list")),
    QuotaGroup("monitoring.read", "monitoring.googleapis.com",
               "monitoring.googleapis.com/read_requests", "Time series queries",
               "TimeSeriesQueriesPerMinutePerProject", "Time series queries per minute",
               6_000, (_MON + "ListTimeSeries", _MON + "ListMetricDescriptors",
                       _MON + "ListMonitoredResourceDescriptors")),
)


def _wall_clock() -> float:
    return time.time()


@dataclass
class QuotaBook:
    """Counters per quota group and minute, shared by every client of the sandbox.

    `clock` gives seconds (wall clock by default); a test compresses time by passing
    its own. Windows are aligned to whole minutes of that clock, like Google's.
    """

    project: str
    project_number: str
    groups: tuple[QuotaGroup, ...] = DEFAULT_GROUPS
    enabled: bool = True
    retry_info: bool = False
    clock: Callable[[], float] = _wall_clock
    _by_method: dict[str, QuotaGroup] = field(default_factory=dict, repr=False)
    _window: int = -1
    _used: Counter[str] = field(default_factory=Counter, repr=False)
    calls: Counter[str] = field(default_factory=Counter)  # per method, all time
    refused: Counter[str] = field(default_factory=Counter)  # per method, all time
    _log: list[tuple[float, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._by_method = {m: g for g in self.groups for m in g.methods}

    # ------------------------------------------------------------------ counting

    def group_of(self, method: str) -> QuotaGroup | None:
        return self._by_method.get(method)

    def _roll(self) -> float:
        now = self.clock()
        window = int(now // 60)
        if window != self._window:
            self._window = window
            self._used.clear()
        return now

    def charge(self, method: str) -> tuple[QuotaGroup, float] | None:
        """Count one call of `method`; (group, seconds to the next minute) if refused."""
        now = self._roll()
        self.calls[method] += 1
        self._log.append((now, method))
        group = self._by_method.get(method)
        if group is None or not self.enabled:
            return None
        if self._used[group.key] >= group.per_minute:
            self.refused[method] += 1
            return group, 60.0 - now % 60
        self._used[group.key] += 1
        return None

    def consume(self, key: str, count: int | None = None) -> None:
        """Spend `count` of a group's minute (all of it by default): someone else's calls."""
        group = next((g for g in self.groups if g.key == key), None)
        if group is None:
            raise KeyError(key)
        self._roll()
        self._used[key] += group.per_minute if count is None else count

    def refill(self) -> None:
        """Forget this minute's use (a test starting afresh)."""
        self._used.clear()

    def used(self, key: str) -> int:
        """Calls counted against group `key` in the current minute."""
        self._roll()
        return self._used[key]

    def calls_between(self, start: float, end: float) -> Counter[str]:
        """Calls per method whose clock time is in [start, end)."""
        return Counter(m for t, m in self._log if start <= t < end)

    def max_per_window(self, methods: set[str] | None = None, window: float = 60.0) -> int:
        """The most calls (of `methods`, or all) in any sliding `window` seconds."""
        times = [t for t, m in self._log if methods is None or m in methods]
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def reset_log(self) -> None:
        self._log.clear()
        self.calls.clear()
        self.refused.clear()

    # ------------------------------------------------------------------ the error

    def status(self, group: QuotaGroup, retry_in: float) -> status_pb2.Status:
        """The google.rpc.Status Google sends when `group` is spent."""
        message = (f"Quota exceeded for quota metric '{group.metric_title}' and limit "
                   f"'{group.limit_title}' of service '{group.service}' for consumer "
                   f"'project_number:{self.project_number}'.")
        info = error_details_pb2.ErrorInfo(
            reason="RATE_LIMIT_EXCEEDED", domain="googleapis.com",
            metadata={
                "service": group.service,
                "consumer": f"projects/{self.project_number}",
                "quota_metric": group.metric,
                "quota_limit": group.limit_name,
                "quota_limit_value": str(group.per_minute),
                "quota_location": "global",
                "quota_unit": "1/min/{project}",
            })
        help_ = error_details_pb2.Help(links=[error_details_pb2.Help.Link(
            description="Request a higher quota limit.", url=HELP_URL)])
        status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=message)
        status.details.add().Pack(info)
        status.details.add().Pack(help_)
        if self.retry_info:
            delay = duration_pb2.Duration()
            delay.FromMilliseconds(max(1, int(retry_in * 1000)))
            status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        return status


def book_from_scenario(project: str, table: Mapping[str, Any], *, source: str = "",
                       project_number: str = "") -> QuotaBook:
    """A QuotaBook with Google's defaults, overridden by the scenario's `[quotas]`:

        [quotas]
        enabled = true             # false: count calls, refuse none
        retry_info = false         # true: add a google.rpc.RetryInfo to the error
        "logging.read" = 60        # any group key: calls per minute
    """
    known = {g.key: g for g in DEFAULT_GROUPS}
    groups = []
    for key, group in known.items():
        value = table.get(key, group.per_minute)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SandboxError(f"{source}: [quotas] {key} = {value!r} is not a count",
                               f"write a whole number of calls per minute, e.g. {key} = "
                               f"{group.per_minute}")
        groups.append(QuotaGroup(**{**group.__dict__, "per_minute": value}))
    for key in table:
        if key not in known and key not in ("enabled", "retry_info"):
            raise SandboxError(f"{source}: [quotas] {key} is not a quota",
                               "use one of: enabled, retry_info, " + ", ".join(known))
    number = project_number or str(100_000_000_000 + sum(map(ord, project)) * 7919)
    return QuotaBook(project=project, project_number=number, groups=tuple(groups),
                     enabled=bool(table.get("enabled", True)),
                     retry_info=bool(table.get("retry_info", False)))


Handler = Any  # grpc.RpcMethodHandler (grpc ships no type hints for its aio interceptors)


class QuotaInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Counts every call against the book and refuses those over quota.

    Composable with other interceptors: it wraps only the methods it counts and
    passes everything else through untouched.
    """

    def __init__(self, book: QuotaBook) -> None:
        self.book = book

    async def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None:
            return handler
        book = self.book
        if book.group_of(method) is None:  # counted, never refused: left as it is
            book.charge(method)
            return handler

        async def refuse(context: grpc.aio.ServicerContext[Any, Any]) -> bool:
            refused = book.charge(method)
            if refused is None:
                return False
            status = book.status(*refused)
            await context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED, status.message,
                trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),))
            return True

        if handler.unary_unary is not None:
            inner_uu = handler.unary_unary

            async def unary_unary(request: Any, context: Any) -> Any:
                await refuse(context)
                return await inner_uu(request, context)

            return grpc.unary_unary_rpc_method_handler(
                unary_unary, request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer)
        if handler.stream_stream is not None:
            inner_ss = handler.stream_stream

            async def stream_stream(requests: Any, context: Any) -> Any:
                await refuse(context)
                async for response in inner_ss(requests, context):
                    yield response

            return grpc.stream_stream_rpc_method_handler(
                stream_stream, request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer)
        return handler
