"""A SQL query's result (the Query pane, `staging-tui query`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type_name: str = ""


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    status: str = ""
    truncated: bool = False
    elapsed_s: float = 0.0
    notice: str = ""          # e.g. "connection was lost; reconnected"
