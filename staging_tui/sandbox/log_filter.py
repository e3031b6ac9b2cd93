"""The Logging query language, compiled to a predicate over a protobuf LogEntry.

The grammar is in log_query_syntax, the fields in log_query_fields; this module gives
each node its meaning, after Google's reference
(https://cloud.google.com/logging/docs/view/logging-query-language):

- `=` `!=` on text are case-insensitive; `:` ("has") is a case-insensitive substring
  test; `> < >= <=` order numbers as numbers (a jsonPayload number too), timestamps
  as instants (RFC 3339), durations (`httpRequest.latency>="0.5s"`) as seconds and
  severities by level; `=~` / `!~` are RE2 searches (google-re2; a pattern RE2 does not
  accept is an error, as Google's), case-sensitive.
- a comparison on a field the entry lacks is false (use `NOT` to include it);
  `field:*` tests presence; a list matches when one of its elements does.
- `field=(a OR b)` / `field:(a b)` are value groups; a bare value searches every field
  (resource, logName, labels, payloads, httpRequest ...).
- functions: `log_id("run.googleapis.com/stderr")`, `SEARCH(["field",] "text")`
  (tokens, case-insensitive; backticks for a phrase), `sample(insertId, 0.1)`,
  `ip_in_net(field, "10.0.0.0/8")`.
A filter that Google would refuse raises FilterError (INVALID_ARGUMENT on the wire).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import re2

from staging_tui.sandbox.log_query_fields import (
    field_kind,
    leaves,
    plain,
    resolve,
    severity_name,
    text_leaves,
)
from staging_tui.sandbox.log_query_syntax import (
    And,
    Call,
    Comparison,
    FilterError,
    Global,
    Node,
    Not,
    Or,
    Value,
    parse,
)

__all__ = ["SEVERITIES", "CompiledFilter", "FilterError", "compile_filter"]

Predicate = Callable[[Any], bool]
SEVERITIES = {
    "DEFAULT": 0, "DEBUG": 100, "INFO": 200, "NOTICE": 300, "WARNING": 400,
    "ERROR": 500, "CRITICAL": 600, "ALERT": 700, "EMERGENCY": 800,
}
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_TOKEN = re.compile(r"\w+")
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
}


@dataclass
class CompiledFilter:
    predicate: Predicate
    min_time_ns: int | None  # a top-level `timestamp >= X` bound, for the store's bisect

    def __call__(self, entry: Any) -> bool:
        return self.predicate(entry)


def compile_filter(text: str) -> CompiledFilter:
    """Parse and compile `text`; an empty filter matches everything."""
    tree = parse(text)
    if tree is None:
        return CompiledFilter(lambda e: True, None)
    return CompiledFilter(_Compiler(text).node(tree), _time_bound(tree))


def _time_bound(tree: Node) -> int | None:
    """The latest `timestamp>=X` / `timestamp>X` ANDed at the top (None when none)."""
    parts = tree.parts if isinstance(tree, And) else (tree,)
    bounds = [_parse_time(p.values[0].text) for p in parts
              if isinstance(p, Comparison) and p.path == ("timestamp",)
              and p.op in (">=", ">") and len(p.values) == 1]
    found = [b for b in bounds if b is not None]
    return max(found) if found else None


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, problem: str, column: int) -> FilterError:
        return FilterError(problem, column, self.text)

    def node(self, node: Node) -> Predicate:
        if isinstance(node, And):
            preds = [self.node(p) for p in node.parts]
            return lambda e: all(p(e) for p in preds)
        if isinstance(node, Or):
            preds = [self.node(p) for p in node.parts]
            return lambda e: any(p(e) for p in preds)
        if isinstance(node, Not):
            inner = self.node(node.inner)
            return lambda e: not inner(e)
        if isinstance(node, Global):
            needle = node.value.text.lower()
            return lambda e: any(needle in leaf.lower() for leaf in leaves(e))
        if isinstance(node, Call):
            return self.call(node)
        return self.comparison(node)

    def comparison(self, node: Comparison) -> Predicate:
        name = ".".join(node.path)
        try:
            kind = field_kind(node.path)
        except KeyError as exc:
            raise self.fail(f"unknown field {exc.args[0]!r} (a LogEntry field, as "
                            "resource.labels.KEY, jsonPayload.KEY, httpRequest.status ...)",
                            node.column) from None
        path = node.path
        if node.presence:
            return lambda e: resolve(e, path) is not None
        if kind == "map" and node.op != ":":
            raise self.fail(f"{name!r} holds fields: compare one of them, or test it with "
                            f"'{name}:*' or '{name}:\"text\"'", node.column)
        tests = [self.value_test(kind, node.op, v, name) for v in node.values]
        combine = any if node.any_of else all
        if len(tests) == 1:
            test = tests[0]
            return lambda e: (v := resolve(e, path)) is not None and test(v)
        return lambda e: (v := resolve(e, path)) is not None and combine(t(v) for t in tests)

    def value_test(self, kind: str, op: str, value: Value, name: str
                   ) -> Callable[[Any], bool]:
        text, col = value.text, value.column
        if op in ("=~", "!~"):
            try:
                rx = re2.compile(text, options=_RE2_OPTIONS)
            except re2.error as exc:
                why = exc.args[0].decode() if isinstance(exc.args[0], bytes) else exc.args[0]
                raise self.fail(f"invalid regular expression {text!r}: {why} (Cloud Logging "
                                "uses RE2 syntax)", col) from None
            hit = op == "=~"
            return lambda v: any(bool(rx.search(t)) for t in _texts(v, kind)) == hit
        if kind == "severity":
            level = SEVERITIES.get(text.upper(), int(text) if text.isdigit() else None)
            if level is None:
                raise self.fail(f"unknown severity {text!r} (use one of "
                                f"{', '.join(SEVERITIES)})", col)
            compare = _ORDER["=" if op == ":" else op]
            return lambda v: compare(v, level)
        if kind in ("timestamp", "duration"):
            want = _parse_time(text) if kind == "timestamp" else _parse_duration(text)
            if want is None:
                example = ('"2026-12-01T00:00:00Z"' if kind == "timestamp" else '"0.5s"')
                raise self.fail(f"{text!r} is not a {kind} for {name} (write it as "
                                f"{example})", col)
            if op == ":":
                raise self.fail(f"{name} is a {kind}: compare it with = != < <= > >=", col)
            compare = _ORDER[op]
            return lambda v: compare(v, want)
        if kind == "number":
            number = _number(text)
            if op != ":" and number is None:
                raise self.fail(f"{name} is a number; {text!r} is not", col)
        if kind == "bool" and op != ":" and text.lower() not in ("true", "false"):
            raise self.fail(f"{name} is true or false; {text!r} is neither", col)
        return _dynamic_test(op, text)

    def call(self, node: Call) -> Predicate:
        args = node.args
        if node.name == "log_id":
            if len(args) != 1 or not isinstance(args[0], Value):
                raise self.fail('log_id takes one quoted log ID: log_id("run.googleapis.com/'
                                'stderr")', node.column)
            want = args[0].text
            return lambda e: unquote(e.log_name.partition("/logs/")[2]) == want
        if node.name == "SEARCH":
            return self.search(node)
        if node.name == "sample":
            fraction = _number(args[1].text) if len(args) == 2 and isinstance(args[1], Value) \
                else None
            if not args or isinstance(args[0], Value) or fraction is None or \
                    not 0 <= fraction <= 1:
                raise self.fail("sample takes a field and a fraction between 0 and 1: "
                                "sample(insertId, 0.1)", node.column)
            path = self.checked_path(args[0], node.column)
            return lambda e: (v := resolve(e, path)) is not None and _fraction(str(v)) < fraction
        # ip_in_net
        if len(args) != 2 or isinstance(args[0], Value) or not isinstance(args[1], Value):
            raise self.fail('ip_in_net takes a field and a quoted network: ip_in_net('
                            'httpRequest.remoteIp, "10.0.0.0/8")', node.column)
        try:
            net = ipaddress.ip_network(args[1].text, strict=False)
        except ValueError:
            raise self.fail(f"{args[1].text!r} is not a network (as \"10.0.0.0/8\")",
                            args[1].column) from None
        path = self.checked_path(args[0], node.column)
        return lambda e: _in_net(resolve(e, path), net)

    def search(self, node: Call) -> Predicate:
        args = node.args
        if len(args) not in (1, 2) or not isinstance(args[-1], Value):
            raise self.fail('SEARCH takes a quoted text, and optionally a field first: '
                            'SEARCH("Traceback"), SEARCH(textPayload, "hello world")',
                            node.column)
        query = args[-1].text
        if len(args) == 2:
            path = self.checked_path(args[0], node.column)

            def texts(e: Any) -> list[str]:
                value = resolve(e, path)
                return [] if value is None else list(_texts(value, "dynamic"))
        else:
            def texts(e: Any) -> list[str]:
                return list(leaves(e))
        if len(query) > 1 and query.startswith("`") and query.endswith("`"):
            phrase = query[1:-1].lower()
            return lambda e: any(phrase in t.lower() for t in texts(e))
        wanted = {t.lower() for t in _TOKEN.findall(query)}

        def tokens_in(e: Any) -> bool:
            joined = "\n".join(texts(e)).lower()
            if not all(w in joined for w in wanted):  # cheap: most entries stop here
                return False
            return wanted <= set(_TOKEN.findall(joined))

        return tokens_in

    def checked_path(self, arg: Value | tuple[str, ...], column: int) -> tuple[str, ...]:
        path = (arg.text,) if isinstance(arg, Value) else arg
        try:
            field_kind(path)
        except KeyError as exc:
            raise self.fail(f"unknown field {exc.args[0]!r}", column) from None
        return path


def _dynamic_test(op: str, text: str) -> Callable[[Any], bool]:
    """A test on a value whose type shows at run time (text, number, bool, list, dict)."""
    low = text.lower()
    number = _number(text)
    compare = _ORDER.get(op)

    def test(v: Any) -> bool:
        if isinstance(v, list):
            return any(test(x) for x in v if x is not None)
        if isinstance(v, dict) or hasattr(v, "fields"):
            return op == ":" and any(low in t.lower() for t in text_leaves(v))
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, int | float):
            if op != ":" and number is not None:
                assert compare is not None
                return compare(float(v), number)
            v = _number_text(v)
        if op == ":":
            return low in str(v).lower()
        assert compare is not None
        return compare(str(v).lower(), low)

    return test


def _texts(value: Any, kind: str) -> list[str]:
    if kind == "severity":
        return [severity_name(value)]
    value = plain(value)
    if isinstance(value, list | dict):
        return list(text_leaves(value))
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float):
        return [_number_text(value)]
    return [str(value)]


def _number_text(v: float) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _fraction(text: str) -> float:
    return int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "big") / 2**64


def _in_net(value: Any, net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_address(value.strip()) in net
    except ValueError:
        return False


def _parse_time(text: str) -> int | None:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def _parse_duration(text: str) -> float | None:
    """A duration as Google's JSON writes it: decimal seconds with an "s" ("0.123s")."""
    if not text.endswith("s"):
        return None
    return _number(text[:-1])
