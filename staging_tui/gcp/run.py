"""Cloud Run Admin API v2 adapter: services and revisions -> domain objects.

Conversions read the raw protobuf (`type(m).pb(m)`): proto-plus attribute access
is several times slower, which shows with thousands of services.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import grpc
from google.api_core import exceptions as gexc
from google.cloud import run_v2
from google.cloud.run_v2.services.revisions.transports.grpc_asyncio import (
    RevisionsGrpcAsyncIOTransport,
)
from google.cloud.run_v2.services.services.transports.grpc_asyncio import (
    ServicesGrpcAsyncIOTransport,
)

from staging_tui.domain import (
    ConditionState,
    Readiness,
    Revision,
    SecretVolume,
    Service,
    ServiceListing,
    TrafficTarget,
)
from staging_tui.gcp.api_errors import call, mapped
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.regions import gather_regions
from staging_tui.gcp.run_fields import (
    CONDITION_STATE,
    READ_RETRY,
    conditions_from_pb,
    containers_from_pb,
    list_all,
    secret_ref,
    timestamp,
)

ALL_REGIONS = "all"
INVOKER_ROLE = "roles/run.invoker"
_INGRESS = {1: "all", 2: "internal", 3: "internal-and-cloud-load-balancing", 4: "none"}
_LATEST = int(run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST)


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


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


def readiness_of(terminal: Any, reconciling: bool) -> Readiness:
    state = CONDITION_STATE.get(terminal.state)
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
    conditions = conditions_from_pb([terminal, *pb.conditions]) if terminal.type_ else conditions_from_pb(
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
        containers=containers_from_pb(pb.template.containers),
        min_instances=pb.template.scaling.min_instance_count,
        max_instances=pb.template.scaling.max_instance_count,
        ingress=_INGRESS.get(pb.ingress, "all"),
        creator=pb.creator,
        last_modifier=pb.last_modifier,
        create_time=timestamp(pb.create_time),
        update_time=timestamp(pb.update_time),
        service_account=pb.template.service_account,
        labels=dict(pb.labels),
        invoker_iam_disabled=pb.invoker_iam_disabled,
        generation=pb.generation,
        observed_generation=pb.observed_generation,
        traffic_statuses=tuple(
            TrafficTarget(_short(t.revision), t.percent, t.tag, t.type_ == _LATEST, t.uri)
            for t in pb.traffic_statuses
        ),
        urls=tuple(pb.urls),
        etag=pb.etag,
        secret_volumes=_secret_volumes(pb.template),
    )


def revision_from_pb(pb: Any) -> Revision:
    conditions = conditions_from_pb(pb.conditions)
    ready = next((c for c in pb.conditions if c.type_ == "Ready"), None)
    readiness = readiness_of(ready, pb.reconciling) if ready is not None else Readiness.UNKNOWN
    return Revision(
        name=_short(pb.name),
        service=_short(pb.service),
        readiness=readiness,
        create_time=timestamp(pb.create_time),
        conditions=conditions,
        containers=containers_from_pb(pb.containers),
        min_instances=pb.scaling.min_instance_count,
        max_instances=pb.scaling.max_instance_count,
        service_account=pb.service_account,
        log_uri=pb.log_uri,
    )


def _created(rev: Revision) -> tuple[datetime, str]:
    return rev.create_time or datetime.min.replace(tzinfo=UTC), rev.name


class RunAdapter:
    """List and read Cloud Run services and revisions of one project."""

    def __init__(self, endpoints: Endpoints, project: str, regions: tuple[str, ...]) -> None:
        self.project = project
        self.regions = regions
        self._all_regions: tuple[str, ...] | None = None
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

    async def locations(self) -> tuple[str, ...]:
        """The regions to list: the profile's, or for `regions = "all"` every Cloud Run
        location of the project (google.cloud.location.Locations, once)."""
        if ALL_REGIONS not in self.regions:
            return self.regions
        if self._all_regions is None:
            from google.cloud.location import locations_pb2

            channel: Any = self._services.transport.grpc_channel  # type: ignore[attr-defined]
            list_locations = channel.unary_unary(
                "/google.cloud.location.Locations/ListLocations",
                request_serializer=locations_pb2.ListLocationsRequest.SerializeToString,
                response_deserializer=locations_pb2.ListLocationsResponse.FromString)
            found: list[str] = []
            token = ""
            async with mapped(f"projects/{self.project}"):
                for _ in range(100):  # bounded: a token that never ends must not loop
                    try:
                        answer = await list_locations(locations_pb2.ListLocationsRequest(
                            name=f"projects/{self.project}", page_token=token))
                    except grpc.aio.AioRpcError as exc:
                        raise gexc.from_grpc_error(exc) from None  # type: ignore[no-untyped-call]
                    found += [loc.location_id for loc in answer.locations]
                    token = answer.next_page_token
                    if not token:
                        break
            self._all_regions = tuple(sorted(set(found)))
        return self._all_regions

    async def _region(self, region: str) -> str:
        """`region`, else the first region (a name alone is ambiguous across regions:
        callers pass the service's region)."""
        return region or (await self.locations())[0]

    async def list_listing(self) -> ServiceListing:
        """Services of every region; a failing region is reported, not fatal."""
        regions = await self.locations()
        services, failures = await gather_regions(regions, self._list_region)
        services.sort(key=lambda s: (s.name, s.region))
        return ServiceListing(tuple(services), failures)

    @property
    def services_client(self) -> run_v2.ServicesAsyncClient:
        """The Services client, shared with the incident actions (gcp/run_actions.py)."""
        return self._services

    async def list_services(self) -> list[Service]:
        """All services in the profile's regions, sorted by name (then region). Raises
        only when every region failed; see `list_listing` for partial failures."""
        return list((await self.list_listing()).services)

    async def _list_region(self, region: str) -> list[Service]:
        return await list_all(self._services.list_services, run_v2.ListServicesRequest,
                              f"projects/{self.project}/locations/{region}", "services",
                              service_from_pb)

    async def get_service(self, name: str, region: str = "") -> Service:
        full = f"projects/{self.project}/locations/{await self._region(region)}/services/{name}"
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
        parent = (f"projects/{self.project}/locations/{await self._region(region)}"
                  f"/services/{service}")
        out = await list_all(self._revisions.list_revisions, run_v2.ListRevisionsRequest,
                             parent, "revisions", revision_from_pb)
        # Google documents no order, and names need not sort by age (--revision-suffix).
        return sorted(out, key=_created, reverse=True)

    async def with_access(self, service: Service) -> Service:
        """`service` with `public` read from its IAM policy (GetIamPolicy): public means
        allUsers holds roles/run.invoker; `invoker_iam_disabled` is the other way."""
        from google.iam.v1 import iam_policy_pb2

        request = iam_policy_pb2.GetIamPolicyRequest(resource=service.full_name)
        policy = await call(lambda: self._services.get_iam_policy(request=request,
                                                                   retry=READ_RETRY),
                            resource=service.full_name)
        public = any(b.role == INVOKER_ROLE and "allUsers" in b.members
                     for b in policy.bindings)
        return replace(service, public=public)

    async def close(self) -> None:
        await self._services.transport.close()  # type: ignore[no-untyped-call]
