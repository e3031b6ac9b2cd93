"""The sandbox's PostgreSQL stops, and its temp dir goes, however its owner ends:
SIGKILL of the owner, SIGTERM or SIGHUP to the owner's whole process group, and
`staging-tui sandbox serve` on SIGTERM and on SIGINT when run as a background job
(SIGINT ignored, as shells do for `cmd &`). Real processes, real signals, bounded waits.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from staging_tui.sandbox.scenario import load_scenario

OWNER = """
import sys, time
from staging_tui.sandbox.postgres import PostgresServer
server = PostgresServer().start()
print(server.socket_dir, flush=True)
time.sleep(600)
"""


@pytest.fixture
def tmpdir_short() -> Iterator[Path]:
    """TMPDIR for the child: short (a unix socket path has ~107 bytes) and ours alone."""
    path = Path(tempfile.mkdtemp(prefix="t11-"))
    os.chmod(path, 0o755)  # the postgres user must reach its own dir inside
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _postgres_processes(mark: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return [line for line in out if mark in line and "postgres" in line
            and not line.lstrip().startswith("Z") and "pg_watchdog" not in line]


def _wait_clean(mark: Path, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in mark.iterdir() if p.name.startswith("staging-tui-pg-")]
        if not left and not _postgres_processes(str(mark)):
            return
        time.sleep(0.1)
    raise AssertionError(f"left behind: {list(mark.iterdir())} {_postgres_processes(str(mark))}")


def _wait_for_postmaster(mark: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(mark.glob("staging-tui-pg-*/data/postmaster.pid")) and _postgres_processes(
                str(mark)):
            return
        time.sleep(0.1)
    raise AssertionError("the sandbox's PostgreSQL did not start")


def _owner(tmp: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp)}, start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the server is up once the path is printed
    assert line.startswith(str(tmp)), line
    return proc


def test_sigkill_of_the_owner_stops_the_server_and_removes_its_dir(tmpdir_short: Path) -> None:
    proc = _owner(tmpdir_short)
    assert _postgres_processes(str(tmpdir_short))
    proc.kill()
    proc.wait(timeout=10)
    _wait_clean(tmpdir_short)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_whole_process_group_leaves_nothing(tmpdir_short: Path,
                                                            sig: signal.Signals) -> None:
    proc = _owner(tmpdir_short)
    os.killpg(proc.pid, sig)  # a closing terminal, `timeout`, a CI cancel
    proc.wait(timeout=10)
    _wait_clean(tmpdir_short)


def _serve(tmp: Path, ignore_sigint: bool) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "staging_tui.cli", "sandbox", "serve", "--endpoints-json"]
    if ignore_sigint:  # what a shell does to `staging-tui sandbox serve &`
        cmd = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp)}, start_new_session=True)
    assert proc.stdout is not None
    endpoints = json.loads(proc.stdout.readline())
    project = load_scenario().project
    # connectSettings warms the database up (as a connector's first refresh does).
    request = urllib.request.Request(
        f"{endpoints['sqladmin']}/sql/v1beta4/projects/{project}/instances/biocirv-db/"
        "connectSettings", headers={"Authorization": "Bearer sandbox"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    _wait_for_postmaster(tmp)
    return proc


@pytest.mark.parametrize(("sig", "background"), [(signal.SIGTERM, False),
                                                 (signal.SIGHUP, False),
                                                 (signal.SIGINT, True)])
def test_sandbox_serve_stops_cleanly(tmpdir_short: Path, sig: signal.Signals,
                                     background: bool) -> None:
    proc = _serve(tmpdir_short, ignore_sigint=background)
    try:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        _wait_clean(tmpdir_short, timeout=10)  # its own stop, not the watchdog's grace
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
