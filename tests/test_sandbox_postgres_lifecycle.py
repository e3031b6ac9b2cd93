"""The sandbox's PostgreSQL never outlives the sandbox: a stop that arrives while the
lazy first start is still running (a test or the console ending right after the
first connection) waits for the start, then stops the server."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from pathlib import Path

import pytest
from waiting import until

from staging_tui.errors import SandboxError
from staging_tui.sandbox.cloudsql_db import SharedDatabase
from staging_tui.sandbox.postgres import PostgresServer
from staging_tui.sandbox.scenario import load_scenario
from staging_tui.sandbox.sql_scenario import sql_specs


def _postmasters_in(tmp: str) -> list[str]:
    lines = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return [line for line in lines if tmp in line and "postgres" in line]


async def test_stop_while_the_first_start_runs_leaves_no_server() -> None:
    db = SharedDatabase(sql_specs(load_scenario(None)))
    ensure = asyncio.ensure_future(db.ensure())
    def begun() -> bool:
        assert not ensure.done(), "the start ended before it could be stopped"
        return db.starting is not None and bool(db.starting.socket_dir)

    await until(begun, timeout=60, interval=0.005, what="the start to begin")
    assert db.starting is not None
    tmp = db.starting.socket_dir
    await db.stop()  # mid-start
    with pytest.raises(SandboxError, match="stopped while starting"):
        await ensure
    assert _postmasters_in(tmp) == []
    assert not Path(tmp).exists()
    assert not db.started


def test_a_stopped_server_does_not_start() -> None:
    server = PostgresServer()
    server.stop()
    with pytest.raises(SandboxError):
        server.start()
    with contextlib.suppress(AttributeError):
        assert not server.datadir.exists()
