"""Emulated `google.cloud.location.Locations.ListLocations` for Cloud Run.

Cloud Run lists the regions it runs in (`gcloud run regions list`); with a profile's
`regions = "all"` the console lists services in each of them, since ListServices
refuses the `locations/-` wildcard. The scenario's `[project] locations` (default:
its regions) are the answer.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.cloud.location import locations_pb2

from staging_tui.sandbox.rpc import page
from staging_tui.sandbox.server_context import SandboxContext

LOCATIONS = "google.cloud.location.Locations"


def install(ctx: SandboxContext) -> None:
    sc = ctx.scenario
    ids = [str(x) for x in sc.tables.get("project", {}).get("locations", sc.regions)]

    async def list_locations(req: Any, context: grpc.aio.ServicerContext) -> Any:
        await sc.faults.apply("run", "ListLocations", req.name, context)
        if req.name != f"projects/{sc.project}":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"Permission denied on resource '{req.name}' (or it may not exist).")
        chunk, token = page(ids, req.page_size, req.page_token)
        return locations_pb2.ListLocationsResponse(
            locations=[locations_pb2.Location(name=f"{req.name}/locations/{i}", location_id=i,
                                              display_name=i) for i in chunk],
            next_page_token=token)

    async def checked(req: Any, context: grpc.aio.ServicerContext) -> Any:
        from staging_tui.sandbox.rpc import InvalidPage

        try:
            return await list_locations(req, context)
        except InvalidPage as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))

    handler = grpc.unary_unary_rpc_method_handler(
        checked, request_deserializer=locations_pb2.ListLocationsRequest.FromString,
        response_serializer=locations_pb2.ListLocationsResponse.SerializeToString)
    ctx.add_grpc(grpc.method_handlers_generic_handler(LOCATIONS, {"ListLocations": handler}))
