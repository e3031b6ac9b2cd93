"""Emulated Cloud Run `UpdateService` with long-running operations, and the
`google.longrunning.Operations` service (GetOperation, WaitOperation) that the client's
`AsyncOperation` polls.

What Google does (docs/sandbox-fidelity.md, "Long-running operations and concurrency"):
- UpdateService answers at once with an Operation (metadata and response: a Service);
  the Service shows `reconciling`, its conditions move Reconciling -> Succeeded/Failed.
- A changed template creates a revision; it becomes Ready after the service's start-up
  time, or fails with the scenario's reason: the operation then ends with
  FAILED_PRECONDITION "Revision 'x' is not ready and cannot serve traffic. <reason>" and
  the traffic still goes where it went (traffic_statuses unchanged).
- Traffic naming a revision that does not exist ends the operation with INTERNAL
  "Revision 'x' does not exist or is deleted. ...".
- An `etag` sent with the Service that is not the current one is refused with ABORTED
  (AIP-154), so nobody overwrites a change they have not seen.

Scenario keys, per `[[services]]` table: `startup_time` (default "1s": how long a new
revision takes to become Ready), `next_failure` (the next revision created fails with
this reason; `true`: the service's `failure`), `routing_time` (default "100ms": traffic
moving). `[operations]` sets the defaults for every service.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

import grpc
from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.protobuf import any_pb2, timestamp_pb2
from google.rpc import code_pb2, status_pb2

from staging_tui.sandbox.rpc import service_handler, unary
from staging_tui.sandbox.run_api import PB, SERVICES, RunState, revision_name
from staging_tui.sandbox.scenario import Scenario, parse_duration
from staging_tui.sandbox.server_context import SandboxContext

OPERATIONS = "google.longrunning.Operations"
COND = run_v2.Condition
SUCCEEDED = int(COND.State.CONDITION_SUCCEEDED)
RECONCILING = int(COND.State.CONDITION_RECONCILING)
FAILED = int(COND.State.CONDITION_FAILED)
LATEST = int(run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST)
MAX_WAIT_S = 60.0  # WaitOperation without a timeout: bounded, as Google's is


def _now() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.GetCurrentTime()
    return ts


def etag_of(service: Any) -> str:
    """A fingerprint of this version of the service (opaque to clients, as Google's)."""
    digest = hashlib.sha256(
        f"{service.name}/{service.generation}/{service.update_time.seconds}."
        f"{service.update_time.nanos}".encode()).hexdigest()[:20]
    return f'"{digest}"'


def _set_condition(conditions: Any, kind: str, state: int, message: str = "") -> None:
    for cond in conditions:
        if cond.type_ == kind:
            cond.state = state
            cond.message = message
            cond.last_transition_time.CopyFrom(_now())
            return
    conditions.add(type_=kind, state=state, message=message, last_transition_time=_now())


def _template_key(template: Any) -> bytes:
    clone = type(template)()
    clone.CopyFrom(template)
    clone.revision = ""
    return bytes(clone.SerializeToString(deterministic=True))


class Timing:
    """Start-up and routing times and pending failures, from the scenario."""

    def __init__(self, scenario: Scenario) -> None:
        defaults: Mapping[str, Any] = scenario.tables.get("operations", {})
        self.startup: dict[str, float] = {}
        self.routing: dict[str, float] = {}
        self.next_failure: dict[str, str] = {}
        base_startup = parse_duration(defaults.get("startup_time", "1s"), where="operations")
        base_routing = parse_duration(defaults.get("routing_time", "100ms"), where="operations")
        for spec in scenario.tables.get("services", []):
            name = str(spec["name"])
            where = f"services.{name}"
            self.startup[name] = parse_duration(spec.get("startup_time", base_startup), where=where)
            self.routing[name] = parse_duration(spec.get("routing_time", base_routing), where=where)
            failure = spec.get("next_failure")
            if failure is True:  # the same reason as the scenario's failed revision
                failure = spec.get("failure") or "The user-provided container failed to start."
            if failure:
                self.next_failure[name] = str(failure)


class Operations:
    """The operations of this sandbox, with an event per operation for WaitOperation."""

    def __init__(self) -> None:
        self.ops: dict[str, operations_pb2.Operation] = {}
        self.done: dict[str, asyncio.Event] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, parent: str, service: Any) -> operations_pb2.Operation:
        name = f"{parent}/operations/{uuid.uuid4()}"
        op = operations_pb2.Operation(name=name, done=False)
        op.metadata.Pack(service)
        self.ops[name] = op
        self.done[name] = asyncio.Event()
        return op

    def progress(self, name: str, service: Any) -> None:
        self.ops[name].metadata.Pack(service)

    def finish(self, name: str, service: Any, error: status_pb2.Status | None = None) -> None:
        op = self.ops[name]
        op.metadata.Pack(service)
        if error is not None:
            op.error.CopyFrom(error)
        else:
            response = any_pb2.Any()
            response.Pack(service)
            op.response.CopyFrom(response)
        op.done = True
        self.done[name].set()


