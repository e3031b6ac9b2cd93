"""Meta commands, history redaction, data quality, completion and export against a
real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from staging_tui.db.completion import Catalog
from staging_tui.db.export import write_csv, write_jsonl
from staging_tui.db.history import History, redact
from staging_tui.db.meta import run_meta
from staging_tui.db.quality import column_quality
from staging_tui.db.session import QuerySession
from staging_tui.errors import QueryError


def _names(result: object) -> list[str]:
    rows = getattr(result, "rows", ())
    return [str(r[0]) if len(r) == 1 else str(r[1]) for r in rows]


async def test_list_relations(session: QuerySession) -> None:
    dt = await run_meta(session, "\\dt")
    assert dt.result is not None
    assert {("public", "item", "table"), ("public", "audit", "table")} <= {
        r[:3] for r in dt.result.rows}
    dv = await run_meta(session, "\\dv")
    assert {r[1] for r in dv.result.rows} == {"cheap_item", "logging_view"}  # type: ignore[union-attr]
    dm = await run_meta(session, "\\dm")
    assert [r[1] for r in dm.result.rows] == ["analysis_average_view"]  # type: ignore[union-attr]
    pattern = await run_meta(session, "\\dt ite*")
    assert [r[1] for r in pattern.result.rows] == ["item"]  # type: ignore[union-attr]
    everything = await run_meta(session, "\\d")
    assert "counter" in {r[1] for r in everything.result.rows}  # type: ignore[union-attr]


async def test_describe(session: QuerySession) -> None:
    d = await run_meta(session, "\\d item")
    assert d.result is not None
    assert d.result.rows[0] == ("id", "integer", "not null", "")
    assert ("price", "numeric(10,2)", "", "") in d.result.rows
    assert any("item_name_idx" in line for line in d.footer)
    mv = await run_meta(session, "\\d analysis_average_view")
    assert [r[0] for r in mv.result.rows] == ["bucket", "average_value", "note"]  # type: ignore[union-attr]
    with pytest.raises(QueryError, match="Did not find"):
        await run_meta(session, "\\d nosuch")


async def test_other_catalog_commands(session: QuerySession) -> None:
    dn = await run_meta(session, "\\dn")
    assert {"public", "evil"} <= {r[0] for r in dn.result.rows}  # type: ignore[union-attr]
    df = await run_meta(session, "\\df")
    assert {("public", "log_it"), ("evil", "lower")} <= {
        r[:2] for r in df.result.rows}  # type: ignore[union-attr]
    dx = await run_meta(session, "\\dx")
    assert "plpgsql" in {r[0] for r in dx.result.rows}  # type: ignore[union-attr]
    databases = await run_meta(session, "\\l")
    assert "querytest" in {r[0] for r in databases.result.rows}  # type: ignore[union-attr]
    du = await run_meta(session, "\\du")
    roles = {r[0]: r for r in du.result.rows}  # type: ignore[union-attr]
    assert "Superuser" in str(roles["postgres"][1]) and "app_readonly" in roles


async def test_toggles_and_conninfo(session: QuerySession) -> None:
    assert (await run_meta(session, "\\x")).message == "Expanded display is on."
    assert session.expanded
    assert (await run_meta(session, "\\x off")).message == "Expanded display is off."
    assert (await run_meta(session, "\\timing")).message == "Timing is off."
    info = await run_meta(session, "\\conninfo")
    assert 'database "querytest" as user "postgres"' in info.message and "read-only" in info.message
    with pytest.raises(QueryError, match="unknown meta command"):
        await run_meta(session, "\\zz")


@pytest.mark.parametrize(("sql", "secret"), [
    ("ALTER ROLE app PASSWORD 'hunter2'", "hunter2"),
    ("CREATE USER bob WITH ENCRYPTED PASSWORD 'S3cr3t;x'", "S3cr3t;x"),
    ("create role x login password $$dollar-secret$$", "dollar-secret"),
    ("ALTER USER y WITH PASSWORD E'esc\\'aped'", "esc\\'aped"),
    ("SELECT dblink_connect('host=db password=topsecret user=a')", "topsecret"),
    ("SELECT 'postgresql://u:urlsecret@h/db'", "urlsecret"),
])
def test_history_redacts_passwords(tmp_path: Path, sql: str, secret: str) -> None:
    assert secret not in redact(sql)
    history = History("staging", tmp_path)
    history.add(sql)
    history.add("SELECT 1")
    text = history.path.read_text()
    assert secret not in text and "********" in text
    again = History("staging", tmp_path)
    assert [e.sql for e in again.entries][-1] == "SELECT 1"
    assert again.search("password") or again.search("********")
    assert history.path.stat().st_mode & 0o077 == 0


# (statement, what the history keeps): every password gone, nothing else touched
REDACTION_CASES = [
    ("ALTER ROLE app PASSWORD 'hunter2'", "ALTER ROLE app PASSWORD '********'"),
    ("ALTER ROLE app PASSWORD NULL", "ALTER ROLE app PASSWORD NULL"),
    ("SELECT 'postgresql://u:p@ss@word@db.example:5432/app'",
     "SELECT 'postgresql://u:********@db.example:5432/app'"),
    ("SELECT 'postgres://:only@pw@h/db', 'postgresql://u@h/db'",
     "SELECT 'postgres://:********@h/db', 'postgresql://u@h/db'"),
    ("SELECT dblink_connect('host=db password=''two words'' user=a')",
     "SELECT dblink_connect('host=db password=******** user=a')"),
    ("SELECT dblink_connect('host=db password = ''it\\''s'' user=a')",
     "SELECT dblink_connect('host=db password = ******** user=a')"),
    ("SELECT dblink_connect($$host=db password='q uoted' user=a$$)",
     "SELECT dblink_connect($$host=db password=******** user=a$$)"),
    ("SELECT dblink_connect('host=db PASSWORD=bare user=a')",
     "SELECT dblink_connect('host=db PASSWORD=******** user=a')"),
    ("SELECT secret AS password FROM users", "SELECT secret AS password FROM users"),
    ("SELECT 'hunter2' AS password, name FROM users",
     "SELECT '********' AS password, name FROM users"),
    ("SELECT 'hunter2' password", "SELECT '********' password"),
    ("SELECT password FROM users WHERE name = 'bob'",
     "SELECT password FROM users WHERE name = 'bob'"),
    ("CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'a', password 'pw')",
     "CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'a', password '********')"),
]


@pytest.mark.parametrize(("sql", "kept"), REDACTION_CASES)
def test_history_redaction_table(sql: str, kept: str) -> None:
    assert redact(sql) == kept


def test_history_skips_huge_statements(tmp_path: Path) -> None:
    history = History("staging", tmp_path)
    assert history.add("SELECT '" + "x" * 200_000 + "'") is None
    assert history.entries == []


def test_history_is_per_profile_in_the_xdg_state_dir(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    History("staging").add("SELECT 1")
    History("prod/eu").add("SELECT 2")
    assert (tmp_path / "staging-tui" / "history" / "staging.jsonl").is_file()
    assert [e.sql for e in History("prod/eu").entries] == ["SELECT 2"]


async def test_quality_from_pg_stats_and_from_a_sample(session: QuerySession) -> None:
    stats = {q.column: q for q in await column_quality(session, "item")}
    assert stats["price"].source == "pg_stats"
    assert stats["price"].null_fraction == pytest.approx(0.2, abs=0.01)
    assert stats["id"].distinct == pytest.approx(100, rel=0.05)
    sampled = {q.column: q for q in await column_quality(session, "analysis_average_view")}
    assert sampled["note"].source.startswith("sample of 10")
    assert sampled["note"].all_null and sampled["bucket"].distinct == 10
    assert sampled["average_value"].null_fraction == pytest.approx(0.2)  # buckets 0 and 5
    with pytest.raises(QueryError):
        await column_quality(session, "nosuch")


async def test_completion_from_the_catalog(session: QuerySession) -> None:
    catalog = await Catalog.load(session)
    assert "item" in catalog.complete("SELECT * FROM it")
    assert "price" in catalog.complete("SELECT pr")[:1] + catalog.complete("SELECT * FROM item WHERE pr")
    assert catalog.complete("SELECT * FROM evil.") == []  # functions are not relations
    assert "name" in catalog.complete("SELECT item.na")
    assert "SELECT" in catalog.complete("sel")
    assert "\\dt" in catalog.complete("\\d")
    assert "cheap_item" in catalog.complete("select * from public.ch")


async def test_export_keeps_null_apart_from_the_string_null(session: QuerySession,
                                                            tmp_path: Path) -> None:
    result = await session.run("SELECT id, name, price, tags FROM item WHERE id IN (3, 5) "
                               "ORDER BY id")
    csv_path, jsonl_path = tmp_path / "r.csv", tmp_path / "r.jsonl"
    assert write_csv(csv_path, result.columns, result.rows) == 2
    lines = csv_path.read_text().splitlines()
    assert lines[0] == '"id","name","price","tags"'
    assert lines[1] == '3,"NULL",3.00,"{""g"": 3}"'
    assert lines[2] == '5,"item 5",,"{""g"": 5}"'
    write_jsonl(jsonl_path, result.columns, result.rows)
    rows = [json.loads(line) for line in jsonl_path.read_text().splitlines()]
    assert rows[0] == {"id": 3, "name": "NULL", "price": 3, "tags": {"g": 3}}
    assert rows[1]["price"] is None
