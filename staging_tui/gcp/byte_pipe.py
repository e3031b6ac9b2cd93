"""A two-way byte pipe between two asyncio transports, for the tunnel.

Protocols, not streams: each received chunk is written straight to the other
transport from `data_received` (no task switch per packet, which is what makes
small-query round trips cheap), and flow control is the transports' own: when one
side's write buffer passes its high-water mark, reading from the other side pauses.

Draining (a tunnel stopping) closes a session as soon as it is idle: the server's
last bytes were ReadyForQuery with status "I" (no transaction open). A session in a
query or a transaction keeps going until it gets there, or the drain times out.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, cast

# PostgreSQL's ReadyForQuery message with transaction status "idle" ('Z', length 5, 'I').
READY_IDLE = b"Z\x00\x00\x00\x05I"


class Meter(Protocol):
    bytes_in: int
    bytes_out: int


class PipeEnd(asyncio.Protocol):
    """One socket of a Pipe: what it receives goes out of the other end."""

    def __init__(self, pipe: Pipe, inbound: bool) -> None:
        self.pipe = pipe
        self.inbound = inbound
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []  # received before the other side connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.pipe.connected(self)

    def data_received(self, data: bytes) -> None:
        self.pipe.forward(self, data)

    def eof_received(self) -> bool:
        # PostgreSQL does not half-close: one side ending ends the session.
        self.pipe.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.pipe.close()

    def pause_writing(self) -> None:
        other = self.pipe.other(self)
        if other is not None and other.transport is not None:
            other.transport.pause_reading()

    def resume_writing(self) -> None:
        other = self.pipe.other(self)
        if other is not None and other.transport is not None and not other.transport.is_closing():
            other.transport.resume_reading()


class Pipe:
    """client <-> upstream. The client end pauses reading until `upstream` connects."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.client = PipeEnd(self, inbound=True)
        self.upstream = PipeEnd(self, inbound=False)
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.idle = False       # between transactions (see READY_IDLE)
        self.draining = False   # close at the next idle moment
        self._tail = b""        # the server's last bytes: ReadyForQuery may span two chunks

    def other(self, end: PipeEnd) -> PipeEnd | None:
        return self.upstream if end is self.client else self.client

    def connected(self, end: PipeEnd) -> None:
        """The later of the two ends to connect starts the flow."""
        other = self.other(end)
        if other is not None and other.transport is not None:
            self.start()
        elif end.transport is not None:
            end.transport.pause_reading()

    def forward(self, src: PipeEnd, data: bytes) -> None:
        dst = self.upstream if src is self.client else self.client
        if dst.transport is None:
            src.pending.append(data)
            return
        if dst.transport.is_closing():
            return
        dst.transport.write(data)
        if src.inbound:
            self.meter.bytes_in += len(data)
            self.idle = False
        else:
            self.meter.bytes_out += len(data)
            self._tail = (self._tail + data[-6:])[-6:]
            self.idle = self._tail == READY_IDLE
            if self.idle and self.draining:
                self.close()

    def drain(self) -> None:
        """Close now if idle, else right after the session's next ReadyForQuery (idle)."""
        self.draining = True
        if self.idle:
            self.close()

    def start(self) -> None:
        """Both ends connected: let the bytes flow."""
        if self.closed.done():
            self.abort()
            return
        for end in (self.client, self.upstream):
            if end.transport is None or end.transport.is_closing():
                self.close()
                return
        for end in (self.client, self.upstream):
            assert end.transport is not None
            pending, end.pending = end.pending, []
            for data in pending:
                self.forward(end, data)
            end.transport.resume_reading()

    def close(self) -> None:
        """Flush what is buffered and close both sides."""
        for end in (self.client, self.upstream):
            if end.transport is not None and not end.transport.is_closing():
                end.transport.close()
        if not self.closed.done():
            self.closed.set_result(None)

    def abort(self) -> None:
        for end in (self.client, self.upstream):
            if end.transport is not None:
                end.transport.abort()
        if not self.closed.done():
            self.closed.set_result(None)
