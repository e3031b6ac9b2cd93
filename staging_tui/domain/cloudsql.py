"""Cloud SQL: instances, tunnels (options, state, connection test) and what went wrong
with them (TunnelErrorKind, with one fix each)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
