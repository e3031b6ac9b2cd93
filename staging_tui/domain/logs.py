"""Cloud Logging: entries (with their HTTP request) and the markers the tail shows
between them (gaps, suppressed entries, reconnects, the user's marks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Protocol


class Severity(IntEnum):
    DEFAULT = 0
    DEBUG = 100
    INFO = 200
    NOTICE = 300
    WARNING = 400
    ERROR = 500
    CRITICAL = 600
    ALERT = 700
    EMERGENCY = 800


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    status: int
    latency_ms: float = 0.0
    user_agent: str = ""
    remote_ip: str = ""
    response_size: int = 0
    protocol: str = ""


@dataclass(frozen=True, slots=True)
class LogEntry:
    insert_id: str
    timestamp: datetime
    severity: Severity
    service: str = ""
    revision: str = ""
    log_name: str = ""
    text: str = ""
    json_payload: Mapping[str, object] | None = None
    http_request: HttpRequest | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    trace: str = ""
    span_id: str = ""
    resource_type: str = ""
    resource_labels: Mapping[str, str] = field(default_factory=dict)
    proto_payload: Mapping[str, object] | None = None  # its JSON form, with "@type"

    @property
    def region(self) -> str:
        """resource.labels.location: same-named services of two regions stay apart."""
        return self.resource_labels.get("location", "")

    @property
    def full_message(self) -> str:
        """Every line of the entry's message: the text, a JSON payload's `message`, an
        audit log's method and resource, or a request's method, status and URL."""
        if self.text:
            return self.text
        if self.json_payload is not None:
            msg = self.json_payload.get("message")
            if isinstance(msg, str):
                return msg
        if self.proto_payload is not None:
            p = self.proto_payload
            who = p.get("authenticationInfo")
            by = who.get("principalEmail", "") if isinstance(who, Mapping) else ""
            method = ".".join(str(p.get("methodName", "")).split(".")[-2:])
            resource = "/".join(str(p.get("resourceName", "")).split("/")[-2:])
            return " ".join(x for x in (method, resource, f"by {by}" if by else "") if x)
        if self.http_request is not None:
            req = self.http_request
            return f"{req.method} {req.status} {req.url}"
        return ""

    @property
    def message(self) -> str:
        """The first line of the entry, as shown in the list."""
        return self.full_message.split("\n", 1)[0]

    @property
    def project(self) -> str:
        return self.resource_labels.get("project_id", "")


class CompactEntries(Protocol):
    """Log entries kept compact (a response's wire bytes; gcp/log_blocks.py) and
    decoded only when shown: per entry kept, its epoch second and severity number."""

    @property
    def seconds(self) -> Sequence[int]: ...
    @property
    def severities(self) -> Sequence[int]: ...
    @property
    def positions(self) -> Sequence[int]: ...  # of the entries kept, in the wire
    @property
    def total(self) -> int: ...  # entries in the wire, kept or not

    def __len__(self) -> int: ...
    def wire(self) -> bytes: ...
    @property
    def packed(self) -> bool: ...
    @property
    def nbytes(self) -> int: ...
    def entry(self, k: int) -> LogEntry: ...
    def entries(self) -> list[LogEntry]: ...
    def texts(self) -> list[tuple[str, str]]: ...  # what a find searches, per entry
    def search_texts(self) -> list[str]: ...  # the same, flat: text, source, text ...
    def search_joined(self) -> str | None: ...  # the same joined by NUL (None: a NUL in one)
    def packed_with(self, others: Sequence[CompactEntries] = ()) -> CompactEntries: ...


class MarkerKind(StrEnum):
    GAP = "gap"
    OLDER = "older"  # the backfill's cap: older entries of the window were not loaded
    SUPPRESSED = "suppressed"
    RECONNECT = "reconnect"
    MARK = "mark"  # a line the user placed (`m` in the Logs pane)


@dataclass(frozen=True, slots=True)
class LogMarker:
    """Something the tail could not show: a gap, suppressed entries, a reconnect."""

    kind: MarkerKind
    timestamp: datetime
    count: int = 0
    detail: str = ""
