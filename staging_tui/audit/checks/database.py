"""Database: tunnel, SELECT 1, server version, extensions, materialized views, Alembic."""

from __future__ import annotations

from collections.abc import Iterable

from staging_tui.audit.checks.registry import check, security_level
from staging_tui.domain import DatabaseStatus, Finding, Level

TUNNEL = check(
    "database.tunnel", "database", "Tunnel connects and logs in",
    "A tunnel to the Cloud SQL instance opened and a session logged in.",
    "check the instance name and state, the password secret, and roles/cloudsql.client: "
    "staging-tui tunnel INSTANCE")
SELECT = check(
    "database.select", "database", "SELECT 1 answers",
    "A trivial query ran through the tunnel.",
    "check the database name and the user's CONNECT privilege")
VERSION = check(
    "database.version", "database", "Server version",
    "The PostgreSQL server version (a note; compare with production).", "")
VERSION_MISMATCH = check(
    "database.version-mismatch", "database", "Server runs the declared version",
    "The PostgreSQL major version the server answers differs from the instance's declared "
    "databaseVersion (in the sandbox: the local PostgreSQL is another major version).",
    "sandbox: put the declared PostgreSQL on PATH (or declare the version it runs); Google: "
    "check the instance's upgrade status (gcloud sql instances describe INSTANCE)")
EXTENSIONS = check(
    "database.extensions", "database", "Required extensions installed",
    "Every extension in the profile's required_extensions is installed (e.g. postgis).",
    "as an admin: CREATE EXTENSION IF NOT EXISTS NAME;  (Cloud SQL: flags may be needed)")
MATVIEWS = check(
    "database.matviews", "database", "Materialized views populated",
    "Every materialized view has been refreshed at least once (a view created WITH NO DATA "
    "fails every query).",
    "REFRESH MATERIALIZED VIEW NAME;")
READ_ONLY_ROLE = check(
    "database.read_only_role", "database", "The Query pane's read-only role cannot write",
    "In read-only mode the Query pane and `staging-tui query` log in as the instance's "
    "read_only_user (else its user). When that role could write (superuser, CREATE, "
    "ownership, INSERT/UPDATE/DELETE, sequences), read-only is enforced by staging-tui, "
    "not by the database.",
    "name a role that can only SELECT in the profile: read_only_user = \"..._readonly\" and "
    "read_only_password_secret under [[profiles.NAME.sql]]")
ALEMBIC = check(
    "database.alembic", "database", "Alembic at the expected head",
    "The profile's alembic_head is the revision in alembic_version.",
    "run the migrations against staging: DATABASE_URL=... alembic upgrade head")


def check_database(status: DatabaseStatus, required_extensions: Iterable[str] = (),
                   alembic_head: str = "", protected: bool = False) -> list[Finding]:
    target = status.instance
    if not status.connected:
        return [TUNNEL.found(Level.ERROR, f"{status.instance}: {status.error or 'no connection'}",
                             target, fix=status.fix or TUNNEL.fix,
                             title=f"{status.instance}: cannot connect")]
    if not status.select_ok:
        return [SELECT.found(Level.ERROR, f"{status.instance}/{status.database}: "
                             f"{status.error or 'SELECT 1 failed'}", target)]
    out = []
    missing = sorted(set(required_extensions) - set(status.extensions))
    if missing:
        out.append(EXTENSIONS.found(
            Level.ERROR, f"{status.database}: missing {', '.join(missing)}; installed: "
            f"{', '.join(status.extensions) or 'none'}", target,
            title=f"{status.instance}: extension {', '.join(missing)} missing",
            fix="; ".join(f"CREATE EXTENSION IF NOT EXISTS {m}" for m in missing)))
    for view in status.matviews:
        if not view.populated:
            out.append(MATVIEWS.found(
                Level.WARNING, f"{status.database}: {view.name} was never refreshed", target,
                title=f"{status.instance}: materialized view {view.name} not populated",
                fix=f"REFRESH MATERIALIZED VIEW {view.name};"))
    out += _read_only_role(status, protected)
    if mismatch := version_mismatch(status):
        out.append(VERSION_MISMATCH.found(
            Level.WARNING, f"{status.instance}/{status.database}: {mismatch}", target,
            title=f"{status.instance}: runs PostgreSQL {status.server_version.split()[0]}, "
                  f"not {status.declared_version}"))
    if alembic_head:
        heads = status.alembic_heads
        if heads is None:
            out.append(ALEMBIC.found(Level.ERROR, f"{status.database}: no alembic_version table "
                                     f"(expected head {alembic_head})", target,
                                     title=f"{status.instance}: migrations never ran"))
        elif alembic_head not in heads:
            out.append(ALEMBIC.found(
                Level.ERROR, f"{status.database}: at {', '.join(heads) or 'no revision'}, "
                f"expected {alembic_head}", target,
                title=f"{status.instance}: migrations behind the expected head"))
    return out


def _read_only_role(status: DatabaseStatus, protected: bool) -> list[Finding]:
    role, target = status.query_role, status.instance
    short = target.rsplit(":", 1)[-1]
    if status.query_role_error:
        return [READ_ONLY_ROLE.found(
            Level.WARNING, f"cannot log in as {role}: {status.query_role_error}", target,
            title=f"{short}: read-only role {role} cannot log in",
            fix="check read_only_user and the secret in read_only_password_secret")]
    if status.query_role_writes:
        return [READ_ONLY_ROLE.found(
            security_level(protected), f"{role} can write: {', '.join(status.query_role_writes)}"
            "; read-only is enforced by staging-tui, not by the database", target,
            title=f"{short}: the Query pane's role {role} can write")]
    return []
def version_mismatch(status: DatabaseStatus) -> str:
    """A sentence when the declared major version is not what the server answers (the
    sandbox runs whatever PostgreSQL it found); "" when they agree or one is unknown."""
    declared = status.declared_version.upper()
    if not declared.startswith("POSTGRES_") or not status.server_version:
        return ""
    want = declared.removeprefix("POSTGRES_").split("_")[0]
    have = status.server_version.split(".")[0].split()[0]
    if not want.isdigit() or want == have:
        return ""
    return (f"the instance declares {status.declared_version} but the server answers "
            f"PostgreSQL {status.server_version}")


def database_summary(status: DatabaseStatus) -> str:
    text = f"{status.instance}/{status.database}: {status.server_version or 'unknown version'}"
    if status.declared_version and not version_mismatch(status):
        text += f" ({status.declared_version})"
    return text
