"""IAM as Google applies it: IAM database users named as the connector names them,
Cloud SQL's 403 for an unknown instance / missing role / disabled API, and
SERVICE_DISABLED carried as google.rpc.ErrorInfo."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest
from fixtures_tunnel import SqlSandbox

from staging_tui.audit.checks.health import check_health as check_health_findings
from staging_tui.audit.checks.services import check_public
from staging_tui.domain import HealthObservation, Level, SqlInstance, postgres_iam_user
from staging_tui.errors import TunnelError
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.health import check_health, identity_token
from staging_tui.gcp.query_target import tunnel_target
from staging_tui.gcp.run import RunAdapter
from staging_tui.render.service_detail import invokers_text
from staging_tui.render.tunnels import database_url
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

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
        assert tunnel.state.connection_test and tunnel.state.connection_test.ok, tunnel.state
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


# ------------------------------------------------------------------ service IAM, ingress

IAM_TABLES = {
    "project": {"id": "p", "region": "us-central1"},
    "services": [
        {"name": "private-api"},
        {"name": "no-invoker", "caller_can_invoke": False},
        {"name": "internal-api", "ingress": "internal"},
        {"name": "public-web", "public": True},
        {"name": "open-flag", "invoker_iam_disabled": True},
    ],
}


@pytest.fixture(scope="module")
def iam_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(IAM_TABLES))
    yield thread.start()
    thread.stop()


async def _get(sandbox: RunningSandbox, uri: str, token: str = "") -> int:
    host = uri.removeprefix("https://")
    headers = {"Host": host} | ({"Authorization": f"Bearer {token}"} if token else {})
    async with aiohttp.ClientSession() as http, http.get(
            f"http://{sandbox.endpoints['http']}/", headers=headers) as resp:
        return resp.status


async def test_service_urls_are_private_by_default(iam_sandbox: RunningSandbox) -> None:
    endpoints = Endpoints.for_sandbox(iam_sandbox.endpoints)
    run = RunAdapter(endpoints, "p", ("us-central1",))
    uris = {s.name: s.uri for s in await run.list_services()}
    token = await asyncio.to_thread(identity_token, endpoints, uris["private-api"])
    assert token
    assert await _get(iam_sandbox, uris["private-api"]) == 403  # no identity token
    assert await _get(iam_sandbox, uris["private-api"], "ya29.not-an-id-token") == 403
    assert await _get(iam_sandbox, uris["private-api"], token) == 200
    assert await _get(iam_sandbox, uris["no-invoker"], token) == 403
    assert await _get(iam_sandbox, uris["internal-api"], token) == 404
    assert await _get(iam_sandbox, uris["public-web"]) == 200
    assert await _get(iam_sandbox, uris["open-flag"]) == 200


async def test_console_health_sends_an_identity_token_and_names_refusals(
        iam_sandbox: RunningSandbox) -> None:
    endpoints = Endpoints.for_sandbox(iam_sandbox.endpoints)
    run = RunAdapter(endpoints, "p", ("us-central1",))
    services = {s.name: s for s in await run.list_services()}
    ok = await check_health(endpoints, services["private-api"].uri, "/")
    assert ok.status == 200 and ok.access() == ""
    denied = await check_health(endpoints, services["no-invoker"].uri, "/")
    assert denied.status == 403 and denied.access() == "private: you lack run.invoker"
    internal = services["internal-api"]
    hidden = await check_health(endpoints, internal.uri, "/")
    assert hidden.access(internal.ingress) == "not reachable from here (internal ingress)"


def test_doctor_does_not_report_private_or_internal_services_as_failed() -> None:
    found = check_health_findings([
        HealthObservation("no-invoker", "https://x/", 403),
        HealthObservation("internal-api", "https://y/", 404, ingress="internal"),
        HealthObservation("broken", "https://z/", 503),
    ])
    levels = {f.target: f.level for f in found}
    assert levels == {"no-invoker": Level.INFO, "internal-api": Level.INFO,
                      "broken": Level.ERROR}
    assert "you lack run.invoker" in next(f.title for f in found if f.target == "no-invoker")


async def test_public_is_read_from_the_iam_policy(iam_sandbox: RunningSandbox) -> None:
    run = RunAdapter(Endpoints.for_sandbox(iam_sandbox.endpoints), "p", ("us-central1",))
    services = {s.name: s for s in await run.list_services()}
    web = await run.with_access(services["public-web"])
    assert web.public is True and web.invoker_iam_disabled is False and web.publicly_invokable
    assert invokers_text(web) == "public: allUsers has roles/run.invoker"
    private = await run.with_access(services["private-api"])
    assert private.public is False and not private.publicly_invokable
    assert invokers_text(private) == "private (IAM: roles/run.invoker)"
    flag = await run.with_access(services["open-flag"])
    assert invokers_text(flag) == "public: invoker IAM check disabled"
    found = check_public([web, private, flag], protected=False)
    assert {f.target for f in found} == {"public-web", "open-flag"}
    assert "allUsers has roles/run.invoker" in found[0].evidence
