"""ResultStore: a query result kept by column in compact buffers, decoded on demand.

The Query pane asks PostgreSQL's text form of every value (QuerySession.stream(...,
as_text=True): psycopg's C text loader, no int/Decimal/datetime/dict object per cell),
and each batch becomes, per column, one `str` of the batch's values joined by NUL, an
`array('I')` of where every 64th value starts and, when the batch had NULLs, a `bytes`
of NULL flags. A million rows x 6 columns cost ~80 MB instead of ~430 MB of Python
tuples; a cell is a slice when the grid draws it. Why not pyarrow: docs/performance.md
"Query".

`nbytes` is what the buffers hold; the pane stops fetching past its budget
(`query_memory_mb`) and says how many rows were loaded.
"""

from __future__ import annotations

import json
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from itertools import accumulate

from staging_tui.domain import Column


class Kind(Enum):
    """How a column's text is shown and exported."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    NUMERIC = "numeric"
    BOOL = "bool"
    JSON = "json"

    @property
    def numeric(self) -> bool:
        return self in (Kind.INT, Kind.FLOAT, Kind.NUMERIC)


_KINDS = {"smallint": Kind.INT, "integer": Kind.INT, "bigint": Kind.INT, "oid": Kind.INT,
          "int2": Kind.INT, "int4": Kind.INT, "int8": Kind.INT,
          "real": Kind.FLOAT, "double precision": Kind.FLOAT, "float4": Kind.FLOAT,
          "float8": Kind.FLOAT, "boolean": Kind.BOOL, "bool": Kind.BOOL,
          "json": Kind.JSON, "jsonb": Kind.JSON}


def kind_of(column: Column) -> Kind:
    name = column.type_name.lower()
    if name.startswith("numeric"):
        return Kind.NUMERIC
    return _KINDS.get(name, Kind.TEXT)


BLOCK = 64   # where every BLOCK-th value starts; the ones between are found by SEP
SEP = "\x00"  # PostgreSQL's text never holds NUL, so it separates values for free


@dataclass(frozen=True, slots=True)
class ColumnPart:
    """One column of one batch: the values joined by SEP (one character a value, split
    back in C), where every BLOCK-th value starts, and which values are NULL. When
    the batch has no NULL, the start and end every value shares (`prefix`, `suffix`:
    `2026-01-01 0` and `+00` of a timestamptz batch, `name ` of `'name ' || id`) is
    kept once instead of in every value."""

    text: str
    offsets: array[int]
    count: int
    nulls: bytes | None
    prefix: str = ""
    suffix: str = ""

    def get(self, i: int) -> str | None:
        if self.nulls is not None and self.nulls[i]:
            return None
        text = self.text
        start = self.offsets[i // BLOCK]
        for _ in range(i % BLOCK):
            start = text.index(SEP, start) + 1
        end = text.find(SEP, start)
        value = text[start:] if end < 0 else text[start:end]
        return self.prefix + value + self.suffix if self.prefix or self.suffix else value

    def block(self, b: int) -> list[str]:
        """The BLOCK values from the b-th start (NULLs as ''), split in C."""
        offsets = self.offsets
        end = offsets[b + 1] - 1 if b + 1 < len(offsets) else len(self.text)
        values = self.text[offsets[b]:end].split(SEP)
        if self.prefix or self.suffix:
            prefix, suffix = self.prefix, self.suffix
            return [prefix + v + suffix for v in values]
        return values

    def full_text(self) -> str:
        """Every value joined by SEP, prefix and suffix put back (export)."""
        prefix, suffix = self.prefix, self.suffix
        if not prefix and not suffix:
            return self.text
        return prefix + self.text.replace(SEP, suffix + SEP + prefix) + suffix

    def values(self) -> list[str | None]:
        out: list[str | None] = self.full_text().split(SEP)  # type: ignore[assignment]
        for i in self.null_positions():
            out[i] = None
        return out

    def null_positions(self) -> Iterator[int]:
        nulls = self.nulls
        if nulls is None:
            return
        i = nulls.find(1)
        while i >= 0:
            yield i
            i = nulls.find(1, i + 1)

    @property
    def nbytes(self) -> int:
        # a compact str costs one byte a character when the batch is ASCII
        width = 1 if self.text.isascii() else 4
        return (len(self.text) * width + self.offsets.itemsize * len(self.offsets)
                + len(self.nulls or b"") + len(self.prefix) + len(self.suffix))


def _part(values: Sequence[str | None]) -> ColumnPart:
    if None in values:
        nulls = bytes(v is None for v in values)
        values = ["" if v is None else v for v in values]
    else:
        nulls = None
    texts: Sequence[str] = values  # type: ignore[assignment]
    text = SEP.join(texts)
    if text.count(SEP) != len(texts) - 1:   # a NUL in a value of our own: not PostgreSQL's
        texts = [t.replace(SEP, "\ufffd") for t in texts]
        text = SEP.join(texts)
    prefix = suffix = ""
    if nulls is None and len(texts) > 1:
        text, prefix, suffix = _shared_affixes(texts, text)
    cut = len(prefix) + len(suffix)
    starts = accumulate((sum(map(len, texts[i:i + BLOCK])) + BLOCK
                         - cut * min(BLOCK, len(texts) - i)
                         for i in range(0, len(texts), BLOCK)), initial=0)
    return ColumnPart(text, array("I", starts), len(texts), nulls, prefix, suffix)


MAX_AFFIX = 32   # the longest shared start / end kept once (each end length: one count)


def _shared_affixes(texts: Sequence[str], text: str) -> tuple[str, str, str]:
    """`text` (the values joined by SEP) without the start and the end that every value
    shares, and those two; all by whole-string operations in C."""
    shortest = min(map(len, texts))
    low, high = min(texts), max(texts)     # what they share, all values share
    n, most = 0, min(shortest, MAX_AFFIX)
    while n < most and low[n] == high[n]:
        n += 1
    prefix = low[:n]
    if prefix:
        text = text[len(prefix):].replace(SEP + prefix, SEP)
    room = min(shortest - len(prefix), MAX_AFFIX)
    last = texts[-1]
    suffix = ""
    for n in range(1, room + 1):      # shared ends nest: stop at the first not shared
        tail = last[len(last) - n:]
        if not (text.endswith(tail) and text.count(tail + SEP) == len(texts) - 1):
            break
        suffix = tail
    if suffix:
        text = text[:len(text) - len(suffix)].replace(suffix + SEP, SEP)
    return text, prefix, suffix


def _value_kind(values: list[object]) -> Kind:
    present = [v for v in values if v is not None]
    if not present:
        return Kind.TEXT
    for kind, types in ((Kind.BOOL, bool), (Kind.INT, int), (Kind.FLOAT, float),
                        (Kind.NUMERIC, Decimal), (Kind.JSON, dict | list)):
        if all(isinstance(v, types) for v in present) and (
                kind is Kind.BOOL or not any(isinstance(v, bool) for v in present)):
            return kind
    return Kind.TEXT


def to_text(value: object) -> str | None:
    """PostgreSQL's text form of a Python value (for results of our own queries)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bytes | memoryview):
        return "\\x" + bytes(value).hex()
    return str(value)


