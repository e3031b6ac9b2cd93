"""Where the SQL session connects when it goes through the Cloud SQL tunnel: start
the instance's tunnel if needed and build a DSN with the password from the
profile's Secret Manager secret. The DSN holds the password: never print it."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from staging_tui.gcp.tunnels import Tunnels


@dataclass(frozen=True, slots=True)
class QueryTarget:
    dsn: str = field(repr=False)
    via: str            # "tunnel biocirv-db" (for the status line)
    user: str
    database: str


async def tunnel_target(tunnels: Tunnels, name: str) -> QueryTarget:
    """Start (or reuse) the tunnel to `name` and return how to connect through it."""
    tunnel = tunnels.get(name) or await tunnels.start(name, test=False)
    password = await tunnels.password(tunnel.instance)
    state = tunnel.state
    user = state.user or tunnel.instance.login_user or "postgres"
    database = state.database or tunnel.instance.database or "postgres"
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    dsn = f"postgresql://{auth}@{state.host}:{state.port}/{quote(database, safe='')}"
    return QueryTarget(dsn, f"tunnel {tunnel.instance.short_name}", user, database)
