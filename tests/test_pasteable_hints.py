"""Copy-paste hints work as printed: the doctor's fix commands carry --sandbox when it
ran on the sandbox, and --sandbox honours a named --config (its profile's rules, the
sandbox's project)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from headless_cli import run_command

from staging_tui.audit.fix_commands import as_invoked
from staging_tui.cli import main
from staging_tui.config import Settings
from staging_tui.sandbox.server import RunningSandbox


def test_as_invoked_adds_the_sandbox_flag_only_there() -> None:
    text = "read its logs: staging-tui logs backend --severity ERROR; or staging-tui tunnel db"
    sandbox = Settings(profile="sandbox", project="p", sandbox=True)
    assert as_invoked(text, sandbox) == ("read its logs: staging-tui --sandbox logs backend "
                                         "--severity ERROR; or staging-tui --sandbox tunnel db")
    assert as_invoked(text, Settings(profile="staging", project="p")) == text


async def test_doctor_fixes_on_the_sandbox_say_sandbox(sandbox: RunningSandbox,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    await run_command(sandbox, ["doctor", "--json", "--only", "services"])
    fixes = [f["fix"] for f in json.loads(capsys.readouterr().out)["findings"]]
    mentions = [f for f in fixes if "staging-tui " in f]
    assert mentions and all("staging-tui --sandbox logs" in f for f in mentions), mentions


def test_sandbox_honours_a_named_config(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "mine.toml"
    config.write_text('[profiles.trial]\nproject = "my-real-project"\n'
                      'service_filter = "backend-*"\nread_only = false\n')
    assert main(["--sandbox", "--config", str(config), "services", "--json"]) == 0
    names = [s["name"] for s in json.loads(capsys.readouterr().out)]
    assert names and all(n.startswith("backend-") for n in names)  # the profile's filter
    assert "backend-staging" in names  # ... on the sandbox's project
