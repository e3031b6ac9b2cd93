"""The ports: what the UI, the headless commands, the model layer and the doctor need
of Google, as small protocols over domain objects (harlequin's adapter -> connection ->
cursor).

The adapters of gcp/ implement them; `Backend` hands them out typed as these protocols,
so nothing above the seam depends on an adapter class or on google.*. This module
imports nothing but domain objects, and sits below gcp/ and audit/ (pyproject's layers)
so that both may import it: the doctor (audit/runner.py) states its needs with these.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Collection,
    Iterable,
    Sequence,
)
from datetime import datetime
from typing import Protocol

from staging_tui.domain import (
    ActionPlan,
    ActionProgress,
    CompactEntries,
    ConnectionTest,
    CredentialsStatus,
    DatabaseStatus,
    Execution,
    GoldenSignals,
    JobListing,
    JobRunPlan,
    LogEntry,
    LogMarker,
    Revision,
    Secret,
    SecretPayload,
    SecretVersion,
    Service,
    ServiceListing,
    SqlInstance,
    TunnelOptions,
    TunnelState,
)

Batch = list[LogEntry | LogMarker]
CompactBatch = Sequence[LogEntry | LogMarker | CompactEntries]  # blocks decoded when read


class ServicesSource(Protocol):
    """Cloud Run: services and their revisions."""

    async def list_services(self) -> list[Service]: ...
    async def list_listing(self) -> ServiceListing: ...
    async def get_service(self, name: str, region: str = "") -> Service: ...
    async def describe_service(self, name: str, region: str = "") -> dict[str, object]: ...
    async def list_revisions(self, service: str, region: str = "") -> list[Revision]: ...
    async def with_access(self, service: Service) -> Service: ...
    async def locations(self) -> tuple[str, ...]: ...


class JobsSource(Protocol):
    """Cloud Run jobs and their executions."""

    async def list_jobs(self) -> JobListing: ...
    async def list_executions(self, job: str, region: str) -> list[Execution]: ...
    async def run_job(self, plan: JobRunPlan,
                      on_progress: Callable[[ActionProgress], None] | None = None
                      ) -> Execution: ...


class ServiceUpdates(Protocol):
    """Cloud Run incident actions: read a service to plan from, apply a plan as one
    UpdateService whose long-running operation reports its progress (gcp/run_actions.py).
    `read` returns the service and an opaque base to hand back to `apply`."""

    calls: int

    async def read(self, name: str, region: str) -> tuple[Service, object]: ...
    async def apply(self, plan: ActionPlan,
                    on_progress: Callable[[ActionProgress], None] | None = None,
                    base: object = None) -> Service: ...


class LogSource(Protocol):
    """Cloud Logging: pages of entries, a reconnecting tail, the query check, writes."""

    def list_pages(self, filter_: str = "", *, since: datetime | None = None,
                   until: datetime | None = None, newest_first: bool = False,
                   limit: int = 0, page_size: int = ...) -> AsyncIterator[list[LogEntry]]: ...
    async def list_entries(self, filter_: str = "", *, since: datetime | None = None,
                           until: datetime | None = None, newest_first: bool = False,
                           limit: int = 0, page_size: int = ...) -> list[LogEntry]: ...
    async def check_filter(self, filter_: str) -> None: ...
    def tail(self, filter_: str = "", *, since: datetime | None = None,
             backfill_limit: int = ...) -> AsyncGenerator[Batch, None]: ...
    def tail_compact(self, filter_: str = "", *, since: datetime | None = None,
                     backfill_limit: int = ...) -> AsyncGenerator[CompactBatch, None]: ...
    async def write_entries(self, entries: Iterable[LogEntry]) -> None: ...


class SecretReader(Protocol):
    """Secret Manager, reading: secrets with versions, one payload (CRC32C-checked)."""

    async def list_secrets(self, filter: str = "", *, with_versions: bool = True,
                           versions_for: Collection[str] | None = None,
                           on_progress: Callable[[int, int], None] | None = None,
                           on_listed: Callable[[list[Secret]], None] | None = None,
                           on_versions: Callable[[Secret], None] | None = None
                           ) -> list[Secret]: ...
    async def fill_versions(self, secrets: Iterable[Secret],
                            arrived: Callable[[Secret], None] | None = None
                            ) -> list[Secret]: ...
    async def get_secret(self, secret: str) -> Secret: ...
    async def list_versions(self, secret: str) -> tuple[SecretVersion, ...]: ...
    async def get_version(self, secret: str, version: str = "latest") -> SecretVersion: ...
    async def access(self, secret: str, version: str = "latest") -> SecretPayload: ...


class MetricsSource(Protocol):
    """Cloud Monitoring: every service's golden signals (one query per metric), and log
    entry counts per service and severity (the doctor's error rate); both keyed by
    Service.key (region/name)."""

    async def golden_signals(self, minutes: int = 15, now: datetime | None = None
                             ) -> dict[str, GoldenSignals]: ...
    async def log_error_counts(self, window_min: float, now: datetime | None = None
                               ) -> dict[str, tuple[int, int]]: ...


class SecretStore(SecretReader, Protocol):
    """Secret Manager, reading and writing (the Secrets pane's write actions)."""

    async def create_secret(self, secret: str, data: bytes | None = None,
                            labels: dict[str, str] | None = None) -> Secret: ...
    async def add_version(self, secret: str, data: bytes) -> SecretVersion: ...
    async def enable_version(self, secret: str, version: str) -> SecretVersion: ...
    async def disable_version(self, secret: str, version: str) -> SecretVersion: ...
    async def destroy_version(self, secret: str, version: str) -> SecretVersion: ...


class TunnelHandle(Protocol):
    """One running tunnel: its instance and a snapshot of its state; `on_refused` is
    called with a line when a client is refused at the connection limit (the log)."""

    on_refused: Callable[[str], None] | None

    @property
    def instance(self) -> SqlInstance: ...
    @property
    def state(self) -> TunnelState: ...


class TunnelControl(Protocol):
    """Cloud SQL tunnels: start, test and stop them from the keyboard."""

    def resolve(self, name: str) -> SqlInstance: ...
    def get(self, name: str) -> TunnelHandle | None: ...
    def states(self) -> tuple[TunnelState, ...]: ...
    async def start(self, name: str | SqlInstance, options: TunnelOptions | None = None,
                    *, test: bool = True, progress: Callable[[str], None] | None = None
                    ) -> TunnelHandle: ...
    async def test(self, name: str) -> ConnectionTest: ...
    async def stop(self, name: str, drain_timeout: float | None = None) -> None: ...
    async def password(self, instance: SqlInstance, secret: str = "") -> str: ...
    async def close(self, drain_timeout: float | None = None) -> None: ...


class HealthCheck(Protocol):
    """The answer of one service's health path."""

    @property
    def url(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def error(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    def access(self, ingress: str = "all") -> str: ...


class Probes(Protocol):
    """The doctor's probes: the credentials in use, one database through a tunnel."""

    async def credentials(self) -> CredentialsStatus: ...
    async def database(self, instance: SqlInstance, password: str | None,
                       timeout_s: float = ..., reader_password: str | None = ...
                       ) -> DatabaseStatus: ...
