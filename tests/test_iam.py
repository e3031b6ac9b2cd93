"""IAM as Google applies it: IAM database users named as the connector names them,
Cloud SQL's 403 for an unknown instance / missing role / disabled API, and
SERVICE_DISABLED carried as google.rpc.ErrorInfo."""

from __future__ import annotations

import pytest
from fixtures_tunnel import SqlSandbox

from staging_tui.domain import SqlInstance, postgres_iam_user
from staging_tui.errors import TunnelError
from staging_tui.gcp.query_target import tunnel_target
from staging_tui.render.tunnels import database_url

MAIN = "tunnel-test:us-central1:main-db"


def test_service_account_users_lose_the_domain_suffix() -> None:
    assert postgres_iam_user("robot@p.iam.gserviceaccount.com") == "robot@p.iam"
    assert postgres_iam_user("dev@example.com") == "dev@example.com"
    assert SqlInstance(MAIN, user="robot@p.iam.gserviceaccount.com", iam_auth=True
                       ).login_user == "robot@p.iam"
    assert SqlInstance(MAIN, user="x@p.iam.gserviceaccount.com").login_user == (
        "x@p.iam.gserviceaccount.com")  # a password login keeps the name as written


async def test_tunnel_and_query_log_in_as_the_formatted_iam_user(
        sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    robot = SqlInstance(MAIN, database="app", user="robot@tunnel-test.iam.gserviceaccount.com",
                        iam_auth=True)
    tunnels.instances = (*tunnels.instances, robot)
    try:
        tunnel = await tunnels.start(robot)
        assert tunnel.state.connection_test.startswith("ok"), tunnel.state
        assert database_url(tunnel.state, None, masked=False).startswith(
            "postgresql://robot%40tunnel-test.iam@127.0.0.1:")
        target = await tunnel_target(tunnels, MAIN)
        assert target.user == "robot@tunnel-test.iam"
    finally:
        await tunnels.close()


async def test_cloud_sql_api_disabled_names_the_api_and_project(
        sql_sandbox: SqlSandbox) -> None:
    faults = sql_sandbox.running.scenario.faults
    faults.service_disabled = ("sqladmin",)
    tunnels = sql_sandbox.tunnels()
    try:
        with pytest.raises(TunnelError) as info:
            await tunnels.start("main-db", test=False)
    finally:
        faults.service_disabled = ()
        await tunnels.close()
    assert "Cloud SQL Admin API is not enabled" in info.value.message
    assert info.value.fix == (
        "run: gcloud services enable sqladmin.googleapis.com --project tunnel-test")


async def test_missing_role_is_refused_like_an_unknown_instance(
        sql_sandbox: SqlSandbox) -> None:
    faults = sql_sandbox.running.scenario.faults
    faults.permission_denied = ("projects/tunnel-test/instances/main-db",)
    tunnels = sql_sandbox.tunnels()
    try:
        with pytest.raises(TunnelError) as denied:
            await tunnels.start("main-db", test=False)
        with pytest.raises(TunnelError) as unknown:
            await tunnels.start("tunnel-test:us-central1:nope", test=False)
    finally:
        faults.permission_denied = ()
        await tunnels.close()
    for err in (denied.value, unknown.value):
        assert "(403): The client is not authorized to make this request." in err.message
        assert "roles/cloudsql.client" in err.fix and "connection name" in err.fix
