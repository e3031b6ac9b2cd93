"""Contract tests: the real google-cloud-run async clients against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from staging_tui import errors
from staging_tui.domain import ConditionState, Readiness
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import RunAdapter
from staging_tui.sandbox.generate import generated_tables
from staging_tui.sandbox.scenario import Scenario, scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread


def adapter_for(sandbox: RunningSandbox) -> RunAdapter:
    sc = sandbox.scenario
    return RunAdapter(Endpoints.for_sandbox(sandbox.endpoints), sc.project, sc.regions)


@pytest.fixture
def scenario_sandbox() -> Iterator[Any]:
    threads: list[SandboxThread] = []

    def start(tables: dict[str, Any]) -> RunningSandbox:
        thread = SandboxThread(scenario_from_dict(tables))
        threads.append(thread)
        return thread.start()

    yield start
    for t in threads:
        t.stop()


async def test_lists_the_default_scenario(sandbox: RunningSandbox) -> None:
    services = {s.name: s for s in await adapter_for(sandbox).list_services()}
    assert {"webservice", "prefect-server", "prefect-worker", "auth-staging", "backend-staging",
            "frontend-staging", "backend-pr-12", "frontend-pr-12", "backend-pr-7"} <= set(services)
    backend = services["backend-staging"]
    assert backend.readiness is Readiness.FAILED
    assert backend.rollout_pending
    assert "ConnectionRefusedError" in backend.failure_message
    assert backend.conditions[0].type == "Ready"
    assert backend.conditions[0].state is ConditionState.FAILED
    refs = {r.secret for r in backend.secret_refs()}
    assert "postgres-password-staging" in refs
    worker = services["prefect-worker"]
    assert any(v.value == "{{ $PREFECT_WORK_POOL_NAME }}" for v in worker.env)
    assert services["backend-pr-7"].traffic[1].tag == "previous"


async def test_pages_over_more_than_one_page(scenario_sandbox: Any) -> None:
    running = scenario_sandbox(generated_tables(services=1100, revisions=1))
    adapter = adapter_for(running)
    services = await adapter.list_services()
    assert len(services) == 1100  # 3 pages of PAGE_SIZE=500
    assert len({s.name for s in services}) == 1100


async def test_revisions_newest_first_with_failure(sandbox: RunningSandbox) -> None:
    revisions = await adapter_for(sandbox).list_revisions("backend-staging")
    assert [r.readiness for r in revisions] == [Readiness.FAILED] + [Readiness.READY] * 3
    assert "ConnectionRefusedError" in revisions[0].failure_message
    svc = await adapter_for(sandbox).get_service("backend-staging")
    assert svc.latest_created_revision == revisions[0].name


async def test_not_found_is_mapped(sandbox: RunningSandbox) -> None:
    with pytest.raises(errors.NotFound) as info:
        await adapter_for(sandbox).get_service("no-such-service")
    assert "no-such-service" in info.value.message and info.value.fix
    with pytest.raises(errors.NotFound):
        await adapter_for(sandbox).list_revisions("no-such-service")


def _tables(faults: dict[str, Any]) -> dict[str, Any]:
    return {"project": {"id": "p", "region": "us-central1"},
            "services": [{"name": "api"}], "faults": faults}


async def test_permission_denied_is_mapped(scenario_sandbox: Any) -> None:
    running = scenario_sandbox(_tables({"permission_denied": ["projects/p/locations/*"]}))
    with pytest.raises(errors.PermissionDenied) as info:
        await adapter_for(running).list_services()
    assert "Permission denied" in info.value.message and "IAM" in info.value.fix


async def test_unavailable_is_mapped(scenario_sandbox: Any) -> None:
    running = scenario_sandbox(_tables({"unavailable_every": 1}))
    with pytest.raises(errors.Unavailable) as info:
        await adapter_for(running).list_services()
    assert info.value.code == "UNAVAILABLE"


async def test_service_disabled_names_the_api_to_enable(scenario_sandbox: Any) -> None:
    running = scenario_sandbox(_tables({"service_disabled": ["run"]}))
    with pytest.raises(errors.ServiceDisabled) as info:
        await adapter_for(running).list_services()
    assert info.value.fix == "run: gcloud services enable run.googleapis.com --project p"


def test_scenario_project_is_required() -> None:
    with pytest.raises(errors.SandboxError) as info:
        scenario_from_dict({"services": []})
    assert "[project] id" in info.value.message


def test_default_scenario_loads(default_scenario: Scenario) -> None:
    assert default_scenario.project == "sandbox-staging"
