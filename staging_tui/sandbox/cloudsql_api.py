"""Emulated Cloud SQL: the Admin API calls the connector makes, and the instances.

- HTTP on loopback (`ctx.endpoints["sqladmin"]`, the connector's
  `sqladmin_api_endpoint`): `GET /sql/v1beta4/projects/P/instances/I/connectSettings`
  and `POST .../instances/I:generateEphemeralCert` (signs the posted public key
  with the sandbox CA for the scenario's `cert_lifetime`), plus `POST /token`, an
  OAuth token endpoint for IAM database authentication's down-scoped credentials.
- Per instance a TLS 1.3 mutual-TLS server on its own loopback address, port
  3307 (fixed by the connector), forwarding to a real PostgreSQL (cloudsql_db.py).
  Automatic IAM database authentication as Cloud SQL does it: the connector posts
  the login OAuth token with the public key (`access_token` in generateEphemeralCert);
  a certificate issued for a token this sandbox issued is IAM-bound, and only sessions
  made with such a certificate reach the IAM users' passwordless login (the socket).

`ctx.shared["cloudsql"]` (CloudSqlState) lets tests and the fault loop restart the
database, make an instance unreachable and read instance passwords.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import itertools
import json
import secrets
import socket
import ssl
import struct
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.serialization import Encoding
from google.rpc import error_details_pb2

from staging_tui.errors import SandboxError
from staging_tui.sandbox.cloudsql_ca import LocalCA, pem
from staging_tui.sandbox.cloudsql_db import SharedDatabase
from staging_tui.sandbox.cloudsql_pipe import Refusal, Session
from staging_tui.sandbox.postgres import local_major_version
from staging_tui.sandbox.quotas import SHARED_KEY as QUOTAS_KEY
from staging_tui.sandbox.server_context import SandboxContext
from staging_tui.sandbox.sql_scenario import SqlSpec, sql_specs

SHARED_KEY = "cloudsql"
SERVER_PROXY_PORT = 3307
API = "/sql/v1beta4/projects/{project}/instances/{rest:.+}"


def served_version(declared: str) -> str:
    """The databaseVersion the emulated instance answers: the PostgreSQL major the sandbox
    really runs (`POSTGRES_15` on a 15 server, whatever the scenario declares), so the
    client and the doctor see the truth; the declared one when no server is found."""
    major = local_major_version()
    return f"POSTGRES_{major}" if major is not None else declared


def version_notes(scenario: Any) -> list[str]:
    """One line per instance whose declared version is not the one the sandbox runs."""
    out = []
    for spec in sql_specs(scenario):
        served = served_version(spec.database_version)
        if served != spec.database_version:
            out.append(f"{spec.name} declares {spec.database_version}; this sandbox runs "
                       f"PostgreSQL {served.removeprefix('POSTGRES_')} and answers {served}")
    return out


class InstanceServer:
    """The instance's server-side proxy: mTLS on <address>:3307 -> PostgreSQL.

    The listening socket is held for the sandbox's whole life, reachable or not, so
    no other sandbox on this machine can take the address (and serve its own
    instance there) while this one is "unreachable". TLS starts per connection
    (`start_tls`) once the gate lets the client in; an unreachable instance resets
    every connection at once, before any TLS."""

    def __init__(self, spec: SqlSpec, ca: LocalCA, database: SharedDatabase,
                 iam_certs: set[bytes] | None = None) -> None:
        self.spec = spec
        self.database = database
        self.iam_certs = iam_certs if iam_certs is not None else set()
        self.address = ""
        self.sessions = 0
        self.reachable = not spec.unreachable
        self._ssl = ca.server_context(spec.connection_name)
        self._server: asyncio.base_events.Server | None = None
        self._sessions: set[Session] = set()
        self._dials: set[asyncio.Task[None]] = set()

    async def listen(self, address: str = "") -> None:
        """Listen on `address`, or the first loopback address with 3307 free."""
        candidates = [address] if address else [f"127.0.0.{n}" for n in range(2, 255)]
        last: OSError | None = None
        for host in candidates:
            try:
                self._server = await asyncio.get_running_loop().create_server(
                    lambda: _Gate(self), host, SERVER_PROXY_PORT, backlog=512)
            except OSError as exc:
                last = exc
                continue
            self.address = host
            return
        raise OSError(f"no loopback address with port {SERVER_PROXY_PORT} free: {last}")

    async def set_reachable(self, reachable: bool) -> None:
        """The unreachable fault: new connections are reset, open sessions dropped."""
        self.reachable = reachable
        if not reachable:
            await self.drop_sessions()

    async def drop_sessions(self) -> None:
        for session in list(self._sessions):
            session.abort()
        for task in list(self._dials):
            task.cancel()
        await asyncio.gather(*self._dials, return_exceptions=True)

    def admit(self, transport: asyncio.Transport) -> None:
        """A TCP client arrived: reset it (unreachable) or run TLS and the session."""
        if not self.reachable:
            sock = transport.get_extra_info("socket")
            if sock is not None:  # RST, not FIN: the client sees "connection reset"
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            return
        transport.pause_reading()  # the ClientHello waits for start_tls, not for _Gate
        session = Session()
        self._sessions.add(session)
        self.sessions += 1
        session.closed.add_done_callback(lambda _: self._sessions.discard(session))
        task = asyncio.ensure_future(self._serve(session, transport))
        self._dials.add(task)
        task.add_done_callback(self._dials.discard)

    async def _serve(self, session: Session, transport: asyncio.Transport) -> None:
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(transport, session.client, self._ssl, server_side=True,
                                       ssl_handshake_timeout=30)
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError, asyncio.CancelledError):
            transport.abort()  # e.g. a client certificate this CA did not sign
            session.abort()
            return
        if tls is None:
            session.abort()
            return
        session.client.connection_made(tls)  # start_tls does not call it
        try:
            server = await self.database.ensure()
            if self._iam_bound(tls):  # the socket: where IAM users log in without a password
                await loop.create_unix_connection(lambda: session.backend, server.unix_socket())
            else:  # TCP: scram for every role, IAM users rejected
                await loop.create_connection(lambda: session.backend, "127.0.0.1", server.port)
        except (OSError, asyncio.CancelledError):
            session.abort()
        except SandboxError as exc:  # e.g. the scenario's seed SQL failed: say so, as
            # PostgreSQL says "the database system is starting up" (SQLSTATE 57P03)
            Refusal(tls, f"sandbox: {exc.message}; fix: {exc.fix}", "57P03",
                    session.client.pending)

    def _iam_bound(self, tls: asyncio.BaseTransport) -> bool:
        ssl_object = tls.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return isinstance(der, bytes) and hashlib.sha256(der).digest() in self.iam_certs

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self.drop_sessions()


class _Gate(asyncio.Protocol):
    """The raw TCP side of an accepted client until the instance admits it."""

    def __init__(self, server: InstanceServer) -> None:
        self.server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.server.admit(transport)  # type: ignore[arg-type]


class CloudSqlState:
    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.ca = LocalCA()
        self.specs = {s.name: s for s in sql_specs(ctx.scenario)}
        self.database = SharedDatabase(tuple(self.specs.values()),
                                       ctx.scenario.faults.database_start_ms / 1000)
        self.iam_certs: set[bytes] = set()  # sha256 of certificates issued for an IAM token
        self.instances = {name: InstanceServer(spec, self.ca, self.database, self.iam_certs)
                          for name, spec in self.specs.items()}
        self.certs_issued = 0
        self.iam_tokens = itertools.count(1)
        self.issued_tokens: set[str] = set()
        self.cert_lifetime_override: float | None = None
        self.quota_projects: list[str] = []  # x-goog-user-project of each Admin API call

    def password(self, instance: str, user: str = "") -> str:
        spec = self.specs[instance]
        return self.database.password(spec, user or spec.user)

    async def restart_database(self) -> None:
        await self.database.restart()

    async def set_reachable(self, instance: str, reachable: bool) -> None:
        await self.instances[instance].set_reachable(reachable)

    # ---------------------------------------------------------------- Admin API

    def _instance(self, request: web.Request, rest: str) -> InstanceServer:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            raise _error(401, "Request is missing required authentication credential.",
                         "UNAUTHENTICATED")
        self.quota_projects.append(request.headers.get("x-goog-user-project", ""))
        project = request.match_info["project"]
        self._charge_quota(rest)
        resource = f"projects/{project}/instances/{rest}"
        if "sqladmin" in self.ctx.scenario.faults.service_disabled:
            raise _service_disabled(project)
        # Google answers 403 notAuthorized alike for a missing cloudsql.client role and
        # for an instance that does not exist (no 404 that would reveal existence).
        denied = any(fnmatch.fnmatchcase(resource, pattern)
                     for pattern in self.ctx.scenario.faults.permission_denied)
        server = self.instances.get(rest)
        if denied or project != self.ctx.scenario.project or server is None:
            raise _error(403, "The client is not authorized to make this request.",
                         "PERMISSION_DENIED", reason="notAuthorized")
        return server

    def _charge_quota(self, rest: str) -> None:
        """Count the call against the project's Cloud SQL Admin quota (sandbox/quotas.py);
        over it: HTTP 429 RESOURCE_EXHAUSTED with the ErrorInfo in `details`, as Google."""
        book = self.ctx.shared.get(QUOTAS_KEY)
        if book is None:
            return
        method = "sqladmin:generateEphemeralCert" if rest.endswith(":generateEphemeralCert") \
            else "sqladmin:connectSettings"
        refused = book.charge(method)
        if refused is None:
            return
        status = book.status(*refused)
        info = error_details_pb2.ErrorInfo()
        status.details[0].Unpack(info)
        body = {"error": {"code": 429, "message": status.message, "status": "RESOURCE_EXHAUSTED",
                          "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                       "reason": info.reason, "domain": info.domain,
                                       "metadata": dict(info.metadata)}]}}
        raise web.HTTPTooManyRequests(text=json.dumps(body), content_type="application/json")

    async def connect_settings(self, request: web.Request) -> web.Response:
        rest = request.match_info["rest"]
        if not rest.endswith("/connectSettings"):
            raise _error(404, "Not found", "NOT_FOUND")
        server = self._instance(request, rest.removesuffix("/connectSettings"))
        spec = server.spec
        if not self.database.started:  # warm the database up while the client refreshes
            _background(self.database.ensure())
        body: dict[str, Any] = {
            "kind": "sql#connectSettings",
            "serverCaCert": {"kind": "sql#sslCert", "cert": self.ca.ca_pem,
                             "instance": spec.name},
            "ipAddresses": [{"type": t, "ipAddress": server.address}
                            for t in spec.ip_types if t != "PSC"],
            "region": spec.region,
            "databaseVersion": served_version(spec.database_version),
            "backendType": "SECOND_GEN",
            "pscEnabled": "PSC" in spec.ip_types,
        }
        if "PSC" in spec.ip_types:  # the connector dials the DNS name; ours is the address
            body["dnsNames"] = [{"name": f"{server.address}.", "dnsScope": "INSTANCE",
                                 "connectionType": "PRIVATE_SERVICE_CONNECT"}]
        return web.json_response(body)

    async def generate_ephemeral_cert(self, request: web.Request) -> web.Response:
        rest = request.match_info["rest"]
        name, _, verb = rest.partition(":")
        if verb != "generateEphemeralCert":
            raise _error(404, "Not found", "NOT_FOUND")
        server = self._instance(request, name)
        try:
            body = await request.json()
            public_key = str(body["public_key"])
            access_token = str(body.get("access_token") or "")
        except (ValueError, KeyError, AttributeError):
            raise _error(400, "public_key is required", "INVALID_ARGUMENT") from None
        lifetime = self.cert_lifetime_override or server.spec.cert_lifetime_s
        try:
            cert = self.ca.sign_client(public_key, server.spec.connection_name, lifetime)
        except ValueError:
            raise _error(400, "public_key is not a PEM public key", "INVALID_ARGUMENT") from None
        self.certs_issued += 1
        if access_token in self.issued_tokens:
            self.iam_certs.add(hashlib.sha256(cert.public_bytes(Encoding.DER)).digest())
        expires = cert.not_valid_after_utc
        return web.json_response({"ephemeralCert": {
            "kind": "sql#sslCert", "cert": pem(cert), "instance": server.spec.name,
            "expirationTime": expires.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "createTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }})

    async def token(self, request: web.Request) -> web.Response:
        """OAuth2 refresh for the IAM-authn login credentials the connector down-scopes."""
        token = f"sandbox-iam-{next(self.iam_tokens)}-{secrets.token_urlsafe(16)}"
        self.issued_tokens.add(token)
        return web.json_response({
            "access_token": token,
            "expires_in": 3600, "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/sqlservice.login",
        })


_TASKS: set[asyncio.Task[Any]] = set()


def _background(coro: Any) -> None:
    """A best-effort task (the warm-up): its failure shows in the next real use, so it
    is retrieved here, not logged as "Task exception was never retrieved"."""
    task = asyncio.ensure_future(coro)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())


def _error(status: int, message: str, code: str, *, reason: str = "",
           details: list[dict[str, Any]] | None = None) -> web.HTTPException:
    cls = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden
           }.get(status, web.HTTPNotFound)
    body: dict[str, Any] = {"code": status, "message": message, "status": code}
    if reason:
        body["errors"] = [{"message": message, "domain": "global", "reason": reason}]
    if details:
        body["details"] = details
    return cls(text=json.dumps({"error": body}), content_type="application/json")


def _service_disabled(project: str) -> web.HTTPException:
    """Google's answer when sqladmin.googleapis.com is off: 403 with an ErrorInfo."""
    message = (f"Cloud SQL Admin API has not been used in project {project} before or it is "
               "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
               f"sqladmin.googleapis.com/overview?project={project} then retry.")
    return _error(403, message, "PERMISSION_DENIED", reason="accessNotConfigured", details=[{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
        "domain": "googleapis.com",
        "metadata": {"service": "sqladmin.googleapis.com", "consumer": f"projects/{project}"}}])


