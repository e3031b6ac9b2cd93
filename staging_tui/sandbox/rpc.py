"""Build grpc method handlers from proto-plus types, with scenario faults applied.

Google's client libraries only see bytes on the wire, so a servicer here is a plain
async function taking a proto-plus request and returning a proto-plus response.
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc

UnaryFn = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


@dataclass
class Faults:
    """Fault injection declared by a scenario's `[faults]` table.

    latency_ms          added to every call
    unavailable_every   every Nth call (per method) fails with UNAVAILABLE
    permission_denied   glob patterns of resource names refused with PERMISSION_DENIED
    service_disabled    API names (e.g. "run") answering as if the API were disabled
    """

    latency_ms: float = 0.0
    unavailable_every: int = 0
    permission_denied: tuple[str, ...] = ()
    service_disabled: tuple[str, ...] = ()
    _counters: dict[str, itertools.count[int]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Faults:
        return cls(
            latency_ms=float(table.get("latency_ms", 0.0)),
            unavailable_every=int(table.get("unavailable_every", 0)),
            permission_denied=tuple(table.get("permission_denied", ())),
            service_disabled=tuple(table.get("service_disabled", ())),
        )

    async def apply(
        self, api: str, method: str, resource: str, context: grpc.aio.ServicerContext
    ) -> None:
        """Abort the call (or delay it) as the scenario says."""
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


def unary(
    service: str, method: str, request_type: Any, response_type: Any, fn: UnaryFn
) -> tuple[str, grpc.RpcMethodHandler]:
    """One unary-unary method, (de)serialised with proto-plus types."""
    handler = grpc.unary_unary_rpc_method_handler(
        fn,
        request_deserializer=request_type.deserialize,
        response_serializer=response_type.serialize,
    )
    return method, handler


def service_handler(
    service: str, methods: list[tuple[str, grpc.RpcMethodHandler]]
) -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(service, dict(methods))


def page(items: list[Any], page_size: int, page_token: str, *, default: int = 100,
         maximum: int = 1000) -> tuple[list[Any], str]:
    """Slice a listing the way Google pages it: an opaque token holding the offset."""
    size = min(page_size or default, maximum)
    start = int(page_token) if page_token else 0
    chunk = items[start : start + size]
    nxt = str(start + size) if start + size < len(items) else ""
    return chunk, nxt
