"""Frozen value objects shared by every layer. No I/O, no google.*, no textual.

Adapters in gcp/ turn API messages into these; ui/ and audit/ only ever see these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum

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
    etag: str = ""  # Google's fingerprint of this version; updates send it back
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


def _failure_message(conditions: tuple[Condition, ...]) -> str:
    for cond in conditions:
        if cond.state is ConditionState.FAILED and cond.message:
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

    @property
    def short_name(self) -> str:
        return self.connection_name.rsplit(":", 1)[-1]


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
    ACCESS = "access"              # 401/403 from the Admin API
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
    TunnelErrorKind.ACCESS: "ask for roles/cloudsql.client on the project",
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


@dataclass(frozen=True, slots=True)
class HealthObservation:
    """One GET of a service's health path."""

    service: str
    url: str
    status: int = 0
    latency_ms: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.error


@dataclass(frozen=True, slots=True)
class MatView:
    name: str
    populated: bool = True


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


class ActionStage(StrEnum):
    SENT = "sent"                 # UpdateService accepted, operation running
    CREATING = "creating"         # a new revision is starting
    READY = "ready"               # the new revision is Ready
    ROUTING = "routing"           # traffic is moving
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ActionProgress:
    """One step of a running action, from the operation's metadata."""

    stage: ActionStage
    operation: str
    revision: str = ""
    message: str = ""
