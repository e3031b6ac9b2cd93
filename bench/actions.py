"""Incident-action benchmark: roll back, from the key press to the traffic moved.

    uv run python bench/actions.py [--runs 10] [--routing 100ms]

The sandbox serves a small scenario from a child process (as `--sandbox` does), with
seed 004's backend-staging (revision 4 failed, LATEST serves 3). Each run alternates a
roll back (LATEST -> 100% on revision 3) and back to latest, both traffic-only updates:

- operation:  the adapter alone (gcp/run_actions.py), from the service read for the
              preview: UpdateService -> WaitOperation -> done. The operation's own time
              (the sandbox's routing time + the calls).
- console:    the real app headless: `y` pressed in the preview -> the status line's
              "✓ ... traffic moved". Its excess over `operation` is what the console adds.
- preview:    `b` pressed -> the preview shown (GetService + ListRevisions + planning).

Target: the console adds <= 100 ms to the operation's own time. The CPU time this
process spends (time.process_time) is printed too: on a shared, loaded machine the wall
times swing with the load, the CPU a console spends per action much less.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from staging_tui.compose import make_app
from staging_tui.config import sandbox_settings
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import RunAdapter
from staging_tui.gcp.run_actions import RunActions
from staging_tui.render.action_plans import plan_latest, plan_rollback
from staging_tui.sandbox.process import SandboxProcess
from staging_tui.ui.screens.action_dialogs import ActionPreview
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine

PROJECT = "bench-actions"


def scenario_toml(routing: str) -> str:
    return f'''[project]
id = "{PROJECT}"
region = "us-central1"
[logs]
default_rate = 0
[operations]
routing_time = "{routing}"
[[services]]
name = "backend-staging"
revisions = 4
latest_ready = 3
failure = "The user-provided container failed to start."
[[services]]
name = "frontend-staging"
revisions = 3
'''


CPU: dict[str, list[float]] = {"operation": [], "console": []}


async def adapter_runs(endpoints: Endpoints, runs: int) -> list[float]:
    run = RunAdapter(endpoints, PROJECT, ("us-central1",))
    actions = RunActions(run.services_client, PROJECT)
    times = []
    for i in range(runs):
        svc, base = await actions.read("backend-staging", "us-central1")
        revs = await run.list_revisions("backend-staging")
        plan = plan_rollback(svc, revs) if i % 2 == 0 else plan_latest(svc)
        start, cpu = time.perf_counter(), time.process_time()
        await actions.apply(plan, base=base)
        times.append(time.perf_counter() - start)
        CPU["operation"].append(time.process_time() - cpu)
    print(f"  adapter calls: {actions.calls} for {runs} actions "
          f"({actions.calls / runs:.1f} per action: GetService for the preview, "
          "UpdateService, WaitOperation)")
    await run.close()
    return times


async def console_runs(endpoints: Endpoints, runs: int) -> tuple[list[float], list[float]]:
    settings = sandbox_settings(PROJECT, ("us-central1",), "sandbox-actions")
    app = make_app(settings, endpoints)
    applied: list[float] = []
    previews: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        while not table.row_count:
            await pilot.pause(0.01)
        table.move_cursor(table.get_row_index("backend-staging"))
        await pilot.pause()
        # The console as it is during an incident: open for a while, its other panes'
        # modules already imported (the prewarm thread starts 1 s after the first frame).
        await asyncio.sleep(1.2)
        while any(w.group == "prewarm" and not w.is_finished for w in app.workers):
            await asyncio.sleep(0.05)

        async def until(cond: Any) -> None:
            while not cond():
                await asyncio.sleep(0.002)

        for i in range(runs):
            screen = app.screen
            status = screen.query_one(StatusLine)
            start = time.perf_counter()
            await pilot.press("b" if i % 2 == 0 else "L")
            await until(lambda: bool(app.screen.query(ActionPreview)))
            previews.append(time.perf_counter() - start)
            await pilot.pause()
            start, cpu = time.perf_counter(), time.process_time()
            await pilot.press("y")
            await until(lambda s=status: "✓" in str(s.render()))
            applied.append(time.perf_counter() - start)
            CPU["console"].append(time.process_time() - cpu)
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
    return applied, previews


def summary(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return (f"  {name:<34} median {statistics.median(ms):7.1f} ms   "
            f"min {ms[0]:7.1f}   max {ms[-1]:7.1f}   (n={len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--routing", default="100ms", help="the sandbox's routing time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "actions.toml"
        path.write_text(scenario_toml(args.routing))
        child = SandboxProcess(path)
        child.begin()
        try:
            endpoints = Endpoints.for_sandbox(child.wait())
            op = asyncio.run(adapter_runs(endpoints, args.runs))
            applied, previews = asyncio.run(console_runs(endpoints, args.runs))
        finally:
            child.stop()
    print(f"roll back / back to latest on backend-staging, sandbox routing {args.routing}:")
    print(summary("operation (adapter alone)", op))
    print(summary("console: y -> traffic moved", applied))
    print(summary("console: b -> preview shown", previews))
    print(summary("CPU of this process: operation", CPU["operation"]))
    print(summary("CPU of this process: console", CPU["console"]))
    added = statistics.median(applied) - statistics.median(op)
    print(f"  console adds (median): {added * 1000:.1f} ms   target <= 100 ms: "
          f"{'met' if added <= 0.1 else 'NOT met'}")


if __name__ == "__main__":
    main()
