"""A typo in a service or revision name is an error naming the closest names (exit 2),
never an empty answer that reads as "no errors"; a services filter matching nothing
says so (exit 1)."""

from __future__ import annotations

import pytest
from headless_cli import run_command

from staging_tui.exit_codes import FINDINGS, OK, USAGE
from staging_tui.render.suggestions import closest_names, unknown_name
from staging_tui.sandbox.server import RunningSandbox


def test_closest_names_prefers_fuzzy_then_substring() -> None:
    known = ["backend-staging", "frontend-staging", "auth-staging", "backend-pr-12"]
    assert closest_names("backend-stagin", known)[0] == "backend-staging"
    assert closest_names("pr-12", known) == ["backend-pr-12"]
    assert unknown_name("service", "zzz", ["a", "b"]) == "unknown service 'zzz'; known: a, b"


async def test_logs_of_a_misspelt_service_is_an_error(sandbox: RunningSandbox,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_command(sandbox, ["logs", "backend-stagin"]) == USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown service 'backend-stagin'" in captured.err
    assert "did you mean backend-staging" in captured.err


async def test_logs_of_an_unknown_revision_is_an_error(sandbox: RunningSandbox,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_command(sandbox, ["logs", "backend-staging", "--revision", "nope"]) == USAGE
    err = capsys.readouterr().err
    assert "unknown revision 'nope'" in err and "backend-staging-00004-7db" in err


async def test_logs_accepts_a_short_revision(sandbox: RunningSandbox,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = await run_command(sandbox, ["logs", "backend-staging", "--revision", "00004-7db",
                                       "--since", "1m"])
    assert code == OK, capsys.readouterr().err


async def test_revision_typo_without_a_service_suggests(sandbox: RunningSandbox,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_command(sandbox, ["logs", "--revision", "backend-staging-00004-7dc"]) == USAGE
    assert "did you mean backend-staging-00004-7db" in capsys.readouterr().err


async def test_services_filter_matching_nothing_says_so(sandbox: RunningSandbox,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_command(sandbox, ["services", "--filter", "backend-stagng"]) == FINDINGS
    err = capsys.readouterr().err
    assert "no service matches --filter 'backend-stagng'" in err
    assert "did you mean backend-staging" in err
