"""Start the sandbox: one grpc.aio server plus whatever each API module opens.

Adding an emulated API = one new module with `install(ctx)` + one line in
`API_MODULES`. The sandbox can run in the caller's event loop (`start_sandbox`) or
in a background thread with its own loop (`SandboxThread`), which is how the TUI
and the tests use it so that serving never competes with the UI's event loop.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import grpc

from staging_tui.errors import SandboxError
from staging_tui.sandbox import auth
from staging_tui.sandbox.quotas import SHARED_KEY as QUOTAS_KEY
from staging_tui.sandbox.quotas import QuotaBook, QuotaInterceptor, book_from_scenario
from staging_tui.sandbox.scenario import Scenario
from staging_tui.sandbox.server_context import SandboxContext

API_MODULES: tuple[str, ...] = (
    "staging_tui.sandbox.auth",  # the token endpoint the clients refresh from
    "staging_tui.sandbox.run_api",
    "staging_tui.sandbox.locations_api",
    "staging_tui.sandbox.run_iam_api",
    "staging_tui.sandbox.run_operations",  # UpdateService + Operations, on run_api's state
    "staging_tui.sandbox.health_api",
    "staging_tui.sandbox.secret_api",  # before modules that store secrets (cloudsql)
    "staging_tui.sandbox.logging_api",
    "staging_tui.sandbox.monitoring_api",
    "staging_tui.sandbox.jobs_api",  # after Logging: writes the executions' logs
    "staging_tui.sandbox.job_runs",  # RunJob, on jobs_api's state and run_operations' LROs
    "staging_tui.sandbox.cloudsql_api",  # after the Secret Manager module: stores passwords
)


@dataclass
class RunningSandbox:
    scenario: Scenario
    endpoints: dict[str, str]
    shared: dict[str, Any] = field(default_factory=dict)
    _server: grpc.aio.Server | None = None
    _cleanup: AsyncExitStack | None = None

    @property
    def quotas(self) -> QuotaBook:
        """Calls per method and quota use per minute (sandbox/quotas.py)."""
        book: QuotaBook = self.shared[QUOTAS_KEY]
        return book

    @property
    def grpc_target(self) -> str:
        return self.endpoints["grpc"]

    async def stop(self) -> None:
        if self._cleanup is not None:
            await self._cleanup.aclose()
        if self._server is not None:
            await self._server.stop(grace=0.2)


async def start_sandbox(scenario: Scenario, *, host: str = "127.0.0.1", port: int = 0
                        ) -> RunningSandbox:
    quotas = book_from_scenario(scenario.project, scenario.tables.get("quotas", {}),
                                source=scenario.source)
    shared: dict[str, Any] = {}
    # Interceptors run in this order on every call; each is a piece of its own. The
    # token is checked first: a call Google cannot attribute to a caller spends no quota.
    interceptors = [auth.interceptor(shared, scenario.tables.get("auth", {})),
                    QuotaInterceptor(quotas)]
    server = grpc.aio.server(interceptors=interceptors, options=[
        ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ])
    # A local channel (as Google's emulators allow): loopback only, and call
    # credentials (the bearer token) are sent over it, unlike an insecure channel.
    bound = server.add_secure_port(
        f"{host}:{port}", grpc.local_server_credentials(grpc.LocalConnectionType.LOCAL_TCP))
    if not bound:
        raise SandboxError(f"sandbox cannot listen on {host}:{port}", "choose another --port")
    cleanup = AsyncExitStack()
    ctx = SandboxContext(scenario=scenario, server=server, cleanup=cleanup, shared=shared)
    ctx.endpoints["grpc"] = f"{host}:{bound}"
    ctx.shared[QUOTAS_KEY] = quotas
    try:
        for name in API_MODULES:
            result = importlib.import_module(name).install(ctx)
            if inspect.isawaitable(result):
                await result
        await server.start()
    except BaseException:
        await cleanup.aclose()
        raise
    return RunningSandbox(scenario, ctx.endpoints, ctx.shared, server, cleanup)


class SandboxThread:
    """The sandbox on its own thread and event loop; `start()` blocks until it serves."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.sandbox: RunningSandbox | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sandbox", daemon=True)

    def start(self, timeout: float = 60.0) -> RunningSandbox:
        self.begin()
        return self.wait(timeout)

    def begin(self) -> None:
        """Start serving in the background; `wait()` for the endpoints."""
        if not self._thread.is_alive() and not self._ready.is_set():
            self._thread.start()

    def wait(self, timeout: float = 60.0) -> RunningSandbox:
        if not self._ready.wait(timeout):
            raise SandboxError("the sandbox did not start in time", "see the log for errors")
        if self._error is not None:
            raise self._error
        assert self.sandbox is not None
        return self.sandbox

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self.sandbox = loop.run_until_complete(start_sandbox(self.scenario))
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self.sandbox.stop())
        loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> RunningSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
