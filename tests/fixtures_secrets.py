"""Secrets fixtures: a small sandbox project for Secret Manager contract tests and writes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.secrets import SecretsAdapter
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

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
