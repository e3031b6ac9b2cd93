"""Tunnel fixtures: a sandbox with its own Cloud SQL instances (and its own PostgreSQL),
so the faults these tests inject (restarts, unreachable, short certificates) never
disturb the shared `sandbox` fixture."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.tunnels import Tunnels
from staging_tui.sandbox.cloudsql_api import CloudSqlState
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.sandbox.sql_scenario import sql_instances

T = TypeVar("T")

SQL_SCENARIO = {
    "project": {"id": "tunnel-test", "region": "us-central1", "seed": 5},
    "sql": [
        {
            "name": "main-db",
            "database_version": "POSTGRES_15",
            "ip_types": ["PUBLIC", "PRIVATE", "PSC"],
            "databases": ["app"],
            "user": "app",
            "password_secret": "app-db-password",
            "iam_users": ["robot@tunnel-test.iam"],
            "extensions": ["postgis"],
            "roles": [{"name": "app_readonly", "read_only": True,
                       "password_secret": "app-readonly-password"}],
            "seed": """
                CREATE TABLE item (id int PRIMARY KEY, name text, price numeric);
                INSERT INTO item SELECT g, 'item ' || g, CASE WHEN g % 5 = 0 THEN NULL ELSE g END
                  FROM generate_series(1, 100) g;
                CREATE MATERIALIZED VIEW analysis_average_view AS
                  SELECT id % 10 AS bucket, avg(price) AS average_value FROM item GROUP BY 1;
            """,
        },
        {"name": "down-db", "ip_types": ["PRIVATE"], "databases": ["down"], "user": "down",
         "password_secret": "down-db-password", "unreachable": True},
    ],
}


@dataclass
class SqlSandbox:
    running: RunningSandbox
    thread: SandboxThread

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints.for_sandbox(self.running.endpoints)

    @property
    def cloudsql(self) -> CloudSqlState:
        state: CloudSqlState = self.running.shared["cloudsql"]
        return state

    def tunnels(self) -> Tunnels:
        scenario = self.running.scenario
        return Tunnels(self.endpoints, scenario.project, sql_instances(scenario))

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the sandbox's own loop (e.g. restart the database)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.thread.loop)
        return await asyncio.wrap_future(future)


@pytest.fixture(scope="session")
def sql_sandbox() -> Iterator[SqlSandbox]:
    thread = SandboxThread(scenario_from_dict(SQL_SCENARIO, source="<tunnel tests>"))
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes
    yield SqlSandbox(running, thread)
    thread.stop()
