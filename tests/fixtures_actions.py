"""Incident-action fixtures: a fresh small sandbox per test (actions change its state),
with fast start-up times so a whole rollout takes a fraction of a second."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

ACTIONS_PROJECT = "actions-test"
FAILURE = ("The user-provided container failed to start and listen on the port defined by "
           "the PORT=8080 environment variable. Last error: ConnectionRefusedError")


def actions_scenario() -> dict[str, Any]:
    return {
        "project": {"id": ACTIONS_PROJECT, "region": "us-central1", "seed": 5},
        "operations": {"startup_time": "150ms", "routing_time": "50ms"},
        "services": [
            # seed 004's shape: revision 4 failed, LATEST serves 3; the next one fails too.
            {"name": "backend-staging", "revisions": 4, "latest_ready": 3, "failure": FAILURE,
             "next_failure": FAILURE,
             "env": {"ENVIRONMENT": "staging",
                     "POSTGRES_HOST": {"secret": "postgres-host-staging", "version": "latest"}}},
            # a split with a tag: 90% on 5, 10% on 4 ("previous")
            {"name": "web-staging", "revisions": 5,
             "traffic": [{"revision": 5, "percent": 90},
                         {"revision": 4, "percent": 10, "tag": "previous"}],
             "env": {"API_URL": "https://api"}},
            {"name": "api-staging", "revisions": 3, "env": {"LOG_LEVEL": "INFO"}},
        ],
    }


@pytest.fixture
def actions_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(actions_scenario(), source="<actions test>"))
    running = thread.start()
    yield running
    thread.stop()
