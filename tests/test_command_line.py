"""k9s habits: the `:` command line (with completion) jumps anywhere, the palette lists
the pane's actions, and `d` describes a service (its whole v2 resource)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FIXED_NOW
from fixtures_services import services_shown
from textual.pilot import Pilot
from textual.widgets import Input, Static
from ui_app import make_app
from waiting import settled, until

from staging_tui.render.command_line import Command, complete, parse
from staging_tui.render.describe import as_yaml
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.command_line import CommandLineScreen
from staging_tui.ui.screens.database import DatabaseScreen
from staging_tui.ui.screens.describe import DescribeScreen
from staging_tui.ui.screens.logs import LogsScreen
from staging_tui.ui.screens.secrets import SecretsScreen
from staging_tui.ui.screens.services import ServicesScreen
from staging_tui.ui.widgets.services_table import ServicesTable

NAMES = {"service": ["backend-staging", "backend-pr-12", "frontend-staging"],
         "secret": ["redis-url-staging"], "instance": ["biocirv-db", "netra-shared"]}


def test_parse_and_complete() -> None:
    assert parse(":svc backend", NAMES) == Command("services", "backend")
    assert parse("logs backend-staging", NAMES) == Command("logs", "backend-staging")
    assert parse(":tunnel biocirv", NAMES) == Command("database", "biocirv-db")  # a prefix
    assert parse(":q") == Command("quit")
    with pytest.raises(ValueError, match="did you mean :logs"):
        parse(":lgs x", NAMES)
    with pytest.raises(ValueError, match="did you mean backend-staging"):
        parse(":logs backend-stagng", NAMES)
    assert complete(":lo", NAMES) == ["logs ", "log "]
    assert complete(":logs back", NAMES) == ["logs backend-staging", "logs backend-pr-12"]
    assert complete(":svc staging", NAMES)[:1] == ["svc backend-staging"]  # substring too
    assert as_yaml({"a": [{"b": 1, "c": "x: y"}], "d": {}}) == 'a:\n  - b: 1\n    c: "x: y"\nd: {}'


async def _type_line(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press("colon")
    assert isinstance(pilot.app.screen, CommandLineScreen)
    await pilot.press(*keys)


async def test_command_line_jumps_with_completion(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await until(lambda: table.row_count, pilot)
        await _type_line(pilot, *"lo", "tab")
        line = app.screen.query_one("#command-input", Input)
        assert line.value == "logs "
        await until(lambda: "service" in app.command_names.known(), pilot)
        await pilot.press(*"backend-st", "tab")
        assert line.value == "logs backend-staging"
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, LogsScreen), pilot)
        assert app.screen.service == "backend-staging"  # type: ignore[attr-defined]
        await _type_line(pilot, *"secret redis", "enter")
        await until(lambda: isinstance(app.screen, SecretsScreen), pilot)
        await _type_line(pilot, *"tunnel biocirv", "enter")
        await until(lambda: isinstance(app.screen, DatabaseScreen), pilot)
        assert app.screen.selected().short_name == "biocirv-db"  # type: ignore[attr-defined,union-attr]
        await _type_line(pilot, *"svc backend", "enter")
        await until(lambda: isinstance(app.screen, ServicesScreen), pilot)
        shown = app.screen.query_one(ServicesTable).row_keys
        assert shown and all("backend" in k for k in shown)
        await _type_line(pilot, *"nope", "enter")  # an error keeps the line open
        assert isinstance(app.screen, CommandLineScreen)
        assert "unknown command :nope" in str(app.screen.query_one(
            "#command-candidates", Static).render())
        await pilot.press("escape")
        await _type_line(pilot, "q", "enter")
        await pilot.pause(0.1)
    assert app.return_code == 0


async def test_palette_lists_the_panes_actions(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Go to Logs" in titles
        assert "Services: Refresh" in titles and "Services: Describe" in titles


async def test_describe_shows_the_whole_resource(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await until(lambda: table.row_count, pilot)
        table.move_cursor(row=table.get_row_index("backend-staging"))
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DescribeScreen)
        text = screen.query_one("#describe-text", Static)
        await until(lambda: "services/backend-staging" in str(text.render()), pilot)
        yaml_text = str(text.render())
        assert "name: projects/sandbox-staging/locations/us-central1/services/backend-staging" \
            in yaml_text and "latestReadyRevision:" in yaml_text
        await pilot.press("j")
        assert str(text.render()).startswith('{\n  "name": "projects/')
        await pilot.press("escape")
        assert isinstance(app.screen, ServicesScreen)


def test_describe_snapshot(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def describe(pilot: Pilot[Any]) -> None:
        await _type_line(pilot, *"describe backend-staging", "enter")
        text = pilot.app.screen.query_one("#describe-text", Static)
        await until(lambda: "services/backend-staging" in str(text.render()), pilot)
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=describe)


def test_command_line_snapshot(snap_compare: Any, fixed_sandbox: RunningSandbox) -> None:
    async def typing(pilot: Pilot[Any]) -> None:
        await services_shown(pilot)
        await _type_line(pilot, *"logs ")
        await until(lambda: "service" in pilot.app.command_names.known(), pilot)  # type: ignore[attr-defined]
        await pilot.press(*"back")
        screen = pilot.app.screen
        # cursor_blink: a blinking cursor is drawn or not depending on when it is taken
        line = screen.query_one(Input)
        line.cursor_blink = False
        candidates = screen.query_one("#command-candidates", Static)
        await until(lambda: "logs backend-staging" in str(candidates.render()), pilot)
        await settled(pilot)

    app = make_app(fixed_sandbox, clock=lambda: FIXED_NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=typing)


def test_describe_masks_plain_secret_values() -> None:
    """The describe view prints the whole resource, but a secret-like plain env value and
    a password inside a URL are masked as `services --json` masks them."""
    from staging_tui.render.describe import as_yaml, masked_resource

    resource: dict[str, object] = {"name": "projects/p/locations/r/services/api", "template": {
        "containers": [{"name": "api", "env": [
            {"name": "STRIPE_API_KEY", "value": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"},
            {"name": "DATABASE_URL", "value": "postgres://app:hunter2@db/app"},
            {"name": "ENVIRONMENT", "value": "staging"}]}]}}
    text = as_yaml(masked_resource(resource))
    assert "sk_test_4eC39HqLyjWDarjtT1zdp7dc" not in text and "hunter2" not in text
    assert "staging" in text and "projects/p/locations/r/services/api" in text
