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

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from google.cloud import secretmanager_v1 as sm
from google.protobuf import empty_pb2, timestamp_pb2

from staging_tui.checksums import crc32c
from staging_tui.errors import SandboxError
from staging_tui.sandbox.rpc import page, service_handler, unary
from staging_tui.sandbox.scenario import Scenario
from staging_tui.sandbox.secret_filter import SecretFilterError, secret_filter, version_filter
from staging_tui.sandbox.server_context import SandboxContext

SERVICE = "google.cloud.secretmanager.v1.SecretManagerService"
SHARED_KEY = "secrets"
PB = {name: getattr(sm, name).pb() for name in (
    "Secret", "SecretVersion", "SecretPayload", "Replication", "ListSecretsResponse",
    "ListSecretVersionsResponse", "AccessSecretVersionResponse")}


class RawRequest:
    """Requests decoded as raw protobuf (not proto-plus): a third of the server's CPU per
    call when the client lists the versions of thousands of secrets."""

    def __init__(self, proto_plus_type: Any) -> None:
        self.deserialize = proto_plus_type.pb().FromString
STATE = {"enabled": 1, "disabled": 2, "destroyed": 3}
MAX_PAYLOAD = 64 * 1024  # resources.proto SecretPayload.data: "no larger than 64KiB"
SECRET_ID = re.compile(r"[a-zA-Z0-9_-]{1,255}")  # service.proto CreateSecretRequest.secret_id
STATE_NAME = {1: "ENABLED", 2: "DISABLED", 3: "DESTROYED"}


