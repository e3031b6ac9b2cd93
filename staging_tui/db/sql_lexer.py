"""A small PostgreSQL lexer: just enough to split statements and classify them safely.

It follows the server's lexical rules that matter for hiding text: `--` and nested
`/* */` comments, '' strings (no backslash escapes: the session forces
standard_conforming_strings = on), E'' strings (backslash escapes), dollar quotes
`$tag$...$tag$`, "quoted identifiers" (also U&"..."). Anything it cannot close
(an unterminated string or comment) is reported, and callers treat it as unsafe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    WORD = "word"          # unquoted identifier or keyword (value lower-cased in `norm`)
    QUOTED = "quoted"      # "identifier" (norm = the identifier, case kept)
    STRING = "string"      # any string literal, dollar quotes included
    NUMBER = "number"
    PARAM = "param"        # $1
    PUNCT = "punct"        # ( ) , ; . and operators
    COMMENT = "comment"
    SPACE = "space"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    start: int            # offset in the source
    norm: str = ""        # lower-cased keyword / identifier text

    @property
    def end(self) -> int:
        return self.start + len(self.text)


class LexError(ValueError):
    """Unterminated string, identifier, dollar quote or comment (at `offset`)."""

    def __init__(self, what: str, offset: int) -> None:
        super().__init__(f"unterminated {what} at offset {offset}")
        self.offset = offset


_WORD_START = re.compile(r"[A-Za-z_\x80-\U0010ffff]")
_WORD = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*")
_NUMBER = re.compile(r"(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?|0[xXoObB][0-9a-fA-F_]+")
_SPACE = re.compile(r"\s+")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")
_PARAM = re.compile(r"\$\d+")
_OPERATOR = re.compile(r"[+\-*/<>=~!@#%^&|`?]+")
_SINGLE_PUNCT = set("(),;.[]:")


def tokenize(sql: str, *, strict: bool = True) -> list[Token]:
    """All tokens of `sql` (comments and spaces included). With `strict`, an
    unterminated construct raises LexError; otherwise it runs to the end."""
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            m = _SPACE.match(sql, i)
            assert m
            out.append(Token(Kind.SPACE, m.group(), i))
            i = m.end()
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(Token(Kind.COMMENT, sql[i:end], i))
            i = end
        elif sql.startswith("/*", i):
            end = _block_comment_end(sql, i)
            if end < 0:
                if strict:
                    raise LexError("comment", i)
                end = n
            out.append(Token(Kind.COMMENT, sql[i:end], i))
            i = end
        elif c == "'":
            end = _quote_end(sql, i + 1, "'", backslash=False)
            i = _emit(out, Kind.STRING, sql, i, end, strict, "string")
        elif c == '"':
            end = _quote_end(sql, i + 1, '"', backslash=False)
            i = _emit(out, Kind.QUOTED, sql, i, end, strict, "quoted identifier")
        elif c == "$":
            tag = _DOLLAR_TAG.match(sql, i)
            param = _PARAM.match(sql, i)
            if param:
                out.append(Token(Kind.PARAM, param.group(), i))
                i = param.end()
            elif tag:
                close = sql.find(tag.group(), tag.end())
                end = -1 if close < 0 else close + len(tag.group())
                i = _emit(out, Kind.STRING, sql, i, end, strict, "dollar-quoted string")
            else:
                out.append(Token(Kind.PUNCT, c, i))
                i += 1
        elif _WORD_START.match(c):
            m = _WORD.match(sql, i)
            assert m
            word = m.group()
            j = m.end()
            low = word.lower()
            if j < n and sql[j] == "'" and low in ("e", "b", "x", "n"):
                end = _quote_end(sql, j + 1, "'", backslash=low == "e")
                i = _emit(out, Kind.STRING, sql, i, end, strict, "string")
            elif low == "u" and sql.startswith("&'", j):
                end = _quote_end(sql, j + 2, "'", backslash=False)
                i = _emit(out, Kind.STRING, sql, i, end, strict, "string")
            elif low == "u" and sql.startswith('&"', j):
                end = _quote_end(sql, j + 2, '"', backslash=False)
                i = _emit(out, Kind.QUOTED, sql, i, end, strict, "quoted identifier")
            else:
                out.append(Token(Kind.WORD, word, i, low))
                i = j
        elif c.isdigit() or (c == "." and i + 1 < n and sql[i + 1].isdigit()):
            m = _NUMBER.match(sql, i)
            assert m
            out.append(Token(Kind.NUMBER, m.group(), i))
            i = m.end()
        elif c in _SINGLE_PUNCT:
            if sql.startswith("::", i):
                out.append(Token(Kind.PUNCT, "::", i))
                i += 2
            else:
                out.append(Token(Kind.PUNCT, c, i))
                i += 1
        else:
            m = _OPERATOR.match(sql, i)
            text = m.group() if m else c
            # an operator never swallows the start of a comment
            for marker in ("--", "/*"):
                cut = text.find(marker)
                if cut > 0:
                    text = text[:cut]
            out.append(Token(Kind.PUNCT, text, i))
            i += len(text)
    return out


def _emit(out: list[Token], kind: Kind, sql: str, start: int, end: int, strict: bool,
          what: str) -> int:
    if end < 0:
        if strict:
            raise LexError(what, start)
        end = len(sql)
    text = sql[start:end]
    norm = ""
    if kind is Kind.QUOTED:
        body = text[text.index('"') + 1:-1] if end <= len(sql) and text.endswith('"') else text
        norm = body.replace('""', '"')
    out.append(Token(kind, text, start, norm))
    return end


def _quote_end(sql: str, i: int, quote: str, *, backslash: bool) -> int:
    """Offset just past the closing quote (doubled quotes stay inside), or -1."""
    n = len(sql)
    while i < n:
        c = sql[i]
        if backslash and c == "\\":
            i += 2
            continue
        if c == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return -1


def _block_comment_end(sql: str, i: int) -> int:
    depth, n = 0, len(sql)
    while i < n:
        if sql.startswith("/*", i):
            depth += 1
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return -1


def significant(tokens: list[Token]) -> list[Token]:
    """Tokens without spaces and comments."""
    return [t for t in tokens if t.kind not in (Kind.SPACE, Kind.COMMENT)]
