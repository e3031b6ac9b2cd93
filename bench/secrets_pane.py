"""Secrets benchmark: 5,000 secrets x 3 versions and 300 services.

    uv run python bench/secrets_pane.py [--secrets 5000] [--services 300]

The sandbox serves a generated scenario from a child process (as `--sandbox` does),
and this process uses the real adapters over gRPC, like the pane:

- list:      ListSecrets only (names, labels, replication)
- populate:  ListSecrets + ListSecretVersions for every secret, concurrency bounded
             (32, the adapter's default) vs one-by-one (1) side by side
- rows:      domain objects -> table rows (render/secrets.py), what the table shows
- audit:     services + secrets gathered -> findings (the pure audit)
- TUI:       the real app headless: key 2 -> every name in the table (versions "…"),
             then -> versions, used-by and the audit panel complete

Targets (2-core machine): populated <= 2 s, audit <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from staging_tui.audit.secrets_audit import audit_profile, secret_users
from staging_tui.config import sandbox_settings
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import RunAdapter
from staging_tui.gcp.secrets import SecretsAdapter
from staging_tui.render.secrets import secret_row
from staging_tui.sandbox.process import SandboxProcess

STATES = ("enabled", "disabled", "destroyed")


def scenario_toml(secrets: int, services: int, seed: int = 11) -> str:
    """A project of `secrets` secrets with 3 versions each (newest enabled, mostly), and
    `services` services referencing 4 secrets each (a few missing ones and pinned ones)."""
    rng = random.Random(seed)
    out = ['[project]\nid = "bench-secrets"\nregion = "us-central1"\n'
           '[logs]\ndefault_rate = 0\n']  # no log generator competing for the sandbox's CPU
    for i in range(services):
        out.append(f'[[services]]\nname = "svc-{i:03d}"\nrevisions = 1\n[services.env]\n')
        for j in range(4):
            n = rng.randrange(secrets + secrets // 50)  # ~2% point at missing secrets
            version = rng.choice(["latest", "latest", "latest", "2"])
            out.append(f'S{j} = {{ secret = "app-{n:05d}-staging", version = "{version}" }}\n')
    for i in range(secrets):
        last = "disabled" if i % 97 == 0 else "enabled"
        out.append(
            f'[[secrets]]\nname = "app-{i:05d}-staging"\ncreated = "{rng.randint(1, 400)}d"\n'
            f'labels = {{ team = "t{i % 17}", tier = "{rng.choice(["a", "b"])}" }}\n'
            f'versions = [{{ value = "old-{i}", state = "{rng.choice(STATES[1:])}" }}, '
            f'{{ value = "mid-{i}", state = "{rng.choice(STATES[:2])}" }}, '
            f'{{ value = "new-{i}", state = "{last}" }}]\n')
    return "".join(out)


async def measure(endpoints: Endpoints, project: str, rounds: int) -> dict[str, list[float]]:
    settings = sandbox_settings(project)
    times: dict[str, list[float]] = {k: [] for k in (
        "list", "populate (bound 32)", "populate (one by one)", "rows", "audit gather",
        "audit (pure)")}
    bounded = SecretsAdapter(endpoints, project, concurrency=32)
    serial = SecretsAdapter(endpoints, project, concurrency=1)
    run = RunAdapter(endpoints, project, settings.regions)
    try:
        for r in range(rounds):
            t = time.perf_counter()
            await bounded.list_secrets(with_versions=False)
            times["list"].append(time.perf_counter() - t)
            t = time.perf_counter()
            secrets = await bounded.list_secrets()
            times["populate (bound 32)"].append(time.perf_counter() - t)
            if r == 0:
                t = time.perf_counter()
                await serial.list_secrets()
                times["populate (one by one)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            services, secrets = await asyncio.gather(run.list_services(), bounded.list_secrets())
            times["audit gather"].append(time.perf_counter() - t)
            t = time.perf_counter()
            users = secret_users(services, project)
            rows = [secret_row(s, users.get(s.name, ())) for s in secrets]
            times["rows"].append(time.perf_counter() - t)
            t = time.perf_counter()
            findings = audit_profile(settings, services, secrets)
            times["audit (pure)"].append(time.perf_counter() - t)
        assert len(rows) == len(secrets) and findings
        print(f"{len(secrets)} secrets, {sum(len(s.versions) for s in secrets)} versions, "
              f"{len(services)} services, {len(findings)} findings "
              f"({sum(1 for f in findings if f.level.value == 'error')} errors)")
    finally:
        for adapter in (bounded, serial, run):
            await adapter.close()
    return times


async def measure_tui(endpoints: Endpoints, project: str, settle: float = 0.5
                      ) -> tuple[float, float]:
    """The real app, headless at 120x40: press 2, time until the Secrets table holds every
    secret (versions listed, audit run, rows set)."""
    from staging_tui.compose import make_app
    from staging_tui.ui.screens.secrets import SecretsScreen
    from staging_tui.ui.widgets.secrets_table import SecretsTable

    app = make_app(sandbox_settings(project), endpoints)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(settle)
        t = time.perf_counter()
        app.action_switch_pane("secrets")  # what key 2 does (pilot.press would also wait
        while not isinstance(app.screen, SecretsScreen):  # for the app to go idle)
            await asyncio.sleep(0.001)
        screen = app.screen
        while not screen.query(SecretsTable):
            await asyncio.sleep(0.001)
        table = screen.query_one(SecretsTable)
        while not table.row_count:
            await asyncio.sleep(0.005)
        rows = time.perf_counter() - t
        while not screen.findings:
            await asyncio.sleep(0.005)
        return rows, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--secrets", type=int, default=5000)
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(scenario_toml(args.secrets, args.services))
        child = SandboxProcess(path)
        t = time.perf_counter()
        child.begin()
        try:
            endpoints = Endpoints.for_sandbox(child.wait(timeout=300))
            print(f"sandbox up in {time.perf_counter() - t:.2f} s; load average "
                  f"{os.getloadavg()[0]:.2f} (figures are noisy on a busy machine)")
            times = asyncio.run(measure(endpoints, "bench-secrets", args.rounds))
            tui = [asyncio.run(measure_tui(endpoints, "bench-secrets"))
                   for _ in range(args.rounds)]
            times["TUI: 2 -> names shown"] = [names for names, _ in tui]
            times["TUI: 2 -> all + audit"] = [full for _, full in tui]
        finally:
            child.stop()
    base = statistics.median(times["populate (bound 32)"])
    for name, values in times.items():
        med = statistics.median(values)
        ratio = f"  ({med / base:.1f}x bounded populate)" if name.startswith("populate") else ""
        print(f"{name:24} median {med * 1000:8.1f} ms  (n={len(values)}){ratio}")
    audit = statistics.median(times["audit gather"]) + statistics.median(times["audit (pure)"])
    print(f"populated: {base:.2f} s (target <= 2 s)   audit finished: {audit:.2f} s "
          "from scratch, pure part "
          f"{statistics.median(times['audit (pure)']) * 1000:.0f} ms (target <= 1 s)")


if __name__ == "__main__":
    main()
