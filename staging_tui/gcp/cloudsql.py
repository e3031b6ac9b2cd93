"""The Cloud SQL tunnel: a local TCP listener -> mutual TLS to the instance.

cloud-sql-python-connector has no public API for a raw byte tunnel (its
`connect()` hands back a driver connection), so this module uses its internals:
`CloudSQLClient` (Admin API calls), `RefreshAheadCache` / `LazyRefreshCache`
(ephemeral certificate + metadata, refreshed ahead or on demand),
`ConnectionInfo.create_ssl_context()` / `get_preferred_ip()`, `generate_keys()`,
`IPTypes` and the fixed server port 3307. EVERY use of those internals is in the
`ConnectorSession` class below, and tests/test_tunnel_connector_contract.py fails when an
upgrade changes any of them. Supported: cloud-sql-python-connector >=1.18,<1.24
(the pyproject pin; 1.18, 1.20, 1.22 and 1.23 pass the contract and tunnel tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from staging_tui.domain import (
    TUNNEL_FIXES,
    ConnectionTest,
    SqlInstance,
    TunnelErrorKind,
    TunnelOptions,
    TunnelState,
    TunnelStatus,
    tunnel_fix,
)
from staging_tui.errors import TunnelError
from staging_tui.gcp.endpoints import Endpoints, quota_project_of
from staging_tui.gcp.socket_pipe import SocketPipe, open_tls

if TYPE_CHECKING:
    from google.auth.credentials import Credentials as AuthCredentials

DEFAULT_PORT = 5433
PORT_SEARCH = 100
TOO_MANY = "53300"  # SQLSTATE too_many_connections
PasswordSource = Callable[[SqlInstance], Awaitable[str]]


class ConnectorSession:
    """The connector internals: certificates for one instance and mTLS dialing."""

    def __init__(self, endpoints: Endpoints, connection_name: str, *, iam_auth: bool,
                 refresh: str) -> None:
        from google.cloud.sql.connector.client import CloudSQLClient
        from google.cloud.sql.connector.connection_name import _parse_connection_name
        from google.cloud.sql.connector.instance import RefreshAheadCache
        from google.cloud.sql.connector.lazy import LazyRefreshCache
        from google.cloud.sql.connector.utils import generate_keys

        # The connector logs failed refreshes with tracebacks; without a handler of its
        # own those would reach stderr (and the TUI's screen). We report errors ourselves.
        logging.getLogger("google.cloud.sql.connector").addHandler(logging.NullHandler())
        self.iam_auth = iam_auth
        self._conn_name = _parse_connection_name(connection_name)
        credentials = _credentials(endpoints, iam_auth)
        # As Connector(quota_project=...) does: GOOGLE_CLOUD_QUOTA_PROJECT, sent as
        # x-goog-user-project (its aiohttp client does not apply the credentials' own).
        self._client = CloudSQLClient(
            endpoints.sql_admin_url or None, quota_project_of(credentials) or None, credentials,
            driver="staging-tui",
        )
        keys = asyncio.ensure_future(generate_keys())
        cache_cls = LazyRefreshCache if refresh == "lazy" else RefreshAheadCache
        self._cache: Any = cache_cls(self._conn_name, self._client, keys, iam_auth)
        self.ip_type = ""  # what the last target() resolved (AUTO -> PUBLIC, ...)
        self.database_version = ""  # what the Admin API declares (POSTGRES_17 ...)

    async def target(self, ip_type: str) -> tuple[str, int, ssl.SSLContext, datetime]:
        """(address, port, SSL context, certificate expiry) for a new connection."""
        from google.cloud.sql.connector.connector import SERVER_PROXY_PORT
        from google.cloud.sql.connector.enums import IPTypes

        info = await self._cache.connect_info()
        if info.expiration <= datetime.now(UTC):  # e.g. a background refresh still pending
            await self._cache.force_refresh()
            info = await self._cache.connect_info()
        context = await info.create_ssl_context(self.iam_auth)
        if ip_type.upper() == "AUTO":  # the first the instance has: public, private, PSC
            ip_type = next((t for t in ("PUBLIC", "PRIVATE", "PSC")
                            if IPTypes[t].value in info.ip_addrs), "PUBLIC")
        try:  # by member name: PUBLIC is the enum's PRIMARY address
            preferred = IPTypes[ip_type.upper()]
        except KeyError:
            raise ValueError(f"Incorrect value for ip_type, got {ip_type!r}. Want one of: "
                             "'PUBLIC', 'PRIVATE', 'PSC'.") from None
        host = info.get_preferred_ip(preferred)
        self.ip_type = ip_type.upper()
        self.database_version = str(getattr(info, "database_version", "") or "")
        return str(host), int(SERVER_PROXY_PORT), context, info.expiration

    async def invalidate(self) -> None:
        """After a failed dial: fetch a fresh certificate and metadata next time."""
        with contextlib.suppress(Exception):
            await self._cache.force_refresh()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._cache.close()
        with contextlib.suppress(Exception):
            await self._client.close()


def _credentials(endpoints: Endpoints, iam_auth: bool) -> AuthCredentials:
    if endpoints.sandbox and iam_auth:
        # IAM authn down-scopes and refreshes the credentials: give the sandbox's token
        # endpoint something to refresh.
        from google.oauth2.credentials import Credentials

        return Credentials(  # type: ignore[no-untyped-call]
            token="sandbox", refresh_token="sandbox", client_id="sandbox",
            client_secret="sandbox", token_uri=f"{endpoints.sql_admin_url}/token")
    return endpoints.credentials()


def describe_error(exc: BaseException, instance: str = "") -> str:
    """A one-line reason for the pane and the CLI (never contains a password)."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientResponseError):
        if exc.status == 403 and _api_disabled(exc.message):
            return (f"the Cloud SQL Admin API is not enabled for {instance} ({exc.status}): "
                    f"{exc.message}")
        if exc.status in (401, 403):
            # Google answers 403 "not authorized" both for a missing role and for an
            # instance that does not exist (cloud-sql-proxy issues #115, #1651).
            return (f"Cloud SQL Admin API refused access to {instance} ({exc.status}): "
                    f"{exc.message} Likely causes: a typo in the connection name (an "
                    "instance that does not exist is refused the same way), a missing "
                    "roles/cloudsql.client, or the Cloud SQL Admin API disabled")
        if exc.status == 404:
            return f"Cloud SQL instance {instance} not found: {exc.message}"
        return f"Cloud SQL Admin API error {exc.status}: {exc.message}"
    if isinstance(exc, aiohttp.ClientError):
        return f"Cloud SQL Admin API unreachable: {exc}"
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        reason = {ConnectionRefusedError: "connection refused", ConnectionResetError:
                  "connection reset", TimeoutError: "no answer in time"}.get(type(exc), str(exc))
        return f"instance {instance} unreachable: {reason} ({type(exc).__name__})"
    if type(exc).__name__ == "CloudSQLIPTypeError":
        return f"instance {instance} has no IP address of the requested type ({exc})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS to {instance} failed: {exc.reason or exc}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


