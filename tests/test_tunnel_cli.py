"""`staging-tui tunnel`: --list, and a foreground tunnel that serves until SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from staging_tui.sandbox.scenario import load_scenario
from staging_tui.sandbox.sql_scenario import sql_instances


def test_list_prints_one_connection_name_a_line() -> None:
    """In a child process of its own (nothing else in this worker writes to its stdout);
    `--list` reads the scenario only, so no sandbox (nor PostgreSQL) starts for it."""
    done = subprocess.run(
        [sys.executable, "-m", "staging_tui.cli", "--sandbox", "tunnel", "--list"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    expected = [i.connection_name for i in sql_instances(load_scenario())]
    assert "sandbox-staging:us-central1:biocirv-db" in expected
    assert done.stdout.splitlines() == expected


class Foreground:
    """`staging-tui --sandbox tunnel ...` in a child process, killed after a deadline
    (so a hang fails the test instead of blocking the worker)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "staging_tui.cli", "--sandbox", "tunnel", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.watchdog = threading.Timer(120, self.proc.kill)
        self.watchdog.start()

    def lines(self, n: int) -> list[str]:
        assert self.proc.stdout is not None
        return [self.proc.stdout.readline() for _ in range(n)]

    def stop(self, sig: signal.Signals) -> tuple[int, str]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, err

    def close(self) -> None:
        self.watchdog.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def test_foreground_tunnel_prints_database_url_serves_and_exits_0_on_sigterm() -> None:
    tunnel = Foreground("biocirv-db")
    try:
        lines = tunnel.lines(5)
        assert lines[0].startswith("Listening on 127.0.0.1:"), lines
        assert "ready for new connections" in lines[1]
        url = lines[2].strip().removeprefix("DATABASE_URL=")
        assert url.startswith("postgresql://biocirv_app:********@127.0.0.1:")
        assert lines[3].startswith("psql: psql 'host=127.0.0.1 port=")
        assert lines[4].startswith("connection test: ok"), lines  # password from Secret Manager
        # The sandbox's passwords are random per run ("sbx-" + hex): none is printed.
        assert "sbx-" not in "".join(lines)
        code, err = tunnel.stop(signal.SIGTERM)
        assert code == 0, err
        assert "draining" in err and "sbx-" not in err
    finally:
        tunnel.close()


REFRESH_VIEWS = """
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    conn.execute("REFRESH MATERIALIZED VIEW analysis_average_view")
    print(conn.execute("SELECT count(*) FROM analysis_average_view").fetchone()[0])
"""


def test_seed_000_gap_8_database_url_for_a_script_then_ctrl_c() -> None:
    """`DATABASE_URL=... python refresh_views.py` through the tunnel; Ctrl+C (SIGINT)
    drains it and exits 0."""
    tunnel = Foreground("sandbox-staging:us-central1:biocirv-db", "--show-password", "--no-test")
    try:
        lines = tunnel.lines(3)
        url = lines[2].strip().removeprefix("DATABASE_URL=")
        assert url.startswith("postgresql://biocirv_app:sbx-"), lines
        script = subprocess.run([sys.executable, "-c", REFRESH_VIEWS], capture_output=True,
                                text=True, env={**os.environ, "DATABASE_URL": url}, timeout=60,
                                check=False)
        assert script.returncode == 0, script.stderr
        assert int(script.stdout) > 0
        code, err = tunnel.stop(signal.SIGINT)
        assert code == 0, err
    finally:
        tunnel.close()


def test_every_interface_is_printed_as_such_with_a_loud_warning() -> None:
    tunnel = Foreground("biocirv-db", "--address", "0.0.0.0", "--iam", "--no-test")
    try:
        lines = tunnel.lines(3)
        assert lines[0].startswith("Listening on 0.0.0.0:"), lines
        assert "@127.0.0.1:" in lines[2]  # where a local client connects
        code, err = tunnel.stop(signal.SIGTERM)
        assert code == 0, err
        assert "WARNING: the tunnel listens on 0.0.0.0:" in err
        assert "WITHOUT A PASSWORD" in err  # --iam
    finally:
        tunnel.close()


@pytest.mark.parametrize(("args", "expected"), [
    (["--port", "70000"], "'70000' is not a TCP port: use 1-65535"),
    (["--port", "-1"], "'-1' is not a TCP port"),
    (["--address", "not-an-ip"], "'not-an-ip' is not an IP address: use 127.0.0.1"),
    (["--address", "192.0.2.1"], "cannot listen on 192.0.2.1: "),
    (["--max-connections", "-3"], "'-3' is not a connection limit"),
])
def test_bad_listen_options_fail_when_parsed(args: list[str], expected: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from staging_tui.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--sandbox", "tunnel", "biocirv-db", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err