class ServiceUpdater:
    """Applies UpdateService requests to the shared RunState, as Google's control plane."""

    def __init__(self, state: RunState, timing: Timing, operations: Operations) -> None:
        self.state = state
        self.timing = timing
        self.operations = operations
        for service in state.services.values():
            service.etag = etag_of(service)

    def _bump(self, service: Any) -> None:
        service.update_time.CopyFrom(_now())
        service.etag = etag_of(service)

    async def update(self, req: Any, context: grpc.aio.ServicerContext) -> Any:
        wanted = type(req.service).pb(req.service)
        current = self.state.services.get(wanted.name)
        if current is None:
            await context.abort(grpc.StatusCode.NOT_FOUND,
                                f"Resource '{wanted.name}' was not found")
            raise AssertionError  # abort raises
        if wanted.etag and wanted.etag != current.etag:
            await context.abort(
                grpc.StatusCode.ABORTED,
                f"The service '{wanted.name.rsplit('/', 1)[-1]}' was modified concurrently "
                f"(etag {wanted.etag} is not the current one): read it again and retry.")
        if wanted.traffic:
            total = sum(t.percent for t in wanted.traffic)
            if total != 100:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Traffic percentages must sum to 100, got {total}.")
            tags = [t.tag for t in wanted.traffic if t.tag]
            if len(tags) != len(set(tags)):
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                    "Traffic tags must be unique.")
        parent = wanted.name.split("/services/", 1)[0]
        new_template = _template_key(wanted.template) != _template_key(current.template)
        previous_traffic = [PB["TrafficTarget"]() for _ in current.traffic]
        for copy, target in zip(previous_traffic, current.traffic, strict=True):
            copy.CopyFrom(target)
        if not list(current.traffic_statuses):
            self._set_statuses(current, list(current.traffic))
        # The spec is stored at once (generation moves); the status follows in the operation.
        current.template.CopyFrom(wanted.template)
        if wanted.traffic:
            del current.traffic[:]
            current.traffic.extend(wanted.traffic)
        current.generation += 1
        current.reconciling = True
        current.last_modifier = "sandbox-user@example.com"
        _set_condition([current.terminal_condition], "Ready", RECONCILING)
        _set_condition(current.conditions, "RoutesReady", RECONCILING)
        revision = ""
        if new_template:
            revision = self._create_revision(current)
            _set_condition(current.conditions, "ConfigurationsReady", RECONCILING,
                           f"Deploying revision '{revision}'.")
        self._bump(current)
        op = self.operations.start(parent, current)
        task = asyncio.get_running_loop().create_task(
            self._run(op.name, current, revision, previous_traffic))
        self.operations.tasks.add(task)
        task.add_done_callback(self.operations.tasks.discard)
        return op

    def _create_revision(self, service: Any) -> str:
        short = service.name.rsplit("/", 1)[-1]
        revisions = self.state.revisions.setdefault(service.name, [])
        number = len(revisions) + 1
        rname = revision_name(short, number)
        service.template.revision = ""
        revisions.append(PB["Revision"](
            name=f"{service.name}/revisions/{rname}",
            uid=hashlib.md5(rname.encode()).hexdigest(),
            service=service.name,
            generation=service.generation,
            create_time=_now(),
            containers=list(service.template.containers),
            scaling=service.template.scaling,
            service_account=service.template.service_account,
            labels=dict(service.template.labels),
            reconciling=True,
            conditions=[
                PB["Condition"](type_="Ready", state=RECONCILING, last_transition_time=_now()),
                PB["Condition"](type_="ContainerHealthy", state=RECONCILING,
                                last_transition_time=_now()),
            ],
        ))
        service.latest_created_revision = f"{service.name}/revisions/{rname}"
        return rname

    def _revision(self, service: Any, short: str) -> Any:
        for rev in self.state.revisions.get(service.name, []):
            if rev.name.rsplit("/", 1)[-1] == short:
                return rev
        return None

    async def _run(self, op: str, service: Any, revision: str, previous: list[Any]) -> None:
        short = service.name.rsplit("/", 1)[-1]
        if revision:
            await asyncio.sleep(self.timing.startup.get(short, 1.0))
            rev = self._revision(service, revision)
            failure = self.timing.next_failure.pop(short, "")
            if failure:
                self._fail_revision(service, rev, failure)
                message = f"Revision '{revision}' is not ready and cannot serve traffic. {failure}"
                _set_condition(service.conditions, "ConfigurationsReady", FAILED, message)
                self._end(op, service, previous, code_pb2.FAILED_PRECONDITION, message)
                return
            for cond in rev.conditions:
                cond.state = SUCCEEDED
                cond.last_transition_time.CopyFrom(_now())
            rev.reconciling = False
            service.latest_ready_revision = rev.name
            _set_condition(service.conditions, "ConfigurationsReady", SUCCEEDED)
            self._bump(service)
            self.operations.progress(op, service)
        await asyncio.sleep(self.timing.routing.get(short, 0.1))
        for target in service.traffic:
            if target.type_ == LATEST or not target.revision:
                continue
            rev = self._revision(service, target.revision)
            if rev is None:
                self._end(op, service, previous, code_pb2.INTERNAL,
                          f"Revision '{target.revision}' does not exist or is deleted. Update "
                          "all traffic to route to currently available revisions.")
                return
            ready = next((c for c in rev.conditions if c.type_ == "Ready"), None)
            if ready is None or ready.state != SUCCEEDED:
                self._end(op, service, previous, code_pb2.FAILED_PRECONDITION,
                          f"Revision '{target.revision}' is not ready and cannot serve traffic.")
                return
        self._set_statuses(service, list(service.traffic))
        _set_condition(service.conditions, "RoutesReady", SUCCEEDED)
        configs = next((c for c in service.conditions if c.type_ == "ConfigurationsReady"), None)
        config_ok = configs is None or configs.state == SUCCEEDED
        _set_condition([service.terminal_condition], "Ready", SUCCEEDED if config_ok else FAILED,
                       "" if config_ok else configs.message if configs else "")
        service.reconciling = False
        service.observed_generation = service.generation
        self._bump(service)
        self.operations.finish(op, service)

    def _fail_revision(self, service: Any, rev: Any, reason: str) -> None:
        for cond in rev.conditions:
            cond.state = FAILED
            cond.message = reason
            cond.last_transition_time.CopyFrom(_now())
        rev.reconciling = False

    def _end(self, op: str, service: Any, previous: list[Any], code: int, message: str) -> None:
        """The operation failed: what serves keeps serving (traffic and its status)."""
        if previous and code == code_pb2.INTERNAL:
            del service.traffic[:]
            service.traffic.extend(previous)
        _set_condition(service.conditions, "RoutesReady", SUCCEEDED)
        _set_condition([service.terminal_condition], "Ready", FAILED, message)
        service.reconciling = False
        service.observed_generation = service.generation
        self._bump(service)
        self.operations.finish(op, service, status_pb2.Status(code=code, message=message))

    def _set_statuses(self, service: Any, traffic: list[Any]) -> None:
        del service.traffic_statuses[:]
        latest = service.latest_ready_revision.rsplit("/", 1)[-1]
        for t in traffic:
            service.traffic_statuses.add(
                type_=t.type_, revision=t.revision or (latest if t.type_ == LATEST else ""),
                percent=t.percent, tag=t.tag)


