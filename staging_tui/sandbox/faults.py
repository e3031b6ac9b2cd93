"""Fault injection declared by a scenario's `[faults]` table (grpc imported lazily)."""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    """latency_ms          added to every call
    unavailable_every   every Nth call (per method) fails with UNAVAILABLE
    permission_denied   glob patterns of resource names refused with PERMISSION_DENIED
    service_disabled    API names (e.g. "run") answering as if the API were disabled
    database_start_ms   added to the first start of the Cloud SQL instances' database (a
                        cold instance: the first connection waits that long for it)
    """

    latency_ms: float = 0.0
    unavailable_every: int = 0
    permission_denied: tuple[str, ...] = ()
    service_disabled: tuple[str, ...] = ()
    database_start_ms: float = 0.0
    _counters: dict[str, itertools.count[int]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Faults:
        return cls(
            latency_ms=float(table.get("latency_ms", 0.0)),
            unavailable_every=int(table.get("unavailable_every", 0)),
            permission_denied=tuple(table.get("permission_denied", ())),
            service_disabled=tuple(table.get("service_disabled", ())),
            database_start_ms=float(table.get("database_start_ms", 0.0)),
        )

    async def apply(self, api: str, method: str, resource: str, context: Any) -> None:
        """Abort the call (or delay it) as the scenario says. `context` is a grpc context."""
        import grpc

        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        if api in self.service_disabled:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{api}.googleapis.com API has not been used in project before or it is "
                f"disabled. Enable it and retry. reason: SERVICE_DISABLED "
                f"service: {api}.googleapis.com",
            )
        if self.unavailable_every:
            counter = self._counters.setdefault(method, itertools.count(1))
            if next(counter) % self.unavailable_every == 0:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "sandbox: injected UNAVAILABLE")
        for pattern in self.permission_denied:
            if resource and fnmatch.fnmatchcase(resource, pattern):
                await context.abort(
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"Permission denied on resource '{resource}' (or it may not exist).",
                )
