"""Emulated `Services.GetIamPolicy` (run v2): each service's invoker bindings, from
the scenario (sandbox/run_iam.py). Registered as its own handler for the Services
service: gRPC tries generic handlers in turn, so run_api.py stays untouched."""

from __future__ import annotations

import hashlib
from typing import Any

import grpc
from google.iam.v1 import iam_policy_pb2, policy_pb2

from staging_tui.sandbox.run_api import SERVICES
from staging_tui.sandbox.run_iam import ServiceAccess
from staging_tui.sandbox.server_context import SandboxContext


def install(ctx: SandboxContext) -> None:
    sc = ctx.scenario
    policies: dict[str, Any] = {}
    for spec in sc.tables.get("services", []):
        region = str(spec.get("region", sc.region))
        name = f"projects/{sc.project}/locations/{region}/services/{spec['name']}"
        bindings = ServiceAccess.of(spec).bindings()
        policies[name] = policy_pb2.Policy(
            version=1, etag=hashlib.sha1(name.encode()).digest()[:8],
            bindings=[policy_pb2.Binding(role=role, members=members)
                      for role, members in bindings])

    async def get_iam_policy(req: Any, context: grpc.aio.ServicerContext) -> Any:
        await sc.faults.apply("run", "GetIamPolicy", req.resource, context)
        if req.resource not in policies:
            # IAM answers PERMISSION_DENIED, not NOT_FOUND, for what it cannot see.
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"Permission 'run.services.getIamPolicy' denied on resource "
                                f"'{req.resource}' (or resource may not exist).")
        return policies[req.resource]

    handler = grpc.unary_unary_rpc_method_handler(
        get_iam_policy, request_deserializer=iam_policy_pb2.GetIamPolicyRequest.FromString,
        response_serializer=policy_pb2.Policy.SerializeToString)
    ctx.add_grpc(grpc.method_handlers_generic_handler(SERVICES, {"GetIamPolicy": handler}))
