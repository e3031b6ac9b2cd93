"""Build the real app against a running sandbox, for Pilot and snapshot tests: the
product's own recipe (staging_tui.compose), pointed at the session's sandbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from staging_tui import compose
from staging_tui.backend import Backend
from staging_tui.config import Settings
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.app import StagingApp


def sandbox_profile(sandbox: RunningSandbox, **changes: Any) -> Settings:
    settings = compose.sandbox_profile(sandbox.scenario)
    return replace(settings, **changes) if changes else settings


def backend_for(sandbox: RunningSandbox, settings: Settings | None = None) -> Backend:
    return compose.make_backend(settings or sandbox_profile(sandbox),
                                Endpoints.for_sandbox(sandbox.endpoints))


def make_app(sandbox: RunningSandbox, settings: Settings | None = None,
             clock: Callable[[], datetime] | None = None) -> StagingApp:
    return compose.make_app(settings or sandbox_profile(sandbox),
                            Endpoints.for_sandbox(sandbox.endpoints), clock=clock)
