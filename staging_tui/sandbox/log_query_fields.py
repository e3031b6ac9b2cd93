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
    return accessor(path)(entry)


_ACCESSORS: dict[tuple[str, ...], Any] = {}


def accessor(path: tuple[str, ...]) -> Any:
    """A function reading `path` from an entry, planned once per path (descriptor walks
    are slow; a filter reads the same path from every entry)."""
    found = _ACCESSORS.get(path)
    if found is None:
        found = _ACCESSORS[path] = _plan(path)
    return found


def _plan(path: tuple[str, ...]) -> Any:
    desc: Any = _ENTRY
    steps: list[str] = []  # message fields to descend through (HasField-checked)
    for depth, part in enumerate(path):
        field = desc.fields_by_camelcase_name[part]
        name = field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key = path[depth + 1] if depth + 1 < len(path) else None
            return _map_reader(tuple(steps), name, key)
        if field.message_type is None:
            return _scalar_reader(tuple(steps), name, field.enum_type is not None)
        full = field.message_type.full_name
        rest = path[depth + 1:]
        if full == "google.protobuf.Struct":
            return _leaf_reader(tuple(steps), name, lambda m, rest=rest: _json_path(m, rest))
        if full == "google.protobuf.Any":
            return _leaf_reader(tuple(steps), name,
                                lambda m, rest=rest: _json_path_dict(any_to_dict(m), rest))
        if full == "google.protobuf.Timestamp":
            return _leaf_reader(tuple(steps), name,
                                lambda m: m.seconds * 1_000_000_000 + m.nanos)
        if full == "google.protobuf.Duration":
            return _leaf_reader(tuple(steps), name, lambda m: m.seconds + m.nanos / 1e9)
        steps.append(name)
        desc = field.message_type
    return _leaf_reader(tuple(steps[:-1]), steps[-1], lambda m: m)


def _descend(msg: Any, steps: tuple[str, ...]) -> Any:
    for name in steps:
        if not msg.HasField(name):
            return None
        msg = getattr(msg, name)
    return msg


def _map_reader(steps: tuple[str, ...], name: str, key: str | None) -> Any:
    def read(entry: Any) -> Any:
        msg = _descend(entry, steps)
        if msg is None:
            return None
        mapping = getattr(msg, name)
        if key is None:
            return dict(mapping) or None
        return mapping.get(key) or None
    return read


def _scalar_reader(steps: tuple[str, ...], name: str, enum: bool) -> Any:
    def read(entry: Any) -> Any:
        msg = _descend(entry, steps)
        if msg is None:
            return None
        value = getattr(msg, name)
        if enum:
            return value  # severity DEFAULT (0) is a severity
        return value if value else None  # proto3: a default is absent
    return read


def _leaf_reader(steps: tuple[str, ...], name: str, convert: Any) -> Any:
    def read(entry: Any) -> Any:
        msg = _descend(entry, steps)
        if msg is None or not msg.HasField(name):
            return None
        return convert(getattr(msg, name))
    return read


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


_HTTP_TEXT = ("request_method", "request_url", "user_agent", "remote_ip", "server_ip",
              "referer", "protocol")
_HTTP_NUMBERS = ("status", "request_size", "response_size", "cache_fill_bytes")


def leaves(entry: Any) -> Iterator[str]:
    """Every value of `entry` as text, for a global restriction (`"text"` alone); read
    from the protobuf directly (this runs on every entry a bare word is matched against)."""
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
        yield from _pb_struct_leaves(entry.json_payload)
    elif kind == "proto_payload":
        yield from _struct_leaves(any_to_dict(entry.proto_payload))
    if entry.HasField("http_request"):
        h = entry.http_request
        for name in _HTTP_TEXT:
            text = getattr(h, name)
            if text:
                yield text
        for name in _HTTP_NUMBERS:
            number = getattr(h, name)
            if number:
                yield str(number)
    if entry.HasField("operation"):
        yield from _struct_leaves(json_format.MessageToDict(entry.operation))
    if entry.HasField("source_location"):
        yield from _struct_leaves(json_format.MessageToDict(entry.source_location))


def _pb_struct_leaves(struct: Any) -> Iterator[str]:
    for value in struct.fields.values():
        yield from _pb_value_leaves(value)


def _pb_value_leaves(value: Any) -> Iterator[str]:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        yield value.string_value
    elif kind == "struct_value":
        yield from _pb_struct_leaves(value.struct_value)
    elif kind == "list_value":
        for item in value.list_value.values:
            yield from _pb_value_leaves(item)
    elif kind == "bool_value":
        yield "true" if value.bool_value else "false"
    elif kind == "number_value":
        number = value.number_value
        yield str(int(number)) if number.is_integer() else str(number)


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