def _ts(dt: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


@dataclass
class StoredVersion:
    """One version: its message plus the payload (never part of a repr)."""

    pb: Any
    data: bytes = field(default=b"", repr=False)
    bad_crc32c: bool = False


class AbortError(Exception):
    """Raised by SecretStore methods; the servicer turns it into a gRPC status."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SecretStore:
    """All secrets of the emulated project, keyed by full resource name."""

    def __init__(self, project: str, clock: Any = None, number: str = "") -> None:
        self.project = project
        self.number = number or project
        self._clock = clock or (lambda: datetime.now(UTC))
        self.secrets: dict[str, Any] = {}
        self.versions: dict[str, list[StoredVersion]] = {}
        self._sorted: list[str] | None = None

    # ------------------------------------------------------------------ names
    def full(self, short: str, location: str = "") -> str:
        if short.startswith("projects/"):
            return self.canonical(short)
        where = f"locations/{location}/" if location else ""
        return f"projects/{self.number}/{where}secrets/{short}"

    def canonical(self, name: str) -> str:
        """`name` with the project as its number (a request may use the id)."""
        by_id = f"projects/{self.project}"
        if name == by_id or name.startswith(by_id + "/"):
            return f"projects/{self.number}" + name[len(by_id):]
        return name

    def names(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.secrets)
        return self._sorted

    # ------------------------------------------------------------------ writes
    def create(self, short: str, *, labels: Mapping[str, str] | None = None,
               replication: str | list[str] = "automatic", created: datetime | None = None,
               location: str = "") -> Any:
        full = self.full(short, location)
        if full in self.secrets:
            raise AbortError(grpc.StatusCode.ALREADY_EXISTS, f"Secret [{full}] already exists.")
        secret = PB["Secret"](name=full, create_time=_ts(created or self._clock()),
                              labels=dict(labels or {}), etag='"1"')
        if location:
            pass  # a regional secret has no replication policy
        elif isinstance(replication, str) and replication == "automatic":
            secret.replication.automatic.SetInParent()
        else:
            regions = [replication] if isinstance(replication, str) else list(replication)
            for region in regions:
                secret.replication.user_managed.replicas.add(location=str(region))
        self.secrets[full] = secret
        self.versions[full] = []
        self._sorted = None
        return secret

    def add_version(self, short: str, data: bytes, *, state: str = "enabled",
                    created: datetime | None = None, bad_crc32c: bool = False,
                    checksummed: bool = False) -> Any:
        full = self.full(short)
        if full not in self.secrets:
            raise AbortError(grpc.StatusCode.NOT_FOUND, f"Secret [{full}] not found.")
        number = len(self.versions[full]) + 1
        when = created or self._clock()
        pb = PB["SecretVersion"](name=f"{full}/versions/{number}", create_time=_ts(when),
                                 state=STATE[state], etag=f'"{number}"')
        if "/locations/" not in full:
            pb.replication_status.automatic.SetInParent()
        pb.client_specified_payload_checksum = checksummed
        if state == "destroyed":
            pb.destroy_time.CopyFrom(_ts(when))
            data = b""
        self.versions[full].append(StoredVersion(pb, data, bad_crc32c))
        return pb

    def add_secret(self, name: str, value: bytes, used_by: str = "cloudsql") -> str:
        """Store `value` as the newest enabled version of `name`, creating the secret if
        needed (labelled `used-by`, which the audit counts as a use). For other sandbox
        modules, e.g. Cloud SQL passwords. Returns the version's resource name."""
        if self.full(name) not in self.secrets:
            self.create(name, labels={"used-by": used_by})
        pb = self.add_version(name, value)
        return str(pb.name)

    def delete(self, name: str, etag: str = "") -> None:
        secret = self.secret(name)
        if etag and etag != secret.etag:
            raise AbortError(grpc.StatusCode.ABORTED,
                             f"The etag {etag} does not match the current etag of Secret "
                             f"[{name}] ({secret.etag}).")
        del self.secrets[name]
        del self.versions[name]
        self._sorted = None

    def set_state(self, version_name: str, state: str) -> Any:
        stored = self.version(version_name)
        current = stored.pb.state
        if current == STATE["destroyed"]:
            raise AbortError(grpc.StatusCode.FAILED_PRECONDITION,
                             f"Secret Version [{stored.pb.name}] is in DESTROYED state.")
        stored.pb.state = STATE[state]
        stored.pb.etag = f'"{int(stored.pb.etag.strip(chr(34)) or 0) + 1}"'
        if state == "destroyed":
            stored.pb.destroy_time.CopyFrom(_ts(self._clock()))
            stored.data = b""
        return stored.pb

    # ------------------------------------------------------------------ reads
    def secret(self, name: str) -> Any:
        name = self.canonical(name)
        if name not in self.secrets:
            raise AbortError(grpc.StatusCode.NOT_FOUND, f"Secret [{name}] not found.")
        return self.secrets[name]

    def version(self, name: str) -> StoredVersion:
        """`.../versions/N` or `.../versions/latest` (the newest, whatever its state)."""
        parent, sep, number = self.canonical(name).partition("/versions/")
        if not sep:
            raise AbortError(grpc.StatusCode.INVALID_ARGUMENT,
                             f"Invalid resource field value in the request: {name}")
        versions = self.versions.get(parent)
        if versions is None:
            raise AbortError(grpc.StatusCode.NOT_FOUND,
                             f"Secret [{parent}] not found or has no versions.")
        if number == "latest":
            if not versions:
                raise AbortError(grpc.StatusCode.NOT_FOUND,
                                 f"Secret [{parent}] not found or has no versions.")
            return versions[-1]
        if not number.isdigit() or not 1 <= int(number) <= len(versions):
            raise AbortError(grpc.StatusCode.NOT_FOUND, f"Secret Version [{name}] not found.")
        return versions[int(number) - 1]

    def access(self, name: str) -> Any:
        stored = self.version(name)
        state = stored.pb.state
        if state != STATE["enabled"]:
            raise AbortError(grpc.StatusCode.FAILED_PRECONDITION,
                             f"Secret Version [{stored.pb.name}] is in {STATE_NAME[state]} state.")
        checksum = crc32c(stored.data)
        if stored.bad_crc32c:
            checksum ^= 0x5A5A5A5A
        return PB["AccessSecretVersionResponse"](
            name=stored.pb.name, payload=PB["SecretPayload"](data=stored.data,
                                                             data_crc32c=checksum))


# ---------------------------------------------------------------------- scenario


def _payload(spec: Mapping[str, Any], where: str) -> bytes:
    if "base64" in spec:
        try:
            return base64.b64decode(str(spec["base64"]), validate=True)
        except ValueError:
            raise SandboxError(f"{where}.base64 is not valid base64",
                               'write e.g. base64 = "3q2+7w=="') from None
    if "hex" in spec:
        return bytes.fromhex(str(spec["hex"]))
    return str(spec.get("value", "")).encode()


def load_secrets(scenario: Scenario, store: SecretStore) -> None:
    for i, spec in enumerate(scenario.tables.get("secrets", [])):
        where = f"{scenario.source}: secrets[{i}]"
        if not isinstance(spec, Mapping) or not spec.get("name"):
            raise SandboxError(f"{where}: name is missing", 'add name = "my-secret-staging"')
        name = str(spec["name"])
        created = scenario.ago(spec.get("created", "30d"), key=f"secrets.{name}.created")
        replication = spec.get("replication", "automatic")
        location = str(spec.get("location", ""))
        store.create(name, labels={str(k): str(v) for k, v in spec.get("labels", {}).items()},
                     replication=replication, created=created, location=location)
        name = store.full(name, location)
        versions = spec.get("versions")
        if versions is None:
            versions = [spec] if any(k in spec for k in ("value", "base64", "hex")) else []
        for j, version in enumerate(versions):
            state = str(version.get("state", "enabled")).lower()
            if state not in STATE:
                raise SandboxError(f"{where}.versions[{j}].state: {state!r} is not a state",
                                   "use enabled, disabled or destroyed")
            store.add_version(
                name, _payload(version, f"{where}.versions[{j}]"), state=state,
                created=scenario.ago(version.get("created", spec.get("created", "30d")),
                                     key=f"secrets.{name}.versions[{j}].created"),
                bad_crc32c=bool(version.get("bad_crc32c", False)),
            )


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


