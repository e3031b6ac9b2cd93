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
    handler = grpc.unary_unary_rpc_method_handler(
        fn,
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


def page(items: list[Any], page_size: int, page_token: str, *, default: int = 100,
         maximum: int = 1000) -> tuple[list[Any], str]:
    """Slice a listing the way Google pages it: an opaque token holding the offset."""
    size = min(page_size or default, maximum)
    start = int(page_token) if page_token else 0
    chunk = items[start : start + size]
    nxt = str(start + size) if start + size < len(items) else ""
    return chunk, nxt
