"""Every kind of bad config names the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from staging_tui.cli import main
from staging_tui.config import SAMPLE_CONFIG, load_settings, parse_config
from staging_tui.errors import ConfigError


def test_sample_config_parses() -> None:
    s = parse_config(SAMPLE_CONFIG, "sample.toml")
    assert s.profile == "staging" and s.project == "my-project-staging"
    assert s.read_only and not s.protected and not s.writable
    assert s.sql_instances[0].password_secret == "db-password-staging"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[profiles.a\nproject='x'", "", "not valid TOML"),
        ("x = 1", "profiles", "no [profiles.NAME] table"),
        ("[profiles.a]\nregion='r'", "profiles.a.project", "missing or empty"),
        ("[profiles.a]\nproject='p'\nread_only='yes'", "profiles.a.read_only",
         "must be true or false"),
        ("[profiles.a]\nproject='p'\nprojct='q'", "profiles.a.projct", "unknown key"),
        ("[profiles.a]\nproject='p'\nrequired_secrets='a'", "profiles.a.required_secrets",
         "must be a list of strings"),
        ("[profiles.a]\nproject='p'\npr_pattern='{service}-x'", "profiles.a.pr_pattern",
         "no {pr} placeholder"),
        ("[profiles.a]\nproject='p'\nlog_buffer=-1", "profiles.a.log_buffer", "whole number"),
        ("[profiles.a]\nproject='p'\n[[profiles.a.sql]]\nconnection_name='db'",
         "profiles.a.sql[0].connection_name", "PROJECT:REGION:INSTANCE"),
        ("[profiles.a]\nproject='p'\n[profiles.a.health]\nweb=1", "profiles.a.health",
         "table of strings"),
        ("default_profile='b'\n[profiles.a]\nproject='p'", "default_profile", "not defined"),
    ],
)
def test_bad_config_names_file_key_and_fix(text: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "/etc/x.toml")
    err = info.value
    assert err.file == "/etc/x.toml" and err.key == key
    assert problem in err.problem
    assert err.fix
    assert str(err).startswith("/etc/x.toml")


def test_unknown_profile_lists_the_defined_ones() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("[profiles.a]\nproject='p'\n[profiles.b]\nproject='q'", "c.toml", "zz")
    assert info.value.key == "--profile" and "a, b" in info.value.fix


def test_no_config_and_no_sandbox_tells_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("STAGING_TUI_PROJECT", raising=False)
    assert main(["services"]) == 2
    err = capsys.readouterr().err
    assert "staging-tui --sandbox" in err and "staging-tui init" in err


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(str(tmp_path / "nope.toml"))
    assert "nope.toml" in str(info.value) and "staging-tui init" in info.value.fix


def test_init_writes_a_sample_that_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert main(["init"]) == 2  # refuses to overwrite: USAGE
    settings = load_settings(None, "staging")
    assert settings.source.endswith("staging-tui.toml")


def test_env_and_flags_override_project_and_region(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(SAMPLE_CONFIG)
    monkeypatch.setenv("STAGING_TUI_PROJECT", "from-env")
    s = load_settings(str(cfg), region="europe-west1")
    assert s.project == "from-env" and s.regions == ("europe-west1",)
