"""`staging-tui secrets list|audit [--json]` headless, on the sandbox (values never printed)."""

from __future__ import annotations

import json

import pytest
from ui_app import backend_for

from staging_tui.cli import build_parser, main
from staging_tui.sandbox.server import RunningSandbox

VALUES = ("sandbox-pg-v3-7f1e", "redis://10.0.0.3", "sandbox-mcp-token", "sk_test_sandbox")


def test_secrets_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secrets", "list", "--json", "--sandbox"]) == 0
    out = capsys.readouterr().out
    data = {s["name"]: s for s in json.loads(out)}
    assert data["redis-url-staging"]["used_by"] == ["backend-staging"]
    assert [v["state"] for v in data["postgres-password-staging"]["versions"]] == [
        "enabled", "disabled", "destroyed"]
    assert "secret-key-staging" not in data
    assert not any(value in out for value in VALUES)


async def run_command(sandbox: RunningSandbox, argv: list[str]) -> int:
    """The command's own `run` on the session sandbox (main() would start a new one)."""
    args = build_parser().parse_args(argv)
    backend = backend_for(sandbox)
    try:
        code: int = await args.run(args, backend)
    finally:
        await backend.close()
    return code


async def test_secrets_list_table_with_filter(sandbox: RunningSandbox,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_command(sandbox, ["secrets", "list", "--filter", "name:redis"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("NAME") and len(lines) == 2
    assert lines[1].split()[:3] == ["redis-url-staging", "1", "2:"]


def test_secrets_audit_fails_on_the_planted_problems(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secrets", "audit", "--sandbox"]) == 3
    out = capsys.readouterr().out
    assert "✗ secret-key-staging is missing" in out
    assert "✗ found gemini-api-key, expected gemini-api-key-staging" in out
    assert "✗ redis-url-staging: latest (version 2) is disabled" in out
    assert "✓ jwt-secret-key-staging: version 2 enabled" in out
    assert "gcloud secrets create secret-key-staging --data-file=-" in out
    assert not any(value in out for value in VALUES)


async def test_secrets_audit_json(sandbox: RunningSandbox,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_command(sandbox, ["secrets", "audit", "--json", "--problems"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["failed"] is True
    assert {f["check_id"] for f in data["findings"]} == {
        "secrets.missing", "secrets.latest-disabled", "secrets.suffix", "secrets.unused"}


def test_secrets_audit_passes_when_everything_is_there(tmp_path: object,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A custom scenario requires what it references and its own [profile], nothing of
    the default scenario's list (which once gave eight false "missing" errors)."""
    from pathlib import Path

    path = Path(str(tmp_path)) / "ok.toml"
    path.write_text('[project]\nid = "ok"\n'
                    '[profile]\nrequired_secrets = ["token"]\nsecret_suffix = "-stg"\n'
                    '[[services]]\nname = "api"\n[services.env]\nK = { secret = "k-stg" }\n'
                    '[[secrets]]\nname = "k-stg"\nvalue = "v"\n'
                    '[[secrets]]\nname = "token-stg"\nvalue = "v"\n')
    assert main(["secrets", "audit", "--scenario", str(path)]) == 0
    out = capsys.readouterr().out
    assert "✓ k-stg: version 1 enabled" in out
    assert "✓ token-stg" in out
    assert "jwt-secret-key" not in out


def test_a_scenario_without_profile_requires_only_what_it_references(
        tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bare.toml"
    path.write_text('[project]\nid = "bare"\n'
                    '[[services]]\nname = "api"\n[services.env]\nK = { secret = "k" }\n'
                    '[[secrets]]\nname = "k"\nvalue = "v"\n')
    # no error (3); a warning is exit 1 in the one scheme (staging_tui/exit_codes.py)
    assert main(["secrets", "audit", "--scenario", str(path)]) in (0, 1)
    assert "missing" not in capsys.readouterr().out


def test_a_bad_profile_table_names_the_file_and_key(tmp_path: object,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.toml"
    path.write_text('[project]\nid = "bad"\n[profile]\nrequired_secret = ["x"]\n')
    assert main(["secrets", "audit", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: profile.required_secret: unknown key" in err


def test_help() -> None:
    for argv in (["secrets", "--help"], ["secrets", "list", "--help"],
                 ["secrets", "audit", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
