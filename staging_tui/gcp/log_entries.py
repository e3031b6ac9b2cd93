"""Cloud Logging protobuf -> domain LogEntry: the hot path of a tail, so lean.

Reads the raw protobuf (`type(m).pb(m)`: proto-plus attribute access is slow), shares
strings that repeat across entries, keeps JSON payloads as bytes until looked at and
labels as a flat tuple: a 100k-entry buffer holds 100k of each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from google.cloud.audit import audit_log_pb2  # noqa: F401 (audit protoPayloads decode)
from google.protobuf import json_format, struct_pb2

from staging_tui.domain import HttpRequest, LogEntry, Severity

_SEVERITY = {int(s): s for s in Severity}
_LOG_NAMES: dict[str, str] = {}
_LABEL_VALUES: dict[str, str] = {}
_LABEL_VALUES_MAX = 4096


def short_log_name(full: str) -> str:
    """`projects/p/logs/run.googleapis.com%2Fstdout` -> `run.googleapis.com/stdout`."""
    name = _LOG_NAMES.get(full)
    if name is None:
        name = unquote(full.rsplit("/logs/", 1)[-1])
        if len(_LOG_NAMES) < 1000:
            _LOG_NAMES[full] = name
    return name


_STRINGS: dict[str, str] = {}


def _shared(text: str) -> str:
    """One copy of strings that repeat across entries (services, URLs, label keys):
    a 100k-entry buffer would otherwise hold 100k copies of each."""
    found = _STRINGS.get(text)
    if found is not None:
        return found
    if len(_STRINGS) < 50_000:
        _STRINGS[text] = text
    return text


def _value(v: Any) -> object:
    kind = v.WhichOneof("kind")
    if kind == "string_value":
        return v.string_value
    if kind == "number_value":
        n = v.number_value
        return int(n) if n.is_integer() else n
    if kind == "bool_value":
        return v.bool_value
    if kind == "struct_value":
        return struct_to_dict(v.struct_value)
    if kind == "list_value":
        return [_value(x) for x in v.list_value.values]
    return None


def struct_to_dict(struct: Any) -> dict[str, object]:
    """google.protobuf.Struct -> dict, much faster than MessageToDict."""
    return {k: _value(v) for k, v in struct.fields.items()}


class JsonPayload(Mapping[str, object]):
    """A jsonPayload kept as its wire bytes and decoded on first use: most entries
    of a flood are never looked at, and bytes cost far less memory than a dict."""

    __slots__ = ("_data", "_wire")

    def __init__(self, wire: bytes) -> None:
        self._wire = wire
        self._data: dict[str, object] | None = None

    def _decoded(self) -> dict[str, object]:
        if self._data is None:
            self._data = struct_to_dict(struct_pb2.Struct.FromString(self._wire))
            self._wire = b""
        return self._data

    def __getitem__(self, key: str) -> object:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())


def entry_from_pb(pb: Any) -> LogEntry:
    """Raw LogEntry protobuf -> domain LogEntry (the hot path: keep it lean)."""
    ts = pb.timestamp
    rl = pb.resource.labels
    payload = pb.WhichOneof("payload")
    http = None
    if pb.HasField("http_request"):
        h = pb.http_request
        lat = h.latency
        http = HttpRequest(_shared(h.request_method), _shared(h.request_url), h.status,
                           lat.seconds * 1000 + lat.nanos / 1e6, _shared(h.user_agent),
                           h.remote_ip, h.response_size, _shared(h.protocol))
    return LogEntry(
        pb.insert_id,
        datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC),
        _SEVERITY.get(pb.severity, Severity.DEFAULT),
        _shared(rl.get("service_name", "")),
        _shared(rl.get("revision_name", "")),
        short_log_name(pb.log_name),
        _text(pb.text_payload) if payload == "text_payload" else "",
        JsonPayload(pb.json_payload.SerializeToString()) if payload == "json_payload" else None,
        http,
        Labels.from_pb(pb.labels) if pb.labels else NO_LABELS,
        pb.trace,
        pb.span_id,
        _shared(pb.resource.type),
        _resource_labels(rl),
        _proto_payload(pb.proto_payload) if payload == "proto_payload" else None,
    )


def search_text(pb: Any) -> tuple[str, str]:
    """What a find searches in an entry (`LogViewModel.matches`): its text, else the
    first line of its message; its revision, else its service. Read off the protobuf
    for the common shapes (text, JSON with a string `message`, a request) without
    building the LogEntry; any other shape goes through `entry_from_pb`."""
    payload = pb.WhichOneof("payload")
    rl = pb.resource.labels
    if payload == "text_payload" and pb.text_payload:
        text = pb.text_payload
    elif payload == "json_payload":
        message = pb.json_payload.fields.get("message")
        if message is None or message.WhichOneof("kind") != "string_value":
            return _search_text_of(entry_from_pb(pb))
        text = message.string_value.split("\n", 1)[0]
    elif payload is None and pb.HasField("http_request"):
        h = pb.http_request
        text = f"{h.request_method} {h.status} {h.request_url}".split("\n", 1)[0]
    else:
        return _search_text_of(entry_from_pb(pb))
    return text, rl.get("revision_name", "") or rl.get("service_name", "")


def _search_text_of(entry: LogEntry) -> tuple[str, str]:
    return entry.text or entry.message, entry.revision or entry.service


_RESOURCE_LABELS: dict[tuple[str, ...], Labels] = {}


def _resource_labels(labels: Any) -> Labels:
    """One Labels object per distinct resource (a revision's entries all share one)."""
    if not labels:
        return NO_LABELS
    key = tuple(x for kv in labels.items() for x in kv)
    found = _RESOURCE_LABELS.get(key)
    if found is None:
        if len(_RESOURCE_LABELS) > 10_000:
            _RESOURCE_LABELS.clear()
        found = _RESOURCE_LABELS[key] = Labels(tuple(_shared(x) for x in key))
    return found


def _proto_payload(any_pb: Any) -> dict[str, object]:
    """An audit log's (or any known type's) protoPayload as its JSON form; an unknown
    type keeps only its "@type"."""
    try:
        return dict(json_format.MessageToDict(any_pb))
    except (TypeError, KeyError, json_format.Error):
        return {"@type": any_pb.type_url}


def _text(text: str) -> str:
    """Long texts (tracebacks) repeat a lot in a crash loop: share them too."""
    return _shared(text) if len(text) > 200 else text


class Labels(Mapping[str, str]):
    """An entry's labels as (key, value, key, value ...): ~110 bytes where a dict of two
    labels takes 184. Keys are shared, and values that repeat (instance ids) too."""

    __slots__ = ("_items",)

    def __init__(self, items: tuple[str, ...] = ()) -> None:
        self._items = items

    @classmethod
    def from_pb(cls, labels: Any) -> Labels:
        values = _LABEL_VALUES
        if len(values) > _LABEL_VALUES_MAX:  # unique values (sequence numbers) churn it
            values.clear()
        items: list[str] = []
        for key, value in labels.items():
            items.append(_shared(key))
            items.append(values.setdefault(value, value))
        return cls(tuple(items))

    def __getitem__(self, key: str) -> str:
        items = self._items
        for i in range(0, len(items), 2):
            if items[i] == key:
                return items[i + 1]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items[::2])

    def __len__(self) -> int:
        return len(self._items) // 2

    def __repr__(self) -> str:
        return repr(dict(self))


NO_LABELS = Labels()
