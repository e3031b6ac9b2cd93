"""Contract tests: UpdateService and its long-running operation, through the real
google-cloud-run async client (AsyncOperation, WaitOperation) against the sandbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fixtures_actions import FAILURE
from google.api_core import exceptions as gexc
from google.cloud import run_v2

from staging_tui import errors
from staging_tui.domain import ActionProgress, ActionStage, Readiness, Service
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import RunAdapter
from staging_tui.gcp.run_actions import RunActions
from staging_tui.render.action_plans import (
    plan_env,
    plan_pin_secret,
    plan_restart,
    plan_rollback,
    plan_traffic,
    plan_undo,
)
from staging_tui.sandbox.server import RunningSandbox


def clients(sandbox: RunningSandbox) -> tuple[RunAdapter, RunActions]:
    sc = sandbox.scenario
    run = RunAdapter(Endpoints.for_sandbox(sandbox.endpoints), sc.project, sc.regions)
    return run, RunActions(run.services_client, sc.project)


async def service_and_revisions(run: RunAdapter, name: str) -> tuple[Service, list]:  # type: ignore[type-arg]
    return await run.get_service(name), await run.list_revisions(name)


async def test_rollback_pins_the_last_ready_revision_past_a_failed_one(
        actions_sandbox: RunningSandbox) -> None:
    run, actions = clients(actions_sandbox)
    svc, revs = await service_and_revisions(run, "backend-staging")
    assert svc.etag
    plan = plan_rollback(svc, revs)
    assert plan.traffic_after[0].revision == "backend-staging-00003-" + revs[1].name[-3:]
    seen: list[ActionProgress] = []
    done = await actions.apply(plan, seen.append)
    assert [p.stage for p in seen] == [ActionStage.SENT, ActionStage.ROUTING, ActionStage.DONE]
    assert seen[0].operation.startswith(
        "projects/actions-test/locations/us-central1/operations/")
    assert [(t.revision, t.percent, t.latest) for t in done.traffic] == [
        (revs[1].name, 100, False)]
    assert done.etag != svc.etag
    await run.close()


async def test_restart_creates_a_revision_and_reports_its_stages(
        actions_sandbox: RunningSandbox) -> None:
    run, actions = clients(actions_sandbox)
    svc, _ = await service_and_revisions(run, "api-staging")
    seen: list[ActionProgress] = []
    done = await actions.apply(plan_restart(svc, datetime.now(UTC)), seen.append)
    # ROUTING shows only when a WaitOperation long-poll ends while traffic moves.
    stages = [p.stage for p in seen if p.stage is not ActionStage.ROUTING]
    assert stages == [ActionStage.SENT, ActionStage.CREATING, ActionStage.READY,
                      ActionStage.DONE]
    new = "api-staging-00004-"
    assert seen[1].revision.startswith(new)
    assert done.latest_ready_revision.startswith(new) and done.readiness is Readiness.READY
    revs = await run.list_revisions("api-staging")
    assert revs[0].name.startswith(new) and revs[0].readiness is Readiness.READY
    assert revs[0].containers == revs[1].containers  # same template
    await run.close()


async def test_a_failing_new_revision_fails_the_operation_and_leaves_traffic(
        actions_sandbox: RunningSandbox) -> None:
    run, actions = clients(actions_sandbox)
    svc, _ = await service_and_revisions(run, "backend-staging")
    plan = plan_pin_secret(svc, "POSTGRES_HOST", "2")
    seen: list[ActionProgress] = []
    with pytest.raises(errors.OperationFailed) as info:
        await actions.apply(plan, seen.append)
    assert info.value.code == "FAILED_PRECONDITION"
    assert "is not ready and cannot serve traffic" in info.value.message
    assert FAILURE in info.value.message
    assert info.value.operation == seen[0].operation
    assert seen[-1].stage is ActionStage.FAILED
    after = await run.get_service("backend-staging")
    assert after.traffic == svc.traffic
    assert after.latest_ready_revision == svc.latest_ready_revision
    assert after.latest_created_revision.startswith("backend-staging-00005-")
    await run.close()


async def test_a_stale_etag_is_refused_with_aborted(actions_sandbox: RunningSandbox) -> None:
    run, actions = clients(actions_sandbox)
    svc, revs = await service_and_revisions(run, "web-staging")
    # Someone else moves the traffic between our preview and our apply.
    other = plan_traffic(svc, revs, {revs[0].name: 100})
    await actions.apply(other)
    mine = plan_traffic(svc, revs, {revs[0].name: 50, revs[1].name: 50})
    with pytest.raises(errors.ConcurrentModification) as info:
        await actions.apply(mine)
    assert "changed since this preview" in info.value.message
    now = await run.get_service("web-staging")
    assert [(t.revision, t.percent) for t in now.traffic if t.percent] == [(revs[0].name, 100)]
    await run.close()


async def test_undo_restores_the_previous_split_and_keeps_the_tag(
        actions_sandbox: RunningSandbox) -> None:
    run, actions = clients(actions_sandbox)
    svc, revs = await service_and_revisions(run, "web-staging")
    plan = plan_rollback(svc, revs)  # 90% on 5 -> 100% on 4
    assert plan.traffic_after[0].revision == revs[1].name
    moved = await actions.apply(plan)
    assert ("previous", revs[1].name) in {(t.tag, t.revision) for t in moved.traffic}
    undone = await actions.apply(plan_undo(plan, moved))
    assert undone.traffic == svc.traffic
    await run.close()


async def test_the_client_async_operation_polls_get_operation(
        actions_sandbox: RunningSandbox) -> None:
    """The library's own AsyncOperation.result() (GetOperation polling) ends with the Service."""
    run, _ = clients(actions_sandbox)
    client = run.services_client
    svc = await client.get_service(
        name="projects/actions-test/locations/us-central1/services/api-staging")
    svc.template.labels["k"] = "v"
    op = await client.update_service(service=svc)
    assert not op.done() if not asyncio.iscoroutinefunction(op.done) else True
    result = await op.result(timeout=30)
    assert isinstance(result, run_v2.Service)
    assert result.latest_ready_revision.endswith(result.latest_created_revision.rsplit("/")[-1])
    assert isinstance(op.metadata, run_v2.Service)
    await run.close()


