"""Headless `rollback`, `traffic`, `restart` on a fresh sandbox: preview and exit 3 without
--yes, refusal in a read-only profile, --confirm in a protected one, the audit line."""

from __future__ import annotations

import pytest
from fixtures_actions import FAILURE
from fixtures_audit import AuditEntries
from headless_cli import run_command

from staging_tui.cli import build_parser, main
from staging_tui.errors import StagingError
from staging_tui.sandbox.server import RunningSandbox

ACTIONS = {"read_only": False}
PROTECTED = {"read_only": False, "protected": True}


async def test_rollback_without_yes_prints_the_preview_and_exits_3(
        actions_sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str], trail: AuditEntries) -> None:
    assert await run_command(actions_sandbox, ["rollback", "backend-staging"], **ACTIONS) == 3
    out = capsys.readouterr()
    assert "Roll back backend-staging: 100% to backend-staging-00003-" in out.out
    assert "LATEST (backend-staging-00003-" in out.out
    assert "gcloud run services update-traffic backend-staging --project actions-test" in out.out
    assert "add --yes" in out.err
    assert trail() == []


async def test_read_only_profile_refuses(actions_sandbox: RunningSandbox, trail: AuditEntries) -> None:
    with pytest.raises(StagingError, match="read-only: nothing was changed") as info:
        await run_command(actions_sandbox, ["rollback", "backend-staging", "--yes"])
    assert "--profile sandbox-actions" in info.value.fix
    assert trail() == []
    # Without --yes a read-only profile still previews (a dry run), and says where it runs.
    assert await run_command(actions_sandbox, ["rollback", "backend-staging"]) == 3


async def test_protected_profile_needs_confirm(actions_sandbox: RunningSandbox,
                                               capsys: pytest.CaptureFixture[str],
                                               trail: AuditEntries) -> None:
    with pytest.raises(StagingError, match="protected") as info:
        await run_command(actions_sandbox, ["rollback", "backend-staging", "--yes"], **PROTECTED)
    assert "--confirm backend-staging" in info.value.fix
    with pytest.raises(StagingError, match="protected"):
        await run_command(actions_sandbox, ["rollback", "backend-staging", "--yes",
                                            "--confirm", "web-staging"], **PROTECTED)
    assert await run_command(actions_sandbox, ["rollback", "backend-staging", "--yes",
                                               "--confirm", "backend-staging"], **PROTECTED) == 0
    out = capsys.readouterr()
    assert "done: backend-staging serves 100% backend-staging-00003-" in out.out
    assert "traffic moved" in out.err
    [entry] = trail()
    assert entry["action"] == "rollback" and entry["service"] == "backend-staging"
    assert entry["outcome"] == "ok" and entry["operation"].startswith(
        "projects/actions-test/locations/us-central1/operations/")
    assert entry["traffic_before"] == [{"revision": "LATEST", "percent": 100}]
    assert entry["traffic_after"][0]["percent"] == 100
    assert entry["who"]["account"] == "sandbox" and entry["profile"] == "sandbox"


async def test_traffic_split_and_tag(actions_sandbox: RunningSandbox,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from staging_tui.sandbox.run_api import revision_name

    r5, r4 = revision_name("web-staging", 5), revision_name("web-staging", 4)
    code = await run_command(actions_sandbox, ["traffic", "web-staging", f"{r5}=50", f"{r4}=50",
                                               "--tag", f"canary={r5}", "--yes"], **ACTIONS)
    assert code == 0
    out = capsys.readouterr().out
    assert f"--to-revisions {r5}=50,{r4}=50 --update-tags canary={r5}" in out
    assert f"serves 50% {r5} (tag canary), 50% {r4}" in out


async def test_traffic_bad_input_is_one_clear_error(actions_sandbox: RunningSandbox) -> None:
    with pytest.raises(StagingError, match="is not NAME=VALUE"):
        await run_command(actions_sandbox, ["traffic", "web-staging", "web-00005"], **ACTIONS)
    with pytest.raises(StagingError, match="adds up to 90%"):
        await run_command(actions_sandbox, ["traffic", "web-staging",
                                            "web-staging-00005-a=90"], **ACTIONS)


async def test_restart_that_fails_exits_1_with_googles_reason(
        actions_sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str], trail: AuditEntries) -> None:
    assert await run_command(actions_sandbox, ["restart", "backend-staging", "--yes"],
                             **ACTIONS) == 1
    err = capsys.readouterr().err
    assert "revision backend-staging-00005-" in err and "creating" in err
    assert "is not ready and cannot serve traffic" in err and FAILURE in err
    [entry] = trail()
    assert entry["action"] == "restart" and entry["outcome"].startswith("failed: ")


def test_unknown_sandbox_profile_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sandbox", "--profile", "nope", "rollback", "x"]) == 2
    assert "sandbox-actions" in capsys.readouterr().err


def test_help_lists_the_actions() -> None:
    text = build_parser().format_help()
    for name in ("rollback", "traffic", "restart"):
        assert name in text
