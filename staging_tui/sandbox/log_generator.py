"""Deterministic Cloud Run log generator for the sandbox's Logging API.

Entry `i` (its sequence number, also the `seq` label) is a pure function of the
scenario seed and `i`: its timestamp is `origin + i / rate`, its service is drawn
by per-service rate, its content from a small set of request / application
templates. Nothing runs in the background: `LogStore.advance(now)` produces the
entries whose time has come, when someone asks (List, Tail), so an idle sandbox
costs nothing.
"""

from __future__ import annotations

import bisect
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from google.cloud.logging_v2 import types as log_types
from google.protobuf import struct_pb2

from staging_tui.sandbox.run_api import revision_name
from staging_tui.sandbox.scenario import Scenario, parse_duration

LogEntryPb: Any = log_types.LogEntry.pb()
REQUEST_LOG = "run.googleapis.com%2Frequests"
STDOUT_LOG = "run.googleapis.com%2Fstdout"
STDERR_LOG = "run.googleapis.com%2Fstderr"
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


@dataclass(frozen=True)
class ServiceLogs:
    name: str
    rate: float
    revision: str
    failed_revision: str = ""
    errors: bool = False


def _log_settings(scenario: Scenario) -> tuple[list[ServiceLogs], Mapping[str, Any]]:
    logs = scenario.tables.get("logs", {})
    rates = logs.get("rates", {})
    default_rate = float(logs.get("default_rate", 1.0))
    out = []
    for spec in scenario.tables.get("services", []):
        name = str(spec["name"])
        count = int(spec.get("revisions", 1))
        ready = int(spec.get("latest_ready", count))
        rate = float(rates.get(name, default_rate))
        if rate <= 0:
            continue
        out.append(ServiceLogs(
            name=name,
            rate=rate,
            revision=revision_name(name, ready or count),
            failed_revision=revision_name(name, count) if ready < count else "",
            errors=bool(spec.get("failure")) or name in logs.get("error_services", ()),
        ))
    return out, logs


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


class LogGenerator:
    """Entry `i` of the scenario's endless, deterministic log."""

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
        self.error_share = float(table.get("error_share", 0.05))

    def _r(self, i: int, k: int) -> float:
        return self._rand[(i * 7919 + k * 104729) % _TABLE]

    def index_at(self, t: float) -> int:
        """How many entries exist at wall time `t` (entries 0..n-1 are released)."""
        return max(0, int((t - self.origin) * self.rate) + 1)

    def time_of(self, i: int) -> float:
        return self.origin + i / self.rate

    def entry(self, i: int) -> Any:
        """The raw LogEntry protobuf for sequence number `i`."""
        if not self.services:
            raise IndexError("no service emits logs")
        svc = self.services[min(bisect.bisect_left(self._cumulative, self._r(i, 0)),
                                len(self.services) - 1)]
        ts = self.time_of(i)
        e = LogEntryPb()
        e.insert_id = f"{i:012d}{svc.name[:4]}"
        e.timestamp.seconds = int(ts)
        e.timestamp.nanos = int((ts % 1) * 1e9)
        e.resource.type = "cloud_run_revision"
        rl = e.resource.labels
        rl["project_id"] = self.project
        rl["location"] = self.region
        rl["configuration_name"] = svc.name
        rl["service_name"] = svc.name
        rl["revision_name"] = svc.revision
        e.labels["seq"] = str(i)
        e.labels["instanceId"] = f"00c61b117c{int(self._r(i, 1) * 4):04x}"
        e.trace = f"projects/{self.project}/traces/{int(self._r(i, 2) * 1e12):032x}"
        kind = self._r(i, 3)
        if svc.failed_revision and kind < 0.1:
            rl["revision_name"] = svc.failed_revision
            self._traceback(e)
        elif svc.errors and kind < 0.1 + self.error_share * 4:
            self._traceback(e)
        elif kind < 0.55:
            self._request(e, i)
        elif kind < 0.8:
            self._app_text(e, i)
        else:
            self._app_json(e, i, svc.name)
        return e

    def _request(self, e: Any, i: int) -> None:
        e.log_name = f"projects/{self.project}/logs/{REQUEST_LOG}"
        r = self._r(i, 4)
        status = 500 if r < self.error_share else 404 if r < 0.12 else 302 if r < 0.2 else 200
        e.severity = 500 if status >= 500 else 400 if status >= 400 else 200
        h = e.http_request
        h.request_method = "POST" if self._r(i, 5) < 0.3 else "GET"
        h.request_url = "https://" + e.resource.labels["service_name"] + ".run.app" + _PATHS[
            int(self._r(i, 6) * len(_PATHS))]
        h.status = status
        h.response_size = int(self._r(i, 7) * 20000)
        h.user_agent = _AGENTS[int(self._r(i, 8) * len(_AGENTS))]
        h.remote_ip = f"203.0.113.{int(self._r(i, 9) * 250)}"
        latency = self._r(i, 10) * (2.0 if status >= 500 else 0.3)
        h.latency.seconds = int(latency)
        h.latency.nanos = int((latency % 1) * 1e9)
        h.protocol = "HTTP/1.1"

    def _app_text(self, e: Any, i: int) -> None:
        e.log_name = f"projects/{self.project}/logs/{STDOUT_LOG}"
        severity, text = _APP_TEXT[int(self._r(i, 11) * len(_APP_TEXT))]
        e.severity = severity
        e.text_payload = text.replace("{n}", str(int(self._r(i, 12) * 10000)))

    def _app_json(self, e: Any, i: int, service: str) -> None:
        e.log_name = f"projects/{self.project}/logs/{STDOUT_LOG}"
        r = self._r(i, 13)
        severity = 100 if r < 0.2 else 200 if r < 0.8 else 300 if r < 0.9 else 400
        e.severity = severity
        e.json_payload.update({
            "message": f"handled job {int(self._r(i, 14) * 100000)}",
            "logger": f"{service}.worker",
            "duration_ms": round(self._r(i, 15) * 500, 1),
            "context": {"user": f"user-{int(self._r(i, 16) * 50)}", "attempt": 1},
        })

    def _traceback(self, e: Any) -> None:
        e.log_name = f"projects/{self.project}/logs/{STDERR_LOG}"
        e.severity = 500
        e.text_payload = TRACEBACK


