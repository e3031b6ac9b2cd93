"""Log entries as text: the server-side filter for a service, one-line rows,
the expanded view, and JSON lines / text for saving and the headless command."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import quote

from staging_tui.domain import LogEntry, LogMarker, MarkerKind, Severity

SINCE_PRESETS = ("1m", "5m", "15m", "1h")
SEVERITY_SHORT = {
    Severity.DEFAULT: "DEFLT", Severity.DEBUG: "DEBUG", Severity.INFO: "INFO",
    Severity.NOTICE: "NOTIC", Severity.WARNING: "WARN", Severity.ERROR: "ERROR",
    Severity.CRITICAL: "CRIT", Severity.ALERT: "ALERT", Severity.EMERGENCY: "EMERG",
}
SEVERITY_STYLE = {
    Severity.DEFAULT: "dim", Severity.DEBUG: "dim", Severity.INFO: "green",
    Severity.NOTICE: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "bold red",
    Severity.CRITICAL: "bold white on red", Severity.ALERT: "bold white on red",
    Severity.EMERGENCY: "bold white on red",
}


def parse_severity(text: str) -> Severity:
    try:
        return Severity[text.upper()]
    except KeyError:
        raise ValueError(f"unknown severity {text!r}: use one of "
                         f"{', '.join(s.name for s in Severity)}") from None


def format_time(when: datetime, utc: bool = False) -> str:
    local = when.astimezone(UTC) if utc else when.astimezone()
    return local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def source_of(entry: LogEntry) -> str:
    if entry.revision:
        return entry.revision
    return entry.service


def summary(entry: LogEntry) -> str:
    """The message column: the first line, for a multi-line text its last line too (a
    traceback's first line says nothing; its last says what broke), and a sign of the
    lines not shown ("⏎ +N lines"); the entry's detail view shows them all."""
    full = entry.full_message
    if "\n" not in full:
        return full
    lines = [line for line in full.splitlines() if line.strip()]
    if len(lines) < 2:
        return lines[0] if lines else ""
    first = "Traceback" if lines[0].startswith("Traceback (most recent call last)") else lines[0]
    if len(lines) == 2:
        return f"{first} … {lines[1].strip()}"
    return f"{first} ⏎ +{len(lines) - 2} lines … {lines[-1].strip()}"  # the sign survives a cut


def marker_text(marker: LogMarker) -> str:
    if marker.kind is MarkerKind.SUPPRESSED:
        return f"── {marker.count:,} entries suppressed ── {marker.detail}"
    if marker.kind is MarkerKind.GAP:
        return f"── gap ── {marker.detail}"
    if marker.kind is MarkerKind.OLDER:
        return f"── older entries not loaded ── {marker.detail}"
    if marker.kind is MarkerKind.MARK:
        return f"── mark ── {marker.detail}"
    return f"── reconnected ── {marker.detail}"


class LogRow(NamedTuple):
    """The columns of one log line, the one layout every view of a line uses (the
    Logs pane's rows, saved text, the headless command): time, severity (5 wide),
    source, message (see `summary`)."""

    when: str
    severity: str
    source: str
    message: str


def log_row(entry: LogEntry, utc: bool = False, source_width: int = 0) -> LogRow:
    """`entry`'s columns; with `source_width` the source is cut (…) and padded to it."""
    source = source_of(entry)
    if source_width:
        if len(source) > source_width:
            source = source[: source_width - 1] + "…"
        source = f"{source:<{source_width}}"
    return LogRow(format_time(entry.timestamp, utc), f"{SEVERITY_SHORT[entry.severity]:<5}",
                  source, summary(entry))


TEXT_SOURCE_WIDTH = 32  # a service and its revision suffix ("-00004-7db") fit


def text_line(item: LogEntry | LogMarker, utc: bool = False,
              source_width: int = TEXT_SOURCE_WIDTH) -> str:
    """One plain line: time, severity, source, the message (see `log_row`), in columns:
    the source is padded to `source_width` (never cut: a line must stay greppable)."""
    if isinstance(item, LogMarker):
        return f"{format_time(item.timestamp, utc)} {marker_text(item)}"
    row = log_row(item, utc)
    return f"{row.when} {row.severity} {row.source:<{source_width}}  {row.message}"


def full_log_name(entry: LogEntry) -> str:
    """`projects/P/logs/run.googleapis.com%2Fstdout`, as Cloud Logging names it."""
    if not entry.project or entry.log_name.startswith("projects/"):
        return entry.log_name
    return f"projects/{entry.project}/logs/{quote(entry.log_name, safe='')}"


def latency_json(ms: float) -> str:
    """A Duration as Cloud Logging's JSON writes it: seconds with an "s" ("0.123s")."""
    text = f"{ms / 1000:.9f}".rstrip("0").rstrip(".")
    return f"{text}s"


def entry_json(item: LogEntry | LogMarker) -> dict[str, object]:
    """A JSON-able dict in Cloud Logging's own field names (LogEntry's JSON form)."""
    if isinstance(item, LogMarker):
        return {"marker": item.kind.value, "timestamp": item.timestamp.isoformat(),
                "count": item.count, "detail": item.detail}
    out: dict[str, object] = {
        "insertId": item.insert_id,
        "logName": full_log_name(item),
        "timestamp": item.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "severity": item.severity.name,
    }
    if item.resource_type or item.resource_labels:
        out["resource"] = {"type": item.resource_type, "labels": dict(item.resource_labels)}
    if item.text:
        out["textPayload"] = item.text
    if item.json_payload is not None:
        out["jsonPayload"] = dict(item.json_payload)
    if item.proto_payload is not None:
        out["protoPayload"] = dict(item.proto_payload)
    if item.http_request is not None:
        h = item.http_request
        http: dict[str, object] = {"requestMethod": h.method, "requestUrl": h.url,
                                   "status": h.status, "latency": latency_json(h.latency_ms)}
        if h.response_size:
            http["responseSize"] = str(h.response_size)  # int64: a string in JSON
        for key, value in (("userAgent", h.user_agent), ("remoteIp", h.remote_ip),
                           ("protocol", h.protocol)):
            if value:
                http[key] = value
        out["httpRequest"] = http
    if item.labels:
        out["labels"] = dict(item.labels)
    if item.trace:
        out["trace"] = item.trace
    if item.span_id:
        out["spanId"] = item.span_id
    return out


def json_line(item: LogEntry | LogMarker) -> str:
    return json.dumps(entry_json(item), separators=(",", ":"), default=str)


def expanded_text(entry: LogEntry, utc: bool = False) -> str:
    """Everything about one entry, for the expanded view: every line of the message,
    pretty JSON of a json or proto (audit) payload."""
    lines = [f"{format_time(entry.timestamp, utc)}  {entry.severity.name}  "
             f"{entry.service} / {entry.revision}", f"logName   {entry.log_name}",
             f"insertId  {entry.insert_id}"]
    if entry.resource_type:
        lines.append(f"resource  {entry.resource_type}")
    if entry.trace:
        lines.append(f"trace     {entry.trace}" + (f"  span {entry.span_id}"
                                                    if entry.span_id else ""))
    if entry.http_request is not None:
        h = entry.http_request
        lines.append(f"request   {h.method} {h.url} -> {h.status} in {h.latency_ms:.1f} ms "
                     f"({h.response_size} bytes) {h.protocol} {h.user_agent} from {h.remote_ip}")
    if entry.labels:
        lines.append("labels    " + ", ".join(f"{k}={v}" for k, v in sorted(entry.labels.items())))
    if entry.text:
        lines += ["", entry.text]
    for payload in (entry.json_payload, entry.proto_payload):
        if payload is not None:
            lines += ["", json.dumps(dict(payload), indent=2, sort_keys=True, default=str)]
    return "\n".join(lines)


def save_lines(items: Iterable[LogEntry | LogMarker], as_json: bool, utc: bool = True
               ) -> Iterable[str]:
    """Lines (without newline) to write to a file: JSON lines or text."""
    for item in items:
        yield json_line(item) if as_json else text_line(item, utc)
