"""Credentials as Google treats them: the sandbox checks a bearer token on every gRPC
call; an expired or revoked grant fails in google-auth's gRPC plugin (UNAVAILABLE
"Getting metadata from plugin failed ... invalid_grant") or as UNAUTHENTICATED; the
console maps both to the credentials error and its fix, and stops retrying."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.cloud import run_v2
from ui_app import make_app
from waiting import until

from staging_tui import errors
from staging_tui.audit.checks.credentials import account_evidence
from staging_tui.domain import CredentialsStatus
from staging_tui.gcp.api_errors import map_api_error
from staging_tui.gcp.endpoints import (
    Endpoints,
    account_of,
    application_default_credentials,
    quota_project_of,
)
from staging_tui.gcp.logs import LogsAdapter
from staging_tui.gcp.run import RunAdapter
from staging_tui.sandbox.auth import TokenAuthority
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.widgets.status_line import StatusLine


def _start(auth: dict[str, Any]) -> tuple[SandboxThread, RunningSandbox]:
    thread = SandboxThread(scenario_from_dict({
        "project": {"id": "p"}, "services": [{"name": "api"}], "auth": auth,
        "logs": {"default_rate": 5.0}}))
    return thread, thread.start()


@pytest.fixture(scope="module")
def expired() -> Iterator[RunningSandbox]:
    thread, running = _start({"state": "expired"})
    yield running
    thread.stop()


def _run(sandbox: RunningSandbox) -> RunAdapter:
    return RunAdapter(Endpoints.for_sandbox(sandbox.endpoints), "p", ("us-central1",))


async def test_a_call_without_a_token_is_unauthenticated(sandbox: RunningSandbox) -> None:
    creds = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
    async with grpc.aio.secure_channel(sandbox.grpc_target, creds) as channel:
        call = channel.unary_unary("/google.cloud.run.v2.Services/ListServices",
                                   request_serializer=run_v2.ListServicesRequest.serialize,
                                   response_deserializer=run_v2.ListServicesResponse.deserialize)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call(run_v2.ListServicesRequest(parent="projects/x/locations/us-central1"))
    assert info.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "Expected OAuth 2 access token" in (info.value.details() or "")


async def test_expired_grant_is_a_credentials_error_not_retried(
        expired: RunningSandbox) -> None:
    authority: TokenAuthority = expired.shared["auth"]
    before = authority.refreshes
    with pytest.raises(errors.CredentialsError) as info:
        await _run(expired).list_services()
    assert "invalid_grant" in info.value.message
    assert info.value.fix == errors.ADC_FIX
    assert "press r" not in str(info.value)
    assert authority.refreshes - before == 1  # one refresh attempt: no retry loop


async def test_revoked_token_is_unauthenticated_then_a_credentials_error() -> None:
    thread, running = _start({"revoke_after_calls": 1})
    try:
        adapter = _run(running)
        assert [s.name for s in await adapter.list_services()] == ["api"]
        with pytest.raises(errors.CredentialsError) as info:
            await adapter.list_services()
        assert "UNAUTHENTICATED" in info.value.message and info.value.fix == errors.ADC_FIX
    finally:
        thread.stop()


async def test_log_tail_stops_on_expired_credentials(expired: RunningSandbox) -> None:
    logs = LogsAdapter(Endpoints.for_sandbox(expired.endpoints), "p")

    async def follow() -> None:
        async for _ in logs.tail(""):
            pass

    with pytest.raises(errors.CredentialsError):  # not a reconnect loop
        await asyncio.wait_for(follow(), timeout=20)
    await logs.close()


async def test_log_listing_fails_at_once_on_expired_credentials(
        expired: RunningSandbox) -> None:
    """The Logging client's default retry would retry the plugin's UNAVAILABLE for a
    minute (and refresh the token each time): the doctor and the Logs pane waited."""
    authority: TokenAuthority = expired.shared["auth"]
    before = authority.refreshes
    logs = LogsAdapter(Endpoints.for_sandbox(expired.endpoints), "p")
    try:
        with pytest.raises(errors.CredentialsError):
            await asyncio.wait_for(logs.list_entries(""), timeout=20)
    finally:
        await logs.close()
    assert authority.refreshes - before == 1


async def test_services_pane_says_log_in_and_stops_refreshing(expired: RunningSandbox) -> None:
    app = make_app(expired)
    async with app.run_test(size=(120, 40)) as pilot:
        status = app.screen.query_one(StatusLine)
        await until(lambda: "fix" in str(status.render()), pilot)
        text = str(status.render())
        assert "gcloud auth application-default login" in text and "expired" in text
        assert app.screen.refresh_schedule.delay == float("inf")  # type: ignore[attr-defined]


def test_unavailable_fix_does_not_name_a_key() -> None:
    from google.api_core import exceptions as gexc

    err = map_api_error(gexc.ServiceUnavailable("backend busy"))
    assert isinstance(err, errors.Unavailable) and "press" not in err.fix


def test_missing_key_file_gets_its_own_message(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "nope.json"))
    with pytest.raises(errors.CredentialsError) as info:
        application_default_credentials()
    assert "GOOGLE_APPLICATION_CREDENTIALS points at" in info.value.message
    assert "does not exist" in info.value.message and "unset it" in info.value.fix


def test_malformed_key_file_gets_its_own_message(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account", "client_email": "x"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    with pytest.raises(errors.CredentialsError) as info:
        application_default_credentials()
    assert f"file {key} is not a usable credentials file" in info.value.message


def test_no_gce_check_is_set_as_google_auth_reads_it() -> None:
    code = ("import os; os.environ.pop('NO_GCE_CHECK', None); "
            "import staging_tui.gcp.endpoints; "
            "from google.auth.compute_engine import _metadata; print(_metadata._NO_GCE_CHECK)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "True"


def test_credentials_check_names_the_real_quota_project() -> None:
    status = CredentialsStatus(account="dev@example.com", project="my-proj",
                               quota_project="billing-proj")
    assert account_evidence(status) == ("dev@example.com, ADC project my-proj, "
                                        "quota project billing-proj")
    assert "no quota project" in account_evidence(CredentialsStatus(account="a@b"))


def test_a_service_account_key_names_its_account(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    key = tmp_path / "key.json"
    key.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "1",
        "private_key": pem, "client_email": "deployer@p.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-proj")
    creds, project = application_default_credentials()
    assert account_of(creds) == "deployer@p.iam.gserviceaccount.com" and project == "p"
    assert quota_project_of(creds) == "billing-proj"


async def test_tunnel_passes_the_quota_project_as_the_connector_does(
        sql_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-proj")
    tunnels = sql_sandbox.tunnels()
    try:
        await tunnels.start("main-db", test=False)
    finally:
        await tunnels.close()
    assert sql_sandbox.cloudsql.quota_projects[-1] == "billing-proj"
