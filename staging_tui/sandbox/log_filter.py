"""A useful subset of the Cloud Logging query language, compiled to a predicate.

Supported: `resource.type`, `resource.labels.KEY`, `severity`, `timestamp`,
`logName`, `labels.KEY`, `insertId`, `trace`, `textPayload`, `jsonPayload.a.b`,
`httpRequest.status|requestMethod|requestUrl|userAgent`; operators `= != : > >= <
<= =~ !~`; `AND`, `OR`, `NOT` (or `-`), parentheses, implicit AND, and bare words
(global search). A syntax error raises `FilterError` saying where (1-based column).
Predicates take the raw protobuf LogEntry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Predicate = Callable[[Any], bool]
SEVERITIES = {
    "DEFAULT": 0, "DEBUG": 100, "INFO": 200, "NOTICE": 300, "WARNING": 400,
    "ERROR": 500, "CRITICAL": 600, "ALERT": 700, "EMERGENCY": 800,
}
OPERATORS = ("=~", "!~", ">=", "<=", "!=", "=", ":", ">", "<")
TOP_FIELDS = ("resource", "severity", "timestamp", "logName", "labels", "insertId", "trace",
              "textPayload", "jsonPayload", "httpRequest")
_HTTP = {"status": "status", "requestMethod": "request_method", "requestUrl": "request_url",
         "userAgent": "user_agent", "remoteIp": "remote_ip"}
_WORD = re.compile(r'[^\s()"=!<>:~]+')
_VALUE = re.compile(r'[^\s()"]+')


class FilterError(ValueError):
    """A filter that does not parse; `column` is 1-based."""

    def __init__(self, problem: str, column: int, text: str) -> None:
        near = text[column - 1 : column + 19]
        where = f" near {near!r}" if near else " (the end of the filter)"
        super().__init__(f"Unparseable filter: {problem} at column {column}{where}")
        self.column = column


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, op, lparen, rparen, minus, end
    text: str
    column: int


MAX_DEPTH = 100  # nesting of ( ) and NOT; far below Python's recursion limit


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    after_op = False
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        col = i + 1
        if ch == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise FilterError("unterminated string", col, text)
            tokens.append(Token("string", "".join(buf), col))
            i, after_op = j + 1, False
        elif ch in "()":
            tokens.append(Token("lparen" if ch == "(" else "rparen", ch, col))
            i, after_op = i + 1, False
        elif ch == "-" and not after_op and (i + 1 < n and not text[i + 1].isspace()):
            tokens.append(Token("minus", ch, col))
            i += 1
        elif op := next((o for o in OPERATORS if text.startswith(o, i)), None):
            tokens.append(Token("op", op, col))
            i, after_op = i + len(op), True
        else:
            match = (_VALUE if after_op else _WORD).match(text, i)
            if not match:
                raise FilterError(f"unexpected character {ch!r}", col, text)
            tokens.append(Token("word", match.group(), col))
            i, after_op = match.end(), False
    tokens.append(Token("end", "", n + 1))
    return tokens


@dataclass
class CompiledFilter:
    predicate: Predicate
    min_time_ns: int | None  # a top-level `timestamp >= X` bound, for the store's bisect

    def __call__(self, entry: Any) -> bool:
        return self.predicate(entry)


def compile_filter(text: str) -> CompiledFilter:
    """Parse `text`; an empty filter matches everything."""
    if not text.strip():
        return CompiledFilter(lambda e: True, None)
    parser = _Parser(text, tokenize(text))
    pred = parser.parse()
    return CompiledFilter(pred, parser.min_time_ns)


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.min_time_ns: int | None = None

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def fail(self, problem: str, tok: Token | None = None) -> FilterError:
        return FilterError(problem, (tok or self.peek()).column, self.text)

    def _check_depth(self, tok: Token) -> None:
        """A bound on the recursion: INVALID_ARGUMENT, not a RecursionError."""
        if self.depth > MAX_DEPTH:
            raise self.fail(f"expression nested more than {MAX_DEPTH} levels deep", tok)

    def parse(self) -> Predicate:
        pred = self.parse_or()
        if self.peek().kind != "end":
            raise self.fail("unexpected ')'" if self.peek().kind == "rparen" else "unexpected token")
        return pred

    def parse_or(self) -> Predicate:
        """A whole expression. As in Cloud Logging, OR binds tighter than AND:
        `a OR b AND c` is `(a OR b) AND c`; juxtaposition is AND."""
        return self.parse_and()

    def parse_and(self) -> Predicate:
        parts = [self.parse_disjunction()]
        while True:
            tok = self.peek()
            if tok.kind in ("end", "rparen"):
                break
            if tok.kind == "word" and tok.text == "AND":
                self.take()
            parts.append(self.parse_disjunction())
        if len(parts) == 1:
            return parts[0]
        return lambda e: all(p(e) for p in parts)

    def parse_disjunction(self) -> Predicate:
        bound = self.min_time_ns
        parts = [self.parse_unary()]
        while self.peek().kind == "word" and self.peek().text == "OR":
            self.take()
            parts.append(self.parse_unary())
        if len(parts) == 1:
            return parts[0]
        self.min_time_ns = bound  # a bound inside an OR bounds nothing
        return lambda e: any(p(e) for p in parts)

    def parse_unary(self) -> Predicate:
        tok = self.peek()
        if tok.kind == "minus" or (tok.kind == "word" and tok.text == "NOT"):
            self.take()
            self.depth += 1
            self._check_depth(tok)
            inner = self.parse_unary()
            self.depth -= 1
            return lambda e: not inner(e)
        return self.parse_primary()

    def parse_primary(self) -> Predicate:
        tok = self.take()
        if tok.kind == "lparen":
            self.depth += 1
            self._check_depth(tok)
            inner = self.parse_or()
            self.depth -= 1
            if self.peek().kind != "rparen":
                raise self.fail(f"missing ')' for the '(' at column {tok.column}")
            self.take()
            return inner
        if tok.kind in ("end", "rparen"):
            raise self.fail("expected a comparison or a search term", tok)
        if tok.kind == "op":
            raise self.fail(f"expected a field name before {tok.text!r}", tok)
        if tok.kind in ("word", "string") and tok.text in ("AND", "OR") and tok.kind == "word":
            raise self.fail(f"{tok.text} needs an expression on its left", tok)
        if self.peek().kind == "op" and tok.kind == "word":
            op = self.take()
            value = self.take()
            if value.kind not in ("word", "string"):
                raise self.fail(f"expected a value after '{tok.text}{op.text}'", value)
            return self.comparison(tok, op.text, value)
        return _global_search(tok.text)

    def comparison(self, field: Token, op: str, value: Token) -> Predicate:
        path = field.text.split(".")
        top = path[0]
        if top not in TOP_FIELDS:
            raise self.fail(f"unknown field {top!r} (supported: {', '.join(TOP_FIELDS)})", field)
        if top == "severity":
            level = SEVERITIES.get(value.text.upper())
            if level is None and value.text.isdigit():
                level = int(value.text)
            if level is None:
                raise self.fail(f"unknown severity {value.text!r} "
                                f"(use one of {', '.join(SEVERITIES)})", value)
            return _compare(lambda e: e.severity, op, level, self, value)
        if top == "timestamp":
            ns = _parse_time(value.text)
            if ns is None:
                raise self.fail(f"{value.text!r} is not an RFC 3339 timestamp", value)
            if op in (">=", ">") and self.depth == 0 and (
                self.min_time_ns is None or ns > self.min_time_ns
            ):
                self.min_time_ns = ns
            return _compare(lambda e: e.timestamp.seconds * 1_000_000_000 + e.timestamp.nanos,
                            op, ns, self, value)
        getter = _getter(path)
        if getter is None:
            raise self.fail(f"{field.text!r} needs a key after {top!r}", field)
        if top == "httpRequest" and len(path) == 2 and path[1] == "status" and value.text.isdigit():
            return _compare(getter, op, int(value.text), self, value)
        return _compare(getter, op, value.text, self, value)


def _getter(path: list[str]) -> Callable[[Any], Any] | None:
    top, rest = path[0], path[1:]
    if top == "resource":
        if rest == ["type"]:
            return lambda e: e.resource.type
        if len(rest) == 2 and rest[0] == "labels":
            key = rest[1]
            return lambda e: e.resource.labels.get(key)
        return None
    if top == "labels":
        if len(rest) != 1:
            return None
        key = rest[0]
        return lambda e: e.labels.get(key)
    if top == "jsonPayload":
        return lambda e: _json_path(e, rest)
    if top == "httpRequest":
        if len(rest) != 1 or rest[0] not in _HTTP:
            return None
        attr = _HTTP[rest[0]]
        return lambda e: getattr(e.http_request, attr) if e.HasField("http_request") else None
    attrs = {"logName": "log_name", "insertId": "insert_id", "trace": "trace",
             "textPayload": "text_payload"}
    attr = attrs[top]
    if rest:
        return None
    if top == "textPayload":
        return lambda e: e.text_payload if e.WhichOneof("payload") == "text_payload" else None
    return lambda e: getattr(e, attr)


def _json_path(entry: Any, path: list[str]) -> Any:
    if entry.WhichOneof("payload") != "json_payload":
        return None
    value: Any = entry.json_payload
    for key in path:
        fields = getattr(value, "fields", None)
        if fields is None or key not in fields:
            return None
        value = fields[key]
        kind = value.WhichOneof("kind")
        value = getattr(value, kind) if kind != "null_value" else None
    if value is not None and not path:
        return str(value)
    return value


def _compare(get: Callable[[Any], Any], op: str, want: Any, parser: _Parser, tok: Token
             ) -> Predicate:
    if op in ("=~", "!~"):
        try:
            rx = re.compile(str(want))
        except re.error as exc:
            raise parser.fail(f"invalid regular expression ({exc})", tok) from None
        hit = op == "=~"
        return lambda e: (v := get(e)) is not None and bool(rx.search(str(v))) == hit
    if op == ":":
        needle = str(want).lower()
        return lambda e: (v := get(e)) is not None and needle in _text(v).lower()

    def norm(v: Any) -> Any:
        if isinstance(want, int) and not isinstance(v, int):
            try:
                return int(v)
            except (TypeError, ValueError):
                return None
        if isinstance(want, str):
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return _text(v)
        return v

    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: v == want, "!=": lambda v: v != want,
        ">": lambda v: v > want, ">=": lambda v: v >= want,
        "<": lambda v: v < want, "<=": lambda v: v <= want,
    }
    test = tests[op]
    if op == "!=":
        return lambda e: (v := get(e)) is None or test(norm(v))
    return lambda e: (v := get(e)) is not None and (n := norm(v)) is not None and test(n)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "fields"):
        return " ".join(f"{k} {_text(x)}" for k, x in v.fields.items())
    if hasattr(v, "WhichOneof"):
        kind = v.WhichOneof("kind")
        return _text(getattr(v, kind)) if kind else ""
    if hasattr(v, "values"):
        return " ".join(_text(x) for x in v.values)
    return str(v)


def _global_search(term: str) -> Predicate:
    needle = term.lower()

    def search(e: Any) -> bool:
        kind = e.WhichOneof("payload")
        if kind == "text_payload" and needle in e.text_payload.lower():
            return True
        if kind == "json_payload" and needle in _text(e.json_payload).lower():
            return True
        if e.HasField("http_request") and needle in e.http_request.request_url.lower():
            return True
        return any(needle in v.lower() for v in e.labels.values())

    return search


def _parse_time(text: str) -> int | None:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    seconds = int(dt.timestamp())
    return seconds * 1_000_000_000 + dt.microsecond * 1000
