"""Secrets fixtures: a small sandbox project for Secret Manager contract tests and writes;
and the helpers that drive the Secrets pane (a controllable clock, open, select)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from waiting import until

from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.secrets import SecretsAdapter
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.secrets import SecretsScreen
from staging_tui.ui.widgets.secrets_table import SecretsTable

SECRETS_PROJECT = "secrets-test"
SECRETS_SCENARIO: dict[str, Any] = {
    "project": {"id": SECRETS_PROJECT, "region": "us-central1", "seed": 3},
    "faults": {"permission_denied": ["projects/*/secrets/locked-*"]},
    "services": [
        {"name": "api", "env": {"TOKEN": {"secret": "api-token-staging"},
                                "OLD": {"secret": "api-token-staging", "version": "2"}}},
    ],
    "secrets": [
        {"name": "api-token-staging", "labels": {"app": "api"}, "created": "10d",
         "versions": [{"value": "tok-v1", "state": "destroyed"},
                      {"value": "tok-v2-old", "state": "disabled"},
                      {"value": "tok-v3-current", "created": "1d"}]},
        {"name": "binary-staging", "base64": "AAEC/w=="},
        {"name": "corrupt-staging", "versions": [{"value": "corrupt-value", "bad_crc32c": True}]},
        {"name": "latest-off-staging",
         "versions": [{"value": "on-value"}, {"value": "off-value", "state": "disabled"}]},
        {"name": "regional-staging", "replication": ["us-central1", "europe-west1"],
         "value": "regional-value"},
        {"name": "empty-staging"},
        {"name": "eu-only-staging", "location": "europe-west1", "value": "eu-value"},
        {"name": "locked-secret", "value": "locked-value"},
        *({"name": f"bulk-{i:03d}", "labels": {"team": "odd" if i % 2 else "even"},
           "value": f"bulk value {i}"} for i in range(25)),
    ],
}


@pytest.fixture(scope="session")
def secrets_sandbox() -> Iterator[RunningSandbox]:
    """SECRETS_SCENARIO served for the session; tests that write use their own names."""
    thread = SandboxThread(scenario_from_dict(SECRETS_SCENARIO, source="<secrets test>"))
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes
    yield running
    thread.stop()


@pytest.fixture
async def secrets_api(secrets_sandbox: RunningSandbox) -> AsyncIterator[SecretsAdapter]:
    """The real adapter over the real client, built in the test's event loop."""
    adapter = SecretsAdapter(Endpoints.for_sandbox(secrets_sandbox.endpoints), SECRETS_PROJECT,
                             concurrency=4)
    yield adapter
    await adapter.close()


# ------------------------------------------------------------------ driving the Secrets pane


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def open_secrets(pilot: Pilot[Any]) -> SecretsScreen:
    await pilot.press("2")
    screen = pilot.app.screen
    assert isinstance(screen, SecretsScreen)
    table = screen.query_one(SecretsTable)
    await until(lambda: table.row_count and screen.versions_loaded, pilot)
    return screen


async def select(pilot: Pilot[Any], screen: SecretsScreen, name: str) -> None:
    table = screen.query_one(SecretsTable)
    table.move_cursor(table.get_row_index(name))
    await pilot.pause()
