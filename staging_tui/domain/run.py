"""Cloud Run: services, revisions, their conditions and containers; jobs and their
executions; the listings of every region with the regions that failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class ConditionState(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"
    RECONCILING = "reconciling"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Condition:
    """A Cloud Run condition (Ready, RoutesReady, ConfigurationsReady, ...)."""

    type: str
    state: ConditionState
    message: str = ""
    reason: str = ""
    severity: str = ""
    last_transition: datetime | None = None


class Readiness(StrEnum):
    READY = "Ready"
    FAILED = "Failed"
    DEPLOYING = "Deploying"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """An env var's `value_source.secret_key_ref`: secret short name and version."""

    secret: str
    version: str = "latest"
    project: str = ""

    @property
    def display(self) -> str:
        return f"secret:{self.secret}@{self.version}"


@dataclass(frozen=True, slots=True)
class SecretVolume:
    """A Secret Manager secret mounted as files (`template.volumes[].secret`)."""

    volume: str
    secret: SecretRef
    mount_path: str = ""


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    value: str = ""
    secret: SecretRef | None = None


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    image: str
    env: tuple[EnvVar, ...] = ()
    cpu: str = ""
    memory: str = ""
    ports: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TrafficTarget:
    """Traffic routed to a revision; `latest` means 'whatever is latest ready'."""

    revision: str
    percent: int
    tag: str = ""
    latest: bool = False
    uri: str = ""  # a tag's own URL (traffic_statuses only)


@dataclass(frozen=True, slots=True)
class Revision:
    name: str
    service: str
    readiness: Readiness
    create_time: datetime | None = None
    conditions: tuple[Condition, ...] = ()
    containers: tuple[Container, ...] = ()
    min_instances: int = 0
    max_instances: int = 0
    service_account: str = ""
    log_uri: str = ""

    @property
    def failure_message(self) -> str:
        return _failure_message(self.conditions)

    @property
    def reason(self) -> str:
        """Why the revision is as it is: the Ready reason, else the first other one
        (e.g. Active: RETIRED), as Cloud Run's `revision_reason` / `reason` says."""
        ready = next((c for c in self.conditions if c.type == "Ready"), None)
        if ready is not None and ready.reason:
            return ready.reason
        return next((f"{c.type}: {c.reason}" for c in self.conditions if c.reason), "")


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    project: str
    region: str
    readiness: Readiness
    uri: str = ""
    conditions: tuple[Condition, ...] = ()
    latest_ready_revision: str = ""
    latest_created_revision: str = ""
    traffic: tuple[TrafficTarget, ...] = ()
    containers: tuple[Container, ...] = ()
    min_instances: int = 0
    max_instances: int = 0
    ingress: str = "all"
    creator: str = ""
    last_modifier: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    service_account: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    invoker_iam_disabled: bool = False
    generation: int = 0
    observed_generation: int = 0
    traffic_statuses: tuple[TrafficTarget, ...] = ()  # what is live, resolved to revisions
    urls: tuple[str, ...] = ()
    etag: str = ""
    public: bool | None = None  # allUsers has roles/run.invoker (None: policy not read)

    @property
    def live_traffic(self) -> tuple[TrafficTarget, ...]:
        """Where requests go now: `traffic_statuses` (LATEST resolved to a revision)
        when Google reported them, else the intended `traffic`."""
        return self.traffic_statuses or self.traffic

    @property
    def publicly_invokable(self) -> bool:
        """Anyone may call it: allUsers has roles/run.invoker (from the IAM policy,
        when read) or the invoker IAM check is disabled."""
        return bool(self.public) or self.invoker_iam_disabled

    @property
    def key(self) -> str:
        """Unique across regions: the same name may exist in two regions."""
        return f"{self.region}/{self.name}"
    secret_volumes: tuple[SecretVolume, ...] = ()

    @property
    def full_name(self) -> str:
        return f"projects/{self.project}/locations/{self.region}/services/{self.name}"

    @property
    def rollout_pending(self) -> bool:
        """The newest revision is not the one serving: a rollout in progress or failed."""
        return bool(self.latest_created_revision) and (
            self.latest_created_revision != self.latest_ready_revision
        )

    @property
    def failure_message(self) -> str:
        return _failure_message(self.conditions)

    @property
    def env(self) -> tuple[EnvVar, ...]:
        return tuple(var for c in self.containers for var in c.env)

    def secret_refs(self) -> tuple[SecretRef, ...]:
        return tuple(var.secret for var in self.env if var.secret is not None)


