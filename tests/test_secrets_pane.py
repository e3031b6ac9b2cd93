"""Pilot tests of the Secrets pane against the sandbox: reveal and re-mask on a
controllable clock, masks on cursor move and pane switch, copy without showing,
binary payloads, the audit panel, the versions view, and writes behind a modal."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fixtures_secrets import FakeClock, open_secrets, select
from textual.widgets import Input, Static
from ui_app import make_app, sandbox_profile
from waiting import until, workers_done

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.secret_versions import SecretVersionsScreen
from staging_tui.ui.screens.secret_write import SecretWriteModal
from staging_tui.ui.screens.secrets import SecretsScreen
from staging_tui.ui.widgets.secret_value import SecretValue
from staging_tui.ui.widgets.secrets_table import SecretsTable, VersionsTable
from staging_tui.ui.widgets.status_line import StatusLine

MCP_VALUE = "sandbox-mcp-token-4c1d9e"


@pytest.fixture
def state_dir(isolated_state_dir: Path) -> Path:
    """The audit trail in the test's own XDG state dir (conftest)."""
    return isolated_state_dir / "staging-tui" / "audit.jsonl"


def text_of(widget: Static) -> str:
    return str(widget.render())


def trail(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_reveal_shows_the_value_then_masks_after_15s(sandbox: RunningSandbox,
                                                            state_dir: Path) -> None:
    clock = FakeClock()
    app = make_app(sandbox, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "mcp-bearer-token-staging")
        box = screen.query_one(SecretValue)
        assert MCP_VALUE not in text_of(box) and "••••" in text_of(box)
        await pilot.press("v")
        await until(lambda: box.revealed, pilot)
        assert MCP_VALUE in text_of(box) and "masks in 15 s" in text_of(box)
        clock.advance(10)  # the box ticks every 0.2 s: it reads the clock
        await until(lambda: "masks in 5 s" in text_of(box), pilot)
        assert box.revealed
        clock.advance(5.5)
        await until(lambda: not box.revealed, pilot)
        assert not box.revealed and MCP_VALUE not in text_of(box)
    [entry] = trail(state_dir)
    assert (entry["action"], entry["secret"], entry["version"], entry["profile"]) == (
        "reveal", "mcp-bearer-token-staging", "1", "sandbox")
    assert MCP_VALUE not in state_dir.read_text()


async def test_moving_the_cursor_or_the_pane_masks_at_once(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "mcp-bearer-token-staging")
        box = screen.query_one(SecretValue)
        await pilot.press("v")
        await until(lambda: box.revealed, pilot)
        await pilot.press("down")
        assert not box.revealed and MCP_VALUE not in text_of(box)
        assert box.secret == "netra-db-password-staging"
        await pilot.press("up", "v")
        await until(lambda: box.revealed, pilot)
        await pilot.press("1")
        assert not box.revealed and MCP_VALUE not in text_of(box)


async def test_copy_puts_the_value_on_the_clipboard_without_showing_it(
        sandbox: RunningSandbox, state_dir: Path) -> None:
    app = make_app(sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "mcp-bearer-token-staging")
        await pilot.press("c")
        await until(lambda: app.clipboard == MCP_VALUE, pilot)
        assert "copied mcp-bearer-token-staging@1" in text_of(screen.query_one(StatusLine))
        assert MCP_VALUE not in app.export_screenshot()
        assert not screen.query_one(SecretValue).revealed
    assert [e["action"] for e in trail(state_dir)] == ["copy"]


async def test_binary_payload_shows_size_hex_and_base64(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "jwt-secret-key-staging")
        box = screen.query_one(SecretValue)
        await pilot.press("v")
        await until(lambda: box.revealed, pilot)
        shown = text_of(box)
        assert "binary, 64 bytes" in shown and "hex:    79 42 bd f2" in shown
        assert "base64: eUK98iEG8IR3YvDzy012" in shown


async def test_audit_panel_lists_exactly_the_planted_problems(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        problems = [(f.level.value, f.title) for f in screen.findings if f.level.value != "ok"]
        assert problems == [
            ("error", "secret-key-staging is missing"),
            ("error", "redis-url-staging: latest (version 2) is disabled"),
            ("error", "found gemini-api-key, expected gemini-api-key-staging"),
            ("info", "stripe-api-key-staging is not used"),
        ]
        panel = text_of(screen.query_one("#secrets-audit-text", Static))
        assert "✗ secret-key-staging is missing" in panel
        assert "✗ found gemini-api-key, expected gemini-api-key-staging" in panel
        assert "fix: echo -n \"$VALUE\" | gcloud secrets create secret-key-staging" in panel
        assert "✓ fernet-key-staging: version 1 enabled" in panel
        assert "3 audit errors" in text_of(screen.query_one(StatusLine))


async def test_filter_and_used_by(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await pilot.press("slash", *"backend-staging")
        table = screen.query_one(SecretsTable)
        assert "fernet-key-staging" in table.row_keys and "stripe-api-key-staging" not in table.row_keys
        assert str(table.get_row("redis-url-staging")[3]) == "backend-staging"
        await pilot.press("escape")
        assert screen.query_one("#secrets-filter", Input).value == ""
        assert table.row_count == len(screen.secrets)


async def test_versions_view_reveals_only_enabled_versions(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "postgres-password-staging")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, SecretVersionsScreen), pilot)
        versions = app.screen.query_one(VersionsTable)
        assert versions.row_keys == ["3", "2", "1"]
        box = app.screen.query_one(SecretValue)
        await pilot.press("v")
        await until(lambda: box.revealed, pilot)
        assert "sandbox-pg-v3-7f1e" in text_of(box)
        await pilot.press("down")
        assert not box.revealed and "version 2 is disabled" in text_of(box)
        await pilot.press("v")
        await workers_done(pilot, "secrets-value")
        assert not box.revealed
        await pilot.press("escape")
        assert isinstance(app.screen, SecretsScreen)


async def test_writes_are_hidden_in_a_read_only_profile(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        assert screen.check_action("add_version", ()) is False
        await pilot.press("a", "n")
        await workers_done(pilot, "secrets-write")
        assert not isinstance(app.screen, SecretWriteModal)


async def test_add_version_confirms_with_secret_and_environment(
        secrets_sandbox: RunningSandbox, state_dir: Path) -> None:
    settings = sandbox_profile(secrets_sandbox, read_only=False, environment="staging-test")
    app = make_app(secrets_sandbox, settings, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "bulk-003")
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, SecretWriteModal), pilot)
        question = text_of(app.screen.query_one("#write-question", Static))
        assert "bulk-003" in question and "staging-test" in question
        assert "project secrets-test" in question
        await pilot.press(*"typed-new-value")
        box = app.screen.query_one("#write-value", Input)
        assert box.password and "typed-new-value" not in str(box.render())
        await pilot.press("enter")
        await until(lambda: any(e["action"] == "add-version" for e in trail(state_dir)), pilot)
        await until(lambda: screen.query_one(SecretValue).version == "2", pilot)
        await pilot.press("v")
        await until(lambda: screen.query_one(SecretValue).revealed, pilot)
        assert "typed-new-value" in text_of(screen.query_one(SecretValue))
    assert "typed-new-value" not in state_dir.read_text()
    assert trail(state_dir)[0]["environment"] == "staging-test"


