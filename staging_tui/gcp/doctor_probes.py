"""What the doctor needs beyond the adapters: the credentials' state and a look at a
Cloud SQL database through a short-lived tunnel. Results are domain objects; failures
are reported in them, never raised.
"""

from __future__ import annotations

import asyncio
from typing import Any

from staging_tui.domain import (
    WRITE_PRIVILEGES_SQL,
    CredentialsStatus,
    DatabaseStatus,
    MatView,
    SqlInstance,
)
from staging_tui.errors import ADC_FIX, CredentialsError, StagingError
from staging_tui.gcp.endpoints import (
    Endpoints,
    account_of,
    application_default_credentials,
    quota_project_of,
)

_IP_TYPES = ("PUBLIC", "PRIVATE", "PSC")
_EXTENSIONS = "SELECT extname FROM pg_extension ORDER BY extname"
_MATVIEWS = ("SELECT schemaname || '.' || matviewname, ispopulated FROM pg_matviews "
             "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")


class DoctorProbes:
    """Bound to one Backend's endpoints and project."""

    def __init__(self, endpoints: Endpoints, project: str) -> None:
        self.endpoints = endpoints
        self.project = project

    async def credentials(self) -> CredentialsStatus:
        if self.endpoints.sandbox:
            return await asyncio.to_thread(probe_sandbox_token, self.endpoints, self.project)
        return await asyncio.to_thread(probe_adc)

    async def database(self, instance: SqlInstance, password: str | None,
                       timeout_s: float = 10.0, reader_password: str | None = None
                       ) -> DatabaseStatus:
        return await probe_database(instance, self.endpoints, password, timeout_s,
                                    reader_password)

    async def close(self) -> None:
        """Nothing held between probes (each database look opens and ends its tunnel)."""


def probe_sandbox_token(endpoints: Endpoints, project: str) -> CredentialsStatus:
    """Refresh the sandbox's credentials once: a scenario may have expired the grant."""
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request

    creds = endpoints.credentials()
    try:
        if getattr(creds, "refresh_token", None):  # user credentials, not a bare token
            creds.refresh(Request())  # type: ignore[no-untyped-call]
    except RefreshError as exc:
        return CredentialsStatus(sandbox=True, valid=False, account="sandbox", project=project,
                                 error=f"ADC could not be refreshed: {exc}", fix=ADC_FIX)
    return CredentialsStatus(sandbox=True, account="sandbox", project=project)


def probe_adc() -> CredentialsStatus:
    """Load ADC and refresh it once: a revoked or expired grant fails here (blocking)."""
    try:
        creds, project = application_default_credentials()
    except CredentialsError as exc:
        return CredentialsStatus(present=False, error=exc.message, fix=exc.fix)
    from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
    from google.auth.transport.requests import Request

    try:
        creds.refresh(Request())  # type: ignore[no-untyped-call]
    except RefreshError as exc:
        return CredentialsStatus(valid=False, account=account_of(creds), project=project,
                                 error=f"ADC could not be refreshed: {exc}", fix=ADC_FIX)
    except (TransportError, GoogleAuthError) as exc:
        return CredentialsStatus(valid=False, account=account_of(creds), project=project,
                                 error=f"could not reach Google to refresh ADC: {exc}",
                                 fix="check the network / proxy, then retry")
    return CredentialsStatus(account=account_of(creds) or _token_email(creds), project=project,
                             quota_project=quota_project_of(creds))


def _token_email(creds: Any) -> str:
    """User ADC does not carry its email; Google's tokeninfo says whose token it is."""
    token = getattr(creds, "token", None)
    if not token:
        return ""
    try:
        import requests

        answer = requests.get("https://oauth2.googleapis.com/tokeninfo",
                              params={"access_token": token}, timeout=5)
        email = answer.json().get("email", "") if answer.ok else ""
    except Exception:  # a note only: never fail the probe over it
        return ""
    return email if isinstance(email, str) else ""


async def probe_database(instance: SqlInstance, endpoints: Endpoints, password: str | None,
                         timeout_s: float = 10.0, reader_password: str | None = None
                         ) -> DatabaseStatus:
    """Open a tunnel, log in read-only, read version / extensions / views / alembic, and
    what the role the Query pane uses in read-only mode (read_only_user, else user)
    could write."""
    import psycopg

    from staging_tui.domain import TunnelOptions
    from staging_tui.gcp.cloudsql import Tunnel

    base = DatabaseStatus(instance=instance.connection_name, database=instance.database)
    tunnel = None
    for ip_type in _IP_TYPES:  # the instance may have only a private or PSC address
        tunnel = Tunnel(instance, endpoints, TunnelOptions(
            iam_auth=instance.iam_auth, ip_type=ip_type, refresh="lazy", connect_timeout=timeout_s,
            drain_timeout=1.0))
        try:
            await asyncio.wait_for(tunnel.start(), timeout_s)
            break
        except StagingError as exc:
            await tunnel.stop()
            if "no IP address" in exc.message and ip_type != _IP_TYPES[-1]:
                continue
            return _replace(base, error=exc.message, fix=exc.fix)
        except TimeoutError:
            await tunnel.stop()
            return _replace(base, error=f"the tunnel did not start within {timeout_s:g} s")
    assert tunnel is not None
    try:
        try:
            conn = await psycopg.AsyncConnection.connect(
                host="127.0.0.1", port=tunnel.port, dbname=instance.database,
                user=instance.login_user, password=password or None,
                connect_timeout=max(1, int(timeout_s)), sslmode="disable",
                application_name="staging-tui doctor")
        except psycopg.Error as exc:  # names the server's reason, never the password
            reason = tunnel.state.last_error or str(exc).strip().splitlines()[0]
            return _replace(base, error=reason, fix=_login_fix(reason, instance))
        async with conn:
            await conn.set_read_only(True)
            status = await _inspect(conn, _replace(base,
                                                   declared_version=tunnel.database_version))
            if not instance.read_only_user:
                return _replace(status, query_role=instance.user,
                                query_role_writes=await _write_privileges(conn))
        return _replace(status, query_role=instance.read_only_user,
                        **await _reader_privileges(instance, tunnel.port, reader_password,
                                                   timeout_s))
    except psycopg.Error as exc:
        return _replace(base, connected=True, error=str(exc).strip().splitlines()[0])
    finally:
        await tunnel.stop()  # drains: our session is closed by now


async def _write_privileges(conn: Any) -> tuple[str, ...]:
    rows = await (await conn.execute(WRITE_PRIVILEGES_SQL)).fetchall()
    return tuple(str(r[0]) for r in rows)


async def _reader_privileges(instance: SqlInstance, port: int, password: str | None,
                             timeout_s: float) -> dict[str, Any]:
    """Log in as the instance's read_only_user and ask what it could write."""
    import psycopg

    try:
        conn = await psycopg.AsyncConnection.connect(
            host="127.0.0.1", port=port, dbname=instance.database,
            user=instance.read_only_user, password=password or None,
            connect_timeout=max(1, int(timeout_s)), sslmode="disable",
            application_name="staging-tui doctor")
        async with conn:
            await conn.set_read_only(True)
            return {"query_role_writes": await _write_privileges(conn)}
    except psycopg.Error as exc:  # the server's reason, never the password
        return {"query_role_error": str(exc).strip().splitlines()[0]}


async def _inspect(conn: Any, base: DatabaseStatus) -> DatabaseStatus:
    cur = await conn.execute("SELECT 1")
    select_ok = (await cur.fetchone()) == (1,)
    version = (await (await conn.execute("SHOW server_version")).fetchone())[0]
    extensions = tuple(r[0] for r in await (await conn.execute(_EXTENSIONS)).fetchall())
    views = tuple(MatView(r[0], bool(r[1]))
                  for r in await (await conn.execute(_MATVIEWS)).fetchall())
    heads: tuple[str, ...] | None = None
    regclass = (await (await conn.execute(
        "SELECT to_regclass('alembic_version')::text")).fetchone())[0]
    if regclass:
        rows = await (await conn.execute("SELECT version_num FROM alembic_version")).fetchall()
        heads = tuple(str(r[0]) for r in rows)
    return _replace(base, connected=True, select_ok=select_ok, server_version=str(version),
                    extensions=extensions, matviews=views, alembic_heads=heads)


def _login_fix(reason: str, instance: SqlInstance) -> str:
    if "password" in reason:
        where = (f"the secret {instance.password_secret}" if instance.password_secret
                 else "the profile's sql password_secret")
        return f"check {where} holds {instance.user}'s password"
    return "check the instance is running and reachable: staging-tui tunnel " + (
        instance.connection_name)


def _replace(status: DatabaseStatus, **changes: Any) -> DatabaseStatus:
    from dataclasses import replace

    return replace(status, **changes)