async def test_invalid_split_and_unknown_revision(actions_sandbox: RunningSandbox) -> None:
    run, _ = clients(actions_sandbox)
    client = run.services_client
    name = "projects/actions-test/locations/us-central1/services/api-staging"
    svc = await client.get_service(name=name)
    svc.traffic = [run_v2.TrafficTarget(type_=2, revision="api-staging-00001-x", percent=60)]
    with pytest.raises(gexc.InvalidArgument):
        await client.update_service(service=svc)
    svc.traffic = [run_v2.TrafficTarget(type_=2, revision="api-staging-09999-zzz", percent=100)]
    op = await client.update_service(service=svc)
    with pytest.raises(gexc.GoogleAPICallError) as info:
        await op.result(timeout=30)
    assert "does not exist or is deleted" in str(info.value)
    now = await client.get_service(name=name)
    assert now.traffic[0].type_ == run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
    await run.close()


async def test_env_change_creates_a_revision_with_the_new_value(
        actions_sandbox: RunningSandbox) -> None:
    run, actions = clients(actions_sandbox)
    svc, _ = await service_and_revisions(run, "api-staging")
    done = await actions.apply(plan_env(svc, "LOG_LEVEL", "DEBUG"))
    assert {e.name: e.value for e in done.env}["LOG_LEVEL"] == "DEBUG"
    await run.close()


async def test_wait_operation_answers_at_its_timeout_with_the_latest_state(
        actions_sandbox: RunningSandbox) -> None:
    """WaitOperation returns when the operation ends or at the request's timeout (not done)."""
    from google.longrunning import operations_pb2
    from google.protobuf import duration_pb2

    run, _ = clients(actions_sandbox)
    client = run.services_client
    svc = await client.get_service(
        name="projects/actions-test/locations/us-central1/services/api-staging")
    svc.template.labels["k"] = "v2"  # a new revision: 150 ms start-up + 50 ms routing
    op = await client.update_service(service=svc)
    answer = await client.wait_operation(request=operations_pb2.WaitOperationRequest(
        name=op.operation.name, timeout=duration_pb2.Duration(nanos=20_000_000)))
    raw = operations_pb2.Operation.FromString(answer) if isinstance(answer, bytes) else answer
    assert not raw.done and raw.metadata.type_url.endswith("google.cloud.run.v2.Service")
    answer = await client.wait_operation(request=operations_pb2.WaitOperationRequest(
        name=op.operation.name, timeout=duration_pb2.Duration(seconds=10)))
    raw = operations_pb2.Operation.FromString(answer) if isinstance(answer, bytes) else answer
    assert raw.done and raw.response.type_url.endswith("google.cloud.run.v2.Service")
    await run.close()


def test_sandbox_profiles() -> None:
    from staging_tui.config import sandbox_settings

    plain = sandbox_settings()
    actions = sandbox_settings(profile="sandbox-actions")
    protected = sandbox_settings(profile="sandbox-protected")
    assert not plain.actions_allowed and plain.read_only
    assert actions.actions_allowed and not actions.protected
    assert protected.actions_allowed and protected.protected and not protected.writable
