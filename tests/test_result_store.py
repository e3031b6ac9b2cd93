"""ResultStore (pure): rows kept by column as text in compact buffers, read back by
row and column, typed again for the cell viewer, exported to CSV / JSON lines."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from staging_tui.db.export import write_csv, write_jsonl
from staging_tui.db.result_store import SEP, Kind, ResultStore
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


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab+0 -", max_size=6)),
                min_size=1, max_size=150),
       st.sampled_from(["", "2026-01-0", "name "]), st.sampled_from(["", "+00", "b"]))
def test_values_round_trip_through_shared_starts_and_ends(
        middles: list[str | None], start: str, end: str) -> None:
    """A batch keeps the start and end its values share once (no NULL in the batch):
    every read gives the values back exactly, however short or alike they are."""
    values = [None if m is None else start + m + end for m in middles]
    store = ResultStore([Column("v", "text")])
    store.append([(v,) for v in values])
    assert [store.text(r, 0) for r in range(len(values))] == values
    assert [store.row(r)[0] for r in range(len(values))] == values
    assert [p[0].values() for p in store.batches()] == [values]
    part = next(store.batches())[0]
    assert part.full_text().split(SEP) == ["" if v is None else v for v in values]


def test_a_timestamp_batch_keeps_its_shared_start_and_end_once() -> None:
    rows = [(f"2026-01-01 00:{i // 60:02d}:{i % 60:02d}+00",) for i in range(3600)]
    store = ResultStore([Column("created", "timestamptz")])
    store.append(rows)
    part = next(store.batches())[0]
    assert (part.prefix, part.suffix) == ("2026-01-01 00:", "+00")
    assert store.nbytes < 3600 * 7                   # "mm:ss" + separator, not 23 bytes
    assert store.text(3599, 0) == "2026-01-01 00:59:59+00"
    assert list(store)[1234] == rows[1234]
    out = io.StringIO()
    write_csv(out, store.columns, store)
    assert out.getvalue().splitlines()[1:3] == ['"2026-01-01 00:00:00+00"',
                                                '"2026-01-01 00:00:01+00"']
    out = io.StringIO()
    write_jsonl(out, store.columns, store)
    assert json.loads(out.getvalue().splitlines()[-1]) == {"created": rows[-1][0]}
