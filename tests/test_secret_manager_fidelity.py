"""Secret Manager as Google has it, through the real client library against the sandbox:
list filters (AIP-160 grammar), limits and validations, DeleteSecret, regional secrets,
project numbers in names."""

from __future__ import annotations

import uuid

import pytest
from fixtures_secrets import SECRETS_PROJECT
from google.api_core import exceptions as gexc
from google.cloud import secretmanager_v1 as sm

from staging_tui import errors
from staging_tui.checksums import crc32c
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.secrets import SecretsAdapter
from staging_tui.sandbox.server import RunningSandbox

PARENT = f"projects/{SECRETS_PROJECT}"
AUTO = sm.Replication(automatic=sm.Replication.Automatic())


def _client(sandbox: RunningSandbox) -> sm.SecretManagerServiceAsyncClient:
    from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
        grpc_asyncio,
    )

    channel = Endpoints.for_sandbox(sandbox.endpoints).grpc_channel()
    return sm.SecretManagerServiceAsyncClient(
        transport=grpc_asyncio.SecretManagerServiceGrpcAsyncIOTransport(channel=channel))


@pytest.mark.parametrize(("expr", "expected"), [
    ("name:bulk-001 OR name:binary", {"bulk-001", "binary-staging"}),
    ("name:bulk-00 NOT labels.team=odd", {"bulk-000", "bulk-002", "bulk-004", "bulk-006",
                                          "bulk-008"}),
    ("name:bulk-00 -labels.team=odd", {"bulk-000", "bulk-002", "bulk-004", "bulk-006",
                                       "bulk-008"}),
    ("labels.team=(odd OR even) name:bulk-02", {f"bulk-02{i}" for i in range(5)}),
    ("name=binary-staging", {"binary-staging"}),
    ("create_time<2000-01-01T00:00:00Z", set()),
    ("create_time>2000-01-01T00:00:00Z name:api", {"api-token-staging"}),
    ("replication.user_managed.replicas.location:europe-west1", {"regional-staging"}),
    ("NOT labels.team:* NOT name:bulk name:api", {"api-token-staging"}),
])
async def test_list_filters_as_google(secrets_api: SecretsAdapter, expr: str,
                                      expected: set[str]) -> None:
    secrets = await secrets_api.list_secrets(expr, with_versions=False)
    assert {s.name for s in secrets} == expected


@pytest.mark.parametrize("expr", ["colour=red", "name=~bulk", "sample(name, 0.5)",
                                  "create_time>yesterday", "name:(a"])
async def test_list_filters_google_refuses(secrets_api: SecretsAdapter, expr: str) -> None:
    with pytest.raises(errors.InvalidArgument):
        await secrets_api.list_secrets(expr, with_versions=False)


async def test_version_filters(secrets_sandbox: RunningSandbox) -> None:
    client = _client(secrets_sandbox)
    parent = f"{PARENT}/secrets/api-token-staging"
    for expr, want in (("state:ENABLED", ["3"]), ("state:DISABLED OR state:DESTROYED", ["2", "1"]),
                       ("NOT state:ENABLED", ["2", "1"])):
        pager = await client.list_secret_versions(request=sm.ListSecretVersionsRequest(
            parent=parent, filter=expr))
        assert [v.name.rsplit("/", 1)[-1] async for v in pager] == want, expr


@pytest.mark.parametrize("secret_id", ["has.dot", "has/slash", "", "x" * 256, "spaced id"])
async def test_secret_ids_outside_googles_alphabet_are_refused(
        secrets_sandbox: RunningSandbox, secret_id: str) -> None:
    with pytest.raises(gexc.InvalidArgument) as info:
        await _client(secrets_sandbox).create_secret(request=sm.CreateSecretRequest(
            parent=PARENT, secret_id=secret_id, secret=sm.Secret(replication=AUTO)))
    assert "secret ID" in str(info.value) or "secret_id" in str(info.value)


async def test_a_global_secret_needs_replication(secrets_sandbox: RunningSandbox) -> None:
    with pytest.raises(gexc.InvalidArgument) as info:
        await _client(secrets_sandbox).create_secret(request=sm.CreateSecretRequest(
            parent=PARENT, secret_id=f"norep-{uuid.uuid4().hex[:6]}", secret=sm.Secret()))
    assert "replication" in str(info.value)


async def test_payload_limit_checksum_flag_and_delete(secrets_sandbox: RunningSandbox) -> None:
    client = _client(secrets_sandbox)
    sid = f"limits-{uuid.uuid4().hex[:6]}"
    secret = await client.create_secret(request=sm.CreateSecretRequest(
        parent=PARENT, secret_id=sid, secret=sm.Secret(replication=AUTO)))
    assert secret.name.split("/")[1].isdigit()  # projects/NUMBER/secrets/...
    with pytest.raises(gexc.InvalidArgument) as info:
        await client.add_secret_version(parent=secret.name,
                                        payload=sm.SecretPayload(data=b"x" * (64 * 1024 + 1)))
    assert "64 KiB" in str(info.value)
    exact = b"y" * (64 * 1024)
    with_sum = await client.add_secret_version(
        parent=f"{PARENT}/secrets/{sid}",  # by id: the same secret
        payload=sm.SecretPayload(data=exact, data_crc32c=crc32c(exact)))
    assert with_sum.client_specified_payload_checksum is True
    without = await client.add_secret_version(parent=secret.name,
                                              payload=sm.SecretPayload(data=b"z"))
    assert without.client_specified_payload_checksum is False
    with pytest.raises(gexc.Aborted):
        await client.delete_secret(request=sm.DeleteSecretRequest(name=secret.name,
                                                                  etag='"stale"'))
    await client.delete_secret(request=sm.DeleteSecretRequest(name=secret.name,
                                                              etag=secret.etag))
    with pytest.raises(gexc.NotFound):
        await client.get_secret(name=secret.name)


async def test_the_adapter_deletes_and_says_why_a_write_failed(
        secrets_api: SecretsAdapter) -> None:
    sid = f"adapter-{uuid.uuid4().hex[:6]}"
    await secrets_api.create_secret(sid, b"v")
    await secrets_api.delete_secret(sid)
    with pytest.raises(errors.NotFound):
        await secrets_api.get_secret(sid)
    with pytest.raises(errors.InvalidArgument) as info:
        await secrets_api.create_secret("bad.name", b"v")
    assert "letters, digits, hyphens" in info.value.message
    with pytest.raises(errors.InvalidArgument) as too_big:
        await secrets_api.add_version("api-token-staging", b"x" * 70_000)
    assert "64 KiB" in too_big.value.message


async def test_regional_secrets_are_listed_with_their_region(
        secrets_sandbox: RunningSandbox) -> None:
    adapter = SecretsAdapter(Endpoints.for_sandbox(secrets_sandbox.endpoints), SECRETS_PROJECT,
                             regions=("us-central1", "europe-west1"))
    try:
        secrets = await adapter.list_secrets()
    finally:
        await adapter.close()
    eu = next(s for s in secrets if s.name == "eu-only-staging")
    assert (eu.location, eu.replication) == ("europe-west1", "regional: europe-west1")
    assert [v.version for v in eu.versions] == ["1"]
    assert all(s.location == "" for s in secrets if s.name != "eu-only-staging")
