"""Bad input ends in one clear line naming the input and the fix, never a traceback
(issue 11): through `staging_tui.cli.main([...])` as a user types it."""

from __future__ import annotations

from pathlib import Path

import pytest

from staging_tui.cli import main
from staging_tui.config import SAMPLE_CONFIG, parse_config
from staging_tui.errors import ConfigError

BAD = "\udcff"  # how Python hands over a 0xff byte of a non-UTF-8 argument


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: errors found while parsing
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


# ------------------------------------------------------------------ non-UTF-8 arguments


@pytest.mark.parametrize(("argv", "named"), [
    (["--sandbox", "query", f"SELECT 1{BAD}"], "argument 'SELECT 1\\xff'"),
    (["--sandbox", "logs", "--filter", f"textPayload:{BAD}"], "--filter 'textPayload:\\xff'"),
    (["--sandbox", "secrets", "list", f"--filter=name:{BAD}"], "--filter 'name:\\xff'"),
])
def test_non_utf8_arguments(argv: list[str], named: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(argv, capsys)
    assert code == 2
    assert f"staging-tui: {named}: not valid UTF-8 (byte 0xff)" in err
    assert "fix: pass the text as UTF-8" in err


def test_a_non_utf8_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "staging-tui.toml"
    config.write_bytes(b'[profiles.a]\nproject = "caf\xe9"\n')
    code, err = run(["--config", str(config), "services"], capsys)
    assert code == 2
    assert f"{config}: not valid UTF-8 (byte 0xe9 on line 2)" in err
    assert "fix: save the file as UTF-8" in err


# ------------------------------------------------------------------ logs


def test_since_beyond_any_retention(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["--sandbox", "logs", "--since", "999999999d"], capsys)
    assert code == 2
    assert "'999999999d' is too far back" in err and "use e.g. 7d or 30d" in err


def test_a_filter_nested_5000_deep(capsys: pytest.CaptureFixture[str]) -> None:
    deep = "(" * 5000 + 'textPayload:"x"' + ")" * 5000
    code, err = run(["--sandbox", "logs", "--filter", deep], capsys)
    assert code == 2
    assert "--filter: the filter nests parentheses 5,000 deep; at most 50" in err
    assert "Recursion" not in err


def test_the_sandbox_parser_bounds_its_recursion() -> None:
    from staging_tui.sandbox.log_filter import FilterError, compile_filter

    with pytest.raises(FilterError, match="nested more than 100 levels"):
        compile_filter("(" * 5000 + "a" + ")" * 5000)
    with pytest.raises(FilterError, match="nested more than 100 levels"):
        compile_filter("NOT " * 4000 + "a")  # 16,001 characters: under Google's 20,000
    with pytest.raises(FilterError, match="Cloud Logging allows 20,000"):
        compile_filter("NOT " * 5000 + "a")  # past the length limit, which comes first
    compile_filter("(" * 20 + 'textPayload:"x"' + ")" * 20)  # ordinary nesting still works


async def test_the_logs_pane_says_so_instead_of_sending_it(sandbox: object) -> None:
    from textual.widgets import Input
    from ui_app import make_app
    from waiting import settled

    from staging_tui.ui.screens.logs import LogsScreen

    app = make_app(sandbox)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await settled(pilot)
        await pilot.press("e")
        screen.query_one("#logs-query", Input).value = "(" * 5000 + "a" + ")" * 5000
        await pilot.press("enter")
        error = str(screen.query_one("#logs-query-error").render())
        assert "nests parentheses 5,000 deep; at most 50" in error


# ------------------------------------------------------------------ query


@pytest.mark.parametrize(("option", "expected"), [
    (["--timeout", "-1"], "'-1' is not a timeout: use seconds >= 0"),
    (["--limit", "-1"], "'-1' is not a row limit: use a whole number >= 0"),
])
def test_negative_query_options(option: list[str], expected: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["--sandbox", "query", *option, "SELECT 1"], capsys)
    assert code == 2 and expected in err


@pytest.mark.parametrize(("dsn", "expected"), [
    ("postgresql://app:hunter2-pw@[::1/db", "is not a PostgreSQL URL or conninfo"),
    ("postgresql://app:hunter2@pw@db.example:5432/x%zz", "invalid percent-encoded token"),
    ("host=db password='hunter2 pw' port=abc", "port 'abc' is not a TCP port"),
    ("host='db password=hunter2-pw", "unterminated quoted string"),
])
def test_a_malformed_dsn_never_prints_the_password(dsn: str, expected: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["query", "--dsn", dsn, "SELECT 1"], capsys)
    assert code == 2
    assert expected in err
    assert "write e.g. postgresql://" in err or "use 1-65535" in err  # the fix
    assert "hunter2" not in err and "********" in err


# ------------------------------------------------------------------ config


@pytest.mark.parametrize(("text", "key", "problem", "fix"), [
    ("projct = 'x'\n[profiles.a]\nproject = 'p'", "projct", "unknown top-level key",
     "did you mean 'project'? project is a profile key: put it under [profiles.NAME]"),
    ("read_only = false\n[profiles.a]\nproject = 'p'", "read_only", "unknown top-level key",
     "read_only is a profile key: put it under [profiles.NAME]"),
    ("[profiles.a]\nproject = 42", "profiles.a.project", "must be a string, got 42",
     'project = "my-gcp-project"'),
    ("[profiles.a]\nproject = 'p'\n[profiles.a.keys]\n'services.refrsh' = 'ctrl+r'",
     "profiles.a.keys.services.refrsh", "unknown key binding id",
     "did you mean 'services.refresh'"),
    ("[profiles.a]\nproject = 'p'\n[profiles.a.keys]\nrefresh = 'ctrl+r'",
     "profiles.a.keys.refresh", "unknown key binding id", "did you mean"),
    ("[profiles.a]\nproject = 'p'\n[profiles.a.keys]\nservices.refresh = 'ctrl+r'",
     "profiles.a.keys.services", "is a table, not a binding id",
     'quote the id: "services.refresh"'),
    ("[profiles.a]\nproject = 'p'\n[[profiles.a.sql]]\nconnection_name = 'p:r:i'\n"
     "port = 70000", "profiles.a.sql[0].port", "70000 is not a TCP port", "1-65535"),
])
def test_config_mistakes_are_named(text: str, key: str, problem: str, fix: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "/etc/x.toml")
    assert info.value.key == key and problem in info.value.problem
    assert fix in info.value.fix


def test_every_binding_id_in_the_init_sample_exists(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from staging_tui.binding_ids import BINDING_IDS

    uncommented = "\n".join(
        line.removeprefix("# ") if line.startswith(('# [profiles.staging.keys]', '# "'))
        else line for line in SAMPLE_CONFIG.splitlines())
    settings = parse_config(uncommented, "sample")
    assert settings.keys and set(settings.keys) <= BINDING_IDS
    # and the sample as written, through `init` and the CLI, loads too
    path = tmp_path / "staging-tui.toml"
    assert run(["init", str(path)], capsys)[0] == 0
    assert parse_config(path.read_text(), str(path)).project == "my-project-staging"


# ------------------------------------------------------------------ scenarios


SERVICE = '[project]\nid = "s"\n[[services]]\nname = "api"\n'


@pytest.mark.parametrize(("text", "expected", "fix"), [
    ('[project]\nid = "s"\nseed = "abc"\n', "[project]: seed must be a whole number >= 0, "
     "got 'abc'", "seed = 42 (no quotes)"),
    ("[project]\nid = 42\n", "[project] id must be a string, got 42", 'id = "my-staging"'),
    (SERVICE + 'revisions = "x"\n', "services[0] (api): revisions must be a whole number >= 1, "
     "got 'x'", "revisions = 3"),
    (SERVICE + "revisions = -2\n", "services[0] (api): revisions must be a whole number >= 1, "
     "got -2", "revisions = 3"),
    (SERVICE + "revisions = 3\ntraffic = [{ revision = 3, percent = 60 }, "
     "{ revision = 2, percent = 30 }]\n", "traffic percents add up to 90, not 100",
     "add up to 100"),
    (SERVICE + '[[services]]\nname = "api"\n', "services[1] (api): duplicate service 'api' in "
     "us-central1 (also services[0])", "its own name"),
    ('[project]\nid = "s"\n[[sql]]\nname = "db"\nseed = """\nCREATE TABLE t (a int);\n'
     'SELEC 1;\n"""\n', "sql[0] (db): seed SQL does not parse: syntax error at or near "
     '"SELEC" (line 2 of the seed)', "fix the seed SQL"),
    (b'[project]\nid = "caf\xe9"\n', "not valid UTF-8", "save the scenario as UTF-8"),
])
def test_scenario_mistakes_are_named(text: str | bytes, expected: str, fix: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "world.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    code, err = run(["--scenario", str(path), "tunnel", "--list"], capsys)
    assert code == 2
    assert f"staging-tui: {path}" in err and expected in err, err
    assert "fix: " in err and fix in err, err


async def test_a_seed_that_fails_on_the_server_is_told_to_the_client() -> None:
    """Parses, fails when run (a missing table): every client is told why at once,
    not "connection timeout, check the tunnel"."""
    from staging_tui.gcp.endpoints import Endpoints
    from staging_tui.gcp.tunnels import Tunnels
    from staging_tui.sandbox.scenario import scenario_from_dict
    from staging_tui.sandbox.server import SandboxThread
    from staging_tui.sandbox.sql_scenario import sql_instances

    scenario = scenario_from_dict({
        "project": {"id": "broken-seed"},
        "sql": [{"name": "db", "databases": ["app"], "user": "app",
                 "password_secret": "app-password",
                 "seed": "INSERT INTO missing_table VALUES (1);"}],
    }, source="<broken seed>")
    thread = SandboxThread(scenario)
    running = thread.start()
    tunnels = Tunnels(Endpoints.for_sandbox(running.endpoints), scenario.project,
                      sql_instances(scenario))
    try:
        tunnel = await tunnels.start("db")
        result = str(tunnel.state.connection_test)
        assert result.startswith("failed"), result
        assert ("the seed SQL of Cloud SQL instance db (database app) failed: relation "
                '"missing_table" does not exist') in result
        assert "fix the seed in the scenario" in result and "timeout" not in result
        # the Query pane and `query` get the same reason, and its fix, not "check the tunnel"
        from staging_tui.db.session import QuerySession
        from staging_tui.errors import QueryError

        password = await tunnels.password(tunnel.instance)
        session = QuerySession(tunnel.state.url(password))
        with pytest.raises(QueryError) as err:
            await session.connect()
        assert 'relation "missing_table" does not exist' in err.value.message
        assert err.value.fix.startswith("fix the seed in the scenario")
        await session.close()
    finally:
        await tunnels.close()
        thread.stop()


def test_the_built_in_scenarios_seeds_parse() -> None:
    """Not re-parsed at every start (pglast stays off the console's start-up path): here."""
    import sys

    from staging_tui.sandbox.scenario import load_scenario
    from staging_tui.sandbox.scenario_checks import check_seed_sql
    from staging_tui.sandbox.sql_scenario import sql_specs

    specs = sql_specs(load_scenario(None))
    assert any(spec.seed_sql for spec in specs)
    for spec in specs:
        check_seed_sql(spec.seed_sql, spec.name)
    assert "pglast" in sys.modules
