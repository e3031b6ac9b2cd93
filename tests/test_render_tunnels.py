"""Connection strings and rows for tunnels: masked unless a password is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from staging_tui.domain import TunnelState, TunnelStatus
from staging_tui.render.tunnels import database_url, human_bytes, psql_command, tunnel_row

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STATE = TunnelState(instance="p:us-central1:biocirv-db", status=TunnelStatus.READY, port=5433,
                    database="biocirv", user="biocirv_readonly", connections=2,
                    bytes_in=2048, bytes_out=5 * 1024 * 1024,
                    started_at=NOW - timedelta(minutes=3, seconds=7))


def test_database_url_masks_unless_revealed() -> None:
    assert database_url(STATE) == "postgresql://biocirv_readonly:********@127.0.0.1:5433/biocirv"
    assert database_url(STATE, "p@ss/w:rd") == (
        "postgresql://biocirv_readonly:p%40ss%2Fw%3Ard@127.0.0.1:5433/biocirv")
    assert database_url(STATE, None, masked=False) == (
        "postgresql://biocirv_readonly@127.0.0.1:5433/biocirv")


def test_psql_command_has_pgpassword_only_when_revealed() -> None:
    assert psql_command(STATE) == (
        "psql 'host=127.0.0.1 port=5433 dbname=biocirv user=biocirv_readonly'")
    assert psql_command(STATE, "it's").startswith("PGPASSWORD='it'\"'\"'s' psql ")


def test_row() -> None:
    assert tunnel_row(STATE, NOW) == (
        "biocirv-db", "ready", "127.0.0.1:5433", "2", "2.0 KiB", "5.0 MiB", "3m07s")
    stopped = TunnelState(instance="p:r:x", status=TunnelStatus.STOPPED)
    assert tunnel_row(stopped, NOW) == ("x", "stopped", "-", "0", "0 B", "0 B", "-")
    assert human_bytes(3 * 1024**3) == "3.0 GiB"


def test_detail_names_the_ip_type_and_does_not_repeat_the_error() -> None:
    from dataclasses import replace

    from staging_tui.domain import ConnectionTest
    from staging_tui.render.tunnels import detail_lines

    error = "instance p:us-central1:biocirv-db unreachable: ConnectionResetError"
    failed = replace(STATE, status=TunnelStatus.ERROR, ip_type="PRIVATE", last_error=error,
                     connection_test=ConnectionTest(False, error))
    lines = dict(detail_lines(failed, NOW))
    assert lines["ip type"] == "PRIVATE"
    assert lines["connection test"] == "failed (the last error)"
    assert lines["last error"] == error
    assert lines["DATABASE_URL"].endswith(":********@127.0.0.1:5433/biocirv")
