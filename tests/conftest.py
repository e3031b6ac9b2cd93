"""Shared fixtures: the sandbox (the test double for Google) and a real PostgreSQL.

Area-specific fixtures live in tests/fixtures_*.py modules listed in pytest_plugins,
so that each area can add its own without editing this file's fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from staging_tui.sandbox.postgres import PostgresServer
from staging_tui.sandbox.scenario import Scenario, load_scenario
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

pytest_plugins: list[str] = [
    "fixtures_logs",
    "fixtures_secrets",
    "fixtures_tunnel",
    "fixtures_doctor",
    "fixtures_query",
    "fixtures_actions",
    "fixtures_job_runs",
    "fixtures_audit",
]


@pytest.fixture(autouse=True)
def isolated_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every app writes an audit trail (and the Query pane a history) under the XDG state
    dir: each test gets its own, never the developer's ~/.local/state."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    return load_scenario()


@pytest.fixture(scope="session")
def sandbox(default_scenario: Scenario) -> Iterator[RunningSandbox]:
    """The default scenario served on loopback for the whole test session (read-only use)."""
    thread = SandboxThread(default_scenario)
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes
    yield running
    thread.stop()


FIXED_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def fixed_sandbox() -> Iterator[RunningSandbox]:
    """The default scenario with the sandbox's clock frozen at FIXED_NOW, for stable
    snapshots: pair it with `make_app(fixed_sandbox, clock=lambda: FIXED_NOW)`. Its logs
    are the 15 minutes of traffic before FIXED_NOW (none after), and Monitoring's figures
    follow that traffic up to FIXED_NOW: the same every run."""
    scenario = load_scenario()
    scenario.freeze(FIXED_NOW)
    thread = SandboxThread(scenario)
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes
    yield running
    thread.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real, throwaway PostgreSQL for the session."""
    server = PostgresServer().start()
    yield server
    server.stop()
