"""Export a result to CSV or JSON lines. NULL stays distinct from the string 'NULL':
an empty unquoted CSV field vs "NULL"; JSON null vs "NULL". Files are written 0600
(private_files.open_private)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from json.encoder import py_encode_basestring
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from staging_tui.db.result_store import SEP, ColumnPart, Kind, ResultStore
from staging_tui.domain import Column
from staging_tui.private_files import open_private

try:
    from _json import encode_basestring as _encode_string  # C, as json.dumps uses it
except ImportError:  # pragma: no cover - CPython always has _json
    _encode_string = py_encode_basestring


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "E" not in str(value) \
            else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def write_csv(target: Path | TextIO, columns: Iterable[Column],
              rows: Iterable[tuple[object, ...]] | ResultStore) -> int:
    """Write a header and the rows; NULL is an empty field, '' is a quoted empty string."""
    if isinstance(rows, ResultStore):
        return _store_csv(target, rows)
    count = 0
    with _opened(target) as fh:
        fh.write(",".join(_quote(c.name) for c in columns) + "\r\n")
        for row in rows:
            fh.write(",".join(_csv_cell(v) for v in row) + "\r\n")
            count += 1
    return count


@contextmanager
def _opened(target: Path | TextIO) -> Iterator[TextIO]:
    """A file opened for writing (closed after), or the stream given (left open)."""
    if isinstance(target, Path):
        with open_private(target) as fh:
            yield fh
    else:
        yield target


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return _quote(json.dumps(jsonable(value)))
    return _quote(str(jsonable(value)))


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write_jsonl(target: Path | TextIO, columns: Iterable[Column],
                rows: Iterable[tuple[object, ...]] | ResultStore) -> int:
    """One JSON object per row, keyed by column name (duplicates get a suffix)."""
    if isinstance(rows, ResultStore):
        return _store_jsonl(target, rows)
    names = _unique([c.name for c in columns])
    count = 0
    with _opened(target) as fh:
        for row in rows:
            fh.write(json.dumps(dict(zip(names, map(jsonable, row), strict=False)),
                                ensure_ascii=False) + "\n")
            count += 1
    return count


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}_{n + 1}")
    return out


# ---------------------------------------------------------------- from a ResultStore
# Column by column, one batch at a time: each cell is a slice of the batch's text and
# one string operation; rows are joined in C (str.join / %). Values keep PostgreSQL's
# text form (timestamps as PostgreSQL prints them, like psql's \copy).

_NOT_JSON_NUMBERS = ("NaN", "Infinity", "-Infinity")


def _with_nulls(cells: list[str], part: ColumnPart, null: str) -> list[str]:
    for i in part.null_positions():
        cells[i] = null
    return cells


def _csv_column(kind: Kind, part: ColumnPart) -> list[str]:
    """A batch's column as CSV fields, by whole-string operations in C (a NULL is
    stored as '' and stays an empty, unquoted field)."""
    text = part.full_text()
    if kind.numeric:
        return text.split(SEP)
    if kind is Kind.BOOL:
        return text.replace("t", "true").replace("f", "false").split(SEP)
    quoted = '"' + text.replace('"', '""').replace(SEP, '"' + SEP + '"') + '"'
    return _with_nulls(quoted.split(SEP), part, "")


def _store_csv(target: Path | TextIO, store: ResultStore) -> int:
    with _opened(target) as fh:
        fh.write(",".join(_quote(c.name) for c in store.columns) + "\r\n")
        for parts in store.batches():
            cells = [_csv_column(k, p) for k, p in zip(store.kinds, parts, strict=True)]
            fh.write("\r\n".join(map(",".join, zip(*cells, strict=True))))
            fh.write("\r\n")
    return len(store)


def _json_column(kind: Kind, part: ColumnPart) -> list[str]:
    text = part.full_text()
    if kind.numeric:
        if "N" in text or "I" in text:   # NaN, Infinity: not JSON numbers
            return [json.dumps(v) if v in _NOT_JSON_NUMBERS else v or "null"
                    for v in _with_nulls(text.split(SEP), part, "")]
        return _with_nulls(text.split(SEP), part, "null")
    if kind is Kind.BOOL:
        return _with_nulls(text.replace("t", "true").replace("f", "false").split(SEP),
                           part, "null")
    if kind is Kind.JSON:
        return _with_nulls(text.split(SEP), part, "null")
    encode = _encode_string
    return _with_nulls([encode(v) for v in text.split(SEP)], part, "null")


def _store_jsonl(target: Path | TextIO, store: ResultStore) -> int:
    names = _unique([c.name for c in store.columns])
    template = "{" + ", ".join(json.dumps(n, ensure_ascii=False).replace("%", "%%") + ": %s"
                               for n in names) + "}"
    with _opened(target) as fh:
        for parts in store.batches():
            cells = [_json_column(k, p) for k, p in zip(store.kinds, parts, strict=True)]
            fh.write("\n".join(template % row for row in zip(*cells, strict=True)))
            fh.write("\n")
    return len(store)
