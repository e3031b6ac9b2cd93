"""Frozen value objects shared by every layer. No I/O, no google.*, no textual.

Adapters in gcp/ turn API messages into these; ui/ and audit/ only ever see these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Protocol

# --------------------------------------------------------------------------- Cloud Run


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


# --------------------------------------------------------------------------- Secrets


class VersionState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    DESTROYED = "destroyed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SecretVersion:
    secret: str
    version: str
    state: VersionState
    create_time: datetime | None = None
    destroy_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Secret:
    name: str
    project: str
    create_time: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    replication: str = "automatic"
    versions: tuple[SecretVersion, ...] = ()
    versions_error: str = ""  # why the versions could not be listed (e.g. PERMISSION_DENIED)
    location: str = ""  # a regional secret's region (projects/P/locations/L/secrets/S)
    versions_known: bool = True  # False: listed by name only, versions not fetched (quota)

    @property
    def latest_enabled(self) -> SecretVersion | None:
        enabled = [v for v in self.versions if v.state is VersionState.ENABLED]
        return max(enabled, key=lambda v: int(v.version), default=None)

    @property
    def latest(self) -> SecretVersion | None:
        """The newest version whatever its state: what the `latest` alias resolves to."""
        return max(self.versions, key=lambda v: int(v.version), default=None)

    def version(self, number: str) -> SecretVersion | None:
        """Version `number` ("3"), or `latest`; None if there is no such version."""
        if number == "latest":
            return self.latest
        return next((v for v in self.versions if v.version == number), None)


@dataclass(frozen=True, slots=True)
class SecretPayload:
    """A secret's value. `data` never appears in repr, str or tracebacks of this object."""

    secret: str
    version: str
    data: bytes = field(repr=False)

    def __str__(self) -> str:
        return f"<secret {self.secret}@{self.version}: {len(self.data)} bytes>"


# --------------------------------------------------------------------------- Logs


class Severity(IntEnum):
    DEFAULT = 0
    DEBUG = 100
    INFO = 200
    NOTICE = 300
    WARNING = 400
    ERROR = 500
    CRITICAL = 600
    ALERT = 700
    EMERGENCY = 800


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    status: int
    latency_ms: float = 0.0
    user_agent: str = ""
    remote_ip: str = ""
    response_size: int = 0
    protocol: str = ""


@dataclass(frozen=True, slots=True)
class LogEntry:
    insert_id: str
    timestamp: datetime
    severity: Severity
    service: str = ""
    revision: str = ""
    log_name: str = ""
    text: str = ""
    json_payload: Mapping[str, object] | None = None
    http_request: HttpRequest | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    trace: str = ""
    span_id: str = ""
    resource_type: str = ""
    resource_labels: Mapping[str, str] = field(default_factory=dict)
    proto_payload: Mapping[str, object] | None = None  # its JSON form, with "@type"

    @property
    def region(self) -> str:
        """resource.labels.location: same-named services of two regions stay apart."""
        return self.resource_labels.get("location", "")

    @property
    def full_message(self) -> str:
        """Every line of the entry's message: the text, a JSON payload's `message`, an
        audit log's method and resource, or a request's method, status and URL."""
        if self.text:
            return self.text
        if self.json_payload is not None:
            msg = self.json_payload.get("message")
            if isinstance(msg, str):
                return msg
        if self.proto_payload is not None:
            p = self.proto_payload
            who = p.get("authenticationInfo")
            by = who.get("principalEmail", "") if isinstance(who, Mapping) else ""
            method = ".".join(str(p.get("methodName", "")).split(".")[-2:])
            resource = "/".join(str(p.get("resourceName", "")).split("/")[-2:])
            return " ".join(x for x in (method, resource, f"by {by}" if by else "") if x)
        if self.http_request is not None:
            req = self.http_request
            return f"{req.method} {req.status} {req.url}"
        return ""

    @property
    def message(self) -> str:
        """The first line of the entry, as shown in the list."""
        return self.full_message.split("\n", 1)[0]

    @property
    def project(self) -> str:
        return self.resource_labels.get("project_id", "")


