"""The read-only classifier, the statement splitter and statement-under-cursor.

Fuzzed with hypothesis: writes dressed up with comments, case, whitespace, quoting
tricks and wrappers must always be writes; random SQL-ish text must never crash it;
and against the real server, nothing the classifier calls a read may be refused by
PostgreSQL as a write."""

from __future__ import annotations

import psycopg
import pytest
from fixtures_query import WRITES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from staging_tui.db.classifier import classify
from staging_tui.db.statements import (
    relation_at,
    split_statements,
    statement_at,
    strip_trailing_semicolons,
)

READS = [
    "SELECT 1",
    "select count(*), avg(price) from item where name like 'item%'",
    "SELECT * FROM item WHERE id IN (SELECT id FROM item WHERE price IS NULL)",
    "WITH x AS (SELECT * FROM item) SELECT * FROM x",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    "SELECT 'DELETE FROM item; DROP TABLE x'",
    "SELECT $$ ; DELETE FROM item $$",
    "SELECT $tag$ $$ ; DROP TABLE x $tag$",
    "SELECT \"delete\" FROM (SELECT 1 AS \"delete\") s",
    "SELECT 1 -- ; DELETE FROM item",
    "SELECT /* ; DROP /* nested */ TABLE */ 1",
    "SELECT E'\\'; DELETE FROM item; --'",
    "VALUES (1), (2)",
    "TABLE item",
    "(SELECT 1) UNION (SELECT 2)",
    "SHOW statement_timeout",
    "SHOW ALL",
    "EXPLAIN SELECT * FROM item",
    "EXPLAIN ANALYZE SELECT * FROM item",
    "BEGIN",
    "BEGIN READ ONLY",
    "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    "COMMIT",
    "ROLLBACK",
    "SET search_path = pg_catalog, public",
    "SET search_path = public",
    "SET LOCAL statement_timeout = '5s'",
    "SET TIME ZONE 'UTC'",
    "RESET statement_timeout",
    "SELECT x::numeric(10,2), CAST(y AS varchar(3)) FROM (VALUES (1, 'a')) AS z(x, y)",
    "SELECT pg_catalog.count(*) FROM item",
    "SELECT jsonb_pretty(tags), lower(name), coalesce(price, 0) FROM item",
    "SELECT count(*) FILTER (WHERE price IS NULL) FROM item",
    "SELECT rank() OVER (ORDER BY price) FROM item",
    "SELECT 1;",
    "  SELECT 1 ;  -- trailing",
]


@pytest.mark.parametrize("sql", WRITES)
def test_writes_are_writes(sql: str) -> None:
    verdict = classify(sql)
    assert verdict.write, verdict
    assert verdict.reason


@pytest.mark.parametrize("sql", READS)
def test_reads_are_reads(sql: str) -> None:
    assert classify(sql).read, classify(sql)


@pytest.mark.parametrize(("sql", "destructive"), [
    ("DROP TABLE item", True), ("TRUNCATE item", True), ("DELETE FROM item", True),
    ("UPDATE item SET price = 0", True), ("DELETE FROM item WHERE id = 1", False),
    ("UPDATE item SET price = 0 WHERE id = 1", False), ("ALTER TABLE item DROP COLUMN z", True),
    ("WITH d AS (DELETE FROM item) SELECT 1 WHERE true", True),
    ("DELETE FROM item WHERE id IN (SELECT id FROM item)", False),
    ("INSERT INTO item VALUES (1)", False), ("SELECT * FROM item FOR UPDATE", False),
])
def test_destructive(sql: str, destructive: bool) -> None:
    assert classify(sql).destructive is destructive


# ------------------------------------------------------------------ fuzz: dressed-up writes

_FILLERS = st.sampled_from([" ", "\n", "\t", " /* c */ ", " /* a /* nested; */ b */ ", " -- x\n"])


def _recase(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if flip else c.lower()
                   for c, flip in zip(text, flips + [False] * len(text), strict=False))


@st.composite
def dressed_writes(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from([w for w in WRITES if "unterminated" not in w]))
    words = base.split(" ")
    out = words[0]
    for word in words[1:]:
        out += draw(_FILLERS) + word
    # flip case only outside quotes
    if "'" not in out and '"' not in out and "$" not in out:
        out = _recase(out, draw(st.lists(st.booleans(), max_size=len(out))))
    wrapper = draw(st.sampled_from([
        "{}", "{};", "  {}  ", "/* lead */ {}", "-- lead\n{}", "SELECT 1; {}", "{}; SELECT 1",
        "EXPLAIN ANALYZE {}", "WITH x AS ({}) SELECT 1", "SELECT 'a;'; {}",
        "SELECT $$;$$; {}", "BEGIN; {}", "SELECT E'\\'';{}",
    ]))
    return wrapper.replace("{}", out)


@settings(max_examples=600, deadline=None)
@given(dressed_writes())
def test_fuzz_dressed_writes_stay_writes(sql: str) -> None:
    assert classify(sql).write, sql


