"""ResultStore (pure): rows kept by column as text in compact buffers, read back by
row and column, typed again for the cell viewer, exported to CSV / JSON lines."""

from __future__ import annotations

import io
import json

from staging_tui.db.export import write_csv, write_jsonl
from staging_tui.db.result_store import Kind, ResultStore
from staging_tui.domain import Column

COLUMNS = (Column("id", "int4"), Column("name", "text"), Column("ok", "bool"),
           Column("doc", "jsonb"), Column("x", "float8"))


def store() -> ResultStore:
    s = ResultStore(COLUMNS)
    s.append([("1", "NULL", "t", '{"a": 1}', "1.5"), ("2", None, "f", None, "NaN")])
    s.append([("3", 'say "hi"\nbye', None, "[1, 2]", "-2")])
    return s


def test_cells_read_back_across_batches_with_null_apart_from_the_string_null() -> None:
    s = store()
    assert len(s) == 3 and s.kinds == (Kind.INT, Kind.TEXT, Kind.BOOL, Kind.JSON, Kind.FLOAT)
    assert s.text(0, 1) == "NULL" and s.text(1, 1) is None
    assert s.row(2) == ("3", 'say "hi"\nbye', None, "[1, 2]", "-2")
    assert s[0] == (1, "NULL", True, {"a": 1}, 1.5)
    assert s.value(2, 3) == [1, 2] and s.value(1, 2) is False
    assert list(s)[2][0] == 3
    assert s.nbytes > 0


def test_python_values_of_our_own_queries_keep_their_kind() -> None:
    s = ResultStore((Column("column", ""), Column("nulls", "")))
    s.append_values([("a", 3), ("b", None)])
    assert s.kinds == (Kind.TEXT, Kind.INT) and s[0] == ("a", 3) and s[1] == ("b", None)


def test_export_from_the_store() -> None:
    out = io.StringIO()
    assert write_csv(out, COLUMNS, store()) == 3
    assert out.getvalue().split("\r\n") == [
        '"id","name","ok","doc","x"', '1,"NULL",true,"{""a"": 1}",1.5', "2,,false,,NaN",
        '3,"say ""hi""\nbye",,"[1, 2]",-2', ""]
    out = io.StringIO()
    assert write_jsonl(out, COLUMNS, store()) == 3
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows[0] == {"id": 1, "name": "NULL", "ok": True, "doc": {"a": 1}, "x": 1.5}
    assert rows[1] == {"id": 2, "name": None, "ok": False, "doc": None, "x": "NaN"}
    assert rows[2]["name"] == 'say "hi"\nbye' and rows[2]["doc"] == [1, 2]


def test_long_values_and_short_values_read_back_in_both_layouts() -> None:
    s = ResultStore((Column("t", "text"),))
    long_rows = [("x" * (i % 400),) if i % 7 else (None,) for i in range(1000)]
    short_rows = [("y" * (i % 50),) for i in range(5000)]
    s.append(long_rows)
    s.append(short_rows)
    assert [s.row(i) for i in range(6000)] == long_rows + short_rows
    assert [p[0].values() for p in s.batches()] == [[r[0] for r in long_rows],
                                                   [r[0] for r in short_rows]]


def test_a_store_equals_the_list_of_its_typed_rows() -> None:
    s = ResultStore((Column("a", "int4"), Column("b", "text")))
    s.append([("1", "x"), ("2", None)])
    assert s == [(1, "x"), (2, None)] and s != [(1, "x")] and s != [(1, "y"), (2, None)]
