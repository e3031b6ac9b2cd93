"""Emulated Secret Manager v1: `SecretManagerService` over gRPC.

Reads the scenario's `[[secrets]]` tables (docs/secrets.md):

    [[secrets]]
    name = "jwt-secret-key-staging"
    location = "us-central1"             # a regional secret (projects/P/locations/L/...)
    created = "90d"                      # age, like services
    labels = { app = "auth" }
    replication = "automatic"            # or a list of regions (user-managed)
    value = "..."                        # shorthand: one enabled version
    versions = [                         # or explicit versions 1..N, oldest first
      { value = "old", state = "disabled" },
      { base64 = "AAEC", created = "2d" },   # binary payload
      { state = "destroyed" },
      { value = "x", bad_crc32c = true },    # fault: the served checksum is wrong
    ]

The state is published as `ctx.shared["secrets"]` (a `SecretStore`): other sandbox
modules call `add_secret(name, value)` to store e.g. Cloud SQL passwords there.

As Google's: names carry the project NUMBER (`projects/123.../secrets/S`; requests may
name the project by id or number); regional secrets live under
`projects/P/locations/L/secrets/S` and are listed with that parent; secret ids are
`[a-zA-Z0-9_-]{1,255}`; a global secret needs a replication policy; payloads are at most
64 KiB; a version added with `data_crc32c` says `client_specified_payload_checksum`;
DeleteSecret honours the etag (ABORTED on a mismatch). Filters: secret_filter.py.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.cloud import secretmanager_v1 as sm
from google.protobuf import empty_pb2

from staging_tui.checksums import crc32c
from staging_tui.sandbox.rpc import page, service_handler, unary
from staging_tui.sandbox.secret_filter import SecretFilterError, secret_filter, version_filter
from staging_tui.sandbox.secret_store import (
    MAX_PAYLOAD,
    PB,
    SECRET_ID,
    AbortError,
    SecretStore,
    load_secrets,
)
from staging_tui.sandbox.server_context import SandboxContext

SERVICE = "google.cloud.secretmanager.v1.SecretManagerService"
SHARED_KEY = "secrets"


class RawRequest:
    """Requests decoded as raw protobuf (not proto-plus): a third of the server's CPU per
    call when the client lists the versions of thousands of secrets."""

    def __init__(self, proto_plus_type: Any) -> None:
        self.deserialize = proto_plus_type.pb().FromString


# ---------------------------------------------------------------------- servicer


def install(ctx: SandboxContext) -> None:
    """Register SecretManagerService and publish the store as ctx.shared["secrets"]."""
    scenario = ctx.scenario
    store = SecretStore(scenario.project, number=scenario.project_number)
    load_secrets(scenario, store)
    ctx.shared[SHARED_KEY] = store
    faults = scenario.faults
    prefix = f"projects/{store.number}"

    def guarded(method: str, resource_of: Any, body: Any) -> Any:
        async def handler(req: Any, context: grpc.aio.ServicerContext) -> Any:
            resource = store.canonical(resource_of(req))
            await faults.apply("secretmanager", method, resource, context)
            if resource != prefix and not resource.startswith(prefix + "/"):
                await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                    f"Permission denied on resource '{resource}' (or it may "
                                    "not exist).")
            try:
                return body(req)
            except AbortError as exc:
                await context.abort(exc.code, exc.message)
            except SecretFilterError as exc:
                await context.abort(exc.code, str(exc))
        return handler

    def list_secrets(req: Any) -> Any:
        parent = store.canonical(req.parent)
        names = [n for n in store.names() if n.rsplit("/secrets/", 1)[0] == parent]
        if req.filter:
            keep = secret_filter(req.filter)
            names = [n for n in names if keep(store.secrets[n])]
        chunk, token = page(names, req.page_size, req.page_token, default=25000, maximum=25000)
        return PB["ListSecretsResponse"](secrets=[store.secrets[n] for n in chunk],
                                         next_page_token=token, total_size=len(names))

    def list_versions(req: Any) -> Any:
        parent = store.secret(req.parent).name
        keep = version_filter(req.filter)
        newest_first = [v.pb for v in reversed(store.versions[parent]) if keep(v.pb)]
        chunk, token = page(newest_first, req.page_size, req.page_token, default=25000,
                            maximum=25000)
        return PB["ListSecretVersionsResponse"](versions=chunk, next_page_token=token,
                                                total_size=len(newest_first))

    def create_secret(req: Any) -> Any:
        if not SECRET_ID.fullmatch(req.secret_id):
            raise AbortError(grpc.StatusCode.INVALID_ARGUMENT,
                             f"Invalid secret_id {req.secret_id[:300]!r}: a secret ID has 1 "
                             "to 255 letters, digits, hyphens (-) and underscores (_).")
        parent = store.canonical(req.parent)
        location = ""
        if parent.startswith(prefix + "/locations/"):
            location = parent.removeprefix(prefix + "/locations/")
        elif parent != prefix:
            raise AbortError(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid parent {req.parent!r}")
        kind = req.secret.replication.WhichOneof("replication")
        if not location and kind is None:
            raise AbortError(grpc.StatusCode.INVALID_ARGUMENT,
                             "Secret.replication is required: set automatic or user_managed "
                             "replication.")
        if location and kind is not None:
            raise AbortError(grpc.StatusCode.INVALID_ARGUMENT,
                             "A regional secret takes no replication policy.")
        regions = [r.location for r in req.secret.replication.user_managed.replicas]
        return store.create(req.secret_id, labels=dict(req.secret.labels),
                            replication=regions or "automatic", location=location)

    def add_version(req: Any) -> Any:
        parent = store.secret(req.parent).name
        raw = req.payload
        if len(raw.data) > MAX_PAYLOAD:
            raise AbortError(grpc.StatusCode.INVALID_ARGUMENT,
                             f"Secret payload is {len(raw.data):,} bytes; Secret Manager "
                             f"allows at most 65,536 (64 KiB).")
        checksummed = raw.HasField("data_crc32c")
        if checksummed and raw.data_crc32c != crc32c(raw.data):
            raise AbortError(grpc.StatusCode.INVALID_ARGUMENT,
                             "Checksum mismatch: data_crc32c does not match the payload data.")
        return store.add_version(parent, raw.data, checksummed=checksummed)

    def delete_secret(req: Any) -> Any:
        store.delete(store.canonical(req.name), req.etag)
        return empty_pb2.Empty()

    def setter(state: str) -> Any:
        return lambda req: store.set_state(store.version(req.name).pb.name, state)

    def by_name(req: Any) -> str:
        return str(req.name)

    def by_parent(req: Any) -> str:
        return str(req.parent)

    ctx.add_grpc(service_handler(SERVICE, [
        unary(SERVICE, "ListSecrets", RawRequest(sm.ListSecretsRequest), sm.ListSecretsResponse,
              guarded("ListSecrets", by_parent, list_secrets)),
        unary(SERVICE, "GetSecret", RawRequest(sm.GetSecretRequest), sm.Secret,
              guarded("GetSecret", by_name, lambda req: store.secret(req.name))),
        unary(SERVICE, "ListSecretVersions", RawRequest(sm.ListSecretVersionsRequest),
              sm.ListSecretVersionsResponse,
              guarded("ListSecretVersions", by_parent, list_versions)),
        unary(SERVICE, "GetSecretVersion", RawRequest(sm.GetSecretVersionRequest), sm.SecretVersion,
              guarded("GetSecretVersion", by_name, lambda req: store.version(req.name).pb)),
        unary(SERVICE, "AccessSecretVersion", RawRequest(sm.AccessSecretVersionRequest),
              sm.AccessSecretVersionResponse,
              guarded("AccessSecretVersion", by_name, lambda req: store.access(req.name))),
        unary(SERVICE, "CreateSecret", RawRequest(sm.CreateSecretRequest), sm.Secret,
              guarded("CreateSecret", by_parent, create_secret)),
        unary(SERVICE, "DeleteSecret", RawRequest(sm.DeleteSecretRequest), None,
              guarded("DeleteSecret", by_name, delete_secret)),
        unary(SERVICE, "AddSecretVersion", RawRequest(sm.AddSecretVersionRequest), sm.SecretVersion,
              guarded("AddSecretVersion", by_parent, add_version)),
        unary(SERVICE, "EnableSecretVersion", RawRequest(sm.EnableSecretVersionRequest), sm.SecretVersion,
              guarded("EnableSecretVersion", by_name, setter("enabled"))),
        unary(SERVICE, "DisableSecretVersion", RawRequest(sm.DisableSecretVersionRequest), sm.SecretVersion,
              guarded("DisableSecretVersion", by_name, setter("disabled"))),
        unary(SERVICE, "DestroySecretVersion", RawRequest(sm.DestroySecretVersionRequest), sm.SecretVersion,
              guarded("DestroySecretVersion", by_name, setter("destroyed"))),
    ]))


