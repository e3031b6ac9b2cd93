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
