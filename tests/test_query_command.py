"""`staging-tui query` and the session through the real Cloud SQL tunnel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_tunnel import SqlSandbox

from staging_tui.cli import main
from staging_tui.db.meta import run_meta
from staging_tui.db.quality import column_quality
from staging_tui.db.session import QuerySession
from staging_tui.errors import ReadOnlyViolation


@pytest.fixture
def config(tmp_path: Path) -> str:
    """A plain profile, so --dsn runs start no sandbox."""
    path = tmp_path / "staging-tui.toml"
    path.write_text('[profiles.t]\nproject = "query-test"\n')
    return str(path)


def test_query_command_with_a_dsn(query_dsn: str, config: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", config, "query", "--dsn", query_dsn, "--limit", "2",
                 "SELECT id, name, price FROM item WHERE id IN (3, 5, 6) ORDER BY id; \\dm"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split() == ["id", "|", "name", "|", "price"]
    assert out[2].split("|")[1].strip() == "NULL"        # the string
    assert out[3].split("|")[2].strip() == "∅"           # the NULL
    assert out[4] == "(2 of more than 2 rows)"
    assert any("analysis_average_view" in line for line in out)


def test_query_command_refuses_writes(query_dsn: str, config: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config, "query", "--dsn", query_dsn, "DELETE FROM item"]) == 2
    assert "read_only = false" in capsys.readouterr().err


def test_query_command_json(query_dsn: str, config: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config, "query", "--dsn", query_dsn, "--json",
                 "SELECT NULL AS a, 'NULL' AS b"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"] == [[None, "NULL"]] and data["columns"] == [["a", "text"], ["b", "text"]]


MAIN = "tunnel-test:us-central1:main-db"


async def test_session_through_the_tunnel_as_the_read_only_role(
        sql_sandbox: SqlSandbox) -> None:
    tunnels = sql_sandbox.tunnels()
    try:
        tunnel = await tunnels.start("main-db", test=False)
        state = tunnel.state
        password = sql_sandbox.cloudsql.password("main-db", "app_readonly")
        dsn = (f"host={state.host} port={state.port} dbname=app user=app_readonly "
               f"password={password}")
        session = QuerySession(dsn, via="tunnel main-db")
        try:
            result = await session.run("SELECT bucket, average_value FROM "
                                       "analysis_average_view ORDER BY bucket")
            assert len(result.rows) == 10
            assert any(row[1] is None for row in result.rows)
            streamed = [c async for c in session.stream(
                "SELECT g, md5(g::text) FROM generate_series(1, 20000) g")]
            assert len(streamed) > 2 and sum(len(c.rows) for c in streamed) == 20000
            with pytest.raises(ReadOnlyViolation):
                await session.run("DELETE FROM item")
            quality = {q.column: q for q in await column_quality(session,
                                                                 "analysis_average_view")}
            assert quality["average_value"].null_fraction > 0
            dx = await run_meta(session, "\\dx")
            assert dx.result is not None and "plpgsql" in {r[0] for r in dx.result.rows}
            assert session.status().line().startswith("app_readonly@app via tunnel main-db")
        finally:
            await session.close()
    finally:
        await tunnels.close()


def test_query_command_csv_jsonl_and_timing(query_dsn: str, config: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT id, name, price FROM item WHERE id IN (3, 5) ORDER BY id"
    assert main(["--config", config, "query", "--dsn", query_dsn, "--csv", sql]) == 0
    assert capsys.readouterr().out.splitlines() == [
        '"id","name","price"', '3,"NULL",3.00', '5,"item 5",']
    assert main(["--config", config, "query", "--dsn", query_dsn, "--jsonl", "--limit", "1",
                 sql]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line) for line in captured.out.splitlines()] == [
        {"id": 3, "name": "NULL", "price": 3}]
    assert "1 of more than 1 rows" in captured.err
    assert main(["--config", config, "query", "--dsn", query_dsn,
                 "\\timing; SELECT 1 AS one; \\x; SELECT NULL AS a"]) == 0
    out = capsys.readouterr().out
    assert "Timing is on." in out and out.count("Time: ") == 2
    assert "-[ RECORD 1 ]" in out and "a | ∅" in out


def test_query_command_refusal_says_the_command_is_read_only(
        query_dsn: str, config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config, "query", "--dsn", query_dsn,
                 "SET default_transaction_read_only = off"]) == 2  # USAGE
    err = capsys.readouterr().err
    assert "would change read-only mode" in err and "always read-only" in err
    assert main(["--config", config, "query", "--dsn", query_dsn, "\\c other"]) == 2
    assert "--instance" in capsys.readouterr().err


def test_statement_timeout_comes_from_the_profile(query_dsn: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "timeout.toml"
    path.write_text('[profiles.t]\nproject = "query-test"\nstatement_timeout = 1\n')
    assert main(["--config", str(path), "query", "--dsn", query_dsn,
                 "SHOW statement_timeout; SELECT pg_sleep(3)"]) == 4  # FAILED
    captured = capsys.readouterr()
    assert "1s" in captured.out
    assert "statement timeout" in captured.err and "statement_timeout" in captured.err
    assert main(["--config", str(path), "query", "--dsn", query_dsn, "--timeout", "0",
                 "SHOW statement_timeout"]) == 0
    assert "0" in capsys.readouterr().out.splitlines()[2]


def test_query_command_refuses_the_issue_bypass_and_notes_the_role(
        query_dsn: str, readonly_dsn: str, config: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11: the UESCAPE set_config + setval pair is refused before anything is
    sent; the superuser is named as a role that can write (once), the read-only one not."""
    sql = ("SELECT U&\"!0073et_config\" UESCAPE '!' ('default_transaction_read_only','off',"
           "false); SELECT U&\"!0073etval\" UESCAPE '!' ('sample_id_seq', 99999)")
    assert main(["--config", config, "query", "--dsn", query_dsn, sql]) == 1
    err = capsys.readouterr().err
    assert "refused: function set_config() is not known to be read-only" in err
    assert err.count("this role can write; read-only is enforced by staging-tui, not by the "
                     "database (superuser") == 1
    assert main(["--config", config, "query", "--dsn", readonly_dsn,
                 "SELECT last_value FROM sample_id_seq"]) == 0
    captured = capsys.readouterr()
    assert "can write" not in captured.err
    assert captured.out.splitlines()[2].strip() == "1"        # setval never ran
