"""The sandbox's per-minute quotas, seen through the real client libraries: Google's
RESOURCE_EXHAUSTED with ErrorInfo (+ RetryInfo when the scenario asks for it), refilled
at the next minute of the quota clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import secretmanager_v1 as sm
from google.cloud.secretmanager_v1.services.secret_manager_service.transports.grpc_asyncio import (
    SecretManagerServiceGrpcAsyncIOTransport,
)
from google.rpc import error_details_pb2

from staging_tui.errors import SandboxError
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.quotas import book_from_scenario
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

SCENARIO: dict[str, Any] = {
    "project": {"id": "quota-test", "region": "us-central1"},
    "quotas": {"secretmanager.read": 3, "retry_info": True},
    "secrets": [{"name": "a-staging", "value": "x"}],
}


class Clock:
    """A quota clock the test moves by hand (the sandbox reads it on every call)."""

    def __init__(self) -> None:
        self.now = 1_000_040.0  # 20 s into a minute

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def quota_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(scenario_from_dict(SCENARIO, source="<quota test>"))
    running = thread.start()
    yield running
    thread.stop()


async def test_over_quota_is_resource_exhausted_with_google_details(
        quota_sandbox: RunningSandbox) -> None:
    clock = Clock()
    book = quota_sandbox.quotas
    book.clock = clock
    book.reset_log()
    channel = Endpoints.for_sandbox(quota_sandbox.endpoints).grpc_channel()
    client = sm.SecretManagerServiceAsyncClient(
        transport=SecretManagerServiceGrpcAsyncIOTransport(channel=channel))
    try:
        for _ in range(3):
            await client.get_secret(name="projects/quota-test/secrets/a-staging", retry=None)
        with pytest.raises(gexc.ResourceExhausted) as caught:
            await client.get_secret(name="projects/quota-test/secrets/a-staging", retry=None)
        exc = caught.value
        assert exc.reason == "RATE_LIMIT_EXCEEDED"
        assert exc.domain == "googleapis.com"
        assert exc.metadata["quota_metric"] == "secretmanager.googleapis.com/read_requests"
        assert exc.metadata["quota_limit_value"] == "3"
        assert exc.metadata["consumer"].startswith("projects/")
        assert "Quota exceeded for quota metric 'Read requests'" in exc.message
        retry = [d for d in exc.details if isinstance(d, error_details_pb2.RetryInfo)]
        assert retry and retry[0].retry_delay.ToTimedelta().total_seconds() == pytest.approx(40)
        # access requests are another quota: still served
        await client.access_secret_version(
            name="projects/quota-test/secrets/a-staging/versions/latest", retry=None)
        clock.now += 40  # the next minute
        await client.get_secret(name="projects/quota-test/secrets/a-staging", retry=None)
        get = "/google.cloud.secretmanager.v1.SecretManagerService/GetSecret"
        assert book.calls[get] == 5
        assert book.refused[get] == 1
        assert book.used("secretmanager.read") == 1
    finally:
        await client.transport.close()


def test_someone_else_spent_the_quota() -> None:
    book = book_from_scenario("p", {"logging.read": 2})
    book.clock = Clock()
    book.consume("logging.read")
    refused = book.charge("/google.logging.v2.LoggingServiceV2/ListLogEntries")
    assert refused is not None and refused[0].per_minute == 2


def test_max_per_window_slides() -> None:
    book = book_from_scenario("p", {})
    clock = Clock()
    book.clock = clock
    for step in (0, 10, 50, 59, 61, 130):
        clock.now = 1_000_000.0 + step
        book.charge("/m")
    assert book.max_per_window() == 4  # 10, 50, 59, 61 (0 drops out at 60)


def test_bad_quota_table_names_key_and_fix() -> None:
    with pytest.raises(SandboxError, match=r"\[quotas\] logging\.raed is not a quota"):
        book_from_scenario("p", {"logging.raed": 5}, source="s.toml")
    with pytest.raises(SandboxError, match="whole number"):
        book_from_scenario("p", {"logging.read": "lots"}, source="s.toml")
