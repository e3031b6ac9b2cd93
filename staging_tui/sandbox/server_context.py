"""What an emulated-API module gets when it installs itself into the sandbox."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import grpc

from staging_tui.sandbox.scenario import Scenario


@dataclass
class SandboxContext:
    """Shared by the API modules while the sandbox starts.

    `endpoints` is what clients need (e.g. "grpc", "sqladmin"); `shared` lets one
    module hand state to another (the Cloud SQL module stores instance passwords
    in the Secret Manager state); `cleanup` closes what a module opened.
    """

    scenario: Scenario
    server: grpc.aio.Server
    cleanup: AsyncExitStack
    endpoints: dict[str, str] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)

    def add_grpc(self, handler: grpc.GenericRpcHandler) -> None:
        self.server.add_generic_rpc_handlers((handler,))
