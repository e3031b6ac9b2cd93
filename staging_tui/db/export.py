"""Export a result to CSV or JSON lines. NULL stays distinct from the string 'NULL':
an empty unquoted CSV field vs "NULL"; JSON null vs "NULL"."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from json.encoder import py_encode_basestring
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from staging_tui.db.result_store import ColumnPart, Kind, ResultStore
from staging_tui.domain import Column

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
        with target.open("w", newline="", encoding="utf-8") as fh:
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


def _csv_column(kind: Kind, part: ColumnPart) -> tuple[str, Sequence[str | None]]:
    """(format piece, cells): a text column without NULLs or quotes in this batch is
    quoted by the row template itself, one `%` per row instead of work per cell."""
    values = part.values()
    if kind.numeric:
        return "%s", ["" if v is None else v for v in values] if part.nulls else values
    if kind is Kind.BOOL:
        return "%s", ["" if v is None else "true" if v == "t" else "false" for v in values]
    if part.nulls is None and '"' not in part.text:
        return '"%s"', values
    return "%s", ["" if v is None else '"' + v.replace('"', '""') + '"' for v in values]


def _store_csv(target: Path | TextIO, store: ResultStore) -> int:
    with _opened(target) as fh:
        fh.write(",".join(_quote(c.name) for c in store.columns) + "\r\n")
        for parts in store.batches():
            pieces = [_csv_column(k, p) for k, p in zip(store.kinds, parts, strict=True)]
            template = ",".join(piece for piece, _ in pieces)
            rows = zip(*(cells for _, cells in pieces), strict=True)
            fh.write("\r\n".join([template % row for row in rows]))
            fh.write("\r\n")
    return len(store)


def _json_column(kind: Kind, values: list[str | None]) -> list[str]:
    if kind.numeric:
        return ["null" if v is None else json.dumps(v) if v in _NOT_JSON_NUMBERS else v
                for v in values]
    if kind is Kind.BOOL:
        return ["null" if v is None else "true" if v == "t" else "false" for v in values]
    if kind is Kind.JSON:
        return ["null" if v is None else v for v in values]
    encode = _encode_string
    return ["null" if v is None else encode(v) for v in values]


def _store_jsonl(target: Path | TextIO, store: ResultStore) -> int:
    names = _unique([c.name for c in store.columns])
    template = "{" + ", ".join(json.dumps(n, ensure_ascii=False).replace("%", "%%") + ": %s"
                               for n in names) + "}"
    with _opened(target) as fh:
        for parts in store.batches():
            cells = [_json_column(k, p.values()) for k, p in zip(store.kinds, parts,
                                                                 strict=True)]
            fh.write("\n".join(template % row for row in zip(*cells, strict=True)))
            fh.write("\n")
    return len(store)
