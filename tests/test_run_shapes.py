"""Cloud Run's real shapes, served by the sandbox and read by the adapter through the
official run_v2 clients: enums from a newer API, reasons, live traffic, URLs, etags,
severities, revision order, rollouts in progress and the paging rules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import run_v2
from google.cloud.run_v2.services.revisions.transports.grpc_asyncio import (
    RevisionsGrpcAsyncIOTransport,
)
from google.cloud.run_v2.services.services.transports.grpc_asyncio import (
    ServicesGrpcAsyncIOTransport,
)

from staging_tui.config import parse_config
from staging_tui.domain import ConditionState, Readiness, SqlInstance
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import RunAdapter
from staging_tui.gcp.tunnels import Tunnels
from staging_tui.render.service_detail import revision_cells, summary_text
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

TABLES: dict[str, Any] = {
    "project": {"id": "p", "region": "us-central1", "number": 123456789012},
    "services": [
        {"name": "api", "revisions": 3, "latest_ready": 2, "failure": "boom.",
         "failure_reason": 999},
        {"name": "web", "revisions": 3, "revision_suffixes": {"1": "initial"},
         "traffic": [{"revision": 3, "percent": 90}, {"revision": 2, "percent": 10,
                                                       "tag": "previous"}]},
        {"name": "rolling", "revisions": 2, "latest_ready": 1, "deploying": True},
    ],
}


@pytest.fixture(scope="module")
def shapes() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(TABLES))
    yield thread.start()
    thread.stop()


def adapter(sandbox: RunningSandbox) -> RunAdapter:
    return RunAdapter(Endpoints.for_sandbox(sandbox.endpoints), "p", ("us-central1",))


async def test_an_enum_value_from_a_newer_api_does_not_crash(shapes: RunningSandbox) -> None:
    # proto-plus raises ValueError on CommonReason(999): the list must still load.
    services = {s.name: s for s in await adapter(shapes).list_services()}
    assert services["api"].readiness is Readiness.FAILED
    revisions = await adapter(shapes).list_revisions("api")
    assert revisions[0].reason == "CommonReason(999)"


async def test_revision_reason_and_severities(shapes: RunningSandbox) -> None:
    revisions = await adapter(shapes).list_revisions("web")
    newest, older, oldest = revisions
    # Revisions that serve no traffic are Active=False, RETIRED, severity INFO: not failed.
    assert oldest.reason == "Active: RETIRED"
    assert oldest.readiness is Readiness.READY and oldest.failure_message == ""
    active = next(c for c in oldest.conditions if c.type == "Active")
    assert (active.state, active.severity) == (ConditionState.FAILED, "INFO")
    assert newest.reason == older.reason == ""
    failed = (await adapter(shapes).list_revisions("api"))[0]
    healthy = next(c for c in failed.conditions if c.type == "ContainerHealthy")
    assert healthy.severity == "ERROR" and healthy.state is ConditionState.FAILED
    ready = next(c for c in failed.conditions if c.type == "Ready")
    assert ready.severity == ""  # the terminal condition carries no severity


async def test_revisions_sort_by_creation_not_name(shapes: RunningSandbox) -> None:
    names = [r.name for r in await adapter(shapes).list_revisions("web")]
    assert names[-1] == "web-initial"  # by name it would sort first
    assert names[0].startswith("web-00003-")


async def test_live_traffic_urls_and_etag(shapes: RunningSandbox) -> None:
    web = await adapter(shapes).get_service("web")
    assert [(t.percent, t.tag) for t in web.live_traffic] == [(90, ""), (10, "previous")]
    tagged = web.live_traffic[1]
    assert tagged.uri.startswith("https://previous---web-") and tagged.uri.endswith(
        "-uc.a.run.app")
    assert "https://web-123456789012.us-central1.run.app" in web.urls
    assert web.etag
    text = summary_text(web).plain
    assert "web-123456789012.us-central1.run.app" in text and "Tag previous" in text
    revisions = await adapter(shapes).list_revisions("web")
    assert revision_cells(revisions[1], web)[2:4] == ("10%", "previous")


async def test_latest_traffic_resolves_to_the_serving_revision(shapes: RunningSandbox) -> None:
    api = await adapter(shapes).get_service("api")
    assert len(api.live_traffic) == 1 and api.live_traffic[0].revision == api.latest_ready_revision
    revisions = await adapter(shapes).list_revisions("api")
    cells = revision_cells(next(r for r in revisions if r.name == api.latest_ready_revision), api)
    assert cells[2] == "100%"


async def test_rollout_in_progress_looks_as_on_google(shapes: RunningSandbox) -> None:
    svc = await adapter(shapes).get_service("rolling")
    assert svc.readiness is Readiness.DEPLOYING and svc.rollout_pending
    assert svc.observed_generation < svc.generation
    newest, serving = await adapter(shapes).list_revisions("rolling")
    assert newest.name == svc.latest_created_revision and newest.readiness is Readiness.DEPLOYING
    assert newest.failure_message == "" and newest.reason == "PENDING"
    assert serving.name == svc.latest_ready_revision and serving.readiness is Readiness.READY


def _clients(sandbox: RunningSandbox) -> tuple[Any, Any]:
    channel = Endpoints.for_sandbox(sandbox.endpoints).grpc_channel()
    return (run_v2.ServicesAsyncClient(transport=ServicesGrpcAsyncIOTransport(channel=channel)),
            run_v2.RevisionsAsyncClient(transport=RevisionsGrpcAsyncIOTransport(channel=channel)))


async def test_negative_page_size_and_garbage_token_are_invalid(shapes: RunningSandbox) -> None:
    services, _ = _clients(shapes)
    parent = "projects/p/locations/us-central1"
    with pytest.raises(gexc.InvalidArgument):  # the official pager used to loop forever
        pager = await services.list_services(
            request=run_v2.ListServicesRequest(parent=parent, page_size=-1))
        await asyncio.wait_for(_drain(pager), timeout=20)
    with pytest.raises(gexc.InvalidArgument, match="page token"):
        await services.list_services(
            request=run_v2.ListServicesRequest(parent=parent, page_token="garbage"))
    pager = await services.list_services(request=run_v2.ListServicesRequest(parent=parent,
                                                                             page_size=1))
    assert len([s async for s in pager]) == 3


async def _drain(pager: Any) -> list[Any]:
    return [s async for s in pager]


async def test_wildcard_location_rejected_wildcard_service_allowed(
        shapes: RunningSandbox) -> None:
    services, revisions = _clients(shapes)
    with pytest.raises(gexc.InvalidArgument, match="wildcard"):
        await services.list_services(parent="projects/p/locations/-")
    pager = await revisions.list_revisions(parent="projects/p/locations/us-central1/services/-")
    names = {r.service.rsplit("/", 1)[-1] async for r in pager}
    assert names == {"api", "web", "rolling"}


def test_domain_scoped_connection_names_are_accepted() -> None:
    settings = parse_config(
        "[profiles.a]\nproject = 'example.com:p'\n[[profiles.a.sql]]\n"
        "connection_name = 'example.com:p:us-central1:db'\n", "c.toml")
    assert settings.sql_instances[0].short_name == "db"
    tunnels = Tunnels(Endpoints(), "example.com:p", (), _no_secret)
    assert tunnels.resolve("example.com:p:us-central1:other") == SqlInstance(
        "example.com:p:us-central1:other")


async def _no_secret(name: str) -> str:
    raise AssertionError(name)
