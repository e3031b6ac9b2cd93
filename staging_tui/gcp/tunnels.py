"""Several Cloud SQL tunnels at once (the Database pane and `staging-tui tunnel`).

`Tunnels` knows the profile's instances, starts and stops one Tunnel per
instance, runs the connection test and fetches the database password from the
profile's Secret Manager secret, so nobody copies it by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from staging_tui.domain import (
    DEFAULT_MAX_CONNECTIONS,
    ConnectionTest,
    SecretPayload,
    SqlInstance,
    TunnelOptions,
    TunnelState,
    TunnelStatus,
    is_connection_name,
)
from staging_tui.errors import StagingError, TunnelError
from staging_tui.gcp.cloudsql import Tunnel
from staging_tui.gcp.endpoints import Endpoints

if TYPE_CHECKING:
    from staging_tui.gcp.secrets import SecretsAdapter


class Tunnels:
    def __init__(self, endpoints: Endpoints, project: str,
                 instances: tuple[SqlInstance, ...] = (),
                 read_secret: Callable[[str], Awaitable[str]] | None = None,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS) -> None:
        """`read_secret(name)` returns a secret's latest value; by default a
        SecretsAdapter of our own reads it (the Backend passes its shared one).
        `max_connections`: the limit of tunnels started without options (the profile's
        tunnel_max_connections)."""
        self.max_connections = max_connections
        self._endpoints = endpoints
        self.project = project
        self.instances = instances
        self._read_secret = read_secret
        self._own_secrets: SecretsAdapter | None = None
        self._tunnels: dict[str, Tunnel] = {}
        self._passwords: dict[str, str] = {}

    def resolve(self, name: str) -> SqlInstance:
        """A profile instance by connection name or short name, or an ad hoc
        PROJECT:REGION:INSTANCE (default database and user)."""
        for instance in self.instances:
            if name in (instance.connection_name, instance.short_name):
                return instance
        if is_connection_name(name):
            return SqlInstance(connection_name=name)
        known = ", ".join(i.short_name for i in self.instances) or "none in the profile"
        raise TunnelError(f"unknown Cloud SQL instance {name!r} (known: {known})",
                          "give the full connection name PROJECT:REGION:INSTANCE")

    def get(self, name: str) -> Tunnel | None:
        return self._tunnels.get(self.resolve(name).connection_name)

    def states(self) -> tuple[TunnelState, ...]:
        """Every instance (profile first, then ad hoc ones) with its tunnel's state."""
        out = []
        seen = set()
        for instance in self.instances:
            tunnel = self._tunnels.get(instance.connection_name)
            out.append(tunnel.state if tunnel else _stopped(instance))
            seen.add(instance.connection_name)
        out += [t.state for name, t in self._tunnels.items() if name not in seen]
        return tuple(out)

    async def start(self, name: str | SqlInstance, options: TunnelOptions | None = None,
                    *, test: bool = True, progress: Callable[[str], None] | None = None
                    ) -> Tunnel:
        """Start (or restart) the instance's tunnel; with `test`, run `SELECT 1` through it.
        Without `options`: the profile's port and the first IP type the instance has.
        `progress(step)` hears each step as it begins: certificate, password, dial, login
        (the database's own start-up and authentication), test.

        Raises TunnelError when it cannot listen or the Admin API refuses; a failed
        connection test is reported in the state (status error, last_error)."""
        instance = name if isinstance(name, SqlInstance) else self.resolve(name)
        old = self._tunnels.pop(instance.connection_name, None)
        if old is not None:
            await old.stop(drain_timeout=0)
        if options is not None and options.iam_auth and not instance.iam_auth:
            instance = replace(instance, iam_auth=True)
        tunnel = Tunnel(instance, self._endpoints,
                        options or TunnelOptions(iam_auth=instance.iam_auth, ip_type="AUTO",
                                                 max_connections=self.max_connections))
        self._tunnels[instance.connection_name] = tunnel
        tunnel.on_step = progress
        try:
            await tunnel.start()
            if test:
                await self.test(instance.connection_name)
        finally:
            tunnel.on_step = None
        return tunnel

    async def test(self, name: str) -> ConnectionTest:
        tunnel = self._tunnels.get(self.resolve(name).connection_name)
        if tunnel is None:
            raise TunnelError(f"no tunnel to {name} is running", "start it first")
        try:
            if tunnel.instance.password_secret and not tunnel.instance.iam_auth:
                tunnel.step("password")
            password = await self.password(tunnel.instance)
        except StagingError as exc:
            return await tunnel.test("", f"password unavailable ({exc.message}); ")
        return await tunnel.test(password)

    async def stop(self, name: str, drain_timeout: float | None = None) -> None:
        tunnel = self._tunnels.pop(self.resolve(name).connection_name, None)
        if tunnel is not None:
            await tunnel.stop(drain_timeout)

    async def close(self, drain_timeout: float | None = None) -> None:
        """Drain and close every tunnel (app exit)."""
        tunnels = list(self._tunnels.values())
        self._tunnels.clear()
        await asyncio.gather(*(t.stop(drain_timeout) for t in tunnels), return_exceptions=True)
        if self._own_secrets is not None:
            await self._own_secrets.close()
            self._own_secrets = None

    async def password(self, instance: SqlInstance, secret: str = "") -> str:
        """The instance's password from its Secret Manager secret ("" for IAM auth), or
        the one in `secret` (a read-only role's)."""
        if not secret and (instance.iam_auth or not instance.password_secret):
            return ""
        secret = secret or instance.password_secret
        key = f"{instance.connection_name} {secret}"
        cached = self._passwords.get(key)
        if cached is None:
            cached = await self._secret(secret)
            self._passwords[key] = cached
        return cached


    async def _secret(self, name: str) -> str:
        project, secret, version = _split_secret(name, self.project)
        if self._read_secret is not None and (project, version) == (self.project, "latest"):
            return await self._read_secret(secret)
        from staging_tui.gcp.secrets import SecretsAdapter

        if self._own_secrets is None or self._own_secrets.project != project:
            if self._own_secrets is not None:
                await self._own_secrets.close()
            self._own_secrets = SecretsAdapter(self._endpoints, project)
        payload: SecretPayload = await self._own_secrets.access(secret, version)
        return payload.data.decode()


def _stopped(instance: SqlInstance) -> TunnelState:
    return TunnelState(instance=instance.connection_name, status=TunnelStatus.STOPPED,
                       database=instance.database, user=instance.login_user, port=instance.port)


def _split_secret(secret: str, project: str) -> tuple[str, str, str]:
    """(project, secret, version) from a name or projects/P/secrets/S[/versions/V]."""
    if not secret.startswith("projects/"):
        return project, secret, "latest"
    parts = secret.split("/")
    return parts[1], parts[3], parts[5] if len(parts) > 5 else "latest"