class CompactEntries(Protocol):
    """Log entries kept compact (a response's wire bytes; gcp/log_blocks.py) and
    decoded only when shown: per entry kept, its epoch second and severity number."""

    @property
    def seconds(self) -> Sequence[int]: ...
    @property
    def severities(self) -> Sequence[int]: ...
    @property
    def positions(self) -> Sequence[int]: ...  # of the entries kept, in the wire
    @property
    def total(self) -> int: ...  # entries in the wire, kept or not

    def __len__(self) -> int: ...
    def wire(self) -> bytes: ...
    @property
    def packed(self) -> bool: ...
    @property
    def nbytes(self) -> int: ...
    def entry(self, k: int) -> LogEntry: ...
    def entries(self) -> list[LogEntry]: ...
    def packed_with(self, others: Sequence[CompactEntries] = ()) -> CompactEntries: ...


class MarkerKind(StrEnum):
    GAP = "gap"
    OLDER = "older"  # the backfill's cap: older entries of the window were not loaded
    SUPPRESSED = "suppressed"
    RECONNECT = "reconnect"
    MARK = "mark"  # a line the user placed (`m` in the Logs pane)


@dataclass(frozen=True, slots=True)
class LogMarker:
    """Something the tail could not show: a gap, suppressed entries, a reconnect."""

    kind: MarkerKind
    timestamp: datetime
    count: int = 0
    detail: str = ""


# --------------------------------------------------------------------------- Cloud SQL