_ATOMS = st.sampled_from([
    "SELECT", "select", "DELETE", "delete", "UPDATE", "INSERT", "INTO", "FROM", "item", "WITH",
    "x", "AS", "(", ")", ";", "'", "''", '"', "$$", "$a$", "--", "\n", "/*", "*/", "E'", "\\",
    "nextval", "count", "lower", "(*)", ",", ".", "1", " ", "WHERE", "FOR", "SET", "BEGIN",
    "READ", "WRITE", "ONLY", "TRUNCATE", "DROP", "default_transaction_read_only", "=", "off",
    "pg_catalog", "evil", "U&", "DO", "CALL", "COPY", "VALUES", "TABLE", "EXPLAIN", "ANALYZE",
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_ATOMS, max_size=25).map(" ".join))
def test_fuzz_random_text_never_crashes(sql: str) -> None:
    verdict = classify(sql)
    if verdict.read:
        # a read never contains an unquoted write keyword at the top of a statement
        first = sql.strip().split(None, 1)[0].lower() if sql.strip() else ""
        assert first not in {"delete", "update", "insert", "truncate", "drop", "do", "call",
                             "copy"}


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_ATOMS, min_size=1, max_size=12).map(" ".join))
def test_fuzz_server_never_refuses_what_classifier_calls_a_read(query_dsn: str,
                                                                 sql: str) -> None:
    """Differential oracle: in a READ ONLY transaction the server refuses writes with
    SQLSTATE 25006; no text the classifier calls a read may get that answer."""
    if not classify(sql).read or ";" in sql:
        return
    with psycopg.connect(query_dsn, autocommit=True,
                         options="-c statement_timeout=2000") as conn:
        conn.execute("BEGIN READ ONLY")
        try:
            conn.execute(sql.encode(), prepare=False)
        except psycopg.errors.ReadOnlySqlTransaction:
            pytest.fail(f"classifier called a write a read: {sql!r}")
        except psycopg.Error:
            pass
        finally:
            conn.rollback()


def test_server_refuses_writes_classifier_cannot_see(query_dsn: str) -> None:
    """The oracle works: these are 'reads' to the classifier, writes to the server."""
    with psycopg.connect(query_dsn, autocommit=True) as conn:
        for sql in ["SELECT * FROM logging_view"]:
            assert classify(sql).read
            conn.execute("BEGIN READ ONLY")
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute(sql)
            conn.rollback()


# ------------------------------------------------------------------ splitting

def test_split_respects_quotes_comments_and_dollar_quotes() -> None:
    buffer = ("SELECT 'a;b';\n-- c; d\nSELECT $x$ ; $x$ AS y; /* ; */ SELECT \"q;\" FROM t;\n"
              "\\dt\nSELECT 4")
    texts = [s.text for s in split_statements(buffer)]
    assert texts == ["SELECT 'a;b'", "-- c; d\nSELECT $x$ ; $x$ AS y",
                     '/* ; */ SELECT "q;" FROM t', "\\dt", "SELECT 4"]
    for st_ in split_statements(buffer):
        assert buffer[st_.start:st_.start + len(st_.text)] == st_.text


def test_statement_under_cursor() -> None:
    buffer = "SELECT 1;\nSELECT 2;\n\nSELECT 3"
    assert statement_at(buffer, 0).text == "SELECT 1"  # type: ignore[union-attr]
    assert statement_at(buffer, buffer.index("2")).text == "SELECT 2"  # type: ignore[union-attr]
    assert statement_at(buffer, buffer.index("2") + 2).text == "SELECT 2"  # type: ignore[union-attr]
    assert statement_at(buffer, len(buffer)).text == "SELECT 3"  # type: ignore[union-attr]
    assert statement_at("", 0) is None


@given(st.lists(st.sampled_from(["SELECT 1", "SELECT ';'", "SELECT $$;$$", "-- x;\nSELECT 2",
                                 "/* ; */ SELECT 3"]), min_size=1, max_size=6))
def test_fuzz_split_roundtrip(parts: list[str]) -> None:
    buffer = ";\n".join(parts)
    assert [s.text for s in split_statements(buffer)] == parts


def test_trailing_semicolons_and_comments_are_stripped() -> None:
    assert strip_trailing_semicolons("SELECT 1 ;; -- done\n") == "SELECT 1"
    assert strip_trailing_semicolons("SELECT ';' /* c */") == "SELECT ';'"
    assert strip_trailing_semicolons("SELECT 'open") == "SELECT 'open"


def test_relation_at_the_cursor() -> None:
    buffer = "SELECT * FROM analysis_average_view WHERE x;\nSELECT a FROM public.item i JOIN b"
    assert relation_at(buffer, 3) == "analysis_average_view"
    assert relation_at(buffer, len(buffer)) == "public.item"
    assert relation_at(buffer, buffer.rindex("b") + 1, {"b"}) == "b"      # the word itself
    assert relation_at("SELECT 1", 3) == ""
    assert relation_at('TABLE "Odd Name"', 2) == '"Odd Name"'
