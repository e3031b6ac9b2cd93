"""A two-way byte pipe for the tunnel: client socket <-> TLS socket, on its own thread.

Why a thread and not asyncio: asyncio's TLS layer (`sslproto`) is pure Python, and
on small round trips (pgbench -S) its per-packet cost capped the tunnel at about
0.7x stunnel. Here each session runs a `poll()` loop over two non-blocking sockets;
the TLS work happens in OpenSSL through `ssl.SSLSocket`, and every system call
releases the GIL, so sessions overlap and the event loop stays free.

Flow control is by buffer: while the bytes read from one side have not all been
written to the other, that side is not read. Draining (a tunnel stopping) closes a
session as soon as it is idle: the server's last bytes were ReadyForQuery with status
"I" (no transaction open). A session in a query or a transaction keeps going until it
gets there, or until `abort()`.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Callable

# PostgreSQL's ReadyForQuery message with transaction status "idle" ('Z', length 5, 'I').
READY_IDLE = b"Z\x00\x00\x00\x05I"
CHUNK = 256 * 1024
IN = select.POLLIN
OUT = select.POLLOUT
GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL


class SessionEnded(Exception):
    """A side closed or failed: the session is over."""


class SocketPipe:
    """One client session. `run(tls)` pipes bytes until either side ends; call it on a
    thread of its own. `drain()` and `abort()` may be called from any thread."""

    def __init__(self, client: socket.socket, wake_fd: int,
                 on_closed: Callable[[SocketPipe], None]) -> None:
        self.client = client
        self.bytes_in = 0       # client -> instance (written by the pipe's thread only)
        self.bytes_out = 0      # instance -> client
        self.idle = False       # between transactions (see READY_IDLE)
        self.draining = False   # close at the next idle moment
        self.stopped = False    # close now
        self._wake_fd = wake_fd  # readable once the tunnel stops: re-check the flags
        self._on_closed = on_closed
        self._tls: ssl.SSLSocket | None = None
        self._lock = threading.Lock()  # sockets are shut down from other threads
        self._tail = b""        # the server's last bytes: ReadyForQuery may span two chunks

    # ----------------------------------------------------------- other threads
    def drain(self) -> None:
        """Close now if idle, else right after the session's next ReadyForQuery (idle)."""
        self.draining = True  # the pipe's thread sees it when the wake fd turns readable

    def abort(self) -> None:
        """Cut the session now (both sockets shut down; the thread then closes them)."""
        self.stopped = True
        with self._lock:
            for sock in (self.client, self._tls):
                if sock is not None and sock.fileno() >= 0:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

    # ----------------------------------------------------------- the pipe's thread
    def run(self, tls: ssl.SSLSocket | None) -> None:
        """Pipe until the session ends (tls None: the dial failed, just close)."""
        self._tls = tls
        try:
            if tls is not None and not self.stopped:
                self._pump(self.client, tls)
        except (OSError, SessionEnded):
            pass
        finally:
            with self._lock:
                for sock in (self.client, tls):
                    if sock is not None:
                        sock.close()
            self._on_closed(self)

    def _pump(self, client: socket.socket, tls: ssl.SSLSocket) -> None:
        client.setblocking(False)
        tls.setblocking(False)
        cfd, tfd = client.fileno(), tls.fileno()
        poller = select.poll()
        poller.register(self._wake_fd, IN)
        to_tls = b""     # read from the client, not yet written to the instance
        to_client = b""  # read from the instance, not yet written to the client
        tls_write_wants_read = False
        while True:
            poller.register(cfd, (OUT if to_client else 0) | (0 if to_tls else IN))
            tls_mask = 0 if to_client else IN
            if to_tls:
                tls_mask |= IN if tls_write_wants_read else OUT
            poller.register(tfd, tls_mask)
            for fd, ev in poller.poll():
                if fd == self._wake_fd:
                    if self.stopped or (self.draining and self.idle):
                        return self._flush(client, to_client)
                    # Busy: the next idle moment ends it (see _from_tls), or abort()
                    # wakes the thread by shutting the sockets down.
                    poller.unregister(self._wake_fd)
                    continue
                if fd == cfd:
                    if ev & OUT and to_client:
                        to_client = _send(client, to_client)
                    if ev & GONE and to_tls:
                        raise SessionEnded  # the client is gone: nobody wants the answer
                    if ev & (IN | GONE) and not to_tls:
                        to_tls = self._from_client(client)
                        if to_tls:
                            to_tls, tls_write_wants_read = _send_tls(tls, to_tls)
                else:
                    if to_tls and ev & (OUT | IN | GONE):
                        to_tls, tls_write_wants_read = _send_tls(tls, to_tls)
                    if ev & GONE and to_client:
                        return self._flush(client, to_client)  # the instance is gone
                    if ev & (IN | GONE) and not to_client:
                        to_client = self._from_tls(tls)
                        if to_client:
                            to_client = _send(client, to_client)
                        if self.draining and self.idle:
                            return self._flush(client, to_client)
            if self.stopped:
                return None

    def _from_client(self, client: socket.socket) -> bytes:
        try:
            data = client.recv(CHUNK)
        except BlockingIOError:
            return b""
        if not data:
            raise SessionEnded  # PostgreSQL does not half-close: one side ending ends it
        self.bytes_in += len(data)
        self.idle = False
        return data

    def _from_tls(self, tls: ssl.SSLSocket) -> bytes:
        chunks: list[bytes] = []
        while True:
            try:
                data = tls.recv(CHUNK)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                data = b""
            if not data:
                if chunks:
                    break  # deliver what came before the end; the next read ends it
                raise SessionEnded
            chunks.append(data)
            if not tls.pending():
                break
        data = b"".join(chunks)
        if data:
            self.bytes_out += len(data)
            self._tail = (self._tail + data[-6:])[-6:]
            self.idle = self._tail == READY_IDLE
        return data

    def _flush(self, client: socket.socket, data: bytes) -> None:
        """Before closing: hand the client what it is still owed (bounded wait)."""
        if data and not self.stopped:
            with contextlib.suppress(OSError):
                client.settimeout(1.0)
                client.sendall(data)


def _send(sock: socket.socket, data: bytes) -> bytes:
    try:
        sent = sock.send(data)
    except BlockingIOError:
        return data
    return data[sent:]


def _send_tls(tls: ssl.SSLSocket, data: bytes) -> tuple[bytes, bool]:
    """(what is left to send, whether TLS must read before it can write again)."""
    try:
        sent = tls.send(data)
    except ssl.SSLWantWriteError:
        return data, False
    except ssl.SSLWantReadError:
        return data, True
    return data[sent:], False


def open_tls(host: str, port: int, context: ssl.SSLContext, timeout: float) -> ssl.SSLSocket:
    """TCP connect + TLS handshake, blocking (run on a worker thread)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return context.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise
