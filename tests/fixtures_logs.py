"""Logs fixtures: a sandbox whose Logging API misbehaves in every way at once, fast."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from staging_tui.domain import LogEntry, Severity
from staging_tui.gcp.call_budget import CallBudget
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.logs import LogsAdapter, ReconnectPolicy
from staging_tui.sandbox.log_generator import TRACEBACK
from staging_tui.sandbox.scenario import load_scenario, scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

# Time compressed: what takes minutes against Google happens here in seconds, so the
# per-minute call budgets (tested on their own in test_quota_budgets.py) are lifted.
FAST_POLICY = ReconnectPolicy(overlap=timedelta(seconds=1), retry_delay=0.02, retry_max=0.1,
                              exhausted_delay=0.05, exhausted_max=0.2, first_response_wait=0.2,
                              clean_end_delay=0.01, clean_end_max=0.05,
                              tail_calls_per_minute=100_000)

FAULTY_LOGS = {
    "project": {"id": "logs-faults", "region": "us-central1", "seed": 7},
    "services": [
        {"name": "api", "revisions": 2},
        {"name": "worker", "revisions": 3, "latest_ready": 2, "failure": "crash"},
    ],
    "logs": {
        "history": "5s",
        "session_length": "1.2s",  # OUT_OF_RANGE often
        "tick": "20ms",
        "rates": {"api": 300.0, "worker": 100.0},
        "faults": {
            "stream_cut_after": 450,  # the stream sending every 450th entry ends early
            "tail_unavailable_every": 3,
            "tail_internal_every": 7,
            "tail_exhausted_every": 11,
            "list_unavailable_every": 4,  # gap refills retried by the client library
            "rate_limit": 300.0,  # below the 400/s produced: RATE_LIMIT suppression
        },
    },
}


@pytest.fixture(scope="session")
def faulty_logs_sandbox() -> Iterator[RunningSandbox]:
    """400 entries/s, 1.2 s sessions, cuts every 300 entries, UNAVAILABLE/INTERNAL/
    RESOURCE_EXHAUSTED on some tail calls, UNAVAILABLE on some lists, rate limiting."""
    thread = SandboxThread(scenario_from_dict(FAULTY_LOGS, source="<faulty logs>"))
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes
    yield running
    thread.stop()


def logs_adapter(sandbox: RunningSandbox, policy: ReconnectPolicy | None = None) -> LogsAdapter:
    """Build inside the test's event loop (the grpc channel binds to it)."""
    adapter = LogsAdapter(Endpoints.for_sandbox(sandbox.endpoints), sandbox.scenario.project,
                          policy or FAST_POLICY)
    adapter.budget = CallBudget(100_000)  # compressed time (see FAST_POLICY)
    return adapter


SNAPSHOT_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def snapshot_entries() -> list[LogEntry]:
    """Fixed entries in the 90 s before SNAPSHOT_NOW: requests, text, JSON, a traceback."""
    out: list[LogEntry] = []
    services = ("webservice", "backend-staging", "auth-staging")
    for i in range(45):
        service = services[i % 3]
        when = SNAPSHOT_NOW - timedelta(seconds=90 - 2 * i)
        base = dict(insert_id=f"snap-{i:03d}", timestamp=when, service=service,
                    revision=f"{service}-00003-abc", labels={"seq": str(i)},
                    trace=f"projects/sandbox-staging/traces/{i:032x}")
        if i % 9 == 4:
            out.append(LogEntry(severity=Severity.ERROR, log_name="run.googleapis.com/stderr",
                                text=TRACEBACK, **base))  # type: ignore[arg-type]
        elif i % 5 == 0:
            out.append(LogEntry(severity=Severity.INFO, log_name="run.googleapis.com/stdout",
                                json_payload={"message": f"handled job {i}", "duration_ms": i,
                                              "context": {"user": f"user-{i}"}},
                                **base))  # type: ignore[arg-type]
        else:
            sev = (Severity.WARNING, Severity.DEBUG, Severity.INFO, Severity.NOTICE)[i % 4]
            out.append(LogEntry(severity=sev, log_name="run.googleapis.com/stdout",
                                text=f"request {i} served in {i * 3} ms", **base))  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def quiet_logs_sandbox() -> Iterator[RunningSandbox]:
    """The default scenario with no generated logs, only snapshot_entries(), clock fixed."""
    scenario = load_scenario()
    tables = dict(scenario.tables)
    tables["logs"] = {"default_rate": 0, "rates": {}, "history": "1m"}
    scenario.tables = tables
    scenario.now = SNAPSHOT_NOW
    thread = SandboxThread(scenario)
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes

    async def write() -> None:
        logs = logs_adapter(running)
        try:
            await logs.write_entries(snapshot_entries())
        finally:
            await logs.close()

    asyncio.run(write())
    yield running
    thread.stop()
