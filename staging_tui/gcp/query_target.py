"""Where the SQL session connects when it goes through the Cloud SQL tunnel: start
the instance's tunnel if needed and build its DSN (TunnelState.url) with the password
from the profile's Secret Manager secret. The DSN holds the password: never print it."""

from __future__ import annotations

from dataclasses import dataclass, field

from staging_tui.gcp.ports import TunnelControl


@dataclass(frozen=True, slots=True)
class QueryTarget:
    dsn: str = field(repr=False)
    via: str            # "tunnel biocirv-db" (for the status line)
    user: str
    database: str


async def tunnel_target(tunnels: TunnelControl, name: str) -> QueryTarget:
    """Start (or reuse) the tunnel to `name` and return how to connect through it."""
    tunnel = tunnels.get(name) or await tunnels.start(name, test=False)
    password = await tunnels.password(tunnel.instance)
    state = tunnel.state
    return QueryTarget(state.url(password), f"tunnel {tunnel.instance.short_name}",
                       state.user or "postgres", state.database or "postgres")
