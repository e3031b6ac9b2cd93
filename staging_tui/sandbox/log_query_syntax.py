"""The Logging query language's syntax: tokens and a parse tree.

Written from Google's reference (https://cloud.google.com/logging/docs/view/logging-query-language):

    query       = [expression]
    expression  = conjunct { ["AND"] conjunct }          juxtaposition is AND
    conjunct    = unary { "OR" unary }                   OR binds tighter than AND:
                                                         a OR NOT b AND NOT c OR d
                                                         = (a OR (NOT b)) AND ((NOT c) OR d)
    unary       = ("NOT" | "-") unary | primary          NOT binds tightest
    primary     = "(" expression ")" | function | comparison | value
    comparison  = field op (value | "(" value { ("OR" | ["AND"]) value } ")") | field ":" "*"
    op          = "=" | "!=" | ">" | "<" | ">=" | "<=" | ":" | "=~" | "!~"
    field       = name { "." (name | quoted) }       labels."run.googleapis.com/execution_name"
    function    = name "(" [arg { "," arg }] ")"      log_id, SEARCH, sample, ip_in_net
    value       = word | quoted                       a bare value is a global restriction

`AND`, `OR` and `NOT` are keywords only in capitals. A filter longer than 20,000
characters (ListLogEntriesRequest.filter, logging.proto) or nested deeper than
`MAX_DEPTH` is refused with a FilterError, never a RecursionError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

MAX_LENGTH = 20_000  # logging.proto: "The maximum length of a filter is 20,000 characters."
MAX_DEPTH = 100  # sandbox limit on nesting (parentheses, NOT): Google documents none
OPERATORS = ("=~", "!~", ">=", "<=", "!=", "=", ":", ">", "<")
FUNCTIONS = ("log_id", "SEARCH", "sample", "ip_in_net")
_WORD = re.compile(r'[^\s()"=!<>:~,]+')
_VALUE = re.compile(r'[^\s()",]+')
_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")


class FilterError(ValueError):
    """A filter that does not parse; `column` is 1-based."""

    def __init__(self, problem: str, column: int, text: str) -> None:
        near = text[column - 1 : column + 19]
        where = f" near {near!r}" if near else " (the end of the filter)"
        super().__init__(f"Unparseable filter: {problem} at column {column}{where}")
        self.column = column


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, op, lparen, rparen, comma, minus, end
    text: str
    column: int
    path: tuple[str, ...] = ()  # a field path (word tokens): quoted segments unquoted
    glued: bool = False  # no space before this token (a function's "(")


# --- the parse tree -------------------------------------------------------------------

@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool
    column: int


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: str
    values: tuple[Value, ...]  # one value, or a value group
    any_of: bool  # a group joined by OR (else AND)
    column: int
    presence: bool = False  # field:*


@dataclass(frozen=True)
class Global:
    value: Value


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Value | tuple[str, ...], ...]  # a value, or a field path
    column: int


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


Node = Union[Comparison, Global, Call, Not, And, Or]  # noqa: UP007 (a runtime alias)


# --- tokens ----------------------------------------------------------------------------

def _quoted(text: str, i: int) -> tuple[str, int]:
    """The string starting at the quote `text[i]`, and the index after its end."""
    j, buf, n = i + 1, [], len(text)
    while j < n and text[j] != '"':
        if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\':
            j += 1  # \" and \\; any other escape stays as written (RE2's \d ...)
        buf.append(text[j])
        j += 1
    if j >= n:
        raise FilterError("unterminated string", i + 1, text)
    return "".join(buf), j + 1


def _path(text: str, i: int) -> tuple[str, tuple[str, ...], int]:
    """A word or field path from `i`: `a.b."c.d"` -> ("a", "b", "c.d")."""
    parts: list[str] = []
    start, n = i, len(text)
    while True:
        if i < n and text[i] == '"':
            seg, i = _quoted(text, i)
            parts.append(seg)
            if i + 1 < n and text[i] == "." and not text[i + 1].isspace():
                i += 1
                continue
            return text[start:i], tuple(parts), i
        match = _WORD.match(text, i)
        if not match:
            raise FilterError(f"unexpected character {text[i]!r}", i + 1, text)
        word, i = match.group(), match.end()
        if word.endswith(".") and i < n and text[i] == '"':
            parts.extend(word[:-1].split("."))
            continue
        parts.extend(word.split("."))
        return text[start:i], tuple(parts), i


def tokenize(text: str) -> list[Token]:
    """Tokens; after an operator comes a value (or a `(` value group `)`), whose words
    may hold `:`, `=` and the like (`timestamp>=2026-01-01T00:00:00Z`)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    mode = "term"  # term | value (just after an operator) | group (inside field=( ))
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        col = i + 1
        glued = i > 0 and not text[i - 1].isspace()
        if ch == '"':
            value, i = _quoted(text, i)
            tokens.append(Token("string", value, col))
            mode = "group" if mode == "group" else "term"
        elif ch in "(),":
            kind = {"(": "lparen", ")": "rparen", ",": "comma"}[ch]
            tokens.append(Token(kind, ch, col, glued=glued))
            i += 1
            mode = "group" if (mode == "value" and ch == "(") else "term"
        elif mode == "term" and ch == "-" and i + 1 < n and not text[i + 1].isspace():
            tokens.append(Token("minus", ch, col))
            i += 1
        elif mode == "term" and (op := next((o for o in OPERATORS if text.startswith(o, i)),
                                            None)):
            tokens.append(Token("op", op, col))
            i += len(op)
            mode = "value"
        elif mode != "term":
            match = _VALUE.match(text, i)
            assert match  # ch is none of the characters _VALUE excludes
            tokens.append(Token("word", match.group(), col))
            i = match.end()
            mode = "group" if mode == "group" else "term"
        else:
            raw, path, i = _path(text, i)
            tokens.append(Token("word", raw, col, path=path))
    tokens.append(Token("end", "", n + 1))
    return tokens


