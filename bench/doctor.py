"""Doctor benchmark: a full doctor run (all areas) against the sandbox.

    uv run python bench/doctor.py

Cases, one process, each against its own sandbox (served on a separate thread, as the
TUI and tests do): the default scenario (10 services, 13 secrets, 3 Cloud SQL instances
behind tunnels, ~13k log entries in the window) and a generated one with 2,000 services
x 5 revisions (2,000 health checks, logs sampled to the newest 20,000 entries).
Each case: one cold run (adapter imports, first connections) and 3 warm runs on the
same Backend; concurrency bound 16 (and 64 for the large case, side by side).
Targets: default <= 3 s, 2,000 services <= 15 s.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter

from staging_tui.audit.runner import AreaProgress, DoctorOptions, run_doctor
from staging_tui.backend import Backend
from staging_tui.compose import make_backend, sandbox_profile
from staging_tui.domain import Finding
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.scenario import Scenario, load_scenario
from staging_tui.sandbox.server import SandboxThread

WARM_RUNS = 3


async def _timed(backend: Backend, options: DoctorOptions) -> tuple[float, list[Finding],
                                                                     dict[str, float]]:
    started = time.perf_counter()
    area_done: dict[str, float] = {}

    def progress(p: AreaProgress) -> None:
        if p.state == "done":
            area_done[p.area] = time.perf_counter() - started

    findings = await run_doctor(backend, options=options, on_progress=progress)
    return time.perf_counter() - started, findings, area_done


def case(name: str, scenario: Scenario, concurrency: tuple[int, ...], target: float) -> None:
    with SandboxThread(scenario) as sandbox:
        settings = sandbox_profile(scenario)

        async def main() -> None:
            for bound in concurrency:
                options = DoctorOptions(concurrency=bound)
                backend = make_backend(settings, Endpoints.for_sandbox(sandbox.endpoints))
                try:
                    cold, findings, areas = await _timed(backend, options)
                    warm = []
                    for _ in range(WARM_RUNS):
                        seconds, findings, areas = await _timed(backend, options)
                        warm.append(seconds)
                finally:
                    await backend.close()
                levels = Counter(f.level.value for f in findings)
                median = statistics.median(warm)
                verdict = "ok" if cold <= target else "OVER"
                print(f"{name:<22} concurrency {bound:>3}: cold {cold:6.2f} s   warm median "
                      f"{median:6.2f} s   target <= {target:g} s ({verdict})")
                print(f"{'':<22} findings {dict(levels)}")
                print(f"{'':<22} areas done at (warm): "
                      + ", ".join(f"{a} {t:.2f}s" for a, t in sorted(areas.items(),
                                                                     key=lambda kv: kv[1])))

        asyncio.run(main())


if __name__ == "__main__":
    case("default scenario", load_scenario(), (16,), 3.0)
    case("2,000 services x 5", load_scenario("generated:2000x5"), (16, 64), 15.0)
