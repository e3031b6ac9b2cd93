"""The instance server's byte pipe: TLS client <-> PostgreSQL, with protocols.

Chunks go straight from `data_received` to the other transport (no task switch per
packet) and the transports' own flow control pauses the faster side. (The tunnel has
its own pipe in gcp/socket_pipe.py: the sandbox never imports gcp/.)
"""

from __future__ import annotations

import asyncio
from typing import cast


class End(asyncio.Protocol):
    def __init__(self, pipe: Session) -> None:
        self.pipe = pipe
        self.transport: asyncio.Transport | None = None
        self.peer: End | None = None
        self.pending: list[bytes] = []  # received before the peer was connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        if self.peer is None or self.peer.transport is None:
            self.transport.pause_reading()  # until the other side is connected
        else:
            self.pipe.start()  # the later of the two ends starts the session

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is None or peer.transport is None:
            self.pending.append(data)  # TLS may hand over data despite pause_reading()
        elif not peer.transport.is_closing():
            peer.transport.write(data)

    def eof_received(self) -> bool:
        self.pipe.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.pipe.close()

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


class Session:
    """One client session: `client` is accepted, `backend` dials PostgreSQL."""

    def __init__(self) -> None:
        self.client = End(self)
        self.backend = End(self)
        self.client.peer, self.backend.peer = self.backend, self.client
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def start(self) -> None:
        if self.closed.done():
            self.abort()
            return
        for end in (self.client, self.backend):
            if end.transport is None or end.transport.is_closing():
                self.close()
                return
        for end in (self.client, self.backend):
            assert end.transport is not None and end.peer is not None
            for data in end.pending:
                end.data_received(data)
            end.pending.clear()
            end.transport.resume_reading()

    def close(self) -> None:
        for end in (self.client, self.backend):
            if end.transport is not None and not end.transport.is_closing():
                end.transport.close()
        if not self.closed.done():
            self.closed.set_result(None)

    def abort(self) -> None:
        for end in (self.client, self.backend):
            if end.transport is not None:
                end.transport.abort()
        if not self.closed.done():
            self.closed.set_result(None)


SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


def error_response(message: str, code: str) -> bytes:
    """A PostgreSQL ErrorResponse (FATAL) with SQLSTATE `code`."""
    fields = b"".join(tag + value.encode() + b"\0" for tag, value in (
        (b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message)))
    body = fields + b"\0"
    return b"E" + (len(body) + 4).to_bytes(4, "big") + body


class Refusal(asyncio.Protocol):
    """Answers a client the database cannot serve as PostgreSQL would: "N" to SSLRequest
    / GSSENCRequest, then the startup packet gets a FATAL error and the connection ends
    (so the client shows the reason, not a timeout)."""

    def __init__(self, transport: asyncio.Transport, message: str, code: str,
                 pending: list[bytes]) -> None:
        self.transport = transport
        self.error = error_response(message, code)
        self.buffer = b"".join(pending)
        transport.set_protocol(self)
        self._consume()
        if not transport.is_closing():
            transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._consume()

    def _consume(self) -> None:
        while len(self.buffer) >= 8 and not self.transport.is_closing():
            length = int.from_bytes(self.buffer[:4], "big")
            code = int.from_bytes(self.buffer[4:8], "big")
            if length == 8 and code in (SSL_REQUEST, GSSENC_REQUEST):
                self.buffer = self.buffer[8:]
                self.transport.write(b"N")
                continue
            if len(self.buffer) < min(length, 10_000):
                return
            self.transport.write(self.error)
            self.transport.close()
            return
