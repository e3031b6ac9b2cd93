"""Headless and CI: one exit-code scheme (0 ok, 1 findings, 2 usage, 3 errors found,
4 could not run), `secrets` alone lists, doctor as JUnit XML and Markdown, and no uv
"Bytecode compiled" line on every run."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from headless_cli import run_command

from staging_tui import exit_codes
from staging_tui.cli import build_parser, main
from staging_tui.sandbox.server import RunningSandbox

ROOT = Path(__file__).resolve().parents[1]


def test_the_scheme() -> None:
    assert (exit_codes.OK, exit_codes.FINDINGS, exit_codes.USAGE, exit_codes.ERRORS_FOUND,
            exit_codes.FAILED) == (0, 1, 2, 3, 4)
    with pytest.raises(SystemExit) as bad:
        main(["doctor", "--only", "nonsense"])
    assert bad.value.code == exit_codes.USAGE  # argparse: the same 2 as our usage errors


async def test_doctor_errors_are_3_not_the_usage_code(sandbox: RunningSandbox,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_command(sandbox, ["doctor", "--only", "services"]) == exit_codes.ERRORS_FOUND
    assert await run_command(sandbox, ["doctor", "--only", "credentials"]) == exit_codes.OK


async def test_secrets_alone_lists(sandbox: RunningSandbox,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["secrets"]).run.__name__ == "run_list"
    assert await run_command(sandbox, ["secrets"]) == exit_codes.OK
    out = capsys.readouterr().out
    assert out.startswith("NAME") and "redis-url-staging" in out


async def test_doctor_junit_xml(sandbox: RunningSandbox,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code = await run_command(sandbox, ["doctor", "--format", "junit", "--only", "services",
                                       "credentials"])
    root = ET.fromstring(capsys.readouterr().out)
    assert code == exit_codes.ERRORS_FOUND and root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"doctor.credentials", "doctor.services"}
    cases = {c.get("name"): c for c in root.iter("testcase")}
    failed = cases["backend-staging is not Ready"]
    failure = failed.find("failure")
    assert failure is not None and "fix:" in (failure.text or "")
    assert int(root.get("failures", "0")) == sum(1 for c in cases.values()
                                                 if c.find("failure") is not None) > 0
    warned = [c for c in cases.values() if "WARNING:" in (c.findtext("system-out") or "")]
    assert warned and all(c.find("failure") is None for c in warned)


async def test_doctor_markdown(sandbox: RunningSandbox,
                               capsys: pytest.CaptureFixture[str]) -> None:
    await run_command(sandbox, ["doctor", "--format", "markdown", "--only", "services"])
    out = capsys.readouterr().out
    assert out.startswith("## staging-tui doctor — sandbox-staging")
    assert "| ✗ | services | backend-staging is not Ready |" in out
    assert "<details><summary>" in out and "passed</summary>" in out


def test_uv_compiles_bytecode_at_sync_not_on_every_run() -> None:
    uv = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]
    assert "compile-bytecode" not in uv  # would recompile (and print) on every `uv run`
    assert "uv sync --compile-bytecode" in (ROOT / ".ci" / "run").read_text()
