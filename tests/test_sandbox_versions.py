"""The sandbox says which PostgreSQL it runs, whatever a scenario declares."""

from __future__ import annotations

from staging_tui.sandbox.cloudsql_api import served_version, version_notes
from staging_tui.sandbox.postgres import local_major_version
from staging_tui.sandbox.scenario import scenario_from_dict


def test_the_instance_answers_the_version_the_sandbox_runs() -> None:
    major = local_major_version()
    assert major is not None and major >= 12
    assert served_version("POSTGRES_99") == f"POSTGRES_{major}"
    scenario = scenario_from_dict({"project": {"id": "v"}, "sql": [
        {"name": "old", "database_version": "POSTGRES_99", "databases": ["d"], "user": "u"},
        {"name": "same", "database_version": f"POSTGRES_{major}", "databases": ["d"],
         "user": "u"}]})
    assert version_notes(scenario) == [
        f"old declares POSTGRES_99; this sandbox runs PostgreSQL {major} and answers "
        f"POSTGRES_{major}"]
