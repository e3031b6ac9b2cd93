"""Cloud Logging as Google has it, through the real client library against the sandbox:
the diagnostic entry google-cloud-logging writes first (a jsonPayload with an array),
page_size and filter limits, deep nesting, and the tail's default buffer_window."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud.logging_v2 import types as log_types
from google.cloud.logging_v2._instrumentation import _create_diagnostic_entry
from google.cloud.logging_v2.services.logging_service_v2 import LoggingServiceV2AsyncClient
from google.cloud.logging_v2.services.logging_service_v2.transports.grpc_asyncio import (
    LoggingServiceV2GrpcAsyncIOTransport,
)
from google.protobuf import duration_pb2, json_format

from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.logging_api import DEFAULT_BUFFER_WINDOW_NS, _buffer_window_ns
from staging_tui.sandbox.server import RunningSandbox


def _client(sandbox: RunningSandbox) -> LoggingServiceV2AsyncClient:
    channel = Endpoints.for_sandbox(sandbox.endpoints).grpc_channel()
    return LoggingServiceV2AsyncClient(transport=LoggingServiceV2GrpcAsyncIOTransport(
        channel=channel))


async def _list(client: LoggingServiceV2AsyncClient, project: str, filter_: str,
                page_size: int = 50) -> list[Any]:
    pager = await client.list_log_entries(request=log_types.ListLogEntriesRequest(
        resource_names=[f"projects/{project}"], filter=filter_, page_size=page_size))
    out = []
    async for page in pager.pages:
        out.extend(type(page).pb(page).entries)
        break
    return out


async def test_the_client_librarys_diagnostic_entry_breaks_no_search(
        sandbox: RunningSandbox) -> None:
    project = sandbox.scenario.project
    marker = f"diag-{uuid.uuid4().hex[:8]}"
    diag = _create_diagnostic_entry().to_api_repr()  # what google-cloud-logging writes first
    diag.update(logName=f"projects/{project}/logs/diagnostic-log",
                resource={"type": "global", "labels": {"project_id": project}},
                labels={"marker": marker})
    pb = json_format.ParseDict(diag, log_types.LogEntry.pb()())
    client = _client(sandbox)
    await client.write_log_entries(entries=[log_types.LogEntry.wrap(pb)])
    found = await _list(client, project, f"labels.marker={marker} python")
    payloads = [json_format.MessageToDict(e.json_payload) for e in found]
    assert [p["logging.googleapis.com/diagnostic"]["instrumentation_source"][0]["name"]
            for p in payloads] == ["python"]
    for query in ("Traceback", f'labels.marker={marker} jsonPayload:python',
                  f'labels.marker={marker} jsonPayload."logging.googleapis.com/diagnostic"'
                  ".instrumentation_source:python"):
        await _list(client, project, query)  # no UNKNOWN ListValue error
    assert await _list(client, project, f"labels.marker={marker} jsonPayload:python")


@pytest.mark.parametrize("size", [1001, -1])
async def test_page_size_outside_1_to_1000_is_refused(sandbox: RunningSandbox, size: int
                                                      ) -> None:
    with pytest.raises(gexc.InvalidArgument) as info:
        await _list(_client(sandbox), sandbox.scenario.project, "", page_size=size)
    assert "page_size" in str(info.value)


async def test_filter_limits(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    project = sandbox.scenario.project
    with pytest.raises(gexc.InvalidArgument) as info:
        await _list(client, project, "x " * 10_001)
    assert "20,000" in str(info.value)
    with pytest.raises(gexc.InvalidArgument) as info:
        await _list(client, project, "(" * 5000 + "severity>=ERROR" + ")" * 5000)
    assert "nested more than" in str(info.value)
    with pytest.raises(gexc.InvalidArgument) as info:
        await _list(client, project, 'textPayload=~"(?<=a)b"')
    assert "RE2" in str(info.value)


def test_tail_buffers_two_seconds_unless_told() -> None:
    unset = log_types.TailLogEntriesRequest(resource_names=["projects/p"])
    assert _buffer_window_ns(unset) == DEFAULT_BUFFER_WINDOW_NS == 2 * 10**9
    zero = log_types.TailLogEntriesRequest(resource_names=["projects/p"])
    type(zero).pb(zero).buffer_window.CopyFrom(duration_pb2.Duration(seconds=0))
    assert _buffer_window_ns(zero) == 0


def test_entries_print_as_cloud_logging_has_them() -> None:
    """Request log, audit log and a multi-line structured log through the adapter's
    conversion and the headless command's text / JSON lines."""
    import json

    from log_query_entries import entries

    from staging_tui.gcp.log_entries import entry_from_pb
    from staging_tui.render.log_lines import expanded_text, json_line, text_line

    fixed = entries()
    req = json.loads(json_line(entry_from_pb(fixed["req1"])))
    assert req["logName"] == "projects/p/logs/run.googleapis.com%2Frequests"
    assert req["resource"] == {"type": "cloud_run_revision", "labels": {
        "project_id": "p", "service_name": "backend", "location": "us-central1",
        "configuration_name": "backend", "revision_name": "backend-00001-abc"}}
    assert req["httpRequest"]["latency"] == "0.123s"
    assert req["httpRequest"]["responseSize"] == "512"
    assert req["httpRequest"]["protocol"] == "HTTP/1.1"
    assert req["spanId"] == "000000000000004a"
    assert req["timestamp"].endswith("Z")
    # Google's own JSON form agrees on every field we print
    google = json_format.MessageToDict(fixed["req1"])
    for key in ("logName", "resource", "spanId", "trace", "insertId", "severity"):
        assert req[key] == google[key], key
    assert req["httpRequest"] == {k: v for k, v in google["httpRequest"].items()
                                  if k != "cacheLookup"}

    audit = entry_from_pb(fixed["audit1"])
    line = text_line(audit, utc=True)
    assert line.endswith("Services.UpdateService services/backend by dev@example.com")
    data = json.loads(json_line(audit))
    assert data["protoPayload"]["@type"] == "type.googleapis.com/google.cloud.audit.AuditLog"
    assert data["protoPayload"]["methodName"] == "google.cloud.run.v2.Services.UpdateService"
    assert '"principalEmail": "dev@example.com"' in expanded_text(audit)

    many = fixed["json1"]
    many.json_payload["message"] = "job failed\nstep 1\nstep 2\nValueError: bad"
    shown = entry_from_pb(many)
    assert text_line(shown).endswith("job failed ⏎ +2 lines … ValueError: bad")
    assert "step 2" in expanded_text(shown)


def test_the_generator_writes_every_kind_cloud_run_writes() -> None:
    from staging_tui.sandbox.log_generator import LogGenerator
    from staging_tui.sandbox.scenario import load_scenario

    generator = LogGenerator(load_scenario(), 0)
    seen: set[str] = set()
    for i in range(4000):
        e = generator.entry(i)
        log = e.log_name.rsplit("/", 1)[-1]
        if log.endswith("requests") and e.HasField("http_request"):
            seen.add("request")
        kind = e.WhichOneof("payload")
        if kind == "text_payload":
            seen.add(log)
        if kind == "proto_payload" and log == "cloudaudit.googleapis.com%2Factivity":
            seen.add("audit")
        if kind == "json_payload":
            payload = json_format.MessageToDict(e.json_payload)
            assert "severity" not in payload and isinstance(payload["message"], str)
            kinds = {type(v).__name__ for v in payload.values()}
            seen |= kinds
            if "\n" in payload["message"]:
                seen.add("multi-line")
    assert seen >= {"request", "run.googleapis.com%2Fstdout", "run.googleapis.com%2Fstderr",
                    "audit", "list", "dict", "float", "bool", "NoneType", "str", "multi-line"}
