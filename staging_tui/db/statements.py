"""Split an editor buffer into statements, and find the one under the cursor.

Semicolons inside strings, dollar quotes, quoted identifiers and comments do not
split. A statement's span keeps its offsets in the buffer, so errors can point at
the right place. Lines starting with a backslash are psql meta commands
(`\\dt`, `\\d name`): each is a statement of its own, ending at a `;` or the line's end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pglast import parser as pg_parser

from staging_tui.db.sql_lexer import Kind, LexError, tokenize

# buffers this large are split by PostgreSQL's own scanner (C, ~20x faster than the
# lexer) when they hold no meta command; smaller ones by the lexer
SCANNER_SPLIT_AT = 64_000
_META_LINE = re.compile(r"^[ \t]*\\", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Statement:
    text: str      # stripped, without the trailing semicolon
    start: int     # offset of text[0] in the buffer
    end: int       # offset just past the statement (its semicolon included)

    @property
    def is_meta(self) -> bool:
        return self.text.startswith("\\")


def split_statements(buffer: str) -> list[Statement]:
    """The non-empty statements of `buffer`, in order (an unterminated string or
    comment runs to the end of the buffer)."""
    if len(buffer) >= SCANNER_SPLIT_AT and not _META_LINE.search(buffer):
        scanned = _scanner_split(buffer)
        if scanned is not None:
            return scanned
    out: list[Statement] = []
    seg_start = 0
    tokens = tokenize(buffer, strict=False)
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok.kind is Kind.PUNCT and tok.text == ";":
            _add(out, buffer, seg_start, tok.start, tok.end)
            seg_start = tok.end
        elif _is_meta_start(buffer, tok.start, seg_start):
            line_end = buffer.find("\n", tok.start)
            line_end = len(buffer) if line_end < 0 else line_end
            semi = buffer.find(";", tok.start, line_end)
            stop, line_end = (semi, semi + 1) if semi >= 0 else (line_end, line_end)
            _add(out, buffer, seg_start, tok.start, tok.start)
            _add(out, buffer, tok.start, stop, line_end)
            seg_start = line_end
            while k + 1 < len(tokens) and tokens[k + 1].start < line_end:
                k += 1
        k += 1
    _add(out, buffer, seg_start, len(buffer), len(buffer))
    return out


def _scanner_split(buffer: str) -> list[Statement] | None:
    """Split with libpg_query's scanner; None when it cannot (an unterminated string:
    the lexer's rules say where it runs to)."""
    try:
        slices = list(pg_parser.split(buffer, with_parser=False, only_slices=True))
    except pg_parser.ParseError:
        return None
    out = []
    for piece in slices:
        start, stop = piece.start or 0, piece.stop or len(buffer)
        raw = buffer[start:stop]
        text = raw.strip()
        if not text:
            continue
        start += len(raw) - len(raw.lstrip())
        end = stop
        while end < len(buffer) and buffer[end] in " \t\r\n":
            end += 1
        end = end + 1 if end < len(buffer) and buffer[end] == ";" else stop
        out.append(Statement(text, start, end))
    return out


def _is_meta_start(buffer: str, offset: int, seg_start: int) -> bool:
    if buffer[offset] != "\\":
        return False
    line_start = buffer.rfind("\n", 0, offset) + 1
    return not buffer[max(line_start, seg_start):offset].strip()


def _add(out: list[Statement], buffer: str, start: int, stop: int, end: int) -> None:
    raw = buffer[start:stop]
    text = raw.strip()
    if not text or _only_comments(text):
        return
    lead = len(raw) - len(raw.lstrip())
    out.append(Statement(text, start + lead, end))


def _only_comments(text: str) -> bool:
    return all(t.kind in (Kind.SPACE, Kind.COMMENT) for t in tokenize(text, strict=False))


def statement_at(buffer: str, offset: int) -> Statement | None:
    """The statement under the cursor: the one containing `offset`, else the
    nearest one before it (the cursor after a `;` still means that statement)."""
    statements = split_statements(buffer)
    before: Statement | None = None
    for st in statements:
        if st.start <= offset <= st.end:
            return st
        if st.end <= offset:
            before = st
    return before or (statements[0] if statements else None)


def strip_trailing_semicolons(sql: str) -> str:
    """`sql` without trailing semicolons, spaces and comments (as the server wants
    it inside DECLARE ... CURSOR FOR)."""
    try:
        tokens = tokenize(sql)
    except LexError:
        return sql.strip()
    significant = [t for t in tokens if t.kind not in (Kind.SPACE, Kind.COMMENT)]
    while significant and significant[-1].text == ";":
        significant.pop()
    if not significant:
        return sql.strip()
    return sql[:significant[-1].end].strip()


_RELATION_AFTER = re.compile(
    r"\b(?:from|join|table|update|into)\s+((?:\"[^\"]+\"|[\w$]+)(?:\.(?:\"[^\"]+\"|[\w$]+))?)",
    re.IGNORECASE)
_NAME_BEFORE = re.compile(r'[\w."$]*$')
_NAME_AFTER = re.compile(r'[\w"$]*')


def relation_at(buffer: str, offset: int, known: set[str] | frozenset[str] = frozenset()) -> str:
    """The table or view the user means at `offset`: the name under the cursor when
    it is one of `known`, else the first relation after FROM / JOIN / TABLE in the
    statement under the cursor ("" when there is none)."""
    before, after = buffer[:offset], buffer[offset:]
    name_before = _NAME_BEFORE.search(before)
    name_after = _NAME_AFTER.match(after)
    word = (name_before.group() if name_before else "") + (
        name_after.group() if name_after else "")
    if word and word.split(".")[-1].strip('"') in known:
        return word
    current = statement_at(buffer, offset)
    found = _RELATION_AFTER.search(current.text) if current else None
    return found.group(1) if found else ""
