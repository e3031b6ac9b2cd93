"""SVG snapshots of the Secrets pane at 120x40: masked, revealed (a fixed fake value from
the default scenario), and the versions view."""

from __future__ import annotations

from typing import Any

from conftest import FIXED_NOW
from fixtures_secrets import open_secrets
from textual.pilot import Pilot
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.secret_versions import SecretVersionsScreen
from staging_tui.ui.widgets.secret_value import SecretValue
from staging_tui.ui.widgets.secrets_table import SecretsTable


async def _on_mcp_token(pilot: Pilot[Any]) -> None:
    screen = await open_secrets(pilot)
    table = screen.query_one(SecretsTable)
    table.move_cursor(table.get_row_index("mcp-bearer-token-staging"))
    await until(lambda: screen.selected() is not None and screen.selected().versions_known,  # type: ignore[union-attr]
                pilot)
    await settled(pilot)


def test_secrets_masked(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_on_mcp_token)


def test_secrets_revealed(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def reveal(pilot: Pilot[Any]) -> None:
        await _on_mcp_token(pilot)
        await pilot.press("v")
        box = pilot.app.screen.query_one(SecretValue)
        await until(lambda: box.revealed, pilot)
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=reveal)


def test_secret_versions_view(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def versions(pilot: Pilot[Any]) -> None:
        await _on_mcp_token(pilot)
        table = pilot.app.screen.query_one(SecretsTable)
        table.move_cursor(table.get_row_index("postgres-password-staging"))
        await pilot.press("enter")
        await until(lambda: isinstance(pilot.app.screen, SecretVersionsScreen), pilot)
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=versions)
