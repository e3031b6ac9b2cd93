"""Doctor fixtures: a healthy scenario's sandbox, its profile, and waiting for a run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_app import sandbox_profile
from waiting import settled, until

from staging_tui.config import Settings
from staging_tui.sandbox.scenario import load_scenario
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.doctor import DoctorScreen
from staging_tui.ui.widgets.status_line import StatusLine

HEALTHY = Path(__file__).with_name("scenarios") / "healthy.toml"


def healthy_settings(sandbox: RunningSandbox) -> Settings:
    return sandbox_profile(sandbox, required_secrets=("api-key",),
                           required_extensions=("plpgsql",), alembic_head="abc123",
                           environment="staging")


@pytest.fixture(scope="session")
def healthy_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(load_scenario(HEALTHY))
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes
    yield running
    thread.stop()


async def wait_done(pilot: Any, screen: DoctorScreen) -> None:
    """Until the run has ended and the status line says so."""
    await until(lambda: not screen.running and screen.findings and not screen.query_one(
        StatusLine).render().plain.startswith("⟳"), pilot, what="the doctor's run to end")
    await settled(pilot)