class TunnelStatus(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SqlInstance:
    """A Cloud SQL instance the profile (or sandbox) knows about."""

    connection_name: str
    database: str = "postgres"
    user: str = "postgres"
    password_secret: str = ""
    iam_auth: bool = False
    port: int = 0
    # a role that can only read: the Query pane and `query` log in as it in read-only mode
    read_only_user: str = ""
    read_only_password_secret: str = ""

    @property
    def short_name(self) -> str:
        return self.connection_name.rsplit(":", 1)[-1]

    @property
    def login_user(self) -> str:
        """The PostgreSQL role to log in as: for IAM database authentication a service
        account's email loses `.gserviceaccount.com`, as the Cloud SQL connector formats
        it (`utils.format_database_user`) and as Cloud SQL names the role."""
        return postgres_iam_user(self.user) if self.iam_auth else self.user


def postgres_iam_user(email: str) -> str:
    """sa@project.iam.gserviceaccount.com -> sa@project.iam (users' emails unchanged)."""
    return email.removesuffix(".gserviceaccount.com")


# The Cloud SQL Python Connector's pattern: PROJECT:REGION:INSTANCE, where a
# domain-scoped project is itself DOMAIN:PROJECT (example.com:my-project).
CONNECTION_NAME = re.compile(r"^(?P<project>[^:]+(:[^:]+)?):(?P<region>[^:]+):(?P<instance>[^:]+)$")


def is_connection_name(text: str) -> bool:
    """True for PROJECT:REGION:INSTANCE, including domain-scoped projects."""
    return CONNECTION_NAME.match(text) is not None


# Each tunnel client holds a thread and a database connection slot (PostgreSQL's default
# max_connections is 100, Cloud SQL's smallest tiers allow 25-50): a tunnel for one
# developer never needs more, and a flood of idle sockets must not exhaust the server.
DEFAULT_MAX_CONNECTIONS = 50


@dataclass(frozen=True, slots=True)
class TunnelOptions:
    """address: where to listen (loopback unless given explicitly); port 0 = the
    profile's, else the first free from 5433; ip_type PUBLIC / PRIVATE / PSC /
    AUTO (the first of those the instance has);
    refresh "background" (certificate renewed ahead) or "lazy" (on connect);
    max_connections: clients beyond it are refused with a PostgreSQL error (0: no limit);
    first_connect_timeout: the budget of the connection tests until one has passed: an
    instance's first connection can be slow (Cloud SQL resuming, a cold database; the
    sandbox starting its PostgreSQL) and must not fail a start that a retry would pass."""

    port: int = 0
    address: str = "127.0.0.1"
    ip_type: str = "PUBLIC"
    iam_auth: bool = False
    refresh: str = "background"
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    connect_timeout: float = 15.0
    first_connect_timeout: float = 90.0
    drain_timeout: float = 5.0


class TunnelErrorKind(StrEnum):
    """What went wrong with a tunnel, decided where the exception is caught (gcp/cloudsql
    .py); `TUNNEL_FIXES` says what to do about each, for the CLI and the pane alike."""

    NONE = ""
    ADMIN_API = "admin-api"        # the Cloud SQL Admin API failed or is unreachable
    ACCESS = "access"              # 401/403 from the Admin API (also: no such instance)
    API_DISABLED = "api-disabled"  # 403: the Cloud SQL Admin API is off in the project
    NOT_FOUND = "not-found"        # no such instance
    IP_TYPE = "ip-type"            # the instance has no address of the requested type
    UNREACHABLE = "unreachable"    # the instance's address does not answer
    TLS = "tls"
    PASSWORD = "password"          # the password secret or the password itself
    LIMIT = "limit"                # max connections reached
    REGION = "region"              # the instance lives in another region
    OTHER = "other"


TUNNEL_FIXES: Mapping[TunnelErrorKind, str] = {
    TunnelErrorKind.ADMIN_API: "retry; check network access to sqladmin.googleapis.com",
    # Google refuses an unknown instance like a missing role (403): the causes in order.
    TunnelErrorKind.ACCESS: "check the connection name (gcloud sql instances list --project "
                            "PROJECT); then ask for roles/cloudsql.client on PROJECT; then "
                            "check the API: gcloud services enable sqladmin.googleapis.com "
                            "--project PROJECT",
    TunnelErrorKind.API_DISABLED: "run: gcloud services enable sqladmin.googleapis.com "
                                  "--project PROJECT",
    TunnelErrorKind.NOT_FOUND: "check the connection name: PROJECT:REGION:INSTANCE "
                               "(gcloud sql instances list)",
    TunnelErrorKind.IP_TYPE: "choose the instance's IP type: --private-ip (PRIVATE) or --psc",
    TunnelErrorKind.UNREACHABLE: "the instance may be stopped, or its address not reachable "
                                 "from here (a private IP needs the VPC)",
    TunnelErrorKind.PASSWORD: "check the profile's password_secret holds the user's password",
    TunnelErrorKind.REGION: "use the region the instance lives in",
    TunnelErrorKind.LIMIT: "close idle clients, or raise tunnel_max_connections in the profile "
                           "(staging-tui tunnel --max-connections N)",
}


def tunnel_fix(kind: TunnelErrorKind, connection_name: str = "") -> str:
    """TUNNEL_FIXES[kind] with the instance's project in place of PROJECT."""
    fix = TUNNEL_FIXES.get(kind, "")
    project = connection_name.rsplit(":", 2)[0] if connection_name.count(":") >= 2 else ""
    return fix.replace("PROJECT", project) if project else fix


@dataclass(frozen=True, slots=True)
class ConnectionTest:
    """The result of `SELECT 1` through a tunnel; `str()` is what the pane and CLI show."""

    ok: bool
    detail: str = ""     # why it failed ("" when ok)
    ms: float = 0.0      # how long it took when ok

    def __str__(self) -> str:
        return f"ok: SELECT 1 in {self.ms:.0f} ms" if self.ok else f"failed: {self.detail}"


@dataclass(frozen=True, slots=True)
class TunnelState:
    instance: str
    status: TunnelStatus
    host: str = "127.0.0.1"
    port: int = 0
    database: str = ""
    user: str = ""
    connections: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    started_at: datetime | None = None
    last_error: str = ""
    connection_test: ConnectionTest | None = None
    ip_type: str = ""          # the instance address in use: PUBLIC, PRIVATE or PSC
    idle_connections: int = 0  # of `connections`, those between transactions
    max_connections: int = 0   # the tunnel's connection limit (0: none)
    refused: int = 0           # clients refused at the limit, so far
    error_kind: TunnelErrorKind = TunnelErrorKind.NONE  # of `last_error`

    @property
    def local_host(self) -> str:
        """Where a client connects: the listen address, loopback for a wildcard one."""
        return "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host

    def url(self, password: str = "") -> str:
        """postgresql://USER[:PASSWORD]@HOST:PORT/DB: the one DSN builder (the Query
        pane, `staging-tui query` and the DATABASE_URL shown, masked, in the pane)."""
        from urllib.parse import quote

        auth = quote(self.user or "postgres", safe="")
        if password:
            auth += ":" + (password if password == PASSWORD_MASK else quote(password, safe=""))
        host = self.local_host
        host = f"[{host}]" if ":" in host else host
        return f"postgresql://{auth}@{host}:{self.port}/{quote(self.database or 'postgres', safe='')}"


PASSWORD_MASK = "********"  # where a password exists but was not revealed


# --------------------------------------------------------------------------- Query


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type_name: str = ""


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    status: str = ""
    truncated: bool = False
    elapsed_s: float = 0.0
    notice: str = ""          # e.g. "connection was lost; reconnected"


# --------------------------------------------------------------------------- Doctor


class Level(StrEnum):
    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a check: what was seen, where, and the fix."""

    check_id: str
    area: str
    level: Level
    title: str
    evidence: str = ""
    fix: str = ""
    target: str = ""


# --------------------------------------------------------------------------- Doctor inputs
# What the doctor's runner gathers (issue 7); the checks in audit/ are pure over these.


@dataclass(frozen=True, slots=True)
class CredentialsStatus:
    """The credentials in use: ADC (or the sandbox's fixed token), checked by a refresh."""

    sandbox: bool = False
    present: bool = True
    valid: bool = True
    account: str = ""
    project: str = ""
    error: str = ""
    fix: str = ""
    quota_project: str = ""  # billed for API quota (x-goog-user-project), if any


def access_verdict(status: int, ingress: str = "all") -> str:
    """What a refused GET of a Cloud Run URL means, or "" when it is an answer of the
    service itself: 403 is Cloud Run's IAM (the caller lacks roles/run.invoker, or sent
    no identity token); 404 from a service with internal ingress is its front end
    refusing callers outside the VPC."""
    if status in (401, 403):
        return "private: you lack run.invoker"
    if status == 404 and ingress not in ("all", ""):
        return "not reachable from here (internal ingress)"
    return ""


@dataclass(frozen=True, slots=True)
class HealthObservation:
    """One GET of a service's health path."""

    service: str
    url: str
    status: int = 0
    latency_ms: float = 0.0
    error: str = ""
    ingress: str = "all"

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.error

    @property
    def access(self) -> str:
        """Why the request did not reach the service (IAM, ingress), if so."""
        return "" if self.error else access_verdict(self.status, self.ingress)


@dataclass(frozen=True, slots=True)
class MatView:
    name: str
    populated: bool = True


# What the login role could write if the read-only session fell (the third wall):
# one row per reason, none for a role that can only read. Read-only catalog functions
# only; shared by the Query pane, `query` and the doctor.
WRITE_PRIVILEGES_SQL = """
SELECT reason FROM (
  SELECT 1 AS o, 'superuser' AS reason FROM pg_catalog.pg_roles
    WHERE rolname = current_user AND rolsuper
  UNION ALL SELECT 2, 'CREATEROLE' FROM pg_catalog.pg_roles
    WHERE rolname = current_user AND rolcreaterole
  UNION ALL SELECT 3, 'CREATEDB' FROM pg_catalog.pg_roles
    WHERE rolname = current_user AND rolcreatedb
  UNION ALL SELECT 4, 'BYPASSRLS' FROM pg_catalog.pg_roles
    WHERE rolname = current_user AND rolbypassrls
  UNION ALL (SELECT 5, 'member of ' || r FROM unnest(ARRAY['cloudsqlsuperuser',
      'pg_write_all_data', 'pg_write_server_files', 'pg_execute_server_program']) AS r
    WHERE pg_catalog.to_regrole(r) IS NOT NULL
      AND pg_catalog.pg_has_role(current_user, pg_catalog.to_regrole(r), 'MEMBER'))
  UNION ALL SELECT 6, 'CREATE on database ' || current_database()
    WHERE pg_catalog.has_database_privilege(current_database(), 'CREATE')
  UNION ALL (SELECT 7, 'CREATE on schema ' || nspname FROM pg_catalog.pg_namespace
    WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
      AND pg_catalog.has_schema_privilege(oid, 'CREATE') ORDER BY nspname LIMIT 3)
  UNION ALL (SELECT 8, 'owns ' || c.oid::regclass::text FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND pg_catalog.pg_has_role(c.relowner, 'USAGE') ORDER BY 1 LIMIT 3)
  UNION ALL (SELECT 9, 'INSERT/UPDATE/DELETE on ' || c.oid::regclass::text
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND CASE WHEN c.relkind IN ('r', 'p', 'v', 'f')
          THEN pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') END
    ORDER BY 1 LIMIT 3)
  UNION ALL (SELECT 10, 'nextval/setval on ' || c.oid::regclass::text
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND CASE WHEN c.relkind = 'S'
          THEN pg_catalog.has_sequence_privilege(c.oid, 'USAGE, UPDATE') END
    ORDER BY 1 LIMIT 3)
) AS w ORDER BY o, reason
"""

CAN_WRITE_NOTE = "this role can write; read-only is enforced by staging-tui, not by the database"


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    """What the doctor saw through the tunnel. `alembic_heads` is None when there is no
    alembic_version table; `error` is set when the tunnel or the login failed."""

    instance: str
    database: str = ""
    connected: bool = False
    error: str = ""
    fix: str = ""
    select_ok: bool = False
    server_version: str = ""  # what the server answers (SHOW server_version)
    declared_version: str = ""  # what the Cloud SQL Admin API declares (POSTGRES_17)
    extensions: tuple[str, ...] = ()
    matviews: tuple[MatView, ...] = ()
    alembic_heads: tuple[str, ...] | None = None
    # the role the Query pane uses in read-only mode (read_only_user, else user), what
    # it could write (WRITE_PRIVILEGES_SQL), or why the doctor could not log in as it
    query_role: str = ""
    query_role_writes: tuple[str, ...] = ()
    query_role_error: str = ""


@dataclass(frozen=True, slots=True)
class GoldenSignals:
    """One service's golden signals from Cloud Monitoring, one value per minute, oldest
    first, at `times` (each the end of its minute). Missing values are 0."""

    service: str
    times: tuple[datetime, ...] = ()
    requests_per_s: tuple[float, ...] = ()
    errors_per_min: tuple[float, ...] = ()  # 5xx responses
    error_ratio: tuple[float, ...] = ()  # 5xx / all, 0..1
    p50_ms: tuple[float, ...] = ()
    p95_ms: tuple[float, ...] = ()
    instances: tuple[float, ...] = ()
    cpu: tuple[float, ...] = ()  # utilization p95, 0..1
    memory: tuple[float, ...] = ()  # utilization p95, 0..1
# --------------------------------------------------------------------------- Incident actions


class ActionKind(StrEnum):
    ROLLBACK = "rollback"
    TRAFFIC = "traffic"
    LATEST = "latest"
    RESTART = "restart"
    ENV = "env"
    UNDO = "undo"


@dataclass(frozen=True, slots=True)
class TemplateChange:
    """One change to the revision template: `kind` is "env" (container env var `key`)
    or "label" (template label `key`). `after` None removes it; a `secret` makes the env
    var a Secret Manager reference instead of a literal. `before`/`after` are for display
    (sensitive literals masked); `value` is the literal to set."""

    kind: str
    key: str
    before: str | None
    after: str | None
    secret: SecretRef | None = None
    value: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """What an incident action will change, decided before anything runs (the preview).

    `etag` is the service version the plan was made from: applying it to a service that
    changed since fails instead of overwriting someone else's change."""

    kind: ActionKind
    service: str
    project: str
    region: str
    etag: str
    summary: str
    traffic_before: tuple[TrafficTarget, ...]
    traffic_after: tuple[TrafficTarget, ...]
    template_changes: tuple[TemplateChange, ...] = ()
    gcloud: str = ""

    @property
    def changes_traffic(self) -> bool:
        return self.traffic_before != self.traffic_after

    @property
    def creates_revision(self) -> bool:
        return bool(self.template_changes)


@dataclass(frozen=True, slots=True)
class JobRunPlan:
    """Run (or re-run) a Cloud Run job: one RunJob from the job version previewed (etag)."""

    job: str
    project: str
    region: str
    etag: str
    summary: str
    gcloud: str
    latest_execution: str = ""
    latest_status: str = ""


class ActionStage(StrEnum):
    SENT = "sent"                 # UpdateService accepted, operation running
    CREATING = "creating"         # a new revision is starting
    READY = "ready"               # the new revision is Ready
    ROUTING = "routing"           # traffic is moving
    RUNNING = "running"           # a job's execution is running (RunJob)
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ActionProgress:
    """One step of a running action, from the operation's metadata."""

    stage: ActionStage
    operation: str
    revision: str = ""
    message: str = ""
