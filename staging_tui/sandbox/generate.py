"""Generated scenarios for benchmarks: thousands of services, revisions, ..."""

from __future__ import annotations

import random
from typing import Any

from staging_tui.sandbox.scenario import Scenario, scenario_from_dict


def generated_tables(services: int = 2000, revisions: int = 5, seed: int = 7) -> dict[str, Any]:
    """Scenario tables for `services` services of `revisions` revisions each; about 3% of
    them failed, some PR environments, env vars with a few problems sprinkled in."""
    rng = random.Random(seed)
    out = []
    for i in range(services):
        kind = rng.choice(["api", "web", "worker", "auth", "jobs"])
        name = f"{kind}-{i:04d}" if i % 10 else f"backend-pr-{i}"
        spec: dict[str, Any] = {
            "name": name,
            "revisions": revisions,
            "updated": f"{rng.randint(1, 600)}m",
            "cpu": rng.choice(["1", "2"]),
            "memory": rng.choice(["512Mi", "1Gi", "2Gi"]),
            "env": {
                "ENVIRONMENT": "staging",
                "LOG_LEVEL": rng.choice(["INFO", "DEBUG"]),
                "DB_PASSWORD": {"secret": f"db-password-{i % 50}-staging"},
            },
        }
        if i % 33 == 5:
            spec["latest_ready"] = revisions - 1
            spec["failure"] = "ConnectionRefusedError: [Errno 111] Connection refused"
        out.append(spec)
    return {
        "project": {"id": "bench-staging", "region": "us-central1", "seed": seed},
        "services": out,
    }


def generated_scenario(services: int = 2000, revisions: int = 5, seed: int = 7) -> Scenario:
    return scenario_from_dict(generated_tables(services, revisions, seed),
                              source=f"<generated {services} services>")
