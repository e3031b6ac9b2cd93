"""How the console is put together, in one place: the sandbox profile for a scenario,
the Backend for a profile, and `make_app()` (posting's `make_posting`). The CLI, the
tests and the benches all build the app through here.

The composition root: with cli.py, the only module that sees both ui/ and sandbox/.
Heavy imports (textual, the sandbox) happen inside the functions, so `staging-tui
services` never imports textual and the TUI's first frame never waits for the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from staging_tui.backend import Backend, EndpointsProvider
from staging_tui.config import SANDBOX_PROFILE, Settings
from staging_tui.gcp.endpoints import Endpoints

if TYPE_CHECKING:
    from staging_tui.sandbox.scenario import Scenario
    from staging_tui.ui.app import StagingApp


def sandbox_profile(scenario: Scenario, profile: str = SANDBOX_PROFILE) -> Settings:
    """A built-in sandbox profile for `scenario` (`sandbox`: read-only, `sandbox-actions`,
    `sandbox-protected`; config.SANDBOX_PROFILES): its project, regions, SQL instances
    and its own `[profile]` table (required secrets ...); nothing from another scenario."""
    from staging_tui.sandbox.sql_scenario import scenario_settings

    return scenario_settings(scenario, profile)


def make_backend(settings: Settings, endpoints: Endpoints | EndpointsProvider) -> Backend:
    """The adapters of one profile; `endpoints` may be a provider that blocks (a sandbox
    starting in its child process): it is resolved in a thread on first use."""
    return Backend(settings, endpoints)


def make_app(settings: Settings, endpoints: Endpoints | EndpointsProvider,
             clock: Callable[[], datetime] | None = None,
             app_class: type[StagingApp] | None = None,
             relax_gc: bool = True) -> StagingApp:
    """The console for `settings` over `endpoints`. `clock` fixes "now" (snapshots);
    `app_class` is a StagingApp subclass (the start-up bench marks the first frame);
    `relax_gc=False` keeps CPython's GC thresholds instead of the app's (ui/app.py
    GC_THRESHOLDS), for bench/logs.py --gc python-default."""
    from staging_tui.ui.app import GC_THRESHOLDS, StagingApp

    build = app_class or StagingApp
    return build(settings, make_backend(settings, endpoints), clock=clock,
                 gc_thresholds=GC_THRESHOLDS if relax_gc else None)
