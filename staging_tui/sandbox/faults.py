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
            await abort_service_disabled(context, api, resource)
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


_API_TITLES = {"run": "Cloud Run Admin API", "secretmanager": "Secret Manager API",
               "logging": "Cloud Logging API", "monitoring": "Cloud Monitoring API",
               "sqladmin": "Cloud SQL Admin API"}


async def abort_service_disabled(context: Any, api: str, resource: str) -> None:
    """PERMISSION_DENIED as Google sends it for a disabled API: the text says so in
    prose, the machine-readable part is a google.rpc.ErrorInfo (reason SERVICE_DISABLED,
    metadata service / consumer) in the status details (grpc-status-details-bin)."""
    import grpc
    from google.protobuf import any_pb2
    from google.rpc import code_pb2, error_details_pb2, status_pb2

    project = resource.split("/")[1] if resource.startswith("projects/") else "unknown"
    service = f"{api}.googleapis.com"
    message = (f"{_API_TITLES.get(api, service)} has not been used in project {project} before "
               f"or it is disabled. Enable it by visiting https://console.developers.google.com"
               f"/apis/api/{service}/overview?project={project} then retry.")
    info = error_details_pb2.ErrorInfo(reason="SERVICE_DISABLED", domain="googleapis.com",
                                       metadata={"service": service,
                                                 "consumer": f"projects/{project}"})
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code_pb2.PERMISSION_DENIED, message=message,
                               details=[detail])
    await context.abort(grpc.StatusCode.PERMISSION_DENIED, message,
                        trailing_metadata=(("grpc-status-details-bin",
                                            status.SerializeToString()),))