async def _restart_loop(state: CloudSqlState, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        if state.database.started:
            await state.restart_database()


def _store_passwords(ctx: SandboxContext, state: CloudSqlState) -> None:
    """Each instance's passwords as secrets in the sandbox Secret Manager (if installed)."""
    store = ctx.shared.get("secrets")
    add = getattr(store, "add_secret", None) if store is not None else None
    if add is None:
        return
    for spec in state.specs.values():
        pairs = [(spec.password_secret, state.password(spec.name))]
        pairs += [(r.password_secret, r.password) for r in spec.roles]
        for secret, value in pairs:
            if secret:
                add(secret, value.encode())


async def install(ctx: SandboxContext) -> None:
    state = CloudSqlState(ctx)
    ctx.shared[SHARED_KEY] = state
    if not state.specs:
        return
    for server in state.instances.values():
        await server.listen()
        ctx.cleanup.push_async_callback(server.close)
    ctx.cleanup.push_async_callback(state.database.stop)
    app = web.Application()
    app.router.add_get(API, state.connect_settings)
    app.router.add_post(API, state.generate_ephemeral_cert)
    app.router.add_post("/token", state.token)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ctx.cleanup.push_async_callback(runner.cleanup)
    port = runner.addresses[0][1]
    ctx.endpoints["sqladmin"] = f"http://127.0.0.1:{port}"
    for spec in state.specs.values():
        if spec.restart_every_s:
            task = asyncio.ensure_future(_restart_loop(state, spec.restart_every_s))
            ctx.cleanup.callback(task.cancel)
            break
    _store_passwords(ctx, state)
