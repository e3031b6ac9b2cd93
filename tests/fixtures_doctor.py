"""Doctor fixtures: a healthy scenario's sandbox and Backends over the sandboxes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from staging_tui.config import Settings, sandbox_settings
from staging_tui.gcp.backend import Backend
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.scenario import load_scenario
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.sandbox.sql_scenario import sql_instances

HEALTHY = Path(__file__).with_name("scenarios") / "healthy.toml"


def doctor_settings(sandbox: RunningSandbox, **changes: object) -> Settings:
    scenario = sandbox.scenario
    settings = replace(sandbox_settings(scenario.project, scenario.regions),
                       sql_instances=sql_instances(scenario))
    return replace(settings, **changes) if changes else settings  # type: ignore[arg-type]


def healthy_settings(sandbox: RunningSandbox) -> Settings:
    return doctor_settings(sandbox, required_secrets=("api-key",),
                           required_extensions=("plpgsql",), alembic_head="abc123",
                           environment="staging")


def backend_for(sandbox: RunningSandbox, settings: Settings | None = None) -> Backend:
    return Backend(settings or doctor_settings(sandbox), Endpoints.for_sandbox(sandbox.endpoints))


@pytest.fixture(scope="session")
def healthy_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(load_scenario(HEALTHY))
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes
    yield running
    thread.stop()
