"""Leak tests: a session that reveals, copies and writes secrets leaves no value in any
file it wrote (debug log with every record field, audit trail, state/cache/config dirs,
temp dir, cwd) nor on the final screen; and a crash while a value is revealed prints
a traceback without it (no locals)."""

from __future__ import annotations

import base64
import io
import json
import logging
import tempfile
from pathlib import Path

import pytest
from fixtures_secrets import FakeClock, open_secrets, select
from rich.console import Console
from rich.traceback import Traceback
from textual.widgets import Static
from ui_app import make_app, sandbox_profile
from waiting import until

from staging_tui.render.secrets import payload_text
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.secret_versions import SecretVersionsScreen
from staging_tui.ui.screens.secret_write import SecretWriteModal
from staging_tui.ui.widgets.secret_value import SecretValue

EXISTING = "tok-v3-current"            # api-token-staging, revealed and copied
CREATED = "leak-created-value-8d1f"    # typed into the create modal
ADDED = "leak-added-value-5c2e"        # typed into the add-version modal
MCP_VALUE = "sandbox-mcp-token-4c1d9e"


def needles(*values: str) -> list[bytes]:
    """Each value as is, and base64-encoded (how JSON logs carry protobuf bytes)."""
    out = []
    for v in values:
        out += [v.encode(), base64.b64encode(v.encode())]
    return out


class EveryFieldHandler(logging.Handler):
    """A debug log that writes every attribute of every record (a structured logger
    would write `extra` fields too, where client libraries put payloads)."""

    def __init__(self, path: Path) -> None:
        super().__init__(logging.DEBUG)
        self.path = path

    def emit(self, record: logging.LogRecord) -> None:
        fields = {k: repr(v) for k, v in record.__dict__.items()}
        fields["message"] = record.getMessage()
        with self.path.open("a") as f:
            f.write(json.dumps(fields) + "\n")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every place the app may write, under tmp_path; a DEBUG log of all records."""
    for var, sub in (("HOME", "home"), ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                     ("TMPDIR", "tmp")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    (tmp_path / "log").mkdir()
    handler = EveryFieldHandler(tmp_path / "log" / "debug.jsonl")
    # the root logger, and "google" (the client libraries stop propagating to the root and
    # log there, as GOOGLE_SDK_PYTHON_LOGGING_SCOPE=google would)
    loggers = [logging.getLogger(), logging.getLogger("google")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield tmp_path
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_a_session_leaves_no_value_in_files_or_on_screen(
        secrets_sandbox: RunningSandbox, isolated: Path) -> None:
    settings = sandbox_profile(secrets_sandbox, read_only=False)
    app = make_app(secrets_sandbox, settings, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        box = screen.query_one(SecretValue)
        # reveal and copy an existing secret
        await select(pilot, screen, "api-token-staging")
        await pilot.press("v")
        await until(lambda: box.revealed, pilot)
        assert EXISTING in str(box.render())
        await pilot.press("c")
        await until(lambda: app.clipboard == EXISTING, pilot)
        # create a secret with a value
        await pilot.press("n")
        await until(lambda: isinstance(app.screen, SecretWriteModal), pilot)
        await pilot.press(*"leak-test-staging", "tab", *CREATED, "enter")
        await until(lambda: "leak-test-staging" in screen.query_one("#secrets-table")
                    .row_keys, pilot)
        # add a version to it, reveal it, then disable the first one in the versions view
        await select(pilot, screen, "leak-test-staging")
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, SecretWriteModal), pilot)
        await pilot.press(*ADDED, "enter")
        await until(lambda: box.version == "2", pilot)
        await pilot.press("v")
        await until(lambda: box.revealed, pilot)
        assert ADDED in str(box.render())
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, SecretVersionsScreen), pilot)
        assert not box.revealed  # opening the versions view masked the pane's value
        await pilot.press("down", "d")
        await until(lambda: isinstance(app.screen, SecretWriteModal), pilot)
        await pilot.press("tab", "enter")  # focus starts on Cancel; tab -> Confirm
        await until(lambda: isinstance(app.screen, SecretVersionsScreen)
                    and app.screen.secret.versions[-1].state.value == "disabled", pilot)
        await pilot.press("escape")
        final_screen = app.export_screenshot()
    trail = (isolated / "state" / "staging-tui" / "audit.jsonl").read_text()
    actions = [json.loads(line)["action"] for line in trail.splitlines()]
    assert actions == ["reveal", "copy", "create", "add-version", "reveal", "disable"]
    written = [p for p in isolated.rglob("*") if p.is_file()]
    log = (isolated / "log" / "debug.jsonl").read_text()
    assert "AccessSecretVersion" in log or "access_secret_version" in log or "grpc" in log
    for path in written:
        data = path.read_bytes()
        for needle in needles(EXISTING, CREATED, ADDED):
            assert needle not in data, f"{needle!r} leaked into {path}"
    for value in (EXISTING, CREATED, ADDED):
        assert value not in final_screen


async def test_a_crash_while_revealed_prints_no_value(sandbox: RunningSandbox,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app(sandbox, clock=FakeClock())
    with pytest.raises(RuntimeError, match="forced while revealed") as raised:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_secrets(pilot)
            await select(pilot, screen, "mcp-bearer-token-staging")
            box = screen.query_one(SecretValue)
            await pilot.press("v")
            await until(lambda: box.revealed, pilot)
            payload = await (await app.backend.secrets()).access("mcp-bearer-token-staging")

            def crash() -> None:
                shown = payload_text(payload)  # a local holding the revealed value
                screen.query_one("#secrets-audit-text", Static).update(shown[:0])
                raise RuntimeError("forced while revealed")

            screen.call_next(crash)
            await until(lambda: app.return_code is not None, what="the crash to end the app")
    printed = capsys.readouterr().err  # what Textual printed as the error output
    assert "forced while revealed" in printed and "crash" in printed
    assert MCP_VALUE not in printed
    # the control: Textual's default rendering (locals shown) would have printed it
    error = raised.value
    with_locals = io.StringIO()
    Console(file=with_locals, width=200).print(Traceback.from_exception(
        type(error), error, error.__traceback__, show_locals=True))
    assert MCP_VALUE in with_locals.getvalue()

