"""The Cloud SQL instances a scenario declares, as domain objects (cheap to import).

Read by the composition root to fill the sandbox profile; the Cloud SQL emulation
itself lives in its own module.
"""

from __future__ import annotations

from staging_tui.domain import SqlInstance
from staging_tui.sandbox.scenario import Scenario


def sql_instances(scenario: Scenario) -> tuple[SqlInstance, ...]:
    out = []
    for spec in scenario.tables.get("sql", []):
        name = str(spec["name"])
        region = str(spec.get("region", scenario.region))
        out.append(SqlInstance(
            connection_name=f"{scenario.project}:{region}:{name}",
            database=str(spec.get("database", "postgres")),
            user=str(spec.get("user", "postgres")),
            password_secret=str(spec.get("password_secret", "")),
        ))
    return tuple(out)
