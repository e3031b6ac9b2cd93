"""Emulated Cloud Run Admin API v2: `Services` and `Revisions` over gRPC.

Reads the scenario's `[[services]]` tables. Each service has `revisions` revisions
(numbered 1..N); `latest_ready` names the one serving; revisions after it failed
(with `failure` as their Ready message) or are still deploying (`deploying = true`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import grpc
from google.cloud import run_v2
from google.protobuf import timestamp_pb2

from staging_tui.sandbox.rpc import page, service_handler, unary
from staging_tui.sandbox.run_urls import service_urls, tag_url
from staging_tui.sandbox.scenario import Scenario
from staging_tui.sandbox.server_context import SandboxContext

COND = run_v2.Condition
# Raw protobuf classes: building thousands of messages through proto-plus is ~10x slower.
PB = {name: getattr(run_v2, name).pb() for name in (
    "Service", "Revision", "RevisionTemplate", "Container", "EnvVar", "EnvVarSource",
    "SecretKeySelector", "ResourceRequirements", "ContainerPort", "RevisionScaling",
    "TrafficTarget", "TrafficTargetStatus", "Condition", "ListServicesResponse",
    "ListRevisionsResponse", "Volume", "SecretVolumeSource", "VersionToPath", "VolumeMount")}
SERVICES = "google.cloud.run.v2.Services"
REVISIONS = "google.cloud.run.v2.Revisions"
INGRESS = {
    "all": run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL,
    "internal": run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_ONLY,
    "internal-and-cloud-load-balancing": (
        run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER
    ),
    "none": run_v2.IngressTraffic.INGRESS_TRAFFIC_NONE,
}


def timestamp_pb(dt: Any) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


def revision_name(service: str, number: int) -> str:
    suffix = hashlib.sha1(f"{service}/{number}".encode()).hexdigest()[:3]
    return f"{service}-{number:05d}-{suffix}"


def _secret_volumes(specs: list[Mapping[str, Any]]) -> list[Any]:
    """`volumes = [{ name = "certs", secret = "tls-staging", version = "latest",
    mount = "/secrets" }]`: Secret Manager secrets mounted as files (template.volumes)."""
    return [PB["Volume"](
        name=str(v.get("name", f"secret-{i}")),
        secret=PB["SecretVolumeSource"](
            secret=str(v["secret"]),
            items=[PB["VersionToPath"](path=str(v.get("path", "value")),
                                       version=str(v.get("version", "latest")))]),
    ) for i, v in enumerate(specs)]


def env_pb(table: Mapping[str, Any]) -> list[Any]:
    out = []
    for name, value in table.items():
        if isinstance(value, Mapping):
            ref = PB["SecretKeySelector"](
                secret=str(value["secret"]), version=str(value.get("version", "latest"))
            )
            out.append(PB["EnvVar"](name=name, value_source=PB["EnvVarSource"](secret_key_ref=ref)))
        else:
            out.append(PB["EnvVar"](name=name, value=str(value)))
    return out


def condition_pb(kind: str, ok: bool | None, message: str = "", reason: str | int = "",
               when: Any = None, severity: str = "") -> Any:
    """A Run v2 Condition. `reason` is a CommonReason or RevisionReason name (set in
    the matching member of the `reasons` oneof) or a raw CommonReason number, as a
    newer API may send one this library does not know (proto3 enums are open)."""
    state = (
        COND.State.CONDITION_SUCCEEDED if ok
        else COND.State.CONDITION_RECONCILING if ok is None
        else COND.State.CONDITION_FAILED
    )
    cond = PB["Condition"](type_=kind, state=int(state), message=message)
    if isinstance(reason, int) and reason:
        cond.reason = reason
    elif reason in COND.RevisionReason.__members__:
        cond.revision_reason = int(COND.RevisionReason.__members__[reason])
    elif reason:
        cond.reason = int(getattr(COND.CommonReason, reason, COND.CommonReason.UNKNOWN))
    if severity:
        cond.severity = int(COND.Severity.__members__[severity])
    if when is not None:
        cond.last_transition_time.CopyFrom(timestamp_pb(when))
    return cond


def _revision_conditions(ready: bool | None, msg: str, reason: str | int, serving: bool,
                         when: Any) -> list[Any]:
    """A revision's conditions as Cloud Run reports them: Ready (no severity: it is
    the terminal condition), ResourcesAvailable and ContainerHealthy (ERROR when they
    fail), and Active, which is False with severity INFO and RETIRED for a revision
    that serves no traffic (not a failure)."""
    failed_reason = reason or "HEALTH_CHECK_CONTAINER_ERROR"
    conditions = [
        condition_pb("Ready", ready, msg, "" if ready else failed_reason if ready is False
                   else "PENDING", when),
        condition_pb("ResourcesAvailable", True, when=when),
        condition_pb("ContainerHealthy", ready, msg, "" if ready or ready is None
                   else failed_reason, when, severity="" if ready else "ERROR"),
    ]
    if ready and not serving:
        conditions.append(condition_pb("Active", False, "Revision retired.", "RETIRED", when,
                                     severity="INFO"))
    return conditions


class RunState:
    """The services and revisions of the scenario, as Run v2 messages."""

    def __init__(self, scenario: Scenario) -> None:
        self.services: dict[str, Any] = {}
        self.revisions: dict[str, list[Any]] = {}
        for spec in scenario.tables.get("services", []):
            self._add(scenario, spec)

    def _add(self, scenario: Scenario, spec: Mapping[str, Any]) -> None:
        name = str(spec["name"])
        region = str(spec.get("region", scenario.region))
        parent = f"projects/{scenario.project}/locations/{region}"
        full = f"{parent}/services/{name}"
        count = int(spec.get("revisions", 1))
        latest_ready = int(spec.get("latest_ready", count))
        deploying = bool(spec.get("deploying", False))
        failure = str(spec.get("failure", ""))
        reason = spec.get("failure_reason", "")
        suffixes = {int(k): str(v) for k, v in spec.get("revision_suffixes", {}).items()}

        def rev_name(number: int) -> str:
            return f"{name}-{suffixes[number]}" if number in suffixes else revision_name(
                name, number)

        updated = scenario.ago(spec.get("updated", "1d"), key=f"services.{name}.updated")
        created = scenario.ago(spec.get("created", "30d"), key=f"services.{name}.created")
        container = PB["Container"](
            name=str(spec.get("container", name)),
            image=str(spec.get("image", f"{region}-docker.pkg.dev/{scenario.project}/apps/{name}:latest")),
            env=env_pb(spec.get("env", {})),
            resources=PB["ResourceRequirements"](
                limits={"cpu": str(spec.get("cpu", "1")), "memory": str(spec.get("memory", "512Mi"))}
            ),
            ports=[PB["ContainerPort"](name="http1", container_port=int(spec.get("port", 8080)))],
        )
        volumes = _secret_volumes(spec.get("volumes", []))
        for vol_spec, volume in zip(spec.get("volumes", []), volumes, strict=True):
            container.volume_mounts.add(name=volume.name,
                                        mount_path=str(vol_spec.get("mount", "/secrets")))
        min_i, max_i = int(spec.get("min_instances", 0)), int(spec.get("max_instances", 10))
        account = str(spec.get("service_account", f"{name}@{scenario.project}.iam.gserviceaccount.com"))
        ready_name = rev_name(latest_ready) if latest_ready else ""
        created_name = rev_name(count)
        explicit = [(rev_name(int(t["revision"])), t) for t in spec.get("traffic", [])]
        serving = {n for n, t in explicit if int(t.get("percent", 100))} if explicit else {
            ready_name}
        revisions = []
        step = (updated - created) / max(count, 1)
        for number in range(1, count + 1):
            rname = rev_name(number)
            when = created + step * number if number < count else updated
            if number <= latest_ready:
                ready: bool | None = True
                msg = ""
            elif deploying and number == count:
                ready, msg = None, "Deploying revision: waiting for the container to become healthy."
            else:
                ready, msg = False, failure or "The user-provided container failed to start."
            revisions.append(PB["Revision"](
                name=f"{full}/revisions/{rname}",
                uid=hashlib.md5(rname.encode()).hexdigest(),
                generation=number,
                service=full,
                create_time=timestamp_pb(when),
                update_time=timestamp_pb(when),
                containers=[container],
                scaling=PB["RevisionScaling"](min_instance_count=min_i, max_instance_count=max_i),
                service_account=account,
                conditions=_revision_conditions(ready, msg, reason, rname in serving, when),
                observed_generation=number,
                reconciling=ready is None,
                log_uri=f"https://console.cloud.google.com/logs/viewer?project={scenario.project}",
                etag=f'"{hashlib.sha1(f"{rname}/{number}".encode()).hexdigest()[:16]}"',
            ))
        self.revisions[full] = revisions
        uri, deterministic = service_urls(scenario.tables, scenario.project, region, name)
        revision_type = int(
            run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION)
        latest_type = int(
            run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST)
        traffic = [
            PB["TrafficTarget"](type_=revision_type, revision=rname,
                                percent=int(t.get("percent", 100)), tag=str(t.get("tag", "")))
            for rname, t in explicit
        ] or [PB["TrafficTarget"](type_=latest_type, percent=100)]
        # traffic_statuses: what serves now, LATEST resolved to the latest ready revision;
        # tags get their own URL (TAG---SERVICE-HASH-CODE.a.run.app).
        statuses = [
            PB["TrafficTargetStatus"](
                type_=t.type_, revision=t.revision or ready_name, percent=t.percent, tag=t.tag,
                uri=tag_url(uri, t.tag) if t.tag else "")
            for t in traffic
        ] if ready_name else []
        service_ok: bool | None = True
        service_msg = ""
        if latest_ready < count:
            service_ok = None if deploying else False
            service_msg = (
                f"Revision '{created_name}' is not ready and cannot serve traffic. "
                + (failure or "The user-provided container failed to start.")
            )
        if latest_ready == 0:
            service_ok = False
        self.services[full] = PB["Service"](
            name=full,
            uid=hashlib.md5(full.encode()).hexdigest(),
            generation=count,
            labels=dict(spec.get("labels", {})),
            create_time=timestamp_pb(created),
            update_time=timestamp_pb(updated),
            creator=str(spec.get("creator", "deployer@example.com")),
            last_modifier=str(spec.get("last_modifier", "deployer@example.com")),
            ingress=int(INGRESS.get(str(spec.get("ingress", "all")), INGRESS["all"])),
            invoker_iam_disabled=bool(spec.get("invoker_iam_disabled", False)),
            template=PB["RevisionTemplate"](
                revision=created_name,
                containers=[container],
                volumes=volumes,
                scaling=PB["RevisionScaling"](min_instance_count=min_i, max_instance_count=max_i),
                service_account=account,
            ),
            traffic=traffic,
            # While reconciling, observed_generation lags generation (service.proto).
            observed_generation=count - 1 if deploying else count,
            terminal_condition=condition_pb("Ready", service_ok, service_msg, when=updated),
            conditions=[
                condition_pb("ConfigurationsReady", service_ok, service_msg, when=updated,
                           severity="" if service_ok else "ERROR"),
                condition_pb("RoutesReady", True, when=updated),
            ],
            latest_ready_revision=f"{full}/revisions/{ready_name}" if ready_name else "",
            latest_created_revision=f"{full}/revisions/{created_name}",
            traffic_statuses=statuses,
            uri=uri,
            urls=[deterministic, uri],
            reconciling=bool(deploying),
            etag=f'"{hashlib.sha1(f"{full}/{count}".encode()).hexdigest()[:16]}"',
        )


def install(ctx: SandboxContext) -> None:
    """Register the Run v2 servicers on the sandbox's gRPC server."""
    state = RunState(ctx.scenario)
    ctx.shared["run_state"] = state  # run_operations.py updates it (UpdateService)
    faults = ctx.scenario.faults
    ordered = sorted(state.services)

    async def list_services(req: run_v2.ListServicesRequest, context: grpc.aio.ServicerContext
                            ) -> Any:
        await faults.apply("run", "ListServices", req.parent, context)
        if req.parent.endswith("/locations/-"):
            # services.proto: "Location must be a valid Google Cloud region, and cannot
            # be the "-" wildcard."
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Invalid parent '{req.parent}': the location must be a Google Cloud "
                "region; the '-' wildcard is not supported for ListServices.")
        prefix = req.parent.rstrip("/") + "/services/"
        names = [n for n in ordered if n.startswith(prefix)]
        chunk, token = page(names, req.page_size, req.page_token)
        return PB["ListServicesResponse"](
            services=[state.services[n] for n in chunk], next_page_token=token
        )

    async def get_service(req: run_v2.GetServiceRequest, context: grpc.aio.ServicerContext
                          ) -> Any:
        await faults.apply("run", "GetService", req.name, context)
        if req.name not in state.services:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{req.name}' was not found")
        return state.services[req.name]

    async def list_revisions(req: run_v2.ListRevisionsRequest, context: grpc.aio.ServicerContext
                             ) -> Any:
        await faults.apply("run", "ListRevisions", req.parent, context)
        if req.parent.endswith("/services/-"):
            # revision.proto: "To list all Revisions across Services, use "-" instead of
            # Service name."
            prefix = req.parent[: -len("-")]
            found = [r for n in ordered if n.startswith(prefix) for r in state.revisions[n]]
        elif req.parent in state.revisions:
            found = state.revisions[req.parent]
        else:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{req.parent}' was not found")
            raise AssertionError  # abort raises
        # Google documents no order: the sandbox answers in name order, not by age.
        by_name = sorted(found, key=lambda r: r.name)
        chunk, token = page(by_name, req.page_size, req.page_token)
        return PB["ListRevisionsResponse"](revisions=chunk, next_page_token=token)

    async def get_revision(req: run_v2.GetRevisionRequest, context: grpc.aio.ServicerContext
                           ) -> Any:
        await faults.apply("run", "GetRevision", req.name, context)
        parent = req.name.split("/revisions/", 1)[0]
        for rev in state.revisions.get(parent, []):
            if rev.name == req.name:
                return rev
        await context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{req.name}' was not found")
        raise AssertionError  # abort raises

    ctx.add_grpc(service_handler(SERVICES, [
        unary(SERVICES, "ListServices", run_v2.ListServicesRequest, run_v2.ListServicesResponse,
              list_services),
        unary(SERVICES, "GetService", run_v2.GetServiceRequest, run_v2.Service, get_service),
    ]))
    ctx.add_grpc(service_handler(REVISIONS, [
        unary(REVISIONS, "ListRevisions", run_v2.ListRevisionsRequest,
              run_v2.ListRevisionsResponse, list_revisions),
        unary(REVISIONS, "GetRevision", run_v2.GetRevisionRequest, run_v2.Revision, get_revision),
    ]))


