"""A project unlike the default scenario in every table (tests/scenarios/other_project.toml):
another id, number, region, suffix, required secrets, services, secrets, logs and SQL.
The doctor, `secrets`, the audit, `logs` and the Logs pane must be right on it."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from ui_app import backend_for, make_app, sandbox_profile
from waiting import settled, until

from staging_tui.cli import build_parser
from staging_tui.commands import logs as logs_command
from staging_tui.sandbox.scenario import load_scenario
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.widgets.log_view import LogView, strip_text

OTHER = Path(__file__).with_name("scenarios") / "other_project.toml"
DEFAULT_REQUIRED = ("jwt-secret-key", "postgres-password", "fernet-key", "mcp-bearer-token")


@pytest.fixture(scope="module")
def other_sandbox() -> Iterator[RunningSandbox]:
    thread = SandboxThread(load_scenario(OTHER))
    running = thread.start()
    yield running
    thread.stop()


async def _run(sandbox: RunningSandbox, argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    backend = backend_for(sandbox)
    try:
        code: int = await args.run(args, backend)
    finally:
        await backend.close()
    return code


def test_the_profile_is_the_scenarios_own(other_sandbox: RunningSandbox) -> None:
    settings = sandbox_profile(other_sandbox)
    assert (settings.project, settings.regions, settings.secret_suffix,
            settings.required_secrets) == ("acme-stage", ("europe-west1",), "-stage",
                                           ("api-token",))


async def test_secrets_audit_and_list(other_sandbox: RunningSandbox,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run(other_sandbox, ["secrets", "audit", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["failed"] is False
    titles = {f["check_id"]: [] for f in data["findings"]}
    for f in data["findings"]:
        titles[f["check_id"]].append(f["title"])
    text = json.dumps(data)
    assert not any(name in text for name in DEFAULT_REQUIRED)  # nothing inherited
    assert sorted(titles["secrets.unused"]) == ["eu-signing-key-stage is not used",
                                                "old-thing-stage is not used"]
    assert "secrets.missing" not in titles
    # used: by id, by project NUMBER (redis-url-stage) and as a volume (tls-cert-stage)
    assert await _run(other_sandbox, ["secrets", "list", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["redis-url-stage"]["used_by"] == ["orders-api"]
    assert listed["tls-cert-stage"]["used_by"] == ["orders-api"]
    assert listed["eu-signing-key-stage"]["replication"] == "regional: europe-west1"
    assert await _run(other_sandbox, ["secrets", "list", "--filter",
                                      "name:redis OR name:token NOT labels.app=billing"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert sorted(r.split()[0] for r in rows) == ["api-token-stage", "redis-url-stage"]


async def test_doctor_judges_the_project_on_its_own_terms(
        other_sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code = await _run(other_sandbox, ["doctor", "--json", "--only", "services", "secrets"])
    data = json.loads(capsys.readouterr().out)
    found = {(f["check_id"], f["target"]) for f in data["findings"]
             if f["level"] not in ("ok", "info")}
    assert code == 3  # errors found (the one exit-code scheme; 2 is a usage error)
    assert ("services.credential-in-value", "orders-api/DATABASE_URL") in found
    assert any(c == "services.ready" and t == "billing-worker" for c, t in found)
    assert not any(c.startswith("secrets.") for c, _ in found)
    assert "Pa55word-in-plain" not in json.dumps(data)


async def test_logs_command_on_the_other_project(other_sandbox: RunningSandbox) -> None:
    parser = argparse.ArgumentParser()
    logs_command.add_parser(parser.add_subparsers(), [])
    backend = backend_for(other_sandbox)
    try:
        out = io.StringIO()
        args = parser.parse_args(["logs", "billing-worker", "--since", "5m", "--json",
                                  "--filter", 'europe-west1 SEARCH("stripe")'])
        assert await logs_command.run(args, backend, out) == 0
    finally:
        await backend.close()
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows
    for row in rows:
        assert row["logName"].startswith("projects/acme-stage/logs/")
        assert row["resource"]["labels"]["location"] == "europe-west1"
        assert row["resource"]["labels"]["service_name"] == "billing-worker"
        assert row["textPayload"].endswith("ModuleNotFoundError: No module named 'stripe'")


async def _open_logs(pilot: Pilot[Any]) -> LogsScreen:
    await pilot.press("3")
    screen = pilot.app.screen
    assert isinstance(screen, LogsScreen)
    await until(lambda: len(screen.model) >= 20, pilot, what="20 entries in the Logs pane")
    await settled(pilot)
    return screen


async def test_logs_pane_on_the_other_project(other_sandbox: RunningSandbox) -> None:
    app = make_app(other_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_logs(pilot)
        view = screen.query_one(LogView)
        lines = [strip_text(view.render_line(y)) for y in range(view.size.height)]
        shown = "\n".join(lines)
        assert any(s in shown for s in ("orders-api", "billing-worker", "storefront"))
        assert "backend-staging" not in shown and "webservice" not in shown
        tracebacks = [line for line in lines if "Traceback" in line]
        assert all("⏎ +6 lines" in line for line in tracebacks)
