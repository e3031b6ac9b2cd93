"""Log entries as text: the server-side filter for a service, one-line rows,
the expanded view, and JSON lines / text for saving and the headless command."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple

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
    """The message column: the first line, and for a multi-line text its last line too
    (a traceback's first line says nothing; its last says what broke)."""
    text = entry.text
    if "\n" not in text:
        return entry.message
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return lines[0] if lines else ""
    first = "Traceback" if lines[0].startswith("Traceback (most recent call last)") else lines[0]
    return f"{first} … {lines[-1].strip()}"


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


def entry_json(item: LogEntry | LogMarker) -> dict[str, object]:
    """A JSON-able dict in Cloud Logging's field names."""
    if isinstance(item, LogMarker):
        return {"marker": item.kind.value, "timestamp": item.timestamp.isoformat(),
                "count": item.count, "detail": item.detail}
    out: dict[str, object] = {
        "insertId": item.insert_id,
        "timestamp": item.timestamp.isoformat(),
        "severity": item.severity.name,
        "service": item.service,
        "revision": item.revision,
        "logName": item.log_name,
    }
    if item.text:
        out["textPayload"] = item.text
    if item.json_payload is not None:
        out["jsonPayload"] = dict(item.json_payload)
    if item.http_request is not None:
        h = item.http_request
        out["httpRequest"] = {"requestMethod": h.method, "requestUrl": h.url, "status": h.status,
                              "latencyMs": round(h.latency_ms, 3), "userAgent": h.user_agent,
                              "remoteIp": h.remote_ip, "responseSize": h.response_size}
    if item.labels:
        out["labels"] = dict(item.labels)
    if item.trace:
        out["trace"] = item.trace
    return out


def json_line(item: LogEntry | LogMarker) -> str:
    return json.dumps(entry_json(item), separators=(",", ":"), default=str)


def expanded_text(entry: LogEntry, utc: bool = False) -> str:
    """Everything about one entry, for the expanded view: all lines, pretty JSON."""
    lines = [f"{format_time(entry.timestamp, utc)}  {entry.severity.name}  "
             f"{entry.service} / {entry.revision}", f"logName   {entry.log_name}",
             f"insertId  {entry.insert_id}"]
    if entry.trace:
        lines.append(f"trace     {entry.trace}")
    if entry.http_request is not None:
        h = entry.http_request
        lines.append(f"request   {h.method} {h.url} -> {h.status} in {h.latency_ms:.1f} ms "
                     f"({h.response_size} bytes) {h.user_agent} from {h.remote_ip}")
    if entry.labels:
        lines.append("labels    " + ", ".join(f"{k}={v}" for k, v in sorted(entry.labels.items())))
    if entry.text:
        lines += ["", entry.text]
    if entry.json_payload is not None:
        lines += ["", json.dumps(dict(entry.json_payload), indent=2, sort_keys=True, default=str)]
    return "\n".join(lines)


def save_lines(items: Iterable[LogEntry | LogMarker], as_json: bool, utc: bool = True
               ) -> Iterable[str]:
    """Lines (without newline) to write to a file: JSON lines or text."""
    for item in items:
        yield json_line(item) if as_json else text_line(item, utc)
