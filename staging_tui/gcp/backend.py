"""Backend: one object bundling the adapters, built from Settings.

Adapters are created on first use, and their modules (which import google.*) are
imported in a thread, so the TUI's first frame never waits for those imports nor
for the sandbox to come up. The UI only ever talks to this object.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from staging_tui.config import Settings
from staging_tui.domain import Service
from staging_tui.gcp.endpoints import Endpoints

if TYPE_CHECKING:
    from staging_tui.gcp.doctor_probes import DoctorProbes
    from staging_tui.gcp.health import HealthResult
    from staging_tui.gcp.logs import LogsAdapter
    from staging_tui.gcp.run import RunAdapter
    from staging_tui.gcp.secrets import SecretsAdapter
    from staging_tui.gcp.tunnels import Tunnels

EndpointsProvider = Callable[[], Endpoints]


class Backend:
    """The adapters of one profile. `endpoints` may block (sandbox start-up): it is
    resolved in a thread on first use."""

    def __init__(self, settings: Settings, endpoints: Endpoints | EndpointsProvider) -> None:
        self.settings = settings
        self._endpoints_provider: EndpointsProvider = (
            (lambda: endpoints) if isinstance(endpoints, Endpoints) else endpoints
        )
        self._endpoints: Endpoints | None = None
        self._adapters: dict[str, Any] = {}
        self._account = ""
        self._lock = asyncio.Lock()

    @property
    def account(self) -> str:
        """Shown in the header: "sandbox" or the ADC account once known."""
        return "sandbox" if self.settings.sandbox else self._account

    async def load_account(self) -> str:
        """Whose credentials these are (ADC user or service account email), found once
        in a thread: a user's ADC needs a token refresh to tell."""
        if not self.settings.sandbox and not self._account:
            status = await (await self.probes()).credentials()
            self._account = status.account or ("ADC (expired)" if not status.valid
                                               else "ADC (no credentials)" if not status.present
                                               else "")
        return self.account

    async def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = await asyncio.to_thread(self._endpoints_provider)
        return self._endpoints

    async def _adapter(self, key: str, module: str, build: Callable[[Any, Endpoints], Any]) -> Any:
        # Import the adapter (google.*, ~1 s) while the endpoints resolve (the sandbox
        # child starting up): both are slow and independent.
        imported = asyncio.ensure_future(asyncio.to_thread(importlib.import_module, module))
        async with self._lock:
            if key not in self._adapters:
                endpoints, mod = await asyncio.gather(self.endpoints(), imported)
                self._adapters[key] = build(mod, endpoints)
            else:
                await imported
            return self._adapters[key]

    async def run(self) -> RunAdapter:
        """Cloud Run services and revisions."""
        s = self.settings
        adapter: RunAdapter = await self._adapter(
            "run", "staging_tui.gcp.run",
            lambda mod, ep: mod.RunAdapter(ep, s.project, s.regions),
        )
        return adapter

    async def logs(self) -> LogsAdapter:
        """Cloud Logging: list, tail (reconnecting) and write entries."""
        adapter: LogsAdapter = await self._adapter(
            "logs", "staging_tui.gcp.logs",
            lambda mod, ep: mod.LogsAdapter(ep, self.settings.project),
        )
        return adapter

    async def tunnels(self) -> Tunnels:
        """Cloud SQL tunnels (start/stop several; close() drains them at exit)."""
        s = self.settings

        async def read_secret(name: str) -> str:
            return (await (await self.secrets()).access(name)).data.decode()

        adapter: Tunnels = await self._adapter(
            "tunnels", "staging_tui.gcp.tunnels",
            lambda mod, ep: mod.Tunnels(ep, s.project, s.sql_instances, read_secret),
        )
        return adapter

    async def probes(self) -> DoctorProbes:
        """The doctor's probes: credentials state, a database look through a tunnel."""
        adapter: DoctorProbes = await self._adapter(
            "probes", "staging_tui.gcp.doctor_probes",
            lambda mod, ep: mod.DoctorProbes(ep, self.settings.project),
        )
        return adapter

    async def secrets(self) -> SecretsAdapter:
        """Secret Manager: secrets, versions, payloads (CRC32C-checked) and writes."""
        adapter: SecretsAdapter = await self._adapter(
            "secrets", "staging_tui.gcp.secrets",
            lambda mod, ep: mod.SecretsAdapter(ep, self.settings.project),
        )
        return adapter

    async def health(self, service: Service, path: str = "") -> HealthResult:
        """GET the service's health path (profile's `health`, else "/")."""
        paths = self.settings.health_paths
        path = path or paths.get(service.name) or paths.get("*") or "/"
        mod = await asyncio.to_thread(importlib.import_module, "staging_tui.gcp.health")
        result: HealthResult = await mod.check_health(await self.endpoints(), service.uri, path)
        return result

    async def close(self) -> None:
        for adapter in list(self._adapters.values()):
            close = getattr(adapter, "close", None)
            if close is not None:
                try:
                    await close()
                except Exception:  # closing is best effort at exit
                    pass
        self._adapters.clear()
