"""Pure text for query results: cell text (NULL apart from 'NULL'), honest counts,
expanded rows, and the status summary. Shared by `staging-tui query` and the pane."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from staging_tui.domain import Column

NULL_TEXT = "∅"          # how NULL is shown: never the same as the string 'NULL'
MAX_CELL = 200


def cell_text(value: object, width: int = MAX_CELL) -> str:
    """One line for a table cell."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, datetime | date | time):
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, bytes | memoryview):
        text = "\\x" + bytes(value).hex()
    else:
        text = str(value)
    text = text.replace("\n", "↵").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def full_text(value: object) -> str:
    """A cell in full for the cell viewer: JSON pretty-printed, NULL spelled out."""
    if value is None:
        return "NULL (no value)"
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
            except ValueError:
                pass
    return str(value)


def row_count_text(shown: int, truncated: bool, done: bool = True) -> str:
    """'500 of more than 500 rows' when a limit cut it; '1,204 rows…' while loading."""
    noun = "row" if shown == 1 else "rows"
    if truncated:
        return f"{shown:,} of more than {shown:,} rows"
    return f"{shown:,} {noun}" + ("" if done else "…")


def header_text(column: Column) -> str:
    return f"{column.name} ({column.type_name})" if column.type_name else column.name


def table_lines(columns: Sequence[Column], rows: Sequence[Sequence[object]],
                width: int = 40) -> list[str]:
    """An aligned text table (psql-like) for headless output."""
    headers = [c.name for c in columns]
    cells = [[cell_text(v, width) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    out = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
           "-+-".join("-" * w for w in widths)]
    out += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
            for row in cells]
    return out


def expanded_lines(columns: Sequence[Column], rows: Sequence[Sequence[object]]) -> list[str]:
    """psql's \\x: one block per row, one line per column."""
    width = max((len(c.name) for c in columns), default=0)
    out: list[str] = []
    for i, row in enumerate(rows, 1):
        out.append(f"-[ RECORD {i} ]" + "-" * max(0, width - 4))
        out += [f"{c.name.ljust(width)} | {cell_text(v)}" for c, v in zip(columns, row,
                                                                           strict=False)]
    return out


TAB_LABEL = 20


def tab_label(number: int, statement: str) -> str:
    """A result tab's title: its number and the start of its statement on one line."""
    text = " ".join(statement.split())
    return f"{number}: {text[:TAB_LABEL]}{'…' if len(text) > TAB_LABEL else ''}"


@dataclass
class ResultInfo:
    """What the status line says about one result tab (updated while rows stream)."""

    statement: str
    rows: int = 0
    done: bool = False
    truncated: bool = False
    elapsed_s: float = 0.0
    status: str = ""
    notice: str = ""
    error: str = ""

    def summary(self, timing: bool = True) -> str:
        if self.error:
            got = f" · {self.rows:,} row{'s' if self.rows != 1 else ''} received" if self.rows else ""
            return self.error + got
        parts = [row_count_text(self.rows, self.truncated, self.done)]
        if self.done and self.status and not self.status.startswith("SELECT"):
            parts = [self.status]
        if self.done and timing and self.elapsed_s:
            parts.append(f"{self.elapsed_s * 1000:.0f} ms")
        if not self.done and self.elapsed_s:
            parts.append(f"running {self.elapsed_s:.1f} s · ctrl+c cancels")
        if self.notice:
            parts.append(self.notice)
        return " · ".join(parts)
