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
from staging_tui.gcp.endpoints import Endpoints

from staging_tui.domain import Service

if TYPE_CHECKING:
    from staging_tui.gcp.health import HealthResult
    from staging_tui.gcp.run import RunAdapter

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
        self._lock = asyncio.Lock()

    @property
    def account(self) -> str:
        """Shown in the header: "sandbox" or the ADC account once known."""
        return "sandbox" if self.settings.sandbox else self._adapters.get("account", "")

    async def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = await asyncio.to_thread(self._endpoints_provider)
        return self._endpoints

    async def _adapter(self, key: str, module: str, build: Callable[[Any, Endpoints], Any]) -> Any:
        async with self._lock:
            if key not in self._adapters:
                endpoints = await self.endpoints()
                mod = await asyncio.to_thread(importlib.import_module, module)
                self._adapters[key] = build(mod, endpoints)
            return self._adapters[key]

    async def run(self) -> RunAdapter:
        """Cloud Run services and revisions."""
        s = self.settings
        adapter: RunAdapter = await self._adapter(
            "run", "staging_tui.gcp.run",
            lambda mod, ep: mod.RunAdapter(ep, s.project, s.regions),
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