class ResultStore:
    """Rows appended batch by batch (tuples of text or None); read by row and column."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self.kinds = tuple(kind_of(c) for c in self.columns)
        self._batches: list[tuple[ColumnPart, ...]] = []
        self._starts: list[int] = []
        self._rows = 0
        self.nbytes = 0
        self._blocks: dict[tuple[int, int, int], list[str]] = {}

    def __len__(self) -> int:
        return self._rows

    def append(self, rows: Sequence[Sequence[str | None]]) -> None:
        """Add a batch of rows as the text psycopg loaded (QuerySession text mode)."""
        if not rows:
            return
        width = len(self.columns)
        columns = list(zip(*rows, strict=False))[:width]
        while len(columns) < width:
            columns.append((None,) * len(rows))
        parts = tuple(_part(col) for col in columns)
        self._batches.append(parts)
        self._starts.append(self._rows)
        self._rows += len(rows)
        self.nbytes += sum(p.nbytes for p in parts)

    def append_values(self, rows: Sequence[Sequence[object]]) -> None:
        """Add rows of Python values (results of our own catalog queries); a column
        whose type is not named takes its kind from the values (ints right-aligned)."""
        if not self._rows and rows:
            self.kinds = tuple(
                _value_kind([row[i] for row in rows if i < len(row)]) if k is Kind.TEXT
                else k for i, k in enumerate(self.kinds))
        self.append([tuple(to_text(v) for v in row) for row in rows])

    def _locate(self, row: int) -> tuple[tuple[ColumnPart, ...], int]:
        if not 0 <= row < self._rows:
            raise IndexError(row)
        b = bisect_right(self._starts, row) - 1
        return self._batches[b], row - self._starts[b]

    def text(self, row: int, col: int) -> str | None:
        """The value's text as PostgreSQL sent it; None for NULL."""
        parts, i = self._locate(row)
        return parts[col].get(i)

    def row(self, row: int) -> tuple[str | None, ...]:
        """One row's texts; the grid asks rows near each other, so each column's block of
        BLOCK values is split once and kept for the next rows (a few hundred blocks)."""
        if not 0 <= row < self._rows:
            raise IndexError(row)
        b = bisect_right(self._starts, row) - 1
        i = row - self._starts[b]
        block, at = divmod(i, BLOCK)
        out: list[str | None] = []
        cache = self._blocks
        for c, part in enumerate(self._batches[b]):
            if part.nulls is not None and part.nulls[i]:
                out.append(None)
                continue
            key = (b, c, block)
            values = cache.get(key)
            if values is None:
                if len(cache) > 1024:
                    cache.clear()
                values = cache[key] = part.block(block)
            out.append(values[at])
        return tuple(out)

    def __getitem__(self, row: int) -> tuple[object, ...]:
        """One row of typed values (see `value`)."""
        return tuple(typed(k, t) for k, t in zip(self.kinds, self.row(row), strict=True))

    def value(self, row: int, col: int) -> object:
        """The value typed again for the cell viewer (int, float, Decimal, bool, text)."""
        return typed(self.kinds[col], self.text(row, col))

    def batches(self) -> Iterator[tuple[ColumnPart, ...]]:
        """Each batch's columns (for export): `part.values()` lists one column."""
        return iter(self._batches)

    def __eq__(self, other: object) -> bool:
        """Equal to a list of rows of the same typed values (tests, callers that kept
        the grid's rows as a list)."""
        if isinstance(other, list | tuple):
            return len(other) == self._rows and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __iter__(self) -> Iterator[tuple[object, ...]]:
        """Rows of typed values (slow; export uses `batches`)."""
        for parts in self._batches:
            columns = [[typed(k, v) for v in p.values()] for k, p in zip(self.kinds, parts,
                                                                         strict=True)]
            yield from zip(*columns, strict=True)


def typed(kind: Kind, text: str | None) -> object:
    if text is None:
        return None
    try:
        if kind is Kind.INT:
            return int(text)
        if kind is Kind.FLOAT:
            return float(text)
        if kind is Kind.NUMERIC:
            return Decimal(text)
    except ValueError:
        return text
    if kind is Kind.BOOL:
        return text == "t"
    if kind is Kind.JSON:
        try:
            loaded: object = json.loads(text)
        except ValueError:
            return text
        return loaded
    return text


def shown_text(kind: Kind, text: str) -> str:
    """A non-NULL value's text for a grid cell (before the width cut)."""
    if kind is Kind.BOOL:
        return "true" if text == "t" else "false" if text == "f" else text
    return text

