"""Every Secret Manager RPC through the real google-cloud-secret-manager client against
the sandbox, including each error, via the adapter (and the raw client for paging)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from fixtures_secrets import SECRETS_PROJECT
from google.cloud import secretmanager_v1 as sm
from google.cloud.secretmanager_v1.services.secret_manager_service.transports.grpc_asyncio import (
    SecretManagerServiceGrpcAsyncIOTransport,
)

from staging_tui import errors
from staging_tui.checksums import crc32c
from staging_tui.domain import VersionState
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.secrets import ChecksumMismatch, SecretsAdapter
from staging_tui.sandbox.server import RunningSandbox

PARENT = f"projects/{SECRETS_PROJECT}"


@pytest.fixture
async def raw_client(secrets_sandbox: RunningSandbox
                     ) -> AsyncIterator[sm.SecretManagerServiceAsyncClient]:
    channel = Endpoints.for_sandbox(secrets_sandbox.endpoints).grpc_channel()
    client = sm.SecretManagerServiceAsyncClient(
        transport=SecretManagerServiceGrpcAsyncIOTransport(channel=channel))
    yield client
    await client.transport.close()


def fresh(prefix: str = "new") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}-staging"


def test_crc32c_known_vector() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


# ------------------------------------------------------------------ ListSecrets


async def test_list_secrets_with_versions(secrets_api: SecretsAdapter) -> None:
    progress: list[tuple[int, int]] = []
    secrets = await secrets_api.list_secrets(on_progress=lambda d, t: progress.append((d, t)))
    names = [s.name for s in secrets]
    assert names == sorted(names)
    assert {"api-token-staging", "binary-staging", "bulk-000", "bulk-024"} <= set(names)
    token = next(s for s in secrets if s.name == "api-token-staging")
    assert [v.version for v in token.versions] == ["3", "2", "1"]
    assert [v.state for v in token.versions] == [
        VersionState.ENABLED, VersionState.DISABLED, VersionState.DESTROYED]
    assert token.versions[2].destroy_time is not None
    assert token.latest_enabled is not None and token.latest_enabled.version == "3"
    assert token.labels == {"app": "api"}
    # Google names secrets by project NUMBER, whatever the request said
    assert token.create_time is not None and token.project.isdigit()
    assert token.project != SECRETS_PROJECT
    regional = next(s for s in secrets if s.name == "regional-staging")
    assert regional.replication == "user-managed: us-central1, europe-west1"
    assert next(s for s in secrets if s.name == "empty-staging").versions == ()
    assert progress[-1] == (len(secrets), len(secrets))
    locked = next(s for s in secrets if s.name == "locked-secret")
    assert locked.versions == () and locked.versions_error.startswith("PERMISSION_DENIED")


async def test_list_secrets_pages_through_the_real_pager(
        raw_client: sm.SecretManagerServiceAsyncClient) -> None:
    pager = await raw_client.list_secrets(request=sm.ListSecretsRequest(parent=PARENT,
                                                                         page_size=4))
    pages = [page async for page in pager.pages]
    assert len(pages) > 5 and all(len(p.secrets) <= 4 for p in pages)
    names = [s.name for p in pages for s in p.secrets]
    assert len(names) == len(set(names)) and "bulk-013" in {n.rsplit("/", 1)[-1] for n in names}
    assert all(n.startswith("projects/") and n.split("/")[1].isdigit() for n in names)


@pytest.mark.parametrize(("expr", "expected"), [
    ("name:bulk-01", {f"bulk-01{i}" for i in range(10)}),
    ("labels.team=odd name:bulk-00", {"bulk-001", "bulk-003", "bulk-005", "bulk-007",
                                      "bulk-009"}),
    ("labels.app:*", {"api-token-staging"}),
    ("regional", {"regional-staging"}),
])
async def test_list_secrets_filter(secrets_api: SecretsAdapter, expr: str,
                                   expected: set[str]) -> None:
    secrets = await secrets_api.list_secrets(expr, with_versions=False)
    assert {s.name for s in secrets} == expected


async def test_list_secrets_bad_filter_is_invalid_argument(secrets_api: SecretsAdapter) -> None:
    with pytest.raises(errors.InvalidArgument):
        await secrets_api.list_secrets("create_time>2020", with_versions=False)


# ------------------------------------------------------------------ GetSecret / versions


async def test_get_secret_and_not_found(secrets_api: SecretsAdapter) -> None:
    secret = await secrets_api.get_secret("binary-staging")
    assert secret.name == "binary-staging" and len(secret.versions) == 1
    with pytest.raises(errors.NotFound) as info:
        await secrets_api.get_secret("no-such-secret")
    assert info.value.resource.endswith("/secrets/no-such-secret")


async def test_list_versions_and_not_found(secrets_api: SecretsAdapter,
                                           raw_client: sm.SecretManagerServiceAsyncClient) -> None:
    versions = await secrets_api.list_versions("api-token-staging")
    assert [v.version for v in versions] == ["3", "2", "1"]
    pager = await raw_client.list_secret_versions(request=sm.ListSecretVersionsRequest(
        parent=f"{PARENT}/secrets/api-token-staging", filter="state:ENABLED"))
    assert [v.name.rsplit("/", 1)[-1] async for v in pager] == ["3"]
    with pytest.raises(errors.NotFound):
        await secrets_api.list_versions("no-such-secret")


async def test_get_version_latest_numbered_and_missing(secrets_api: SecretsAdapter) -> None:
    latest = await secrets_api.get_version("latest-off-staging", "latest")
    assert (latest.version, latest.state) == ("2", VersionState.DISABLED)
    first = await secrets_api.get_version("latest-off-staging", "1")
    assert first.state is VersionState.ENABLED
    with pytest.raises(errors.NotFound):
        await secrets_api.get_version("latest-off-staging", "9")
    with pytest.raises(errors.NotFound):
        await secrets_api.get_version("empty-staging", "latest")


# ------------------------------------------------------------------ AccessSecretVersion


async def test_access_latest_and_numbered(secrets_api: SecretsAdapter) -> None:
    payload = await secrets_api.access("api-token-staging")
    assert (payload.version, payload.data) == ("3", b"tok-v3-current")
    assert "tok-v3" not in repr(payload) and "tok-v3" not in str(payload)
    binary = await secrets_api.access("binary-staging", "1")
    assert binary.data == b"\x00\x01\x02\xff"


@pytest.mark.parametrize(("secret", "version", "error", "state"), [
    ("api-token-staging", "2", errors.FailedPrecondition, "DISABLED"),
    ("api-token-staging", "1", errors.FailedPrecondition, "DESTROYED"),
    ("latest-off-staging", "latest", errors.FailedPrecondition, "DISABLED"),
    ("api-token-staging", "7", errors.NotFound, ""),
    ("no-such-secret", "latest", errors.NotFound, ""),
])
async def test_access_errors(secrets_api: SecretsAdapter, secret: str, version: str,
                             error: type[errors.ApiError], state: str) -> None:
    with pytest.raises(error) as info:
        await secrets_api.access(secret, version)
    assert state in info.value.message


async def test_access_checksum_mismatch_is_an_error_without_the_value(
        secrets_api: SecretsAdapter) -> None:
    with pytest.raises(ChecksumMismatch) as info:
        await secrets_api.access("corrupt-staging")
    assert info.value.code == "DATA_LOSS"
    assert "corrupt-value" not in str(info.value) and "CRC32C" in info.value.message


async def test_permission_denied_fault(secrets_api: SecretsAdapter) -> None:
    with pytest.raises(errors.PermissionDenied):
        await secrets_api.access("locked-secret")
    with pytest.raises(errors.PermissionDenied):
        await secrets_api.get_secret("locked-secret")


# ------------------------------------------------------------------ writes


async def test_create_secret_with_first_version(secrets_api: SecretsAdapter) -> None:
    name = fresh()
    created = await secrets_api.create_secret(name, b"first", labels={"app": "t"},
                                              regions=("us-east1",))
    assert created.labels == {"app": "t"} and created.replication == "user-managed: us-east1"
    assert [v.version for v in created.versions] == ["1"]
    assert (await secrets_api.access(name)).data == b"first"
    with pytest.raises(errors.AlreadyExists):
        await secrets_api.create_secret(name)


async def test_create_secret_invalid_id(secrets_api: SecretsAdapter) -> None:
    with pytest.raises(errors.InvalidArgument):
        await secrets_api.create_secret("bad/name")


async def test_add_version_becomes_latest(secrets_api: SecretsAdapter) -> None:
    name = fresh()
    await secrets_api.create_secret(name, b"one")
    added = await secrets_api.add_version(name, b"two")
    assert (added.version, added.state) == ("2", VersionState.ENABLED)
    assert (await secrets_api.access(name, "latest")).data == b"two"
    with pytest.raises(errors.NotFound):
        await secrets_api.add_version("no-such-secret", b"x")


async def test_add_version_with_a_wrong_checksum_is_refused(
        secrets_api: SecretsAdapter, raw_client: sm.SecretManagerServiceAsyncClient) -> None:
    name = fresh()
    await secrets_api.create_secret(name)
    from google.api_core import exceptions as gexc

    with pytest.raises(gexc.InvalidArgument):
        await raw_client.add_secret_version(request=sm.AddSecretVersionRequest(
            parent=f"{PARENT}/secrets/{name}",
            payload=sm.SecretPayload(data=b"data", data_crc32c=crc32c(b"data") + 1)))


async def test_disable_enable_destroy(secrets_api: SecretsAdapter) -> None:
    name = fresh()
    await secrets_api.create_secret(name, b"v1")
    await secrets_api.add_version(name, b"v2")
    disabled = await secrets_api.disable_version(name, "2")
    assert disabled.state is VersionState.DISABLED
    with pytest.raises(errors.FailedPrecondition):
        await secrets_api.access(name)
    assert (await secrets_api.enable_version(name, "2")).state is VersionState.ENABLED
    assert (await secrets_api.access(name)).data == b"v2"
    destroyed = await secrets_api.destroy_version(name, "1")
    assert destroyed.state is VersionState.DESTROYED and destroyed.destroy_time is not None
    with pytest.raises(errors.FailedPrecondition):
        await secrets_api.enable_version(name, "1")
    with pytest.raises(errors.FailedPrecondition):
        await secrets_api.disable_version(name, "1")
    with pytest.raises(errors.FailedPrecondition):
        await secrets_api.destroy_version(name, "1")
    with pytest.raises(errors.NotFound):
        await secrets_api.enable_version(name, "5")


def test_the_store_is_shared_for_other_sandbox_modules(secrets_sandbox: RunningSandbox) -> None:
    store = secrets_sandbox.shared["secrets"]
    version = store.add_secret("instance-password-staging", b"pw")
    assert version.endswith("/secrets/instance-password-staging/versions/1")
    assert store.add_secret("instance-password-staging", b"pw2").endswith("/versions/2")
