"""Build the real app against a running sandbox, for Pilot and snapshot tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from staging_tui.config import Settings
from staging_tui.gcp.backend import Backend
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.sandbox.sql_scenario import scenario_settings
from staging_tui.ui.app import StagingApp


def sandbox_profile(sandbox: RunningSandbox, **changes: Any) -> Settings:
    scenario = sandbox.scenario
    settings = scenario_settings(scenario)
    return replace(settings, **changes) if changes else settings


def make_app(sandbox: RunningSandbox, settings: Settings | None = None,
             clock: Callable[[], datetime] | None = None) -> StagingApp:
    settings = settings or sandbox_profile(sandbox)
    backend = Backend(settings, Endpoints.for_sandbox(sandbox.endpoints))
    return StagingApp(settings, backend, clock=clock)
