"""Secret Manager's list filters (`ListSecrets`, `ListSecretVersions`), after Google's
"Filter list results" page (https://cloud.google.com/secret-manager/docs/filtering) and
the list filter grammar it follows (https://google.aip.dev/160): terms joined by AND,
OR (binding tighter than AND, as in AIP-160), NOT / `-`, parentheses, juxtaposition.

Fields of a secret: `name` (`name:redis` contains, `name=x` the id or the full name),
`labels.KEY` (`labels.app=backend`, `labels.app:*` has the label), `create_time` /
`expire_time` (RFC 3339: `create_time>2026-01-01T00:00:00Z`),
`replication.user_managed.replicas.location`, `version_aliases.KEY`,
`annotations.KEY`; of a version: `name`, `state` (`state:ENABLED`), `create_time`,
`destroy_time`. A bare word matches the name. Anything else is INVALID_ARGUMENT,
as Google refuses it. The syntax is the Logging grammar's (log_query_syntax).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import grpc

from staging_tui.sandbox.log_query_syntax import (
    And,
    Call,
    Comparison,
    FilterError,
    Global,
    Node,
    Not,
    Or,
    parse,
)

Predicate = Callable[[Any], bool]
STATE_NAME = {1: "ENABLED", 2: "DISABLED", 3: "DESTROYED"}


class SecretFilterError(ValueError):
    """A filter Google would refuse: INVALID_ARGUMENT with this message."""

    code = grpc.StatusCode.INVALID_ARGUMENT


def secret_filter(expression: str) -> Predicate:
    """A predicate over Secret protobufs."""
    return _compile(expression, _secret_value, "secret")


def version_filter(expression: str) -> Predicate:
    """A predicate over SecretVersion protobufs."""
    return _compile(expression, _version_value, "secret version")


def _compile(expression: str, value_of: Callable[[Any, tuple[str, ...]], Any], what: str
             ) -> Predicate:
    try:
        tree = parse(expression)
    except FilterError as exc:
        raise SecretFilterError(f"Invalid filter {expression!r}: {exc}") from None
    if tree is None:
        return lambda pb: True

    def node(n: Node) -> Predicate:
        if isinstance(n, And):
            parts = [node(p) for p in n.parts]
            return lambda pb: all(p(pb) for p in parts)
        if isinstance(n, Or):
            parts = [node(p) for p in n.parts]
            return lambda pb: any(p(pb) for p in parts)
        if isinstance(n, Not):
            inner = node(n.inner)
            return lambda pb: not inner(pb)
        if isinstance(n, Global):
            needle = n.value.text.lower()
            return lambda pb: needle in _short(pb.name).lower()
        if isinstance(n, Call):
            raise SecretFilterError(f"Invalid filter {expression!r}: functions such as "
                                    f"{n.name}() are not supported in a {what} filter")
        return comparison(n)

    def comparison(c: Comparison) -> Predicate:
        path = c.path
        probe = value_of(None, path)  # validates the field: raises for an unknown one
        if c.presence:
            return lambda pb: value_of(pb, path) not in (None, "", [])
        tests = [_test(c.op, v.text, probe, ".".join(path), expression) for v in c.values]
        combine = any if c.any_of else all
        return lambda pb: (v := value_of(pb, path)) is not None and combine(t(v) for t in tests)

    return node(tree)


def _test(op: str, text: str, kind: Any, field: str, expression: str) -> Callable[[Any], bool]:
    if op in ("=~", "!~"):
        raise SecretFilterError(f"Invalid filter {expression!r}: {op} is not supported; use "
                                f"= or : on {field}")
    if kind == "time":
        want = _time(text)
        if want is None:
            raise SecretFilterError(f"Invalid filter {expression!r}: {text!r} is not an RFC "
                                    f"3339 time for {field} (as 2026-01-01T00:00:00Z)")
        if op == ":":
            op = "="
        return _ORDER[op](want)
    low = text.lower()
    if op == ":":
        return lambda v: any(low in str(x).lower() for x in _many(v))
    if op == "=":
        return lambda v: any(text == x or (field == "name" and text == _short(x))
                             for x in map(str, _many(v)))
    if op == "!=":
        return lambda v: all(text != x and not (field == "name" and text == _short(x))
                             for x in map(str, _many(v)))
    return lambda v: any(_ORDER[op](text)(str(x)) for x in _many(v))


_ORDER: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "=": lambda w: lambda v: v == w, "!=": lambda w: lambda v: v != w,
    ">": lambda w: lambda v: v > w, ">=": lambda w: lambda v: v >= w,
    "<": lambda w: lambda v: v < w, "<=": lambda w: lambda v: v <= w,
}


def _many(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1] if "/versions/" not in name else name


def _time(text: str) -> int | None:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return int(dt.timestamp() * 1_000_000) * 1000


def _ts(pb: Any, field: str) -> int | None:
    ts = getattr(pb, field)
    if not ts.seconds and not ts.nanos:
        return None
    return int(ts.seconds) * 1_000_000_000 + int(ts.nanos)


def _unknown(path: tuple[str, ...], what: str) -> SecretFilterError:
    return SecretFilterError(f"Invalid filter: unknown field {'.'.join(path)!r} for a {what} "
                             "(name, labels.KEY, create_time ...)")


def _secret_value(pb: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` of a Secret (pb None: only check the path; returns its kind)."""
    head, rest = path[0], path[1:]
    if head == "name" and not rest:
        return "text" if pb is None else pb.name
    if head in ("labels", "annotations", "version_aliases") and len(rest) == 1:
        if pb is None:
            return "text"
        mapping = getattr(pb, head)
        found = mapping.get(rest[0]) if rest[0] in mapping else None
        return None if found is None else str(found)
    if head in ("create_time", "expire_time") and not rest:
        return "time" if pb is None else _ts(pb, head)
    if path == ("replication", "user_managed", "replicas", "location"):
        if pb is None:
            return "text"
        return [r.location for r in pb.replication.user_managed.replicas] or None
    if head == "topics" and rest == ("name",):
        return "text" if pb is None else [t.name for t in pb.topics] or None
    raise _unknown(path, "secret")


def _version_value(pb: Any, path: tuple[str, ...]) -> Any:
    head, rest = path[0], path[1:]
    if rest:
        raise _unknown(path, "secret version")
    if head == "name":
        return "text" if pb is None else pb.name
    if head == "state":
        return "text" if pb is None else STATE_NAME.get(pb.state, "")
    if head in ("create_time", "destroy_time"):
        return "time" if pb is None else _ts(pb, head)
    raise _unknown(path, "secret version")
