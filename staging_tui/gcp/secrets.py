"""Secret Manager v1 adapter: secrets, versions and payloads -> domain objects.

Versions are fetched concurrently with a bound (`concurrency`), not one by one.
Payloads are checked against their CRC32C: a mismatch raises `ChecksumMismatch` and
the bytes are dropped. Values never enter a message, a log or an exception raised here.

Quota: list and get calls count against the project's 600 read requests per minute,
shared with the team, so listing is one call for the names (per location), and versions
are fetched only for the secrets asked for (`versions_for`: the selected one, those
services reference, the profile's required list), each at most once per `VERSIONS_TTL`
(cached), concurrently with a bound and within the `read_budget` (the profile's
`quota_share` of 600/min).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import grpc
from google.api_core import exceptions as gexc
from google.api_core import retry_async
from google.api_core.client_options import ClientOptions
from google.cloud import secretmanager_v1 as sm
from google.cloud.secretmanager_v1.services.secret_manager_service.transports.grpc_asyncio import (
    SecretManagerServiceGrpcAsyncIOTransport,
)

from staging_tui.checksums import crc32c
from staging_tui.domain import Secret, SecretPayload, SecretVersion, VersionState
from staging_tui.errors import ApiError
from staging_tui.gcp.api_errors import call, map_api_error, mapped
from staging_tui.gcp.call_budget import CallBudget, quota_share_budget
from staging_tui.gcp.endpoints import Endpoints

# The client library logs whole requests and responses at DEBUG (AccessSecretVersion's
# payload, AddSecretVersion's data) when its logger is enabled for DEBUG, e.g. by a debug
# log file on the root logger. Pin its level so a value can never reach a log.
# (Pinned on the package and on the transport module a logging scope could name.)
for _name in ("google.cloud.secretmanager_v1", SecretManagerServiceGrpcAsyncIOTransport.__module__):
    logging.getLogger(_name).setLevel(logging.INFO)

PAGE_SIZE = 25000
CONCURRENCY = 8
READ_QUOTA_PER_MINUTE = 600  # cloud.google.com/secret-manager/quotas
VERSIONS_TTL = 60.0  # seconds a secret's version listing is reused
READ_RETRY = retry_async.AsyncRetry(
    initial=0.1, maximum=1.0, multiplier=2.0, timeout=3.0,
    predicate=retry_async.if_exception_type(gexc.ServiceUnavailable),
)
_STATE = {1: VersionState.ENABLED, 2: VersionState.DISABLED, 3: VersionState.DESTROYED}


class ChecksumMismatch(ApiError):
    """The payload's CRC32C does not match its data: corrupted in transit or at rest."""

    code = "DATA_LOSS"


def _time(ts: Any) -> datetime | None:
    if not ts.seconds and not ts.nanos:
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC)


def _replication(pb: Any) -> str:
    replicas = [r.location for r in pb.replication.user_managed.replicas]
    return f"user-managed: {', '.join(replicas)}" if replicas else "automatic"


_NAME = re.compile(r"^projects/([^/]+)/(?:locations/([^/]+)/)?secrets/([^/]+)"
                   r"(?:/versions/([^/]+))?$")


def parse_name(name: str) -> tuple[str, str, str, str]:
    """(project id or number, location or "", secret, version or "") of a resource name:
    `projects/P/secrets/S[/versions/N]` or `projects/P/locations/L/secrets/S[...]`."""
    match = _NAME.match(name)
    if match is None:
        raise ValueError(f"not a Secret Manager resource name: {name!r}")
    project, location, secret, version = match.groups()
    return project, location or "", secret, version or ""


def version_from_pb(pb: Any) -> SecretVersion:
    _, _, secret, version = parse_name(pb.name)
    return SecretVersion(
        secret=secret,
        version=version,
        state=_STATE.get(pb.state, VersionState.UNKNOWN),
        create_time=_time(pb.create_time),
        destroy_time=_time(pb.destroy_time),
    )