def _api_disabled(message: str) -> bool:
    return "has not been used" in message or "SERVICE_DISABLED" in message


def error_kind(exc: BaseException) -> TunnelErrorKind:
    """The kind of `exc` (the branches of `describe_error`): TUNNEL_FIXES says the fix."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientResponseError):
        if exc.status == 403 and _api_disabled(exc.message):
            return TunnelErrorKind.API_DISABLED
        if exc.status in (401, 403):
            return TunnelErrorKind.ACCESS
        return TunnelErrorKind.NOT_FOUND if exc.status == 404 else TunnelErrorKind.ADMIN_API
    if isinstance(exc, aiohttp.ClientError):
        return TunnelErrorKind.ADMIN_API
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return TunnelErrorKind.UNREACHABLE
    if type(exc).__name__ == "CloudSQLIPTypeError":
        return TunnelErrorKind.IP_TYPE
    if isinstance(exc, ssl.SSLError):
        return TunnelErrorKind.TLS
    text = str(exc).lower()
    if "password" in text:  # psycopg: the server's "password authentication failed"
        return TunnelErrorKind.PASSWORD
    return TunnelErrorKind.REGION if "region" in text else TunnelErrorKind.OTHER


class Tunnel:
    """One instance's listener. `start()` binds and fetches the first certificate;
    each client gets its own mTLS connection to the instance and a byte pipe on a
    thread of its own (gcp/socket_pipe.py says why)."""

    def __init__(self, instance: SqlInstance, endpoints: Endpoints,
                 options: TunnelOptions | None = None) -> None:
        self.instance = instance
        self.options = options or TunnelOptions(iam_auth=instance.iam_auth)
        self._endpoints = endpoints
        self._session: ConnectorSession | None = None
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._pipes: set[SocketPipe] = set()
        self._no_pipes = asyncio.Event()
        self._no_pipes.set()
        self._dials: set[asyncio.Task[None]] = set()
        self._dialer: ThreadPoolExecutor | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None  # written on stop
        self._state = TunnelState(instance=instance.connection_name, status=TunnelStatus.STOPPED,
                                  host=self.options.address, database=instance.database,
                                  user=instance.login_user,
                                  max_connections=self.options.max_connections)
        # Called (on the loop) with a one-line message when a client is refused at the
        # limit; `staging-tui tunnel` prints it to its log (stderr).
        self.on_refused: Callable[[str], None] | None = None
        self._ended_in = 0   # bytes of the sessions that have ended
        self._ended_out = 0
        self.connections_total = 0
        self.rejected = 0
        self.dial_ms: float = 0.0
        self.on_step: Callable[[str], None] | None = None  # start progress (Tunnels.start)
        self._testing = False
        self._tested_ok = False
        self.database_version = ""  # the instance's declared version, once dialled

    @property
    def bytes_in(self) -> int:
        """Client -> instance, all sessions so far."""
        return self._ended_in + sum(p.bytes_in for p in list(self._pipes))

    @property
    def bytes_out(self) -> int:
        return self._ended_out + sum(p.bytes_out for p in list(self._pipes))

    @property
    def state(self) -> TunnelState:
        """A snapshot (frozen) with the live counters."""
        return replace(self._state, connections=len(self._pipes), bytes_in=self.bytes_in,
                       bytes_out=self.bytes_out,
                       idle_connections=sum(p.idle for p in list(self._pipes)))

    @property
    def port(self) -> int:
        return self._state.port

    def _set(self, **changes: Any) -> None:
        self._state = replace(self._state, **changes)

    def step(self, name: str) -> None:
        """Report a start step (certificate, password, dial, login, test) to `on_step`."""
        if self.on_step is not None:
            self.on_step(name)

    async def start(self) -> TunnelState:
        self._set(status=TunnelStatus.STARTING, last_error="", connection_test=None,
                  error_kind=TunnelErrorKind.NONE)
        self._listen()
        self._wake = socket.socketpair()
        self._dialer = ThreadPoolExecutor(max_workers=16, thread_name_prefix="tunnel-dial")
        self._accepting = asyncio.ensure_future(self._accept_loop())
        self._session = ConnectorSession(self._endpoints, self.instance.connection_name,
                                         iam_auth=self.options.iam_auth,
                                         refresh=self.options.refresh)
        self.step("certificate")
        try:
            await self._session.target(self.options.ip_type)
        except Exception as exc:
            message, kind = describe_error(exc, self.instance.connection_name), error_kind(exc)
            await self.stop()
            self._set(status=TunnelStatus.ERROR, last_error=message, error_kind=kind)
            raise TunnelError(message, tunnel_fix(kind, self.instance.connection_name)
                              or TUNNEL_FIXES[TunnelErrorKind.ADMIN_API]) from None
        except BaseException:  # cancelled (a pane closed): free the port and the session
            await self.stop(drain_timeout=0)
            raise
        self._set(status=TunnelStatus.READY, started_at=datetime.now(UTC),
                  ip_type=self._session.ip_type)
        return self.state

    def _listen(self) -> None:
        address = self.options.address
        explicit = self.options.port or self.instance.port
        if not 0 <= explicit <= 65535:
            raise TunnelError(f"port {explicit} is not a TCP port",
                              "use 1-65535, or 0 for the first free from 5433")
        ports = [explicit] if explicit else range(DEFAULT_PORT, DEFAULT_PORT + PORT_SEARCH)
        for port in ports:
            try:
                self._listener = _bind(address, port)
            except (OSError, OverflowError) as exc:
                if isinstance(exc, OSError) and _in_use(exc) and not explicit:
                    continue  # the next port of the search
                raise TunnelError(f"cannot listen on {address}:{port}: {_bind_reason(exc)}",
                                  _bind_fix(exc, port)) from None
            self._set(port=port, host=address)
            return
        raise TunnelError(f"no free port on {address} in {DEFAULT_PORT}-"
                          f"{DEFAULT_PORT + PORT_SEARCH - 1}", "pass --port")

    async def _accept_loop(self) -> None:
        assert self._listener is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                client, _ = await loop.sock_accept(self._listener)
            except OSError:  # e.g. too many open files: keep serving the others
                await asyncio.sleep(0.05)
                continue
            self._accept(client)

    def _accept(self, client: socket.socket) -> None:
        limit = self.options.max_connections
        if limit and len(self._pipes) >= limit:
            self._refuse(client, limit)
            return
        assert self._wake is not None
        with contextlib.suppress(OSError):
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loop = asyncio.get_running_loop()
        pipe = SocketPipe(client, self._wake[0].fileno(), lambda p: _call_soon(loop, self._closed, p))
        self._pipes.add(pipe)
        self._no_pipes.clear()
        self.connections_total += 1
        task = asyncio.ensure_future(self._connect(pipe))
        self._dials.add(task)
        task.add_done_callback(self._dials.discard)

    def _refuse(self, client: socket.socket, limit: int) -> None:
        """Beyond the limit: the client gets PostgreSQL's own "too many connections"
        error (what libpq prints), the log and the pane a line; no thread, no dial."""
        self.rejected += 1
        message = f"connection limit {limit} reached: refused {self.rejected} client(s)"
        self._set(refused=self.rejected, last_error=message, error_kind=TunnelErrorKind.LIMIT)
        task = asyncio.ensure_future(_send_error_and_close(
            client, f"staging-tui tunnel: too many connections (limit {limit}); close idle "
            "clients or raise tunnel_max_connections / --max-connections"))
        self._dials.add(task)
        task.add_done_callback(self._dials.discard)
        if self.on_refused is not None:
            self.on_refused(f"{message}; fix: {TUNNEL_FIXES[TunnelErrorKind.LIMIT]}")

    def _closed(self, pipe: SocketPipe) -> None:
        if pipe in self._pipes:
            self._pipes.discard(pipe)
            self._ended_in += pipe.bytes_in
            self._ended_out += pipe.bytes_out
        if not self._pipes:
            self._no_pipes.set()

    async def _connect(self, pipe: SocketPipe) -> None:
        try:
            tls = await self._dial()
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                self._set(status=TunnelStatus.ERROR, error_kind=error_kind(exc),
                          last_error=describe_error(exc, self.instance.connection_name))
            pipe.run(None)  # closes the client's socket
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        threading.Thread(target=pipe.run, args=(tls,), daemon=True,
                         name=f"tunnel-pipe-{self.port}").start()

    async def _dial(self) -> ssl.SSLSocket:
        assert self._session is not None and self._dialer is not None
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        for attempt in (1, 2):
            host, port, context, _ = await self._session.target(self.options.ip_type)
            try:
                tls = await loop.run_in_executor(self._dialer, open_tls, host, port, context,
                                                 self.options.connect_timeout)
            except (OSError, ssl.SSLError):
                await self._session.invalidate()
                if attempt == 2:
                    raise
                continue
            self.dial_ms = (time.perf_counter() - started) * 1000
            if self._testing:
                self.step("login")
            self.database_version = self._session.database_version
            if self._state.status is TunnelStatus.ERROR:
                self._set(status=TunnelStatus.READY, last_error="",
                          error_kind=TunnelErrorKind.NONE)
            return tls
        raise AssertionError("unreachable")

    async def stop(self, drain_timeout: float | None = None) -> None:
        """Stop accepting; idle sessions close at once, busy ones when their query (or
        transaction) ends, for at most `drain_timeout`; then the rest are cut."""
        if self._accepting is not None:
            self._accepting.cancel()
            await asyncio.gather(self._accepting, return_exceptions=True)
            self._accepting = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        timeout = self.options.drain_timeout if drain_timeout is None else drain_timeout
        for task in list(self._dials):
            task.cancel()
        await asyncio.gather(*self._dials, return_exceptions=True)
        for pipe in list(self._pipes):
            pipe.drain()  # idle sessions close now, busy ones after their query
        if self._wake is not None:
            self._wake[1].send(b"!")  # every pipe's thread re-checks its flags
        if self._pipes and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._no_pipes.wait(), timeout)
        for pipe in list(self._pipes):
            pipe.abort()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._no_pipes.wait(), 2.0)
        if self._wake is not None:
            for sock in self._wake:
                sock.close()
            self._wake = None
        if self._dialer is not None:
            self._dialer.shutdown(wait=False, cancel_futures=True)
            self._dialer = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._set(status=TunnelStatus.STOPPED)

    async def test(self, password: str | None, password_problem: str = "") -> ConnectionTest:
        """`SELECT 1` through the tunnel as the instance's user. A failure puts the tunnel
        in error (its last error stays if it had one); `password_problem` ("password
        unavailable (...); ") says why the password is missing and leads the detail."""
        import psycopg

        s = self._state
        started = time.perf_counter()
        budget = (self.options.connect_timeout if self._tested_ok
                  else max(self.options.connect_timeout, self.options.first_connect_timeout))
        self._testing = True
        self.step("dial")
        try:
            conn = await psycopg.AsyncConnection.connect(
                host=s.host if s.host not in ("0.0.0.0", "::") else "127.0.0.1", port=s.port,
                dbname=self.instance.database, user=self.instance.login_user,
                password=password or None, connect_timeout=max(1, int(budget)),
                sslmode="disable", application_name="staging-tui connection test")
            async with conn:
                self.step("test")
                await conn.execute("SELECT 1")
        except Exception as exc:  # psycopg errors name the server's reason, not the password
            now = self._state  # the dial's own error, set meanwhile, says more than psycopg
            had = now.last_error
            detail = f"{password_problem}{had or describe_error(exc)}"
            kind = (now.error_kind if had else
                    TunnelErrorKind.PASSWORD if password_problem else error_kind(exc))
            result = ConnectionTest(False, detail)
            self._set(connection_test=result, status=TunnelStatus.ERROR,
                      last_error=had or detail, error_kind=kind)
            return result
        finally:
            self._testing = False
        self._tested_ok = True
        result = ConnectionTest(True, ms=(time.perf_counter() - started) * 1000)
        self._set(connection_test=result, status=TunnelStatus.READY, last_error="",
                  error_kind=TunnelErrorKind.NONE)
        return result


def error_response(message: str, code: str = TOO_MANY) -> bytes:
    """A PostgreSQL ErrorResponse (FATAL): libpq accepts it as the answer to an
    SSLRequest, GSSENCRequest or startup packet (the postmaster's "sorry, too many
    clients" path does the same before a backend exists)."""
    fields = b"".join(tag + value.encode() + b"\0" for tag, value in (
        (b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message)))
    body = fields + b"\0"
    return b"E" + (len(body) + 4).to_bytes(4, "big") + body


SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


async def _send_error_and_close(client: socket.socket, message: str) -> None:
    """Answer as PostgreSQL does: "no" to SSLRequest / GSSENCRequest (the backend behind
    the tunnel says the same; libpq ignores error text sent during that exchange), read
    the startup packet, send the error, half-close and wait for the client to hang up
    (closing with its bytes unread would reset the connection and lose the error).
    At most ~2 s per refused client."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2

    async def read(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = await asyncio.wait_for(loop.sock_recv(client, n - len(data)),
                                           max(0.01, deadline - loop.time()))
            if not chunk:
                raise ConnectionError("client went away")
            data += chunk
        return data

    try:
        client.setblocking(False)
        for _ in range(3):
            head = await read(8)
            length, code = int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")
            if length == 8 and code in (SSL_REQUEST, GSSENC_REQUEST):
                await loop.sock_sendall(client, b"N")
                continue
            if 8 < length <= 10_000:
                await read(length - 8)
            break
        await asyncio.wait_for(loop.sock_sendall(client, error_response(message)), 2)
        client.shutdown(socket.SHUT_WR)
        while await read(1):
            pass
    except (OSError, TimeoutError):
        pass
    finally:
        client.close()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[SocketPipe], None],
               pipe: SocketPipe) -> None:
    """From a pipe's thread; the loop may be gone when a session outlives the app."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, pipe)


def _bind(address: str, port: int) -> socket.socket:
    """A non-blocking listening socket on address:port (IPv4 or IPv6)."""
    family, kind, proto, _, sockaddr = socket.getaddrinfo(
        address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(512)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _bind_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return "port already in use" if _in_use(exc) else (exc.strerror or str(exc))
    return str(exc)


def _bind_fix(exc: BaseException, port: int) -> str:
    import errno

    if isinstance(exc, OSError) and _in_use(exc):
        return f"choose another port (--port), or free port {port} (see: lsof -i :{port})"
    if isinstance(exc, OSError) and exc.errno == errno.EACCES:
        return "use a port above 1023 (lower ones need root)"
    return ("use 127.0.0.1 (the default), or an address of this machine "
            "(see: ip -brief address)")


def _in_use(exc: OSError) -> bool:
    import errno

    return exc.errno == errno.EADDRINUSE
