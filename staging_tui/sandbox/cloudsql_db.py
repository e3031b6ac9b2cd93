"""The real PostgreSQL behind the emulated Cloud SQL instances.

One PostgresServer is shared by all instances of a sandbox; each instance owns
its own databases. The server starts on first use (the first TLS client or
`ensure()`), so a sandbox that never opens a tunnel never pays for initdb.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from pathlib import Path

import psycopg
from psycopg import sql

from staging_tui.errors import SandboxError
from staging_tui.sandbox.postgres import STOPPED_WHILE_STARTING, SUPERUSER, PostgresServer
from staging_tui.sandbox.sql_scenario import SqlSpec


class SeedFailed(SandboxError):
    """The scenario's seed SQL failed on the real server (not a syntax error: those
    are found when the scenario loads)."""


class SharedDatabase:
    """Start lazily with `await ensure()`; `port` is then where to forward."""

    def __init__(self, specs: tuple[SqlSpec, ...], start_delay_s: float = 0.0) -> None:
        self.specs = specs
        self.start_delay_s = start_delay_s  # the database_start_ms fault: a cold instance
        # Known before the server starts: the Secret Manager stores it at install time.
        self.superuser_password = secrets.token_urlsafe(24)
        self.server: PostgresServer | None = None
        self._starting: PostgresServer | None = None  # between ensure()'s start and its end
        self.restarts = 0
        self.failed: SandboxError | None = None  # the seed failed: every client is told
        self.available_extensions: frozenset[str] = frozenset()
        self._lock = asyncio.Lock()

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    @property
    def starting(self) -> PostgresServer | None:
        """The server ensure() is starting (between its start and its end), if any."""
        return self._starting

    @property
    def started(self) -> bool:
        return self.server is not None

    async def ensure(self) -> PostgresServer:
        async with self._lock:
            if self.failed is not None:
                raise self.failed
            if self.server is None:
                server = self._starting = PostgresServer(password=self.superuser_password)
                try:
                    await asyncio.to_thread(self._start_and_seed, server)
                    await asyncio.sleep(self.start_delay_s)
                    if server.stopped:
                        raise SandboxError(STOPPED_WHILE_STARTING)
                except BaseException as exc:
                    stopped_meanwhile = server.stopped  # stop() came while it was starting
                    await asyncio.to_thread(server.stop)
                    if isinstance(exc, SeedFailed):
                        self.failed = exc
                        print(f"staging-tui sandbox: {exc}", file=sys.stderr, flush=True)
                    if stopped_meanwhile and isinstance(exc, Exception):
                        raise SandboxError(STOPPED_WHILE_STARTING, "start the sandbox again") from None
                    raise
                finally:
                    self._starting = None
                self.server = server
            return self.server

    def password(self, spec: SqlSpec, user: str) -> str:
        """The password of `user` on `spec`'s instance (the superuser keeps the server's)."""
        if user == SUPERUSER:
            return self.superuser_password
        if user == spec.user:
            return spec.password
        for role in spec.roles:
            if role.name == user:
                return role.password
        return ""

    async def restart(self) -> None:
        """The database-restart fault: open sessions end, new ones succeed."""
        server = await self.ensure()
        await asyncio.to_thread(server.restart)
        self.restarts += 1

    async def stop(self) -> None:
        """Stop the server, also one still starting (it stops once its start ends)."""
        for server in (self.server, self._starting):
            if server is not None:
                await asyncio.to_thread(server.stop)
        self.server = None

    def _start_and_seed(self, server: PostgresServer) -> None:
        server.start()
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            self.available_extensions = frozenset(
                r[0] for r in conn.execute("SELECT name FROM pg_available_extensions"))
            iam = [u for spec in self.specs for u in spec.iam_users]
            for spec in self.specs:
                _create_roles(conn, spec)
        if iam:
            _iam_users_on_the_socket_only(server, iam)
        for spec in self.specs:
            for database in spec.databases:
                try:
                    self._seed_database(server, spec, database)
                except psycopg.Error as exc:
                    reason = (exc.diag.message_primary or str(exc)).splitlines()[0]
                    raise SeedFailed(
                        f"the seed SQL of Cloud SQL instance {spec.name} (database "
                        f"{database}) failed: {reason}",
                        "fix the seed in the scenario's [[sql]] table and start the "
                        "sandbox again") from None

    def _seed_database(self, server: PostgresServer, spec: SqlSpec, database: str) -> None:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            if database != "postgres":
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(spec.user)))
        with psycopg.connect(server.dsn(database), autocommit=True) as conn:
            for ext in spec.extensions:
                if ext in self.available_extensions:
                    conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(
                        sql.Identifier(ext)))
            if spec.seed_sql and database == spec.database:
                with conn.transaction():
                    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(spec.user)))
                    conn.execute(spec.seed_sql.encode())
                    conn.execute("RESET ROLE")
                # Statistics now, not whenever autovacuum gets to it: what pg_stats (and
                # the Query pane's data-quality view) shows must not depend on timing.
                conn.execute("ANALYZE")
            for role in spec.roles:
                _grant(conn, spec, role.name, database, role.read_only)
            for user in spec.iam_users:
                _grant(conn, spec, user, database, read_only=False)


def _create_roles(conn: psycopg.Connection[tuple[object, ...]], spec: SqlSpec) -> None:
    logins = [(spec.user, spec.password)] if spec.user != SUPERUSER else []
    logins += [(r.name, r.password) for r in spec.roles]
    for name, password in logins:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(name), sql.Literal(password)))
    for user in spec.iam_users:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(user)))


def _grant(conn: psycopg.Connection[tuple[object, ...]], spec: SqlSpec, role: str,
           database: str, read_only: bool) -> None:
    ident = sql.Identifier(role)
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
        sql.Identifier(database), ident))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident))
    privileges = sql.SQL("SELECT" if read_only else "SELECT, INSERT, UPDATE, DELETE")
    conn.execute(sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA public TO {}").format(
        privileges, ident))
    conn.execute(sql.SQL(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT {} ON TABLES TO {}"
    ).format(sql.Identifier(spec.user), privileges, ident))


def _iam_users_on_the_socket_only(server: PostgresServer, users: list[str]) -> None:
    """IAM database users have no password. Cloud SQL lets them in when the client
    certificate was issued for their OAuth token (automatic IAM authn); the instance
    server forwards those sessions, and only those, to the unix socket (in a 0700 dir
    only the sandbox reaches), where they are trusted. On TCP they are rejected, so a
    tunnel without IAM authn cannot log them in."""
    hba = Path(server.datadir) / "pg_hba.conf"
    lines = "".join(f'local all "{u}" trust\nhost all "{u}" all reject\n' for u in users)
    hba.write_text(lines + hba.read_text())
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