_NOT_A_FAILURE = ("INFO", "WARNING")


class Workload(Protocol):
    """What runs a container with env vars and secret references: a service or a job
    (a secret a job uses is used, even when no service references it)."""

    @property
    def name(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def env(self) -> tuple[EnvVar, ...]: ...
    @property
    def secret_volumes(self) -> tuple[SecretVolume, ...]: ...


class ExecutionStatus(StrEnum):
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    RUNNING = "Running"
    CANCELLED = "Cancelled"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class Execution:
    """One run of a Cloud Run job: its tasks' counts, when, and why it failed."""

    name: str
    job: str
    region: str
    status: ExecutionStatus
    task_count: int = 0
    succeeded: int = 0
    failed: int = 0
    running: int = 0
    cancelled: int = 0
    retried: int = 0
    create_time: datetime | None = None
    start_time: datetime | None = None
    completion_time: datetime | None = None
    conditions: tuple[Condition, ...] = ()
    log_uri: str = ""

    @property
    def failure_reason(self) -> str:
        """The Completed condition's message (and reason) when the execution failed."""
        if self.status is not ExecutionStatus.FAILED:
            return ""
        done = next((c for c in self.conditions if c.type == "Completed"), None)
        if done is None:
            return _failure_message(self.conditions)
        return " ".join(p for p in (done.message, f"({done.reason})" if done.reason else "") if p)


@dataclass(frozen=True, slots=True)
class Job:
    """A Cloud Run job: what it runs (env and secrets, like a service) and its executions."""

    name: str
    project: str
    region: str
    containers: tuple[Container, ...] = ()
    task_count: int = 1
    parallelism: int = 0
    max_retries: int = 0
    execution_count: int = 0
    latest_execution: str = ""
    latest_status: ExecutionStatus = ExecutionStatus.UNKNOWN
    latest_completed: datetime | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    last_modifier: str = ""
    service_account: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    secret_volumes: tuple[SecretVolume, ...] = ()
    etag: str = ""

    @property
    def key(self) -> str:
        return f"{self.region}/{self.name}"

    @property
    def env(self) -> tuple[EnvVar, ...]:
        return tuple(var for c in self.containers for var in c.env)

    def secret_refs(self) -> tuple[SecretRef, ...]:
        return tuple(var.secret for var in self.env if var.secret is not None)


@dataclass(frozen=True, slots=True)
class RegionFailure:
    """One region whose listing failed (the others' services are still listed)."""

    region: str
    code: str
    message: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class JobListing:
    """Jobs of every region listed, and the regions that failed."""

    jobs: tuple[Job, ...] = ()
    failures: tuple[RegionFailure, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceListing:
    """Services of every region listed, and the regions that failed."""

    services: tuple[Service, ...] = ()
    failures: tuple[RegionFailure, ...] = ()

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({s.region for s in self.services}))


def _failure_message(conditions: tuple[Condition, ...]) -> str:
    """The first failed condition's message. A failed condition of severity INFO or
    WARNING (e.g. Active=False, RETIRED, on an old revision) is not a failure."""
    for cond in conditions:
        if (cond.state is ConditionState.FAILED and cond.message
                and cond.severity not in _NOT_A_FAILURE):
            return cond.message
    return ""
