"""`staging-tui tunnel`: --list, and a foreground tunnel that serves until SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import psycopg
import pytest

from staging_tui.cli import main
from staging_tui.sandbox.scenario import load_scenario
from staging_tui.sandbox.sql_scenario import derived_password


def test_list_prints_one_connection_name_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sandbox", "tunnel", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "sandbox-staging:us-central1:biocirv-db" in lines
    assert all(line.count(":") == 2 for line in lines)


def test_foreground_tunnel_prints_database_url_serves_and_exits_0_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "staging_tui.cli", "--sandbox", "tunnel", "biocirv-db"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        assert lines[0].startswith("Listening on 127.0.0.1:"), lines
        assert "ready for new connections" in lines[1]
        url = lines[2].strip().removeprefix("DATABASE_URL=")
        assert url.startswith("postgresql://biocirv_app:********@127.0.0.1:")
        assert lines[4].startswith("connection test: ok"), lines  # password from Secret Manager
        password = derived_password(load_scenario(), "biocirv-db", "biocirv_app")
        assert password not in "".join(lines)
        with psycopg.connect(url.replace("********", password), connect_timeout=30) as conn:
            row = conn.execute("SELECT count(*) FROM analysis_average_view "
                               "WHERE average_value IS NULL").fetchone()
            assert row is not None and int(str(row[0])) > 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
