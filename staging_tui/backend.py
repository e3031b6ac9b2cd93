"""Backend: what the console reaches Google (and the database) through, built from
Settings. It hands out the ports of ports.py, never an adapter class.

Adapters are created on first use, and their modules (which import google.*) are
imported in a thread, so the TUI's first frame never waits for those imports nor
for the sandbox to come up. The UI, the headless commands and the doctor only ever
talk to this object. It sits above gcp/ and db/ (it composes both) and below ui/.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from staging_tui.config import Settings
from staging_tui.domain import Service, ServiceListing, Workload
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.ports import (
    HealthCheck,
    JobsSource,
    LogSource,
    MetricsSource,
    Probes,
    SecretStore,
    ServicesSource,
    ServiceUpdates,
    TunnelControl,
)
from staging_tui.render.services import in_profile

if TYPE_CHECKING:
    from staging_tui.db.session import QuerySession
    from staging_tui.gcp.doctor_probes import DoctorProbes
    from staging_tui.gcp.jobs import JobsAdapter
    from staging_tui.gcp.logs import LogsAdapter
    from staging_tui.gcp.monitoring import MonitoringAdapter
    from staging_tui.gcp.run import RunAdapter
    from staging_tui.gcp.run_actions import RunActions
    from staging_tui.gcp.secrets import SecretsAdapter
    from staging_tui.gcp.tunnels import Tunnels

EndpointsProvider = Callable[[], Endpoints]
A = TypeVar("A", bound="Closeable")


class Closeable(Protocol):
    async def close(self) -> None: ...


class Backend:
    """The ports of one profile. `endpoints` may block (sandbox start-up): it is
    resolved in a thread on first use."""

    def __init__(self, settings: Settings, endpoints: Endpoints | EndpointsProvider) -> None:
        self.settings = settings
        self._endpoints_provider: EndpointsProvider = (
            (lambda: endpoints) if isinstance(endpoints, Endpoints) else endpoints
        )
        self._endpoints: Endpoints | None = None
        self._adapters: dict[str, Closeable] = {}
        self._account = ""
        self._lock = asyncio.Lock()

    @property
    def account(self) -> str:
        """Shown in the header: "sandbox", or the ADC account once `load_account` found it."""
        return "sandbox" if self.settings.sandbox else self._account

    async def load_account(self) -> str:
        """Whose credentials these are (ADC user or service account email), found once,
        in the background (a user's ADC needs a token refresh to tell)."""
        if not self.settings.sandbox and not self._account:
            status = await (await self.probes()).credentials()
            self._account = status.account or ("ADC (expired)" if not status.valid
                                               else "ADC (no credentials)" if not status.present
                                               else "")
        return self.account

    async def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = await asyncio.to_thread(self._endpoints_provider)
        return self._endpoints

    async def _adapter(self, module: str, build: Callable[[Endpoints], A]) -> A:
        """The adapter of `module`, built once by `build` (which imports from `module`:
        by then it is imported). The import (google.*, ~1 s) runs in a thread while the
        endpoints resolve (the sandbox child starting up): both are slow and independent."""
        imported = asyncio.ensure_future(asyncio.to_thread(importlib.import_module, module))
        async with self._lock:
            if module not in self._adapters:
                endpoints, _ = await asyncio.gather(self.endpoints(), imported)
                self._adapters[module] = build(endpoints)
            else:
                await imported
            return cast(A, self._adapters[module])

    async def run(self) -> ServicesSource:
        """Cloud Run services and revisions (all of them: `services()` applies the
        profile's filter)."""
        s = self.settings

        def build(ep: Endpoints) -> RunAdapter:
            from staging_tui.gcp.run import RunAdapter

            return RunAdapter(ep, s.project, s.regions)

        return await self._adapter("staging_tui.gcp.run", build)

    async def run_actions(self) -> ServiceUpdates:
        """Incident actions: UpdateService and its long-running operation."""
        cached = self._adapters.get("staging_tui.gcp.run_actions")
        if cached is not None:  # no thread hop on an action's path once built
            return cast(ServiceUpdates, cached)
        s = self.settings

        def build(ep: Endpoints) -> RunActions:
            from staging_tui.gcp.run_actions import RunActions

            return RunActions.for_endpoints(ep, s.project)

        return await self._adapter("staging_tui.gcp.run_actions", build)

    async def services(self) -> list[Service]:
        """The profile's services: listed, then the profile's `service_filter` applied (the
        one place it is applied: Services, Secrets, the doctor and the commands use this).
        Raises only when every region failed; `service_listing` reports partial failures."""
        return list((await self.service_listing()).services)

    async def workloads(self) -> list[Workload]:
        """Services and jobs (what may use a secret). Jobs are best effort: without the
        Jobs listing the services alone answer."""
        from staging_tui.errors import StagingError

        async def jobs() -> list[Workload]:
            try:
                return list((await (await self.jobs()).list_jobs()).jobs)
            except StagingError:
                return []

        services, listed_jobs = await asyncio.gather(self.services(), jobs())
        return [*services, *listed_jobs]

    async def service_listing(self) -> ServiceListing:
        """The profile's services of every region (filtered), and the regions that failed."""
        listing = await (await self.run()).list_listing()
        return replace(listing, services=tuple(
            in_profile(list(listing.services), self.settings.service_filter)))

    async def jobs(self) -> JobsSource:
        """Cloud Run jobs and executions, in the same regions as the services."""
        s = self.settings
        run = await self.run()

        def build(ep: Endpoints) -> JobsAdapter:
            from staging_tui.gcp.jobs import JobsAdapter

            return JobsAdapter(ep, s.project, run.locations)

        return await self._adapter("staging_tui.gcp.jobs", build)

    async def logs(self) -> LogSource:
        """Cloud Logging: list, tail (reconnecting) and write entries."""
        def build(ep: Endpoints) -> LogsAdapter:
            from staging_tui.gcp.logs import LogsAdapter

            return LogsAdapter(ep, self.settings.project, quota_share=self.settings.quota_share)

        return await self._adapter("staging_tui.gcp.logs", build)

    async def tunnels(self) -> TunnelControl:
        """Cloud SQL tunnels (start/stop several; close() drains them at exit)."""
        s = self.settings

        async def read_secret(name: str) -> str:
            return (await (await self.secrets()).access(name)).data.decode()

        def build(ep: Endpoints) -> Tunnels:
            from staging_tui.gcp.tunnels import Tunnels

            return Tunnels(ep, s.project, s.sql_instances, read_secret,
                           s.tunnel_max_connections)

        return await self._adapter("staging_tui.gcp.tunnels", build)

    async def probes(self) -> Probes:
        """The doctor's probes: credentials state, a database look through a tunnel."""
        def build(ep: Endpoints) -> DoctorProbes:
            from staging_tui.gcp.doctor_probes import DoctorProbes

            return DoctorProbes(ep, self.settings.project)

        return await self._adapter("staging_tui.gcp.doctor_probes", build)

    async def secrets(self) -> SecretStore:
        """Secret Manager: secrets, versions, payloads (CRC32C-checked) and writes."""
        def build(ep: Endpoints) -> SecretsAdapter:
            from staging_tui.gcp.secrets import SecretsAdapter

            return SecretsAdapter(ep, self.settings.project, regions=self.settings.regions,
                                  quota_share=self.settings.quota_share)

        return await self._adapter("staging_tui.gcp.secrets", build)

    async def monitoring(self) -> MetricsSource:
        """Cloud Monitoring: golden signals of the Cloud Run services, log entry counts."""
        def build(ep: Endpoints) -> MonitoringAdapter:
            from staging_tui.gcp.monitoring import MonitoringAdapter

            return MonitoringAdapter(ep, self.settings.project,
                                     quota_share=self.settings.quota_share)

        return await self._adapter("staging_tui.gcp.monitoring", build)

    def quota_line(self) -> str:
        """This session's API calls per API in the last minute (the `?` help's quota line)."""
        from staging_tui.gcp.call_meter import SESSION_METER

        return SESSION_METER.line()

    async def health(self, service: Service, path: str = "") -> HealthCheck:
        """GET the service's health path (profile's `health`, else "/")."""
        paths = self.settings.health_paths
        path = path or paths.get(service.name) or paths.get("*") or "/"
        await asyncio.to_thread(importlib.import_module, "staging_tui.gcp.health")
        from staging_tui.gcp.health import check_health

        return await check_health(await self.endpoints(), service.uri, path)

    async def query_session(self, instance: str = "", *, dsn: str = "", pane: bool = False,
                            statement_timeout: float | None = None) -> QuerySession:
        """A SQL session (not yet connected) to `instance` through its tunnel, or to `dsn`.

        The one place that decides the DSN and the write policy: the Query pane (`pane`)
        may offer write mode when the profile is writable and not protected; the headless
        `staging-tui query` never does. Through a tunnel the session asks for the DSN again
        before each reconnection (the tunnel may have been restarted on another port).
        Raises StagingError when neither is given and the profile has no instance."""
        from staging_tui.db.session import QuerySession
        from staging_tui.errors import StagingError
        from staging_tui.gcp.query_target import tunnel_target

        s = self.settings
        timeout = s.statement_timeout if statement_timeout is None else statement_timeout
        writes = pane and s.writable
        if dsn:
            return QuerySession(dsn, environment=s.environment, allow_writes=writes,
                                protected=s.protected, statement_timeout_s=timeout,
                                max_statement_bytes=s.max_statement_bytes)
        if not instance:
            if not s.sql_instances:
                raise StagingError("no database given", "pass --dsn URL or --instance NAME")
            instance = s.sql_instances[0].connection_name
        tunnels = await self.tunnels()
        name = instance
        # read-only sessions log in as the instance's read_only_user when the profile
        # names one (the third wall: a role the database itself keeps from writing)
        target = await tunnel_target(tunnels, name, read_only=not writes)

        async def current_dsn() -> str:  # the tunnel may be stopped or restarted meanwhile
            return (await tunnel_target(tunnels, name, read_only=not writes)).dsn

        return QuerySession(target.dsn, environment=s.environment,
                            allow_writes=writes, protected=s.protected,
                            via=target.via, statement_timeout_s=timeout,
                            max_statement_bytes=s.max_statement_bytes,
                            dsn_provider=current_dsn if pane else None)

    async def close(self) -> None:
        for adapter in list(self._adapters.values()):
            try:
                await adapter.close()
            except Exception:  # closing is best effort at exit
                pass
        self._adapters.clear()
