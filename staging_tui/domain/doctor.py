"""The doctor: its findings, and what its runner gathers for the pure checks of audit/
(credentials, health answers, a database look, golden signals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
