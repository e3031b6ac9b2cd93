"""The doctor's runner: gather from the Backend concurrently (bounded), run the pure
checks, report progress, return findings. An area whose gathering fails becomes a
finding with the error; the run itself never raises a StagingError.

The Backend is reached through the ports (staging_tui/ports.py: audit/ may not import
gcp/, both import the ports below them).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from staging_tui.audit.checks import credentials as cred_checks
from staging_tui.audit.checks.database import VERSION, check_database, database_summary
from staging_tui.audit.checks.health import check_health
from staging_tui.audit.checks.jobs import check_jobs
from staging_tui.audit.checks.logs import ErrorRateRule, check_error_counts, over_threshold
from staging_tui.audit.checks.registry import AREAS, CHECKS, checks_of
from staging_tui.audit.checks.services import check_regions, check_services
from staging_tui.audit.fix_commands import finding_as_invoked
from staging_tui.audit.secrets_gather import gather_secret_findings
from staging_tui.config import Settings
from staging_tui.domain import (
    CredentialsStatus,
    DatabaseStatus,
    Execution,
    ExecutionStatus,
    Finding,
    HealthObservation,
    Job,
    JobListing,
    Level,
    LogEntry,
    RegionFailure,
    Revision,
    Service,
    ServiceListing,
    SqlInstance,
    Workload,
)
from staging_tui.errors import StagingError
from staging_tui.ports import (
    HealthCheck,
    JobsSource,
    LogSource,
    MetricsSource,
    Probes,
    SecretReader,
    ServicesSource,
)

T = TypeVar("T")


# ------------------------------------------------------------------ what we need of the Backend


class DoctorBackend(Protocol):
    """What the doctor needs of the Backend (backend.py implements it)."""

    @property
    def settings(self) -> Settings: ...
    async def run(self) -> ServicesSource: ...
    async def services(self) -> list[Service]: ...
    async def service_listing(self) -> ServiceListing: ...
    async def jobs(self) -> JobsSource: ...
    async def logs(self) -> LogSource: ...
    async def monitoring(self) -> MetricsSource: ...
    async def secrets(self) -> SecretReader: ...
    async def probes(self) -> Probes: ...
    async def health(self, service: Service, path: str = "") -> HealthCheck: ...


# ------------------------------------------------------------------ options and progress


@dataclass(frozen=True, slots=True)
class DoctorOptions:
    concurrency: int = 16
    error_rate: ErrorRateRule = field(default_factory=ErrorRateRule)
    max_log_entries: int = 1_000  # newest errors of the flagged services: one list call
    db_timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class AreaProgress:
    """One step of a run: an area started ("running") or finished ("done")."""

    area: str
    state: str
    findings: tuple[Finding, ...] = ()
    detail: str = ""


ProgressCallback = Callable[[AreaProgress], None]


def problems(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.level in (Level.WARNING, Level.ERROR)]


def gather_error(area: str, exc: BaseException) -> Finding:
    if isinstance(exc, StagingError):
        code = getattr(exc, "code", "")
        message = f"{code}: {exc.message}" if code else exc.message
        fix = exc.fix
    else:
        message, fix = f"{type(exc).__name__}: {exc}", "retry; report a bug if it persists"
    return Finding(f"{area}.gather", area, Level.ERROR, f"Could not gather {area}",
                   message, fix, area)


class DoctorRun:
    """One doctor run over a Backend; `await run()` returns every finding (OK ones too)."""

    def __init__(self, backend: DoctorBackend, areas: Sequence[str] = AREAS,
                 options: DoctorOptions | None = None,
                 on_progress: ProgressCallback | None = None) -> None:
        unknown = sorted(set(areas) - set(AREAS))
        if unknown:
            raise StagingError(f"unknown doctor area {unknown[0]!r}",
                               f"use one or more of: {', '.join(AREAS)}")
        self.backend = backend
        self.settings = backend.settings
        self.areas = [a for a in AREAS if a in areas]
        self.options = options or DoctorOptions()
        self.on_progress = on_progress or (lambda _p: None)
        self._limit = asyncio.Semaphore(max(1, self.options.concurrency))
        self._services: asyncio.Task[list[Service]] | None = None
        self._region_failures: tuple[RegionFailure, ...] = ()
        self._jobs: asyncio.Task[list[Job]] | None = None
        self._api_errors: list[StagingError] = []
        self._credentials: asyncio.Future[CredentialsStatus] | None = None

    async def bounded(self, make: Callable[[], Awaitable[T]]) -> T:
        async with self._limit:
            return await make()

    def services(self) -> asyncio.Task[list[Service]]:
        """The profile's services, listed once per run and shared by the areas."""
        if self._services is None:
            self._services = asyncio.ensure_future(self._list_services())
        return self._services

    @property
    def listed_services(self) -> list[Service]:
        """The services this run listed (empty before, or when listing failed)."""
        task = self._services
        if task is None or not task.done() or task.cancelled() or task.exception():
            return []
        return task.result()

    async def _list_services(self) -> list[Service]:
        listing: ServiceListing = await self.bounded(self.backend.service_listing)
        self._region_failures = listing.failures
        return list(listing.services)

    async def run(self) -> list[Finding]:
        gatherers: dict[str, Callable[[], Awaitable[tuple[list[Finding], dict[str, str]]]]] = {
            "services": self._services_area, "secrets": self._secrets_area,
            "database": self._database_area, "health": self._health_area,
            "logs": self._logs_area,
        }
        if "credentials" in self.areas:  # probed now, concluded last (reads API errors)
            self.on_progress(AreaProgress("credentials", "running"))
            self._credentials = asyncio.ensure_future(self._probe_credentials())
        tasks = [self._area(a, gatherers[a]) for a in self.areas if a != "credentials"]
        results = await asyncio.gather(*tasks)
        findings = [f for chunk in results for f in chunk]
        if "credentials" in self.areas:
            findings = await self._area("credentials", self._credentials_area,
                                        announce=False) + findings
        for task in (self._services, self._jobs):
            if task is not None and not task.done():
                task.cancel()
        return findings

    async def _area(self, area: str, gather: Callable[[], Awaitable[
            tuple[list[Finding], dict[str, str]]]], announce: bool = True) -> list[Finding]:
        if announce:
            self.on_progress(AreaProgress(area, "running"))
        try:
            found, passed = await gather()
        except StagingError as exc:
            self._api_errors.append(exc)
            found, passed = [gather_error(area, exc)], {}
        except Exception as exc:  # a gatherer bug must not end the run
            found, passed = [gather_error(area, exc)], {}
        ran = set(passed)
        out = list(found)
        for check in checks_of(area):
            if check.id in ran and not any(f.check_id == check.id for f in found):
                out.append(check.passed(passed[check.id]))
        out.sort(key=lambda f: list(CHECKS).index(f.check_id) if f.check_id in CHECKS else 999)
        out = [finding_as_invoked(f, self.settings) for f in out]  # pasteable as printed
        self.on_progress(AreaProgress(area, "done", tuple(out)))
        return out

    # ------------------------------------------------------------------ areas
    # Each returns (findings, {check id that ran: evidence for its ✓ line}).

    async def _probe_credentials(self) -> CredentialsStatus:
        probes = await self.backend.probes()
        status: CredentialsStatus = await probes.credentials()
        return status

    async def _credentials_area(self) -> tuple[list[Finding], dict[str, str]]:
        assert self._credentials is not None
        status = await self._credentials
        found = cred_checks.check_credentials(status)
        project = self.settings.project
        listing_error: StagingError | None = None
        try:
            await self.services()
        except StagingError as exc:
            listing_error = exc
            self._api_errors.append(exc)
        found += cred_checks.check_project(project, listing_error)
        found += cred_checks.check_api_errors(project, self._api_errors)
        passed = {
            cred_checks.ADC.id: "sandbox token" if status.sandbox else "loaded and refreshed",
            cred_checks.ACCOUNT.id: cred_checks.account_evidence(status),
            cred_checks.API_ENABLED.id: "no SERVICE_DISABLED answers",
        }
        if listing_error is None:
            passed[cred_checks.PROJECT.id] = f"{project}: services listed"
        return found, passed

    async def _services_area(self) -> tuple[list[Finding], dict[str, str]]:
        services = await self.services()
        explicit = [s for s in services if any(not t.latest and t.revision for t in s.traffic)]
        run = await self.backend.run()

        async def with_access(s: Service) -> Service:
            """Public-ness is in the IAM policy; unreadable, the service stays as listed."""
            try:
                return await self.bounded(lambda: run.with_access(s))
            except StagingError:
                return s

        services = list(await asyncio.gather(*(with_access(s) for s in services)))

        async def revisions_of(s: Service) -> tuple[str, list[Revision]]:
            return s.key, await self.bounded(lambda: run.list_revisions(s.name, s.region))

        revisions = dict(await asyncio.gather(*(revisions_of(s) for s in explicit)))
        found = check_services(services, revisions, self.settings.protected)
        found += check_regions(self._region_failures)
        found += await self._job_findings()
        n = f"{len(services)} services"
        return found, {c.id: n for c in checks_of("services")}

    async def _health_area(self) -> tuple[list[Finding], dict[str, str]]:
        services = [s for s in await self.services() if s.uri]

        async def probe(s: Service) -> HealthObservation:
            r: HealthCheck = await self.bounded(lambda: self.backend.health(s))
            return HealthObservation(s.name, r.url, r.status, r.latency_ms, r.error, s.ingress)

        observations = await asyncio.gather(*(probe(s) for s in services))
        slowest = max((o.latency_ms for o in observations), default=0.0)
        answered = sum(1 for o in observations if o.ok)
        return check_health(observations), {
            "health.status": f"{answered} services answered 2xx (slowest {slowest:.0f} ms)"}

    async def _logs_area(self) -> tuple[list[Finding], dict[str, str]]:
        """Counts per Service.key (region/name) from Cloud Monitoring (one call), then the
        newest error entries of the flagged services, each in its own region (at most
        `max_examples` of them) in one Logging list call: within the
        project's 60 list calls a minute, however many entries there are."""
        rule = self.options.error_rate
        monitoring = await self.backend.monitoring()
        counts: dict[str, tuple[int, int]] = await monitoring.log_error_counts(rule.window_min)
        flagged = over_threshold(counts, rule)[: rule.max_examples]
        found: dict[str, list[LogEntry]] = {}
        if flagged:
            since = datetime.now(UTC) - timedelta(minutes=rule.window_min)
            names = " OR ".join(
                f'(resource.labels.service_name="{name}" AND resource.labels.location="{region}")'
                for region, _, name in (key.partition("/") for key in flagged))
            query = f'resource.type="cloud_run_revision" AND severity>=ERROR AND ({names})'
            logs = await self.backend.logs()
            async for page in logs.list_pages(query, since=since, newest_first=True,
                                              limit=self.options.max_log_entries):
                for entry in page:
                    found.setdefault(f"{entry.region}/{entry.service}", []).append(entry)
        entries = sum(total for _, total in counts.values())
        return check_error_counts(counts, found, rule), {
            "logs.error-rate": f"{entries:,} entries of {len(counts)} services in the last "
                               f"{rule.window_min:g} min (Cloud Monitoring)"}

    def jobs(self) -> asyncio.Task[list[Job]]:
        """The profile's jobs, listed once per run (best effort: [] without them)."""
        if self._jobs is None:
            self._jobs = asyncio.ensure_future(self._list_jobs())
        return self._jobs

    async def _list_jobs(self) -> list[Job]:
        try:
            jobs_api = await self.backend.jobs()
            listing: JobListing = await self.bounded(jobs_api.list_jobs)
        except StagingError:
            return []
        return list(listing.jobs)

    async def _job_findings(self) -> list[Finding]:
        jobs = await self.jobs()
        failed = [j for j in jobs if j.latest_status is ExecutionStatus.FAILED]
        latest: dict[str, Execution] = {}
        if failed:
            jobs_api = await self.backend.jobs()
            for job in failed:
                try:
                    executions = await self.bounded(
                        functools.partial(jobs_api.list_executions, job.name, job.region))
                except StagingError:
                    continue
                if executions:
                    latest[job.key] = executions[0]
        return check_jobs(jobs, latest)

    async def _workloads(self) -> list[Workload]:
        """Services and jobs: a secret only a job uses is used."""
        return [*await self.services(), *await self.jobs()]

    async def _secrets_area(self) -> tuple[list[Finding], dict[str, str]]:
        return await gather_secret_findings(self.backend, self._workloads)

    async def _database_area(self) -> tuple[list[Finding], dict[str, str]]:
        instances = self.settings.sql_instances
        if not instances:
            return [], {"database.tunnel": "no Cloud SQL instance in the profile"}
        probes = await self.backend.probes()
        secrets_password = await _password_source(self.backend)

        async def look(instance: SqlInstance) -> DatabaseStatus:
            password: str | None = None
            if instance.password_secret and not instance.iam_auth and secrets_password:
                try:
                    password = await secrets_password(instance.password_secret)
                except StagingError as exc:
                    return DatabaseStatus(instance.connection_name, instance.database,
                                          error=f"password secret {instance.password_secret}: "
                                                f"{exc.message}", fix=exc.fix)
            reader: str | None = None
            if instance.read_only_user and instance.read_only_password_secret and (
                    secrets_password):
                try:
                    reader = await secrets_password(instance.read_only_password_secret)
                except StagingError:
                    reader = None       # the login fails, and the check says so
            status: DatabaseStatus = await self.bounded(
                lambda: probes.database(instance, password, self.options.db_timeout_s,
                                        reader_password=reader))
            return status

        statuses = await asyncio.gather(*(look(i) for i in instances))
        found: list[Finding] = []
        for status in statuses:
            found += check_database(status, self.settings.required_extensions,
                                    self.settings.alembic_head, self.settings.protected)
        reached = [s for s in statuses if s.connected and s.select_ok]
        passed = {"database.tunnel": f"{len(statuses)} instances"}
        if reached:
            passed.update({
                "database.select": f"{len(reached)} databases",
                "database.extensions": ", ".join(self.settings.required_extensions)
                or "none required by the profile",
                "database.matviews": f"{sum(len(s.matviews) for s in reached)} "
                                     "materialized views",
                "database.read_only_role": ", ".join(sorted({s.query_role for s in reached
                                                             if s.query_role})) + " can only read",
            })
            if self.settings.alembic_head:
                passed["database.alembic"] = f"at {self.settings.alembic_head}"
        found += [VERSION.passed(database_summary(s), s.instance,
                                 title=f"Server version of {s.instance.rsplit(':', 1)[-1]}")
                  for s in reached]
        return found, passed


async def _password_source(backend: DoctorBackend) -> Callable[[str], Awaitable[str]] | None:
    """Reads a DB password from Secret Manager through the secrets adapter, when present."""
    from staging_tui.audit.secrets_gather import secret_reader

    return await secret_reader(backend)


async def run_doctor(backend: DoctorBackend, areas: Sequence[str] = AREAS,
                     options: DoctorOptions | None = None,
                     on_progress: ProgressCallback | None = None) -> list[Finding]:
    return await DoctorRun(backend, areas, options, on_progress).run()
