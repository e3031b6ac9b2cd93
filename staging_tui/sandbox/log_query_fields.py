"""Field paths of the Logging query language, resolved on a protobuf LogEntry.

A path uses the LogEntry's JSON names (`httpRequest.responseSize`, `spanId`,
`resource.labels.service_name`, `labels."run.googleapis.com/execution_name"`,
`jsonPayload.a.b`, `protoPayload.methodName`). `field_kind()` checks a path against
the LogEntry descriptor when the filter is compiled (an unknown field is an error, as
Google's); `resolve()` reads it from an entry: None when absent (proto3 defaults are
absent, as in the entry's JSON form), `Duration` as seconds (float), `Timestamp` as
nanoseconds, severity as its number, a Struct / ListValue as dict / list, a protoPayload
as the dict of its JSON form with "@type".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.cloud.audit import audit_log_pb2  # noqa: F401 (protoPayload AuditLog decodes)
from google.cloud.logging_v2 import types as log_types
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor

_ENTRY: Descriptor = log_types.LogEntry.pb().DESCRIPTOR
_SEVERITY_NAMES = {0: "DEFAULT", 100: "DEBUG", 200: "INFO", 300: "NOTICE", 400: "WARNING",
                   500: "ERROR", 600: "CRITICAL", 700: "ALERT", 800: "EMERGENCY"}
_OPEN = ("google.protobuf.Struct", "google.protobuf.Any")  # any key below these
_NUMERIC = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
            FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT,
            FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64}


def field_kind(path: tuple[str, ...]) -> str:
    """The value kind at `path`: string, number, bool, severity, timestamp, duration,
    dynamic (a JSON value), map (a map or message: only `:*`); raises KeyError naming
    the part that is not a field."""
    desc: Descriptor | None = _ENTRY
    for depth, part in enumerate(path):
        assert desc is not None
        field = desc.fields_by_camelcase_name.get(part)
        if field is None:
            raise KeyError(".".join(path[: depth + 1]))
        rest = len(path) - depth - 1
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            if rest == 0:
                return "map"
            if rest > 1:
                raise KeyError(".".join(path[: depth + 3]))
            return "string"
        if field.message_type is not None:
            name = field.message_type.full_name
            if name in _OPEN:
                return "dynamic" if rest else "map"
            if name == "google.protobuf.Timestamp":
                return _leaf(rest, path, depth, "timestamp")
            if name == "google.protobuf.Duration":
                return _leaf(rest, path, depth, "duration")
            if rest == 0:
                return "map"
            desc = field.message_type
            continue
        if field.enum_type is not None and field.enum_type.full_name.endswith("LogSeverity"):
            return _leaf(rest, path, depth, "severity")
        if field.type == FieldDescriptor.TYPE_BOOL:
            return _leaf(rest, path, depth, "bool")
        if field.type in _NUMERIC:
            return _leaf(rest, path, depth, "number")
        return _leaf(rest, path, depth, "string")
    return "map"


def _leaf(rest: int, path: tuple[str, ...], depth: int, kind: str) -> str:
    if rest:
        raise KeyError(".".join(path[: depth + 2]))
    return kind


def resolve(entry: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` in `entry` (None when absent)."""
    msg: Any = entry
    for depth, part in enumerate(path):
        field = msg.DESCRIPTOR.fields_by_camelcase_name[part]
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            mapping = getattr(msg, field.name)
            if depth == len(path) - 1:
                return dict(mapping) or None
            return mapping.get(path[depth + 1]) or None
        if field.message_type is not None:
            if not msg.HasField(field.name):
                return None
            msg = getattr(msg, field.name)
            name = field.message_type.full_name
            if name == "google.protobuf.Struct":
                return _json_path(msg, path[depth + 1:])
            if name == "google.protobuf.Any":
                return _json_path_dict(any_to_dict(msg), path[depth + 1:])
            if name == "google.protobuf.Timestamp":
                return msg.seconds * 1_000_000_000 + msg.nanos
            if name == "google.protobuf.Duration":
                return msg.seconds + msg.nanos / 1e9
            continue
        value = getattr(msg, field.name)
        if field.enum_type is not None:
            return value  # severity DEFAULT (0) is a severity
        return value if value else None  # proto3: a default is absent
    return msg


def _json_path(struct: Any, path: tuple[str, ...]) -> Any:
    value: Any = json_format.MessageToDict(struct) if not path else struct
    if not path:
        return value
    for key in path:
        fields = getattr(value, "fields", None)
        if fields is None or key not in fields:
            return None
        value = _unwrap(fields[key])
    return value


def _unwrap(value: Any) -> Any:
    """A protobuf Value as Python: Struct stays a Struct (for deeper keys), list -> list."""
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return value.struct_value
    if kind == "list_value":
        return [_plain(v) for v in value.list_value.values]
    if kind in (None, "null_value"):
        return None
    return getattr(value, kind)


def _plain(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return json_format.MessageToDict(value.struct_value)
    if kind == "list_value":
        return [_plain(v) for v in value.list_value.values]
    if kind in (None, "null_value"):
        return None
    return getattr(value, kind)


def plain(value: Any) -> Any:
    """A resolved value with any Struct left in it turned into a dict."""
    if hasattr(value, "fields"):
        return json_format.MessageToDict(value)
    return value


def _json_path_dict(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def any_to_dict(msg: Any) -> dict[str, Any] | None:
    """A protoPayload as its JSON form (with "@type"), when its type is known here."""
    try:
        return dict(json_format.MessageToDict(msg))
    except (TypeError, KeyError, json_format.Error):
        return None


def leaves(entry: Any) -> Iterator[str]:
    """Every value of `entry` as text, for a global restriction (`"text"` alone)."""
    yield entry.log_name
    yield entry.resource.type
    yield from entry.resource.labels.values()
    yield from entry.labels.values()
    if entry.severity:
        yield _SEVERITY_NAMES.get(entry.severity, str(entry.severity))
    yield entry.insert_id
    if entry.trace:
        yield entry.trace
    if entry.span_id:
        yield entry.span_id
    kind = entry.WhichOneof("payload")
    if kind == "text_payload":
        yield entry.text_payload
    elif kind == "json_payload":
        yield from _struct_leaves(json_format.MessageToDict(entry.json_payload))
    elif kind == "proto_payload":
        yield from _struct_leaves(any_to_dict(entry.proto_payload))
    if entry.HasField("http_request"):
        yield from _struct_leaves(json_format.MessageToDict(entry.http_request))
    if entry.HasField("operation"):
        yield from _struct_leaves(json_format.MessageToDict(entry.operation))
    if entry.HasField("source_location"):
        yield from _struct_leaves(json_format.MessageToDict(entry.source_location))


def _struct_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _struct_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _struct_leaves(item)
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        yield str(int(value))
    elif value is not None:
        yield str(value)


def text_leaves(value: Any) -> Iterator[str]:
    """A resolved value's leaves as text (for `:` on a struct or a list)."""
    yield from _struct_leaves(plain(value))


def severity_name(number: int) -> str:
    return _SEVERITY_NAMES.get(number, str(number))
