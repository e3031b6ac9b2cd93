"""Export a result to CSV or JSON lines. NULL stays distinct from the string 'NULL':
an empty unquoted CSV field vs "NULL"; JSON null vs "NULL". Files are written 0600
(private_files.open_private)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from staging_tui.domain import Column
from staging_tui.private_files import open_private


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
              rows: Iterable[tuple[object, ...]]) -> int:
    """Write a header and the rows; NULL is an empty field, '' is a quoted empty string."""
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
                rows: Iterable[tuple[object, ...]]) -> int:
    """One JSON object per row, keyed by column name (duplicates get a suffix)."""
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
