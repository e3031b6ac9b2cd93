"""Incident actions on Cloud Run services: apply an `ActionPlan` with `UpdateService`.

The update carries the etag the plan was made from, so a service someone else changed
since the preview is refused (ABORTED) instead of overwritten. Progress comes from the
long-running operation's metadata (a Service): WaitOperation long-polls (at most one call
a second while it runs, answered at once when it ends), so the end is seen without
the client's default 1 s -> 60 s polling back-off.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import run_v2
from google.cloud.run_v2.services.services.transports.grpc_asyncio import (
    ServicesGrpcAsyncIOTransport,
)
from google.longrunning import operations_pb2
from google.protobuf import duration_pb2
from google.rpc import code_pb2

from staging_tui.domain import (
    ActionPlan,
    ActionProgress,
    ActionStage,
    Service,
    TrafficTarget,
)
from staging_tui.errors import ConcurrentModification, OperationFailed
from staging_tui.gcp.api_errors import call, map_api_error
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import service_from_pb

WAIT_S = 1            # each WaitOperation long-poll: how fresh the progress is
MAX_OPERATION_S = 900  # give up watching (the operation goes on at Google) after 15 min
_LATEST = int(run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST)
_REVISION = int(run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION)
_RECONCILING = int(run_v2.Condition.State.CONDITION_RECONCILING)
Progress = Callable[[ActionProgress], None]


async def start_operation(send: Callable[[], Awaitable[Any]], *, target: str, nothing: str,
                          reload: str, resource: str) -> operations_pb2.Operation:
    """Send the update (or run) that starts a long-running operation, carrying the etag
    previewed: Google refusing it (ABORTED) means `target` changed since the preview."""
    try:
        operation = await send()
    except gexc.Aborted as exc:
        raise ConcurrentModification(
            f"{target} changed since this preview (someone else updated it): {nothing}",
            f"reload {reload}, look at it, and preview again", resource=resource) from exc
    except gexc.GoogleAPIError as exc:
        raise map_api_error(exc, resource=resource) from None
    raw: operations_pb2.Operation = operation.operation
    return raw


async def wait_operation(client: Any, name: str, deadline: float,
                         on_call: Callable[[], None] | None = None) -> operations_pb2.Operation:
    """One WaitOperation long-poll (WAIT_S) of the running operation `name`: its newer
    state. Past `deadline` (time.monotonic()) it gives up watching: OperationFailed."""
    if time.monotonic() > deadline:
        raise OperationFailed(
            f"operation {name} still running after {MAX_OPERATION_S // 60} minutes",
            "watch it in the Cloud console; nothing was cancelled", operation=name,
            code="DEADLINE_EXCEEDED")
    if on_call is not None:
        on_call()
    answer: Any = await call(lambda: client.wait_operation(
        request=operations_pb2.WaitOperationRequest(
            name=name, timeout=duration_pb2.Duration(seconds=WAIT_S))))
    # google-cloud-run's generated WaitOperation stub has no response deserializer
    # (GetOperation's has): it hands back the Operation's bytes.
    return operations_pb2.Operation.FromString(answer) if isinstance(answer, bytes) else answer


def traffic_pb(targets: tuple[TrafficTarget, ...]) -> list[Any]:
    pb = run_v2.TrafficTarget.pb()
    return [pb(type_=_LATEST, percent=t.percent, tag=t.tag) if t.latest else
            pb(type_=_REVISION, revision=t.revision, percent=t.percent, tag=t.tag)
            for t in targets]


def apply_template_changes(template: Any, plan: ActionPlan) -> None:
    """Edit a raw RevisionTemplate as the plan says (env vars in the first container)."""
    for change in plan.template_changes:
        if change.kind == "label":
            if change.after is None:
                template.labels.pop(change.key, None)
            else:
                template.labels[change.key] = change.after
        elif change.kind == "env":
            container = template.containers[0]
            kept = [e for e in container.env if e.name != change.key]
            del container.env[:]
            container.env.extend(kept)
            if change.secret is not None:
                var = container.env.add(name=change.key)
                ref = var.value_source.secret_key_ref
                ref.secret = change.secret.secret
                ref.version = change.secret.version
            elif change.value is not None:
                container.env.add(name=change.key, value=change.value)
        template.revision = ""  # Google names the new revision


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def stage_of(service: Any, creates_revision: bool) -> tuple[ActionStage, str]:
    """Where a running UpdateService is, from the Service in the operation's metadata."""
    conds = {c.type_: c for c in service.conditions}
    newest = _short(service.latest_created_revision)
    config = conds.get("ConfigurationsReady")
    if creates_revision and config is not None and config.state == _RECONCILING:
        return ActionStage.CREATING, newest
    routes = conds.get("RoutesReady")
    if routes is not None and routes.state == _RECONCILING:
        return ActionStage.ROUTING, newest if creates_revision else ""
    return ActionStage.ROUTING, ""


