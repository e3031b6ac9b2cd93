"""The headless CLI: services, global options either side, sandbox serve, --help."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from staging_tui.cli import main


def test_services_json_on_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["services", "--json", "--sandbox"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {s["name"]: s for s in data}
    assert by_name["backend-staging"]["readiness"] == "Failed"
    assert by_name["backend-pr-12"]["labels"] == {"pr": "12", "env": "pr"}


def test_services_json_masks_secret_like_values_as_the_doctor_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    """One rule (env_rules.masked_value) for `services --json` and the doctor."""
    assert main(["services", "--json", "--sandbox", "--filter", "pr:12"]) == 0
    out = capsys.readouterr().out
    assert "sk_test_" not in out
    env = {v["name"]: v for c in json.loads(out)[0]["containers"] for v in c["env"]}
    assert env["STRIPE_API_KEY"]["value"] == "<plain value, hidden>"
    assert env["DATABASE_URL"]["value"].startswith("postgresql://")     # not a secret: shown


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("STRIPE_API_KEY", "sk_test_1", "<plain value, hidden>"),
    ("DB_PASSWORD", "hunter2", "<plain value, hidden>"),
    ("API_TOKEN", "changeme", "changeme"),                   # a placeholder, not a secret
    ("DATABASE_URL", "postgresql://app:p@ss@db:5432/app", "postgresql://app:***@db:5432/app"),
    ("DATABASE_URL", "postgresql://app@/db?host=/cloudsql/x", "postgresql://app@/db?host=/cloudsql/x"),
    ("LOG_LEVEL", "debug", "debug"),
])
def test_masked_value_is_the_doctors_rule(name: str, value: str, shown: str) -> None:
    from staging_tui.audit.checks.services import shown_value
    from staging_tui.domain import EnvVar
    from staging_tui.env_rules import masked_value

    var = EnvVar(name, value)
    assert masked_value(var) == shown
    assert shown_value(var, "plain-secret" if "hidden" in shown else "x").strip("'") == shown


def test_global_options_work_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sandbox", "services", "--filter", "pr:12"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("NAME") and len(out) == 3
    assert any(line.startswith("backend-pr-12") for line in out)


def test_scenario_implies_sandbox(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "s.toml"
    path.write_text('[project]\nid = "mine"\n[[services]]\nname = "only-one"\n')
    assert main(["services", "--scenario", str(path)]) == 0
    assert "only-one" in capsys.readouterr().out


def test_bad_scenario_is_a_clear_error(tmp_path: object,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "s.toml"
    path.write_text("[[services]]\nname = 'x'\n")
    assert main(["--scenario", str(path), "services"]) == 2
    err = capsys.readouterr().err
    assert "[project] id is missing" in err and "fix:" in err


def test_help_on_every_command() -> None:
    for argv in (["--help"], ["services", "--help"], ["sandbox", "serve", "--help"],
                 ["init", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0


def test_sandbox_serve_prints_endpoints_and_stops_on_sigint() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "staging_tui.cli", "sandbox", "serve"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "sandbox serving project sandbox-staging" in first
        grpc_line = proc.stdout.readline()
        assert grpc_line.split()[0] == "grpc" and grpc_line.split()[1].startswith("127.0.0.1:")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0


def test_missing_adc_names_the_fix(tmp_path: object, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    home = Path(str(tmp_path))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("CLOUDSDK_CONFIG", raising=False)
    monkeypatch.delenv("STAGING_TUI_ON_GCP", raising=False)
    assert main(["services", "--project", "my-proj"]) == 4  # FAILED: could not run
    err = capsys.readouterr().err
    assert "Application Default Credentials" in err
    assert "gcloud auth application-default login" in err
