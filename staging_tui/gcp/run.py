"""Cloud Run Admin API v2 adapter: services and revisions -> domain objects.

Conversions read the raw protobuf (`type(m).pb(m)`): proto-plus attribute access
is several times slower, which shows with thousands of services.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core import retry_async
from google.cloud import run_v2
from google.cloud.run_v2.services.revisions.transports.grpc_asyncio import (
    RevisionsGrpcAsyncIOTransport,
)
from google.cloud.run_v2.services.services.transports.grpc_asyncio import (
    ServicesGrpcAsyncIOTransport,
)

from staging_tui.domain import (
    Condition,
    ConditionState,
    Container,
    EnvVar,
    Readiness,
    Revision,
    SecretRef,
    SecretVolume,
    Service,
    TrafficTarget,
)
from staging_tui.gcp.api_errors import call, mapped
from staging_tui.gcp.endpoints import Endpoints

PAGE_SIZE = 500
# Reads retry transient UNAVAILABLE briefly, then surface the error in the pane (whose
# own auto-refresh backs off) instead of the library's default of a long silent retry.
READ_RETRY = retry_async.AsyncRetry(
    initial=0.1, maximum=1.0, multiplier=2.0, timeout=3.0,
    predicate=retry_async.if_exception_type(gexc.ServiceUnavailable),
)
_STATE = {
    1: ConditionState.PENDING,
    2: ConditionState.RECONCILING,
    3: ConditionState.FAILED,
    4: ConditionState.SUCCEEDED,
}
_INGRESS = {1: "all", 2: "internal", 3: "internal-and-cloud-load-balancing", 4: "none"}
_LATEST = int(run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST)


def _time(ts: Any) -> datetime | None:
    if not ts.seconds and not ts.nanos:
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC)


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _conditions(raw: Any) -> tuple[Condition, ...]:
    return tuple(
        Condition(
            type=c.type_,
            state=_STATE.get(c.state, ConditionState.UNKNOWN),
            message=c.message,
            reason=run_v2.Condition.CommonReason(c.reason).name if c.reason else "",
            severity=run_v2.Condition.Severity(c.severity).name if c.severity else "",
            last_transition=_time(c.last_transition_time),
        )
        for c in raw
    )


def secret_ref(secret: str, version: str) -> SecretRef:
    """A reference as Cloud Run holds it: `NAME`, or `projects/P/secrets/NAME` (P an id or,
    as Terraform and Pulumi write it, the project number)."""
    project = ""
    if secret.startswith("projects/"):
        parts = secret.split("/")
        project, secret = parts[1], parts[-1]
    return SecretRef(secret, version or "latest", project)


def _secret_volumes(template: Any) -> tuple[SecretVolume, ...]:
    mounts = {m.name: m.mount_path for c in template.containers for m in c.volume_mounts}
    out = []
    for v in template.volumes:
        if v.WhichOneof("volume_type") != "secret" or not v.secret.secret:
            continue
        version = v.secret.items[0].version if v.secret.items else "latest"
        out.append(SecretVolume(v.name, secret_ref(v.secret.secret, version),
                                mounts.get(v.name, "")))
    return tuple(out)


def _containers(raw: Any) -> tuple[Container, ...]:
    out = []
    for c in raw:
        env = []
        for e in c.env:
            if e.HasField("value_source"):
                ref = e.value_source.secret_key_ref
                env.append(EnvVar(e.name, secret=secret_ref(ref.secret, ref.version)))
            else:
                env.append(EnvVar(e.name, e.value))
        limits = c.resources.limits
        out.append(Container(
            name=c.name,
            image=c.image,
            env=tuple(env),
            cpu=limits.get("cpu", ""),
            memory=limits.get("memory", ""),
            ports=tuple(p.container_port for p in c.ports),
        ))
    return tuple(out)


def readiness_of(terminal: Any, reconciling: bool) -> Readiness:
    state = _STATE.get(terminal.state)
    if state is ConditionState.FAILED:
        return Readiness.FAILED
    if reconciling or state in (ConditionState.PENDING, ConditionState.RECONCILING):
        return Readiness.DEPLOYING
    if state is ConditionState.SUCCEEDED:
        return Readiness.READY
    return Readiness.UNKNOWN


def service_from_pb(pb: Any) -> Service:
    _, project, _, region, _, name = pb.name.split("/")
    terminal = pb.terminal_condition
    conditions = _conditions([terminal, *pb.conditions]) if terminal.type_ else _conditions(
        pb.conditions)
    return Service(
        name=name,
        project=project,
        region=region,
        readiness=readiness_of(terminal, pb.reconciling),
        uri=pb.uri,
        conditions=conditions,
        latest_ready_revision=_short(pb.latest_ready_revision),
        latest_created_revision=_short(pb.latest_created_revision),
        traffic=tuple(
            TrafficTarget(t.revision, t.percent, t.tag, t.type_ == _LATEST) for t in pb.traffic
        ),
        containers=_containers(pb.template.containers),
        min_instances=pb.template.scaling.min_instance_count,
        max_instances=pb.template.scaling.max_instance_count,
        ingress=_INGRESS.get(pb.ingress, "all"),
        creator=pb.creator,
        last_modifier=pb.last_modifier,
        create_time=_time(pb.create_time),
        update_time=_time(pb.update_time),
        service_account=pb.template.service_account,
        labels=dict(pb.labels),
        invoker_iam_disabled=pb.invoker_iam_disabled,
        generation=pb.generation,
        observed_generation=pb.observed_generation,
        etag=pb.etag,
        secret_volumes=_secret_volumes(pb.template),
    )


def revision_from_pb(pb: Any) -> Revision:
    conditions = _conditions(pb.conditions)
    ready = next((c for c in pb.conditions if c.type_ == "Ready"), None)
    readiness = readiness_of(ready, pb.reconciling) if ready is not None else Readiness.UNKNOWN
    return Revision(
        name=_short(pb.name),
        service=_short(pb.service),
        readiness=readiness,
        create_time=_time(pb.create_time),
        conditions=conditions,
        containers=_containers(pb.containers),
        min_instances=pb.scaling.min_instance_count,
        max_instances=pb.scaling.max_instance_count,
        service_account=pb.service_account,
        log_uri=pb.log_uri,
    )


class RunAdapter:
    """List and read Cloud Run services and revisions of one project."""

    def __init__(self, endpoints: Endpoints, project: str, regions: tuple[str, ...]) -> None:
        self.project = project
        self.regions = regions
        if endpoints.sandbox:
            channel = endpoints.grpc_channel()
            self._services = run_v2.ServicesAsyncClient(
                transport=ServicesGrpcAsyncIOTransport(channel=channel))
            self._revisions = run_v2.RevisionsAsyncClient(
                transport=RevisionsGrpcAsyncIOTransport(channel=channel))
        else:
            creds = endpoints.credentials()
            self._services = run_v2.ServicesAsyncClient(credentials=creds)
            self._revisions = run_v2.RevisionsAsyncClient(credentials=creds)

    @property
    def services_client(self) -> run_v2.ServicesAsyncClient:
        """The Services client, shared with the incident actions (gcp/run_actions.py)."""
        return self._services

    async def list_services(self) -> list[Service]:
        """All services in the profile's regions, sorted by name."""
        per_region = await asyncio.gather(*(self._list_region(r) for r in self.regions))
        return sorted((s for chunk in per_region for s in chunk), key=lambda s: s.name)

    async def _list_region(self, region: str) -> list[Service]:
        parent = f"projects/{self.project}/locations/{region}"
        out: list[Service] = []
        async with mapped(parent):
            pager = await self._services.list_services(
                request=run_v2.ListServicesRequest(parent=parent, page_size=PAGE_SIZE),
                retry=READ_RETRY)
            async for response in pager.pages:
                out.extend(service_from_pb(pb) for pb in type(response).pb(response).services)
        return out

    async def get_service(self, name: str, region: str = "") -> Service:
        full = f"projects/{self.project}/locations/{region or self.regions[0]}/services/{name}"
        svc = await call(lambda: self._services.get_service(name=full, retry=READ_RETRY), resource=full)
        return service_from_pb(type(svc).pb(svc))

    async def describe_service(self, name: str, region: str = "") -> dict[str, object]:
        """The whole v2 resource as JSON field names (what `gcloud run services describe
        --format=json` prints for v2), for the describe view."""
        full = f"projects/{self.project}/locations/{region or self.regions[0]}/services/{name}"
        svc = await call(lambda: self._services.get_service(name=full, retry=READ_RETRY), resource=full)
        raw: dict[str, object] = type(svc).to_dict(svc, preserving_proto_field_name=False,
                                                  use_integers_for_enums=False)
        return raw

    async def list_revisions(self, service: str, region: str = "") -> list[Revision]:
        """Revisions of one service, newest first."""
        parent = f"projects/{self.project}/locations/{region or self.regions[0]}/services/{service}"
        out: list[Revision] = []
        async with mapped(parent):
            pager = await self._revisions.list_revisions(
                request=run_v2.ListRevisionsRequest(parent=parent, page_size=PAGE_SIZE),
                retry=READ_RETRY)
            async for response in pager.pages:
                out.extend(revision_from_pb(pb) for pb in type(response).pb(response).revisions)
        return sorted(out, key=lambda r: r.name, reverse=True)

    async def close(self) -> None:
        await self._services.transport.close()  # type: ignore[no-untyped-call]