# --- the parser ------------------------------------------------------------------------

def parse(text: str) -> Node | None:
    """The parse tree of `text` (None for an empty filter)."""
    if len(text) > MAX_LENGTH:
        raise FilterError(f"the filter is {len(text):,} characters; Cloud Logging allows "
                          f"{MAX_LENGTH:,}", MAX_LENGTH + 1, text)
    if not text.strip():
        return None
    return _Parser(text, tokenize(text)).parse()


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def fail(self, problem: str, tok: Token | None = None) -> FilterError:
        return FilterError(problem, (tok or self.peek()).column, self.text)

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "word" and tok.text == word

    def parse(self) -> Node:
        node = self.expression()
        if self.peek().kind != "end":
            raise self.fail("unexpected ')'" if self.peek().kind == "rparen" else "unexpected token")
        return node

    def nest(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep (parentheses and NOT); "
                            "simplify the filter", tok)

    def expression(self) -> Node:
        parts = [self.conjunct()]
        while self.peek().kind not in ("end", "rparen"):
            if self.keyword("AND"):
                self.take()
            parts.append(self.conjunct())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def conjunct(self) -> Node:
        parts = [self.unary()]
        while self.keyword("OR"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "minus" or (tok.kind == "word" and tok.text == "NOT"):
            self.take()
            self.nest(tok)
            inner = self.unary()
            self.depth -= 1
            return Not(inner)
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "lparen":
            self.nest(tok)
            inner = self.expression()
            self.depth -= 1
            if self.peek().kind != "rparen":
                raise self.fail(f"missing ')' for the '(' at column {tok.column}")
            self.take()
            return inner
        if tok.kind in ("end", "rparen", "comma"):
            raise self.fail("expected a comparison or a search term", tok)
        if tok.kind == "op":
            raise self.fail(f"expected a field name before {tok.text!r}", tok)
        if tok.kind == "word" and tok.text in ("AND", "OR"):
            raise self.fail(f"{tok.text} needs an expression on its left", tok)
        nxt = self.peek()
        if tok.kind == "word" and nxt.kind == "lparen" and nxt.glued:
            return self.call(tok)
        if tok.kind == "word" and nxt.kind == "op":
            return self.comparison(tok)
        return Global(Value(tok.text, tok.kind == "string", tok.column))

    def comparison(self, field: Token) -> Comparison:
        op = self.take()
        if op.text == ":" and self.peek().kind == "word" and self.peek().text == "*":
            self.take()
            return Comparison(field.path, ":", (), True, field.column, presence=True)
        tok = self.take()
        if tok.kind in ("word", "string"):
            return Comparison(field.path, op.text, (Value(tok.text, tok.kind == "string",
                                                          tok.column),), True, field.column)
        if tok.kind != "lparen":
            raise self.fail(f"expected a value after '{field.text}{op.text}'", tok)
        values: list[Value] = []
        joins: set[str] = set()
        while True:
            val = self.take()
            if val.kind not in ("word", "string") or val.text in ("AND", "OR", "NOT"):
                raise self.fail(f"expected a value in the group after '{field.text}{op.text}'",
                                val)
            values.append(Value(val.text, val.kind == "string", val.column))
            if self.peek().kind == "rparen":
                self.take()
                break
            if self.keyword("OR") or self.keyword("AND"):
                joins.add(self.take().text)
            else:
                joins.add("AND")
            if len(joins) > 1:
                raise self.fail("a value group mixes OR and AND; use parentheses around "
                                "whole comparisons instead", self.tokens[self.pos - 1])
        return Comparison(field.path, op.text, tuple(values), joins != {"AND"}, field.column)

    def call(self, name: Token) -> Call:
        if name.text not in FUNCTIONS:
            raise self.fail(f"unknown function {name.text!r} (Cloud Logging has "
                            f"{', '.join(FUNCTIONS)})", name)
        self.take()  # (
        args: list[Value | tuple[str, ...]] = []
        while self.peek().kind != "rparen":
            tok = self.take()
            if tok.kind == "string":
                args.append(Value(tok.text, True, tok.column))
            elif tok.kind == "word" and not _NUMBER.fullmatch(tok.text):
                args.append(tok.path)
            elif tok.kind == "word":
                args.append(Value(tok.text, False, tok.column))
            else:
                raise self.fail(f"expected an argument of {name.text}()", tok)
            if self.peek().kind == "comma":
                self.take()
            elif self.peek().kind != "rparen":
                raise self.fail(f"expected ',' or ')' in {name.text}()")
        self.take()
        return Call(name.text, tuple(args), name.column)