def install(ctx: SandboxContext) -> None:
    """UpdateService on the Run v2 `Services` servicer, plus google.longrunning.Operations."""
    state: RunState = ctx.shared["run_state"]
    operations = Operations()
    updater = ServiceUpdater(state, Timing(ctx.scenario), operations)
    faults = ctx.scenario.faults
    ctx.shared["run_operations"] = operations

    async def update_service(req: run_v2.UpdateServiceRequest,
                             context: grpc.aio.ServicerContext) -> Any:
        await faults.apply("run", "UpdateService", req.service.name, context)
        return await updater.update(req, context)

    async def get_operation(req: operations_pb2.GetOperationRequest,
                            context: grpc.aio.ServicerContext) -> Any:
        await faults.apply("run", "GetOperation", req.name, context)
        if req.name not in operations.ops:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"Operation '{req.name}' not found")
        return operations.ops[req.name]

    async def wait_operation(req: operations_pb2.WaitOperationRequest,
                             context: grpc.aio.ServicerContext) -> Any:
        await faults.apply("run", "WaitOperation", req.name, context)
        if req.name not in operations.ops:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"Operation '{req.name}' not found")
        timeout = req.timeout.ToTimedelta().total_seconds() if req.HasField("timeout") else 0
        remaining = context.time_remaining()
        limit = min(t for t in (timeout or MAX_WAIT_S, remaining or MAX_WAIT_S, MAX_WAIT_S))
        try:
            await asyncio.wait_for(operations.done[req.name].wait(), timeout=max(limit, 0))
        except TimeoutError:
            pass  # answer with the latest state, as Google does at the timeout
        return operations.ops[req.name]

    ctx.add_grpc(service_handler(SERVICES, [
        unary(SERVICES, "UpdateService", run_v2.UpdateServiceRequest,
              operations_pb2.Operation, update_service),
    ]))
    ctx.add_grpc(service_handler(OPERATIONS, [
        unary(OPERATIONS, "GetOperation", _Raw(operations_pb2.GetOperationRequest),
              operations_pb2.Operation, get_operation),
        unary(OPERATIONS, "WaitOperation", _Raw(operations_pb2.WaitOperationRequest),
              operations_pb2.Operation, wait_operation),
    ]))


class _Raw:
    """A raw protobuf request type with the `deserialize` that `unary` expects."""

    def __init__(self, cls: Any) -> None:
        self.cls = cls

    def deserialize(self, data: bytes) -> Any:
        return self.cls.FromString(data)