async def test_cancelled_write_changes_nothing(secrets_sandbox: RunningSandbox,
                                              state_dir: Path) -> None:
    settings = sandbox_profile(secrets_sandbox, read_only=False)
    app = make_app(secrets_sandbox, settings, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "bulk-004")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, SecretVersionsScreen), pilot)
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, SecretWriteModal), pilot)
        assert "Disable version 1 of bulk-004" in text_of(app.screen.query_one(
            "#write-question", Static))
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, SecretVersionsScreen), pilot)
    assert trail(state_dir) == []


async def test_names_show_before_the_versions_arrive(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        table = screen.query_one(SecretsTable)
        assert str(table.get_row("db-password-staging")[1]) == "3"
        bare = [replace(s, versions=(), versions_known=False) for s in screen.secrets]
        table.show(bare, screen.users, screen.now(), versions_loaded=False)
        assert [str(c) for c in table.get_row("db-password-staging")[:4]] == [
            "db-password-staging", "…", "…", "webservice"]


async def test_checksum_mismatch_is_an_error_not_a_value(secrets_sandbox: RunningSandbox,
                                                         state_dir: Path) -> None:
    app = make_app(secrets_sandbox, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "corrupt-staging")
        await pilot.press("v")
        status = screen.query_one(StatusLine)
        await until(lambda: "DATA_LOSS" in text_of(status), pilot)
        assert "CRC32C" in text_of(status)
        assert not screen.query_one(SecretValue).revealed
        assert "corrupt-value" not in app.export_screenshot()
    [entry] = trail(state_dir)
    assert (entry["action"], entry["outcome"]) == ("reveal", "DATA_LOSS")


async def test_a_write_google_refuses_shows_why(secrets_sandbox: RunningSandbox,
                                                state_dir: Path) -> None:
    """A payload over Secret Manager's 64 KiB: the pane says so, and the secret keeps its
    versions (the error reaches the status line, not a traceback)."""
    settings = sandbox_profile(secrets_sandbox, read_only=False)
    app = make_app(secrets_sandbox, settings, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        await select(pilot, screen, "bulk-005")
        # its versions arrive (and redraw the status line) before the write, not after it
        await until(lambda: screen.selected() is not None
                    and screen.selected().versions_known, pilot)  # type: ignore[union-attr]
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, SecretWriteModal), pilot)
        app.screen.query_one("#write-value", Input).value = "x" * 70_000
        await pilot.press("enter")
        status = screen.query_one(StatusLine)
        await until(lambda: "64 KiB" in text_of(status), pilot)
        assert "INVALID_ARGUMENT" in text_of(status) or "70,000 bytes" in text_of(status)
    assert trail(state_dir)[-1]["outcome"] != "ok"
