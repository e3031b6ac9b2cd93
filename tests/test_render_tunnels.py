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


def test_a_wildcard_listener_shows_its_real_address_and_a_warning() -> None:
    from dataclasses import replace

    from staging_tui.render.tunnels import detail_lines, exposure_warning, ready_line

    everywhere = replace(STATE, host="0.0.0.0")
    assert ready_line(everywhere).startswith("Listening on 0.0.0.0:5433 for ")
    assert tunnel_row(everywhere, NOW)[2] == "0.0.0.0:5433"
    assert "@127.0.0.1:5433/" in database_url(everywhere)  # where a local client connects
    detail = dict(detail_lines(everywhere, NOW))
    assert detail["local address"] == "0.0.0.0:5433"
    assert "not loopback" in detail["warning"]
    assert "WITHOUT A PASSWORD" in exposure_warning(everywhere, iam_auth=True)
    assert "WITHOUT A PASSWORD" not in exposure_warning(everywhere, iam_auth=False)
    assert exposure_warning(STATE, iam_auth=True) == ""
    assert "warning" not in dict(detail_lines(STATE, NOW))


def test_refused_clients_show_in_the_detail() -> None:
    from dataclasses import replace

    from staging_tui.domain import TUNNEL_FIXES, TunnelErrorKind
    from staging_tui.render.tunnels import detail_lines

    full = replace(STATE, max_connections=50, refused=3, error_kind=TunnelErrorKind.LIMIT,
                   last_error="connection limit 50 reached: refused 3 client(s)")
    detail = dict(detail_lines(full, NOW))
    assert detail["refused"].startswith("3 client(s): connection limit 50 reached; close idle")
    assert "tunnel_max_connections" in TUNNEL_FIXES[full.error_kind]


def test_one_dsn_builder_for_the_query_session_and_the_pane() -> None:
    from dataclasses import replace

    wildcard = replace(STATE, host="0.0.0.0")
    assert wildcard.url("pw") == "postgresql://biocirv_readonly:pw@127.0.0.1:5433/biocirv"
    assert database_url(wildcard, masked=False) == wildcard.url()
    v6 = replace(STATE, host="::1", user="", database="")
    assert v6.url() == "postgresql://postgres@[::1]:5433/postgres"


def test_connection_test_reads_as_before_and_errors_have_one_fix_table() -> None:
    import aiohttp

    from staging_tui.domain import TUNNEL_FIXES, ConnectionTest, TunnelErrorKind
    from staging_tui.gcp.cloudsql import error_kind

    assert str(ConnectionTest(True, ms=12.4)) == "ok: SELECT 1 in 12 ms"
    assert str(ConnectionTest(False, "refused")) == "failed: refused"
    assert error_kind(ConnectionRefusedError()) is TunnelErrorKind.UNREACHABLE
    assert error_kind(ValueError('FATAL: password authentication failed for user "x"')
                      ) is TunnelErrorKind.PASSWORD
    denied = aiohttp.ClientResponseError(None, (), status=403)  # type: ignore[arg-type]
    assert error_kind(denied) is TunnelErrorKind.ACCESS
    assert "roles/cloudsql.client" in TUNNEL_FIXES[TunnelErrorKind.ACCESS]
    assert TUNNEL_FIXES.get(TunnelErrorKind.OTHER) is None
