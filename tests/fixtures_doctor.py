"""Doctor fixtures: a healthy scenario's sandbox and Backends over the sandboxes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_app import sandbox_profile

from staging_tui.config import Settings
from staging_tui.sandbox.scenario import load_scenario
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

HEALTHY = Path(__file__).with_name("scenarios") / "healthy.toml"


def healthy_settings(sandbox: RunningSandbox) -> Settings:
    return sandbox_profile(sandbox, required_secrets=("api-key",),
                           required_extensions=("plpgsql",), alembic_head="abc123",
                           environment="staging")


@pytest.fixture(scope="session")
def healthy_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(load_scenario(HEALTHY))
    running = thread.start()
    yield running
    thread.stop()