def secret_from_pb(pb: Any, versions: Iterable[SecretVersion] = ()) -> Secret:
    project, location, name, _ = parse_name(pb.name)
    return Secret(
        name=name,
        project=project,  # Google answers with the project NUMBER
        location=location,
        create_time=_time(pb.create_time),
        labels=dict(pb.labels),
        replication=f"regional: {location}" if location else _replication(pb),
        versions=tuple(sorted(versions, key=lambda v: int(v.version), reverse=True)),
    )


def _newest_first(versions: Iterable[SecretVersion]) -> tuple[SecretVersion, ...]:
    return tuple(sorted(versions, key=lambda v: int(v.version), reverse=True))


class SecretsAdapter:
    """Read and (when the profile allows, checked by the caller) write one project's secrets."""

    def __init__(self, endpoints: Endpoints, project: str, concurrency: int = CONCURRENCY,
                 regions: tuple[str, ...] = (), *, quota_share: float = 0.5) -> None:
        self.project = project
        self.concurrency = concurrency
        self.regions = regions  # regional secrets are listed in these too
        self.read_budget = CallBudget(quota_share_budget(READ_QUOTA_PER_MINUTE, quota_share))
        self._versions_cache: dict[str, tuple[float, list[SecretVersion]]] = {}
        self._endpoints = endpoints
        self._client = self._new_client("")
        self._regional: dict[str, sm.SecretManagerServiceAsyncClient] = {}

    def _new_client(self, location: str) -> sm.SecretManagerServiceAsyncClient:
        """The global client, or one on a region's endpoint: regional secrets are served
        by `secretmanager.LOCATION.rep.googleapis.com` only."""
        endpoints = self._endpoints
        if endpoints.sandbox:
            transport = SecretManagerServiceGrpcAsyncIOTransport(channel=endpoints.grpc_channel())
            return sm.SecretManagerServiceAsyncClient(transport=transport)
        options = ClientOptions(api_endpoint=f"secretmanager.{location}.rep.googleapis.com") \
            if location else None
        return sm.SecretManagerServiceAsyncClient(credentials=endpoints.credentials(),
                                                  client_options=options)

    def _client_for(self, location: str) -> sm.SecretManagerServiceAsyncClient:
        if not location:
            return self._client
        client = self._regional.get(location)
        if client is None:
            client = self._regional[location] = self._new_client(location)
        return client

    def path(self, secret: str) -> str:
        return f"projects/{self.project}/secrets/{secret}"

    def version_path(self, secret: str, version: str) -> str:
        return f"{self.path(secret)}/versions/{version}"

    # ------------------------------------------------------------------ reads
    async def list_secrets(self, filter: str = "", *, with_versions: bool = True,
                           versions_for: Collection[str] | None = None,
                           on_progress: Callable[[int, int], None] | None = None,
                           on_listed: Callable[[list[Secret]], None] | None = None,
                           on_versions: Callable[[Secret], None] | None = None
                           ) -> list[Secret]:
        """All secrets sorted by (location, name), listed in one call per location (a page
        holds 25,000).

        Versions (newest first) are fetched for the names in `versions_for` (every secret
        when None: one read call each, so only for small projects), in that order; the
        other secrets come back with `versions_known=False`. `on_listed(secrets)` gets the
        bare list at once (a table shows the names), `on_versions(secret)` each secret
        whose versions arrived, `on_progress(done, total)` the count."""
        raw: list[Any] = []
        for location in ("", *self.regions):
            parent = f"projects/{self.project}" + (f"/locations/{location}" if location else "")
            async with mapped(parent):
                await self.read_budget.acquire()
                pager = await self._client_for(location).list_secrets(
                    request=sm.ListSecretsRequest(parent=parent, page_size=PAGE_SIZE,
                                                  filter=filter),
                    retry=READ_RETRY)
                async for response in pager.pages:
                    raw.extend(type(response).pb(response).secrets)
                    if response.next_page_token:
                        await self.read_budget.acquire()
        raw.sort(key=lambda pb: (parse_name(pb.name)[1], parse_name(pb.name)[2]))
        bare = [replace(secret_from_pb(pb), versions_known=False) for pb in raw]
        if not with_versions:
            return bare
        if on_listed is not None:
            on_listed(bare)
        wanted_names = None if versions_for is None else set(versions_for)
        order = {n: i for i, n in enumerate(versions_for or ())}
        wanted = [i for i, sec in enumerate(bare)
                  if wanted_names is None or sec.name in wanted_names]
        wanted.sort(key=lambda i: order.get(bare[i].name, 0))
        out = list(bare)
        done = 0

        def arrived(index: int, secret: Secret) -> None:
            nonlocal done
            done += 1
            out[index] = secret
            if on_versions is not None:
                on_versions(secret)
            if on_progress is not None:
                on_progress(done, len(wanted))

        gate = asyncio.Semaphore(self.concurrency)

        async def one(index: int) -> None:
            async with gate:
                secret = await self._with_versions(bare[index])
            arrived(index, secret)

        await asyncio.gather(*(one(i) for i in wanted))
        return out

    def resource(self, secret: Secret) -> str:
        """The full name of a listed secret (regional ones live under their location)."""
        where = f"/locations/{secret.location}" if secret.location else ""
        return f"projects/{secret.project or self.project}{where}/secrets/{secret.name}"

    async def _with_versions(self, secret: Secret) -> Secret:
        try:
            versions = await self._cached_versions(self.resource(secret))
        except ApiError as exc:  # one unreadable secret must not hide the others
            return replace(secret, versions_known=True,
                           versions_error=f"{exc.code}: {exc.message}")
        return replace(secret, versions=_newest_first(versions), versions_known=True,
                       versions_error="")

    async def fill_versions(self, secrets: Iterable[Secret],
                            arrived: Callable[[Secret], None] | None = None) -> list[Secret]:
        """`secrets` with their versions (cached for VERSIONS_TTL), fetched concurrently in
        the given order; a secret whose versions cannot be read says why in
        `versions_error` and does not hide the others."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(secret: Secret) -> Secret:
            async with gate:
                out = await self._with_versions(secret)
            if arrived is not None:
                arrived(out)
            return out

        return list(await asyncio.gather(*(one(s) for s in secrets)))

    async def _cached_versions(self, parent: str) -> list[SecretVersion]:
        hit = self._versions_cache.get(parent)
        now = time.monotonic()
        if hit is not None and now - hit[0] < VERSIONS_TTL:
            return hit[1]
        versions = await self._versions(parent)
        self._versions_cache[parent] = (now, versions)
        return versions

    def forget_versions(self, secret: str) -> None:
        """Drop the cached versions of `secret` (after a write)."""
        for parent in [p for p in self._versions_cache if p.endswith(f"/secrets/{secret}")]:
            del self._versions_cache[parent]

    async def get_secret(self, secret: str) -> Secret:
        """One secret with its versions (fresh: the cache is refilled)."""
        name = self.path(secret)
        await self.read_budget.acquire()
        pb = await call(lambda: self._client.get_secret(name=name, retry=READ_RETRY),
                        resource=name)
        self.forget_versions(secret)
        return secret_from_pb(type(pb).pb(pb), await self._cached_versions(name))

    async def list_versions(self, secret: str) -> tuple[SecretVersion, ...]:
        """Versions of one secret, newest first."""
        versions = await self._versions(self.path(secret))
        return tuple(sorted(versions, key=lambda v: int(v.version), reverse=True))

    async def _versions(self, parent: str) -> list[SecretVersion]:
        """All versions of one secret through the client's transport stub: the gapic
        wrapper (pager, retry wrapper, per-call metadata building) costs more client CPU
        than the call itself when listing thousands of secrets. Same RPC, same channel
        and credentials, same routing header; errors mapped like every other call."""
        stub: Any = self._client_for(parse_name(parent)[1]).transport.list_secret_versions
        metadata = (("x-goog-request-params", f"parent={parent}"),)
        out: list[SecretVersion] = []
        token = ""
        while True:
            request = sm.ListSecretVersionsRequest(parent=parent, page_size=PAGE_SIZE,
                                                   page_token=token)
            await self.read_budget.acquire()
            try:
                response = await stub(request, metadata=metadata, timeout=30.0)
            except grpc.RpcError as exc:
                error = gexc.from_grpc_error(exc)  # type: ignore[no-untyped-call]
                raise map_api_error(error, resource=parent) from None
            raw = type(response).pb(response)
            out.extend(version_from_pb(pb) for pb in raw.versions)
            token = raw.next_page_token
            if not token:
                return out

    async def get_version(self, secret: str, version: str = "latest") -> SecretVersion:
        name = self.version_path(secret, version)
        await self.read_budget.acquire()
        pb = await call(lambda: self._client.get_secret_version(name=name, retry=READ_RETRY),
                        resource=name)
        return version_from_pb(type(pb).pb(pb))

    async def access(self, secret: str, version: str = "latest") -> SecretPayload:
        """The value of a version (`latest` resolves to the newest). Verifies the CRC32C."""
        name = self.version_path(secret, version)
        response = await call(
            lambda: self._client.access_secret_version(name=name, retry=READ_RETRY),
            resource=name)
        raw = type(response).pb(response)
        resolved = raw.name.rsplit("/", 1)[-1] or version
        if raw.payload.HasField("data_crc32c") and crc32c(raw.payload.data) != raw.payload.data_crc32c:
            raise ChecksumMismatch(
                f"the payload of {secret}@{resolved} failed its CRC32C check "
                "(corrupted in transit or at rest); the value was discarded",
                "retry; if it persists, add a new version with the correct value",
                resource=name)
        return SecretPayload(secret=secret, version=resolved, data=raw.payload.data)

    # ------------------------------------------------------------------ writes
    async def create_secret(self, secret: str, data: bytes | None = None,
                            labels: Mapping[str, str] | None = None,
                            regions: tuple[str, ...] = ()) -> Secret:
        """Create `secret` (automatic replication unless `regions`), and its first version
        when `data` is given — like `gcloud secrets create NAME --data-file=-`."""
        replication = (
            sm.Replication(user_managed=sm.Replication.UserManaged(
                replicas=[sm.Replication.UserManaged.Replica(location=r) for r in regions]))
            if regions else sm.Replication(automatic=sm.Replication.Automatic())
        )
        parent = f"projects/{self.project}"
        request = sm.CreateSecretRequest(
            parent=parent, secret_id=secret,
            secret=sm.Secret(replication=replication, labels=dict(labels or {})))
        pb = await call(lambda: self._client.create_secret(request=request),
                        resource=self.path(secret))
        versions = [await self.add_version(secret, data)] if data is not None else []
        return secret_from_pb(type(pb).pb(pb), versions)

    async def add_version(self, secret: str, data: bytes) -> SecretVersion:
        """A new enabled version (becomes `latest`); the request carries the CRC32C."""
        parent = self.path(secret)
        request = sm.AddSecretVersionRequest(
            parent=parent, payload=sm.SecretPayload(data=data, data_crc32c=crc32c(data)))
        pb = await call(lambda: self._client.add_secret_version(request=request), resource=parent)
        self.forget_versions(secret)
        return version_from_pb(type(pb).pb(pb))

    async def enable_version(self, secret: str, version: str) -> SecretVersion:
        name = self.version_path(secret, version)
        pb = await call(lambda: self._client.enable_secret_version(name=name), resource=name)
        self.forget_versions(secret)
        return version_from_pb(type(pb).pb(pb))

    async def disable_version(self, secret: str, version: str) -> SecretVersion:
        name = self.version_path(secret, version)
        pb = await call(lambda: self._client.disable_secret_version(name=name), resource=name)
        self.forget_versions(secret)
        return version_from_pb(type(pb).pb(pb))

    async def destroy_version(self, secret: str, version: str) -> SecretVersion:
        """Irreversible: the data is deleted."""
        name = self.version_path(secret, version)
        pb = await call(lambda: self._client.destroy_secret_version(name=name), resource=name)
        self.forget_versions(secret)
        return version_from_pb(type(pb).pb(pb))

    async def delete_secret(self, secret: str) -> None:
        """Delete `secret` and every version (irreversible): `gcloud secrets delete`."""
        name = self.path(secret)
        await call(lambda: self._client.delete_secret(name=name), resource=name)

    async def close(self) -> None:
        for client in (self._client, *self._regional.values()):
            await client.transport.close()  # type: ignore[no-untyped-call]