class RunActions:
    """Applies incident action plans; `calls` counts the API calls it made."""

    def __init__(self, services: run_v2.ServicesAsyncClient, project: str) -> None:
        self._services = services
        self.project = project
        self.calls = 0

    @classmethod
    def for_endpoints(cls, endpoints: Endpoints, project: str) -> RunActions:
        """With its own Services client (Google, or the sandbox's channel)."""
        if endpoints.sandbox:
            client = run_v2.ServicesAsyncClient(
                transport=ServicesGrpcAsyncIOTransport(channel=endpoints.grpc_channel()))
        else:
            client = run_v2.ServicesAsyncClient(credentials=endpoints.credentials())
        return cls(client, project)

    async def close(self) -> None:
        await self._services.transport.close()  # type: ignore[no-untyped-call]

    def _count_call(self) -> None:
        self.calls += 1

    async def read(self, name: str, region: str) -> tuple[Service, object]:
        """The service to plan from, and its raw message for `apply(base=...)`: the console
        reads it once for the preview, so the confirmed action goes straight to the update."""
        full = f"projects/{self.project}/locations/{region}/services/{name}"
        self.calls += 1
        current = await call(lambda: self._services.get_service(name=full), resource=full)
        pb = type(current).pb(current)
        return service_from_pb(pb), pb

    async def apply(self, plan: ActionPlan, on_progress: Progress | None = None,
                    base: object = None) -> Service:
        """Run the plan to its end; raise ConcurrentModification or OperationFailed.
        `base` is the raw Service the plan was made from (read() reads it when None)."""
        report = on_progress or (lambda _p: None)
        full = f"projects/{plan.project}/locations/{plan.region}/services/{plan.service}"
        pb = base if base is not None else (await self.read(plan.service, plan.region))[1]
        wanted = run_v2.Service.pb()()
        wanted.CopyFrom(pb)
        wanted.etag = plan.etag  # the version previewed, not the one just read
        if plan.changes_traffic:
            del wanted.traffic[:]
            wanted.traffic.extend(traffic_pb(plan.traffic_after))
        apply_template_changes(wanted.template, plan)
        for field in ("traffic_statuses", "conditions", "terminal_condition"):
            wanted.ClearField(field)
        self.calls += 1
        raw = await start_operation(
            lambda: self._services.update_service(
                request=run_v2.UpdateServiceRequest(service=run_v2.Service.wrap(wanted))),
            target=plan.service, nothing="nothing was changed", reload="the service",
            resource=full)
        return await self._watch(plan, raw, report)

    async def _watch(self, plan: ActionPlan, raw: operations_pb2.Operation,
                     report: Progress) -> Service:
        name = raw.name
        report(ActionProgress(ActionStage.SENT, name))
        last: tuple[ActionStage, str] | None = None
        deadline = time.monotonic() + MAX_OPERATION_S
        while True:
            service = run_v2.Service.pb()()
            raw.metadata.Unpack(service)
            if raw.done:
                break
            stage = stage_of(service, plan.creates_revision)
            if stage != last:
                if last is not None and last[0] is ActionStage.CREATING:
                    report(ActionProgress(ActionStage.READY, name, last[1]))
                report(ActionProgress(stage[0], name, stage[1]))
                last = stage
            raw = await wait_operation(self._services, name, deadline, self._count_call)
        if raw.HasField("error"):
            code = code_pb2.Code.Name(raw.error.code)
            report(ActionProgress(ActionStage.FAILED, name, _short(service.latest_created_revision),
                                  raw.error.message))
            raise OperationFailed(
                f"{plan.service}: {raw.error.message}",
                "traffic was left where it was; see the new revision's logs (l in the console, "
                "or staging-tui logs SERVICE)",
                resource=service.name, operation=name, code=code)
        if last is not None and last[0] is ActionStage.CREATING:
            report(ActionProgress(ActionStage.READY, name, last[1]))
        result = run_v2.Service.pb()()
        raw.response.Unpack(result)
        done = service_from_pb(result)
        report(ActionProgress(ActionStage.DONE, name, done.latest_ready_revision))
        return done
