"""The state of the emulated Secret Manager (sandbox/secret_api.py serves it): secrets
and their versions keyed by full resource name, with the project as its NUMBER, and the
scenario's `[[secrets]]` tables loaded into it (docs/secrets.md). Other sandbox modules
reach it as `ctx.shared["secrets"]` and call `add_secret(name, value)` (Cloud SQL
passwords).
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
from google.protobuf import timestamp_pb2

from staging_tui.checksums import crc32c
from staging_tui.errors import SandboxError
from staging_tui.sandbox.scenario import Scenario

PB = {name: getattr(sm, name).pb() for name in (
    "Secret", "SecretVersion", "SecretPayload", "Replication", "ListSecretsResponse",
    "ListSecretVersionsResponse", "AccessSecretVersionResponse")}


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
