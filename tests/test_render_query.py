"""Pure text for query results: cells (NULL apart from 'NULL'), honest counts, tab
labels and the status summary of a result tab."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from staging_tui.domain import Column
from staging_tui.render.query import (
    NULL_TEXT,
    ResultInfo,
    cell_text,
    expanded_lines,
    full_text,
    row_count_text,
    tab_label,
    table_lines,
)


def test_cells_keep_null_apart_from_the_string_null() -> None:
    assert cell_text(None) == NULL_TEXT != cell_text("NULL") == "NULL"
    assert full_text(None) == "NULL (no value)" and full_text("NULL") == "NULL"
    assert cell_text({"a": [1, None]}) == '{"a": [1, null]}'
    assert cell_text("two\nlines") == "two↵lines"
    assert cell_text("x" * 50, width=10) == "x" * 9 + "…"
    assert cell_text(Decimal("1.50")) == "1.50"
    assert cell_text(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05"
    assert full_text('{"b": 1}') == '{\n  "b": 1\n}'


def test_honest_counts() -> None:
    assert row_count_text(500, True) == "500 of more than 500 rows"
    assert row_count_text(1, False) == "1 row"
    assert row_count_text(1204, False, done=False) == "1,204 rows…"


def test_tab_labels_and_summaries() -> None:
    assert tab_label(3, "SELECT *\n  FROM analysis_average_view") == "3: SELECT * FROM analys…"
    assert tab_label(1, "\\dt") == "1: \\dt"
    info = ResultInfo("SELECT 1", rows=200, elapsed_s=1.25)
    assert info.summary() == "200 rows… · running 1.2 s · ctrl+c cancels"
    info.done, info.rows, info.elapsed_s, info.status = True, 1000, 0.0421, "SELECT 1000"
    assert info.summary() == "1,000 rows · 42 ms"
    assert info.summary(timing=False) == "1,000 rows"
    info.status, info.notice = "UPDATE 3", "connection was lost; reconnected"
    assert info.summary() == "UPDATE 3 · 42 ms · connection was lost; reconnected"
    info.error = "✗ boom"
    assert info.summary() == "✗ boom · 1,000 rows received"


def test_text_tables() -> None:
    columns = (Column("a", "int4"), Column("b", "text"))
    assert table_lines(columns, [(1, None), (22, "NULL")]) == [
        "a  | b", "---+-----", "1  | ∅", "22 | NULL"]
    assert expanded_lines(columns, [(1, None)]) == ["-[ RECORD 1 ]", "a | 1", "b | ∅"]