@dataclass(slots=True)
class StoredEntry:
    key: tuple[int, int]  # (timestamp ns, store index): the store's sort order
    pb: Any
    wire: bytes  # the serialized LogEntry, sent as is


class LogStore:
    """All entries produced so far (bounded), sorted by timestamp."""

    def __init__(self, generator: LogGenerator, retention: int) -> None:
        self.generator = generator
        self.retention = max(retention, 1000)
        self.entries: list[StoredEntry] = []
        self.next_seq = 0  # next generated sequence number
        self._index = 0  # store index (generated and written entries)
        self.written = 0

    def advance(self, now: float | None = None) -> int:
        """Produce every entry due by `now`; returns the new count. Cheap when idle."""
        target = self.generator.index_at(time.time() if now is None else now)
        if not self.generator.services:
            return self.next_seq
        if target - self.next_seq > self.retention:
            self.next_seq = target - self.retention  # nobody listened: skip what we'd evict
        for seq in range(self.next_seq, target):
            pb = self.generator.entry(seq)
            ns = pb.timestamp.seconds * 1_000_000_000 + pb.timestamp.nanos
            self.entries.append(StoredEntry((ns, self._index), pb, pb.SerializeToString()))
            self._index += 1
        self.next_seq = max(self.next_seq, target)
        self._evict()
        return self.next_seq

    def write(self, pb: Any) -> StoredEntry:
        """Insert an entry written by a client (WriteLogEntries)."""
        ns = pb.timestamp.seconds * 1_000_000_000 + pb.timestamp.nanos
        stored = StoredEntry((ns, self._index), pb, pb.SerializeToString())
        self._index += 1
        self.written += 1
        bisect.insort(self.entries, stored, key=lambda s: s.key)
        self._evict()
        return stored

    def _evict(self) -> None:
        excess = len(self.entries) - self.retention
        if excess > self.retention // 10:
            del self.entries[:excess]

    def position_after(self, key: tuple[int, int]) -> int:
        return bisect.bisect_right(self.entries, key, key=lambda s: s.key)

    def position_at_time(self, ns: int) -> int:
        return bisect.bisect_left(self.entries, (ns, -1), key=lambda s: s.key)

    def since(self, key: tuple[int, int]) -> Iterator[StoredEntry]:
        """Entries after `key`, in order (a snapshot of positions, safe to iterate)."""
        entries = self.entries
        for pos in range(self.position_after(key), len(entries)):
            yield entries[pos]

    def newest_key(self) -> tuple[int, int]:
        return self.entries[-1].key if self.entries else (0, -1)


def history_origin(scenario: Scenario, now: float) -> float:
    """Logs start `[logs] history` before the sandbox did, so a backfill finds entries."""
    logs = scenario.tables.get("logs", {})
    return now - parse_duration(logs.get("history", "15m"), where=f"{scenario.source}: logs")
