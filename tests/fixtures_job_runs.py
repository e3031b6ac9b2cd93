"""RunJob fixtures: a fresh small sandbox per test (running a job changes its state),
with fast executions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

JOBS_PROJECT = "jobs-test"
JOB_FAILURE = ("Task db-migrate-xyz-task0 failed with message: The container exited with an "
               "exit code of 1.")


def job_runs_scenario() -> dict[str, Any]:
    return {
        "project": {"id": JOBS_PROJECT, "region": "us-central1", "seed": 7},
        "services": [{"name": "api-staging", "revisions": 1}],
        "jobs": [
            {"name": "nightly-report", "run_time": "100ms",
             "executions": [{"status": "succeeded", "started": "1d"}]},
            {"name": "db-migrate", "run_time": "100ms", "next_failure": JOB_FAILURE,
             "executions": [{"status": "failed", "started": "2h"}]},
        ],
    }


@pytest.fixture
def jobs_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(job_runs_scenario(), source="<job runs test>"))
    running = thread.start()
    yield running
    thread.stop()
