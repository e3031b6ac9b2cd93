"""A fixed set of LogEntry protobufs, shaped as Cloud Run and google-cloud-logging write
them, for the Logging query language's table test."""

from __future__ import annotations

from typing import Any

from google.cloud.audit import audit_log_pb2
from google.cloud.logging_v2 import types as log_types

LogEntryPb: Any = log_types.LogEntry.pb()
P = "projects/p"
T0 = 1_796_000_000  # 2026-11-30T...


def _entry(name: str, minute: int, log: str, severity: int = 0, **resource: str) -> Any:
    e = LogEntryPb()
    e.insert_id = name
    e.log_name = f"{P}/logs/{log}"
    e.severity = severity
    e.timestamp.FromSeconds(T0 + minute * 60)
    e.resource.type = resource.pop("type", "cloud_run_revision")
    e.resource.labels["project_id"] = "p"
    for key, value in resource.items():
        e.resource.labels[key] = value
    return e


def _run(service: str, region: str = "us-central1") -> dict[str, str]:
    return {"service_name": service, "location": region, "configuration_name": service,
            "revision_name": f"{service}-00001-abc"}


def entries() -> dict[str, Any]:
    out: dict[str, Any] = {}

    e = _entry("req1", 1, "run.googleapis.com%2Frequests", 200, **_run("backend"))
    h = e.http_request
    h.request_method, h.request_url, h.status = "GET", "https://backend.run.app/api/v1/items", 200
    h.response_size, h.protocol, h.remote_ip = 512, "HTTP/1.1", "203.0.113.5"
    h.user_agent = "curl/8.5.0"
    h.latency.FromNanoseconds(123_000_000)
    e.trace, e.span_id, e.trace_sampled = "projects/p/traces/abc123", "000000000000004a", True
    e.labels["instanceId"] = "00c61b117c0001"
    out["req1"] = e

    e = _entry("req2", 2, "run.googleapis.com%2Frequests", 500, **_run("auth", "europe-west1"))
    h = e.http_request
    h.request_method, h.request_url, h.status = "POST", "https://auth.run.app/login", 503
    h.protocol, h.remote_ip, h.user_agent = "HTTP/2", "10.1.2.3", "GoogleHC/1.0"
    h.latency.FromNanoseconds(2_500_000_000)
    e.trace = "projects/p/traces/def456"
    e.labels["instanceId"] = "00c61b117c0002"
    out["req2"] = e

    e = _entry("out1", 3, "run.googleapis.com%2Fstdout", 200, **_run("backend"))
    e.text_payload = "Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)"
    out["out1"] = e

    e = _entry("err1", 4, "run.googleapis.com%2Fstderr", 500, **_run("backend"))
    e.text_payload = ('Traceback (most recent call last):\n  File "/app/db.py", line 88\n'
                      "ConnectionRefusedError: [Errno 111] Connection refused")
    out["err1"] = e

    e = _entry("json1", 5, "run.googleapis.com%2Fstdout", 400, **_run("worker"))
    e.json_payload.update({"message": "handled job 42", "latency_ms": 750, "ok": True,
                           "tags": ["a", "blue"], "ctx": {"user": "user-3", "attempt": 2},
                           "nothing": None, "code": "500"})
    out["json1"] = e

    e = _entry("json2", 6, "run.googleapis.com%2Fstdout", 100, **_run("worker"))
    e.json_payload.update({"message": "cache miss for key user:7", "latency_ms": 120.5,
                           "ok": False, "tags": [], "items": [{"id": 1}, {"id": 2}]})
    out["json2"] = e

    e = _entry("job1", 7, "run.googleapis.com%2Fstdout", 200, type="cloud_run_job",
               job_name="migrate", location="us-central1")
    e.labels["run.googleapis.com/execution_name"] = "migrate-abc"
    e.labels["run.googleapis.com/task_index"] = "0"
    e.text_payload = "Migration 42 applied"
    out["job1"] = e

    e = _entry("audit1", 8, "cloudaudit.googleapis.com%2Factivity", 300, **_run("backend"))
    audit = audit_log_pb2.AuditLog(
        service_name="run.googleapis.com",
        method_name="google.cloud.run.v2.Services.UpdateService",
        resource_name="namespaces/p/services/backend",
    )
    audit.authentication_info.principal_email = "dev@example.com"
    e.proto_payload.Pack(audit)
    out["audit1"] = e

    e = _entry("diag", 9, "diagnostic-log", 0, type="global")
    e.json_payload.update({"logging.googleapis.com/diagnostic": {
        "instrumentation_source": [{"name": "python", "version": "3.8.0"}],
        "runtime": "python"}})
    out["diag"] = e

    e = _entry("plain", 10, "run.googleapis.com%2Fstdout", 0, **_run("frontend", "asia-east1"))
    e.text_payload = "plain default line"
    e.source_location.file, e.source_location.line = "app.py", 12
    out["plain"] = e
    return out
