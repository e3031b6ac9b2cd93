"""Build grpc method handlers from proto-plus types.

Google's client libraries only see bytes on the wire, so a servicer here is a plain
async function taking a proto-plus request and returning a proto-plus response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

UnaryFn = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


def unary(
    service: str, method: str, request_type: Any, response_type: Any, fn: UnaryFn
) -> tuple[str, grpc.RpcMethodHandler]:
    """One unary-unary method: requests arrive as proto-plus messages; a servicer may
    answer with a proto-plus message or (faster, for big listings) a raw protobuf."""
    async def checked(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await fn(request, context)
        except InvalidPage as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))

    handler = grpc.unary_unary_rpc_method_handler(
        checked,
        request_deserializer=request_type.deserialize,
        response_serializer=serialize,
    )
    return method, handler


def serialize(message: Any) -> bytes:
    """Bytes of a proto-plus or raw protobuf message."""
    raw = type(message).pb(message) if hasattr(type(message), "pb") else message
    data: bytes = raw.SerializeToString()
    return data


def service_handler(
    service: str, methods: list[tuple[str, grpc.RpcMethodHandler]]
) -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(service, dict(methods))


class InvalidPage(ValueError):
    """A negative page_size or a page_token the server never issued: Google answers
    INVALID_ARGUMENT (AIP-158); `unary` servicers turn this into that status."""


def page(items: list[Any], page_size: int, page_token: str, *, default: int = 100,
         maximum: int = 1000) -> tuple[list[Any], str]:
    """Slice a listing the way Google pages it: an opaque token holding the offset.
    A page_size above the maximum is coerced down (AIP-158); a negative one or a
    garbage token raises InvalidPage."""
    if page_size < 0:
        raise InvalidPage(f"page_size must not be negative (got {page_size})")
    size = min(page_size or default, maximum)
    if page_token and (not page_token.isdigit() or int(page_token) > len(items)):
        raise InvalidPage(f"Invalid page token: {page_token[:40]!r}")
    start = int(page_token) if page_token else 0
    chunk = items[start : start + size]
    nxt = str(start + size) if start + size < len(items) else ""
    return chunk, nxt
