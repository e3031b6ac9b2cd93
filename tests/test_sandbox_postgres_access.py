"""No one but the sandbox can use the sandbox's PostgreSQL: a random superuser password
per run, scram-sha-256 for every role (no `trust` on TCP), loopback and a private socket
dir only, no root group; an IAM user logs in without a password only through a tunnel
that does IAM database authentication (as Cloud SQL)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import psycopg
import pytest
from fixtures_tunnel import SqlSandbox

from staging_tui.domain import SqlInstance, TunnelOptions
from staging_tui.sandbox.postgres import PostgresServer

MAIN = "tunnel-test:us-central1:main-db"
ROBOT = "robot@tunnel-test.iam"


def test_the_superuser_password_is_random_per_run(postgres: PostgresServer) -> None:
    assert postgres.password != PostgresServer(bindir=postgres.bindir).password
    assert len(postgres.password) >= 24


def test_no_login_without_the_password(postgres: PostgresServer) -> None:
    for host in ("127.0.0.1", postgres.socket_dir):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host=host, port=postgres.port, user="postgres", dbname="postgres",
                            password="sandbox-superuser", connect_timeout=10).close()


def test_scram_everywhere_loopback_only_and_a_private_socket(postgres: PostgresServer) -> None:
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        rules = conn.execute("SELECT type, auth_method FROM pg_hba_file_rules").fetchall()
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('listen_addresses', 'unix_socket_permissions', 'password_encryption')"
        ).fetchall())
    assert rules and {auth for _, auth in rules} == {"scram-sha-256"}, rules
    assert settings == {"listen_addresses": "127.0.0.1", "unix_socket_permissions": "0700",
                        "password_encryption": "scram-sha-256"}
    assert stat.S_IMODE(os.stat(postgres.socket_dir).st_mode) == 0o700


def test_postgres_runs_without_the_root_group(postgres: PostgresServer) -> None:
    pid = int((postgres.datadir / "postmaster.pid").read_text().split()[0])
    status = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    uids, gids = status["Uid"].split(), status["Gid"].split()
    groups = status["Groups"].split()
    if os.geteuid() == 0:
        assert "0" not in uids and "0" not in gids and "0" not in groups, status


async def test_an_iam_user_needs_an_iam_tunnel(sql_sandbox: SqlSandbox) -> None:
    """Without IAM authn the certificate carries no token: the IAM user is refused
    (Cloud SQL: automatic IAM database authentication needs the token-bound cert)."""
    tunnels = sql_sandbox.tunnels()
    robot = SqlInstance(MAIN, database="app", user=ROBOT, iam_auth=False)
    try:
        tunnel = await tunnels.start(robot, TunnelOptions(iam_auth=False, port=0))
        result = str(tunnel.state.connection_test)
        assert result.startswith("failed"), tunnel.state
        assert "reject" in result, result
        with pytest.raises(psycopg.OperationalError):
            await psycopg.AsyncConnection.connect(host="127.0.0.1", port=tunnel.port,
                                                  user=ROBOT, dbname="app", connect_timeout=20)
        server = sql_sandbox.cloudsql.database.server
        assert server is not None
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            rules = conn.execute("SELECT type, user_name, auth_method FROM pg_hba_file_rules"
                                 " WHERE auth_method = 'trust'").fetchall()
        assert rules == [("local", [ROBOT], "trust")], rules
    finally:
        await tunnels.close()
