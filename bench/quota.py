"""Quota benchmark: API calls per minute per pane and for the doctor, against a sandbox
that enforces Google's per-minute quotas.

    uv run python bench/quota.py [--seconds 60] [--only default|large]

Two projects: the default scenario (its crash-looping `backend-staging`, the tail
stream cut every 500 entries), and a generated one of 2,000 services and 5,000 secrets
(a crash-looping `worker` at 200 log entries/s whose tail stream keeps ending). For
each, the real app runs headless and a user opens every pane in turn:
Services (until populated and its golden signals are in), Secrets (until the versions
the audit needs are in), then Logs following the crash-looping service for
`--seconds`, with every pane left open. Then the doctor runs once. The sandbox's
QuotaBook counts every call.

Printed: calls per API method in each phase; for each quota the most calls in any
60-s window against the console's share (`quota_share` 0.5 of Google's limit);
Logging list calls per minute in steady state; the doctor's Logging list calls; and
RESOURCE_EXHAUSTED refusals (targets: 0).

Targets: in any 60-s window at most half of any per-minute quota; Logging list calls
<= 10/min in steady state with every pane open; the doctor <= 20 Logging list calls;
5,000 secrets: names from one call, versions only where needed; Services populated
<= 1.0 s still holds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from typing import Any

from staging_tui.audit.runner import run_doctor
from staging_tui.compose import make_app, make_backend, sandbox_profile
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.generate import generated_tables
from staging_tui.sandbox.quotas import QuotaBook
from staging_tui.sandbox.scenario import Scenario, load_scenario, scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.screens.secrets import SecretsScreen
from staging_tui.ui.widgets.services_table import ServicesTable

SHARE = 0.5
LIST_LOGS = "/google.logging.v2.LoggingServiceV2/ListLogEntries"


def large_scenario() -> Scenario:
    tables = generated_tables(2000, 2)
    rng = random.Random(5)
    tables["services"][0] = {"name": "worker", "revisions": 2, "latest_ready": 1,
                             "failure": "crash"}
    for spec in tables["services"][1:]:
        # services share a pool of 200 secrets (and the generator's 50 DB passwords)
        spec["env"]["TOKEN"] = {"secret": f"app-{rng.randrange(200) * 25:05d}-staging"}
    tables["secrets"] = [{"name": f"app-{i:05d}-staging", "value": f"v{i}"}
                         for i in range(5000)]
    tables["logs"] = {"history": "5m", "default_rate": 0.05, "rates": {"worker": 200.0},
                      "faults": {"stream_cut_after": 3000}}
    return scenario_from_dict(tables, source="<bench quota: 2,000 services, 5,000 secrets>")


def default_scenario() -> Scenario:
    scenario = load_scenario()
    tables = dict(scenario.tables)
    tables["logs"] = {**tables.get("logs", {}), "faults": {"stream_cut_after": 500}}
    scenario.tables = tables
    return scenario


def _short(method: str) -> str:
    return method.rsplit("/", 1)[-1]


def _calls(book: QuotaBook, since: Counter[str]) -> str:
    delta = book.calls - since
    return ", ".join(f"{_short(m)} {n}" for m, n in sorted(delta.items())) or "none"


async def _until(pilot: Any, predicate: Any, seconds: float) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > seconds:
            return float("nan")
        await pilot.pause(0.05)
    return time.monotonic() - start


async def session(sandbox: RunningSandbox, seconds: float, crashing: str) -> None:
    book = sandbox.quotas
    book.reset_log()
    settings = sandbox_profile(sandbox.scenario)
    app = make_app(settings, Endpoints.for_sandbox(sandbox.endpoints))
    mark = Counter(book.calls)
    started = time.monotonic()
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await _until(pilot, lambda: table.row_count > 0, 60)
        populated = time.monotonic() - started
        screen_services: Any = app.screen
        await _until(pilot, lambda: bool(screen_services.signals), 60)
        print(f"  Services: populated in {populated:.2f} s; calls: {_calls(book, mark)}")

        mark = Counter(book.calls)
        await pilot.press("2")
        secrets = app.screen
        assert isinstance(secrets, SecretsScreen)
        names = await _until(pilot, lambda: len(secrets.secrets) > 0, 60)
        loaded = await _until(pilot, lambda: secrets.versions_loaded, 600)
        known = sum(1 for s in secrets.secrets if s.versions_known)
        print(f"  Secrets: {len(secrets.secrets):,} names in {names:.2f} s, versions of the "
              f"{known} needed in {names + loaded:.1f} s; calls: {_calls(book, mark)}")

        mark = Counter(book.calls)
        steady_from = time.time()
        await pilot.press("3")
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        logs.show_service(crashing)
        await asyncio.sleep(seconds)
        print(f"  Logs following the crash-looping `{crashing}` for {seconds:.0f} s "
              f"({len(logs.model):,} rows): calls: {_calls(book, mark)}")
        steady = book.calls_between(steady_from + 20, time.time())
        span = max(1.0, time.time() - steady_from - 20)
        print(f"  steady state (every pane open, after the first 20 s): "
              f"{steady[LIST_LOGS] * 60 / span:.1f} Logging list calls/min")
    for group in book.groups:
        worst = book.max_per_window(set(group.methods))
        if worst:
            budget = group.per_minute * SHARE
            print(f"  {group.key:<22} max {worst:>5} calls in any 60 s; budget "
                  f"{budget:>8,.0f} ({worst / group.per_minute:.0%} of Google's "
                  f"{group.per_minute:,})")
    print(f"  RESOURCE_EXHAUSTED refused: {sum(book.refused.values())}")


async def doctor(sandbox: RunningSandbox) -> None:
    book = sandbox.quotas
    book.reset_log()
    backend = make_backend(sandbox_profile(sandbox.scenario),
                           Endpoints.for_sandbox(sandbox.endpoints))
    start = time.monotonic()
    try:
        await run_doctor(backend)
    finally:
        await backend.close()
    took = time.monotonic() - start
    print(f"  Doctor: {took:.1f} s; Logging list calls {book.calls[LIST_LOGS]}; calls: "
          f"{_calls(book, Counter())}; refused {sum(book.refused.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--only", choices=("default", "large"))
    args = parser.parse_args()
    cases = {"default": (default_scenario, "backend-staging"),
             "large": (large_scenario, "worker")}
    for name, (build, crashing) in cases.items():
        if args.only and name != args.only:
            continue
        print(f"{name} scenario:")
        with SandboxThread(build()) as sandbox:
            asyncio.run(session(sandbox, args.seconds, crashing))
            asyncio.run(doctor(sandbox))


if __name__ == "__main__":
    main()
