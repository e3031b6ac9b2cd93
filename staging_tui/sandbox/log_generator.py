"""Deterministic Cloud Run log generator for the sandbox's Logging API.

Entry `i` (its sequence number, also the `seq` label) is a pure function of the
scenario seed and `i`: its timestamp is `origin + i / rate`, its service is drawn
by per-service rate, its content from a small set of request / application
templates. Nothing runs in the background: `LogStore.advance(now)` produces the
entries whose time has come, when someone asks (List, Tail), so an idle sandbox
costs nothing. The entries produced so far are kept in sandbox/log_store.py.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.cloud.audit import audit_log_pb2
from google.cloud.logging_v2 import types as log_types

from staging_tui.sandbox.run_api import revision_name
from staging_tui.sandbox.scenario import Scenario, parse_duration

LogEntryPb: Any = log_types.LogEntry.pb()
REQUEST_LOG = "run.googleapis.com%2Frequests"
STDOUT_LOG = "run.googleapis.com%2Fstdout"
STDERR_LOG = "run.googleapis.com%2Fstderr"
AUDIT_LOG = "cloudaudit.googleapis.com%2Factivity"
_AUDIT_METHODS = (
    ("google.cloud.run.v2.Services.UpdateService", "google.cloud.run.v2.UpdateServiceRequest"),
    ("google.cloud.run.v2.Services.SetIamPolicy", "google.iam.v1.SetIamPolicyRequest"),
    ("google.cloud.run.v1.Services.ReplaceService", "google.cloud.run.v1.ReplaceServiceRequest"),
)
_AUDIT_PRINCIPALS = ("deploy@sandbox-staging.iam.gserviceaccount.com", "dev@example.com")
_TABLE = 1 << 16

TRACEBACK = """Traceback (most recent call last):
  File "/app/netra_backend/app/db/postgres.py", line 88, in initialize_postgres
    await conn.run_sync(Base.metadata.create_all)
  File "/usr/local/lib/python3.11/site-packages/asyncpg/connect_utils.py", line 1079, in _connect
    raise last_error or exceptions.TargetServerAttributeNotMatched(
  File "/usr/local/lib/python3.11/asyncio/base_events.py", line 1085, in create_connection
    raise exceptions[0]
ConnectionRefusedError: [Errno 111] Connection refused"""

_PATHS = ("/", "/health", "/api/v1/items", "/api/v1/users/me", "/api/v1/threads",
          "/static/app.js", "/api/v1/search?q=staging", "/auth/callback")
_AGENTS = ("Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0", "GoogleHC/1.0", "curl/8.5.0",
           "python-httpx/0.27.0")
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt): ")


def traceback_for(failure: str) -> str:
    """A failing service's traceback: it ends with its `failure` when that is an
    exception line (`ModuleNotFoundError: No module named 'stripe'`)."""
    if not _EXCEPTION.match(failure):
        return TRACEBACK
    return TRACEBACK.rsplit("\n", 1)[0] + "\n" + failure


_APP_TEXT = (
    (200, "Started server process [1]"),
    (200, "Application startup complete."),
    (100, "cache miss for key user:{n}"),
    (200, "Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)"),
    (400, "Slow query took {n} ms: SELECT * FROM threads WHERE user_id = $1"),
    (300, "Scheduled flow run {n} picked up by worker"),
    (500, "Request failed: upstream timeout after 30s"),
    (600, "Worker exited unexpectedly, restarting"),
)
_APP_ERRORS = 6  # _APP_TEXT[6:] are ERROR or worse


@dataclass(frozen=True)
class ServiceLogs:
    name: str
    rate: float
    revision: str
    failed_revision: str = ""
    errors: bool = False  # a failing service: tracebacks, and errors at `error_share`
    traceback: str = TRACEBACK  # what its tracebacks say (its `failure`, when an exception)
    error_share: float = 0.0  # share of requests that fail (500) and of error app logs
    region: str = ""  # resource.labels.location (default: the project's first region)


def _log_settings(scenario: Scenario) -> tuple[list[ServiceLogs], Mapping[str, Any]]:
    logs = scenario.tables.get("logs", {})
    rates = logs.get("rates", {})
    default_rate = float(logs.get("default_rate", 1.0))
    error_share = float(logs.get("error_share", 0.05))
    background = float(logs.get("background_error_share", error_share))
    out = []
    for spec in scenario.tables.get("services", []):
        name = str(spec["name"])
        count = int(spec.get("revisions", 1))
        ready = int(spec.get("latest_ready", count))
        rate = float(rates.get(name, default_rate))
        if rate <= 0:
            continue
        errors = bool(spec.get("failure")) or name in logs.get("error_services", ())
        out.append(ServiceLogs(
            name=name,
            rate=rate,
            revision=revision_name(name, ready or count),
            failed_revision=revision_name(name, count) if ready < count else "",
            errors=errors,
            traceback=traceback_for(str(spec.get("failure", ""))),
            error_share=error_share if errors else background,
            region=str(spec.get("region", scenario.region)),
        ))
    return out, logs


def service_traffic(scenario: Scenario) -> list[ServiceLogs]:
    """Each service's generated traffic (rate, error share): Monitoring's metrics follow it."""
    return _log_settings(scenario)[0]


def error_entry_share(svc: ServiceLogs, error_share: float) -> float:
    """The share of `svc`'s entries at ERROR or worse, from the generator's draws below
    (tracebacks, 500 request logs, error app lines): Monitoring's log_entry_count
    follows it. `error_share` is the scenario's `[logs] error_share`."""
    tb = 0.1 if svc.failed_revision else 0.0
    if svc.errors:
        tb = 0.1 + error_share * 4
    tb = min(tb, 0.55)
    requests = max(0.0, 0.55 - tb) * svc.error_share
    texts = 0.25 * (len(_APP_TEXT) - _APP_ERRORS) / len(_APP_TEXT) * (
        1.0 if svc.errors else min(1.0, svc.error_share * 4))
    return tb + requests + texts


_SMALL = [bytes((n,)) for n in range(128)]


def varint(n: int) -> bytes:
    """A protobuf varint."""
    if n < 128:
        return _SMALL[n]
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if not n:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def length_delimited(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field (tag already encoded)."""
    return tag + varint(len(payload)) + payload


def _label(key: str, value: str) -> bytes:
    """One `labels` map entry (field 11): maps may be spread over several entries."""
    entry = length_delimited(b"\x0a", key.encode()) + length_delimited(b"\x12", value.encode())
    return length_delimited(b"\x5a", entry)


def _time_fields(ns: int) -> bytes:
    seconds, nanos = divmod(ns, 1_000_000_000)
    return b"\x08" + varint(seconds) + (b"\x10" + varint(nanos) if nanos else b"")


class LogGenerator:
    """Entry `i` of the scenario's endless, deterministic log.

    Entries are assembled as wire bytes: a cached template (service, kind and the
    discrete choices) plus the per-entry fields (insertId, timestamp, labels, trace,
    request latency / size / ip). Protobuf merges repeated occurrences of map and
    message fields, so the parts simply concatenate. This keeps a 20k/s flood cheap.
    """

    def __init__(self, scenario: Scenario, origin: float) -> None:
        self.project = scenario.project
        self.region = scenario.region
        self.services, table = _log_settings(scenario)
        self.rate = sum(s.rate for s in self.services) or 1.0
        self.origin = origin
        rng = random.Random(scenario.seed)
        self._rand = [rng.random() for _ in range(_TABLE)]
        cumulative, total = [], 0.0
        for svc in self.services:
            total += svc.rate
            cumulative.append(total / self.rate)
        self._cumulative = cumulative
        self.error_share = float(table.get("error_share", 0.05))  # of failing services
        self._templates: dict[tuple[Any, ...], bytes] = {}
        self._trace_prefix = f"projects/{self.project}/traces/"
        self._instances = [_label("instanceId", f"00c61b117c{n:04x}") for n in range(4)]
        self._second = (-1, b"")

    def _r(self, i: int, k: int) -> float:
        return self._rand[(i * 7919 + k * 104729) % _TABLE]

    def index_at(self, t: float) -> int:
        """How many entries exist at wall time `t` (entries 0..n-1 are released)."""
        return max(0, int((t - self.origin) * self.rate) + 1)

    def time_of(self, i: int) -> float:
        return self.origin + i / self.rate

    def time_ns(self, i: int) -> int:
        return int(self.origin * 1e9) + i * 1_000_000_000 // max(int(self.rate * 1000), 1) * 1000

    def entry(self, i: int) -> Any:
        """The LogEntry protobuf for sequence number `i` (parsed from `wire(i)`)."""
        return LogEntryPb.FromString(self.wire(i)[1])

    def wire(self, i: int) -> tuple[int, bytes]:
        """(timestamp ns, serialized LogEntry) for sequence number `i`."""
        if not self.services:
            raise IndexError("no service emits logs")
        r = self._r
        svc_index = min(bisect.bisect_left(self._cumulative, r(i, 0)), len(self.services) - 1)
        svc = self.services[svc_index]
        ns = self.time_ns(i)
        kind = r(i, 3)
        dynamic = b""
        if svc.failed_revision and kind < 0.1:
            key: tuple[Any, ...] = ("tb", svc_index, True)
        elif svc.errors and kind < 0.1 + self.error_share * 4:
            key = ("tb", svc_index, False)
        elif kind < 0.55:
            x = r(i, 4)
            status = 500 if x < svc.error_share else 404 if x < 0.12 else 302 if x < 0.2 else 200
            key = ("req", svc_index, r(i, 5) < 0.3, int(r(i, 6) * len(_PATHS)), status,
                   int(r(i, 8) * len(_AGENTS)))
            latency = int(r(i, 10) * (2.0 if status >= 500 else 0.3) * 1e9)
            http = (b"\x28" + varint(int(r(i, 7) * 20000))
                    + length_delimited(b"\x3a", f"203.0.113.{int(r(i, 9) * 250)}".encode())
                    + length_delimited(b"\x72", _time_fields(latency)))
            dynamic = length_delimited(b"\x3a", http)
        elif kind < 0.8:
            text = int(r(i, 11) * len(_APP_TEXT))
            if text >= _APP_ERRORS and not svc.errors and r(i, 15) >= svc.error_share * 4:
                text -= len(_APP_TEXT) - _APP_ERRORS  # a healthy service: errors are rare
            key = ("text", svc_index, text, int(r(i, 12) * 64))
        elif kind > 0.995:  # an admin-activity audit log (someone changed the service)
            key = ("audit", svc_index, int(r(i, 14) * len(_AUDIT_METHODS)))
        else:
            x = r(i, 13)
            severity = 100 if x < 0.2 else 200 if x < 0.8 else 300 if x < 0.9 else 400
            key = ("json", svc_index, severity, int(r(i, 14) * 64))
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = self._template(key).SerializeToString()
        return ns, b"".join((
            template,
            length_delimited(b"\x22", f"{i:012d}{svc.name[:4]}".encode()),
            self._timestamp(ns),
            _label("seq", str(i)),
            self._instances[int(r(i, 1) * 4)],
            length_delimited(b"\xb2\x01", f"{self._trace_prefix}{int(r(i, 2) * 1e12):032x}".encode()),
            dynamic,
        ))

    def _timestamp(self, ns: int) -> bytes:
        """The `timestamp` field (9); the seconds part is shared by a second's entries."""
        seconds, nanos = divmod(ns, 1_000_000_000)
        if self._second[0] != seconds:
            self._second = (seconds, b"\x08" + varint(seconds))
        body = self._second[1] + (b"\x10" + varint(nanos) if nanos else b"")
        return b"\x4a" + _SMALL[len(body)] + body

    def _template(self, key: tuple[Any, ...]) -> Any:
        svc = self.services[key[1]]
        e = LogEntryPb()
        e.resource.type = "cloud_run_revision"
        rl = e.resource.labels
        rl["project_id"] = self.project
        rl["location"] = svc.region or self.region
        rl["configuration_name"] = svc.name
        rl["service_name"] = svc.name
        rl["revision_name"] = svc.revision
        kind = key[0]
        if kind == "tb":
            if key[2]:
                rl["revision_name"] = svc.failed_revision
            e.log_name = f"projects/{self.project}/logs/{STDERR_LOG}"
            e.severity = 500
            e.text_payload = svc.traceback
        elif kind == "req":
            _, _, post, path, status, agent = key
            e.log_name = f"projects/{self.project}/logs/{REQUEST_LOG}"
            e.severity = 500 if status >= 500 else 400 if status >= 400 else 200
            h = e.http_request
            h.request_method = "POST" if post else "GET"
            h.request_url = f"https://{svc.name}.run.app{_PATHS[path]}"
            h.status = status
            h.user_agent = _AGENTS[agent]
            h.protocol = "HTTP/1.1"
        elif kind == "text":
            severity, text = _APP_TEXT[key[2]]
            e.log_name = f"projects/{self.project}/logs/{STDOUT_LOG}"
            e.severity = severity
            e.text_payload = text.replace("{n}", str(key[3] * 157))
        elif kind == "audit":
            method, verb = _AUDIT_METHODS[key[2]]
            e.log_name = f"projects/{self.project}/logs/{AUDIT_LOG}"
            e.severity = 300
            audit = audit_log_pb2.AuditLog(
                service_name="run.googleapis.com", method_name=method,
                resource_name=f"projects/{self.project}/locations/{self.region}/services/"
                              f"{svc.name}")
            audit.authentication_info.principal_email = _AUDIT_PRINCIPALS[key[2] % 2]
            audit.request_metadata.caller_ip = "203.0.113.77"
            audit.request_metadata.caller_supplied_user_agent = "google-cloud-sdk gcloud/502.0.0"
            audit.request.update({"@type": f"type.googleapis.com/{verb}",
                                  "name": audit.resource_name})
            e.proto_payload.Pack(audit)
        else:
            # structured logging: Cloud Run lifts "severity" out of the JSON line and keeps
            # the rest (message, nested objects, arrays, numbers, booleans, nulls)
            n = key[3]
            e.log_name = f"projects/{self.project}/logs/{STDOUT_LOG}"
            e.severity = key[2]
            message = f"handled job {n * 1571}"
            if n % 16 == 5:
                message += ("\nsteps: fetch, parse, store\nrows: "
                            f"{n * 13}\nresult: ok")
            e.json_payload.update({
                "message": message,
                "logger": f"{svc.name}.worker",
                "duration_ms": round(n * 7.3, 1),
                "latency_ms": n * 17,
                "cached": n % 2 == 0,
                "retry_of": None,
                "tags": ["worker", f"shard-{n % 4}"],
                "context": {"user": f"user-{n % 50}", "attempt": 1 + n % 3,
                            "roles": ["reader", "writer", "admin"][: n % 4]},
                "items": [{"id": n, "ok": True}, {"id": n + 1, "ok": n % 5 != 0}],
            })
        return e


def history_origin(scenario: Scenario, now: float) -> float:
    """Logs start `[logs] history` before the sandbox did, so a backfill finds entries."""
    logs = scenario.tables.get("logs", {})
    return now - parse_duration(logs.get("history", "15m"), where=f"{scenario.source}: logs")
