"""Where the SQL session connects when it goes through the Cloud SQL tunnel: start
the instance's tunnel if needed and build its DSN (TunnelState.url) with the password
from the profile's Secret Manager secret. The DSN holds the password: never print it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from staging_tui.ports import TunnelControl


@dataclass(frozen=True, slots=True)
class QueryTarget:
    dsn: str = field(repr=False)
    via: str            # "tunnel biocirv-db" (for the status line)
    user: str
    database: str


async def tunnel_target(tunnels: TunnelControl, name: str, *, read_only: bool = False
                        ) -> QueryTarget:
    """Start (or reuse) the tunnel to `name` and return how to connect through it. With
    `read_only`, log in as the instance's read_only_user when the profile names one
    (the third wall: a role that cannot write)."""
    tunnel = tunnels.get(name) or await tunnels.start(name, test=False)
    instance = tunnel.instance
    state = tunnel.state
    if read_only and instance.read_only_user:
        state = replace(state, user=instance.read_only_user)
        password = (await tunnels.password(instance, instance.read_only_password_secret)
                    if instance.read_only_password_secret else "")
    else:
        password = await tunnels.password(instance)
    return QueryTarget(state.url(password), f"tunnel {instance.short_name}",
                       state.user or "postgres", state.database or "postgres")
