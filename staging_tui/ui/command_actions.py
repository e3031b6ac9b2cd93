"""What the `:` command line and the command palette run: jumps between panes with an
argument (`:svc backend`, `:logs SERVICE`, `:secret NAME`, `:tunnel INSTANCE`,
`:describe SERVICE`, `:q`) and, in the palette, the current pane's own actions."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.screen import Screen

from staging_tui.backend import Backend
from staging_tui.config import Settings
from staging_tui.errors import StagingError
from staging_tui.render.command_line import Command

if TYPE_CHECKING:
    from staging_tui.ui.app import StagingApp
    from staging_tui.ui.screens.command_line import CommandLineScreen

NAMES_TTL_S = 300.0  # one services + one secrets listing per five minutes at most


class CommandNames:
    """Service, secret and instance names for completion, listed on the first `:` and
    then at most every NAMES_TTL_S (two API calls), never in a loop."""

    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend = backend
        self._names: dict[str, list[str]] = {
            "instance": [i.short_name for i in settings.sql_instances]}
        self._loaded_at = 0.0

    def known(self) -> dict[str, list[str]]:
        return dict(self._names)

    def stale(self) -> bool:
        return time.monotonic() - self._loaded_at > NAMES_TTL_S

    async def load(self, line: CommandLineScreen) -> None:
        self._loaded_at = time.monotonic()
        try:
            self._names["service"] = [s.name for s in await self.backend.services()]
            secrets = await (await self.backend.secrets()).list_secrets(with_versions=False)
            self._names["secret"] = [s.name for s in secrets]
        except StagingError:
            self._loaded_at = 0.0  # completion works without; the next `:` tries again
        if line.is_attached:
            line.update_names(self._names)


def run_command(app: StagingApp, command: Command) -> None:
    arg = command.arg
    if command.action == "quit":
        app.exit(0)
    elif command.action == "services":
        app.switch_mode("services")
        app.screen.show_filter(arg)  # type: ignore[attr-defined]
    elif command.action == "logs":
        app.open_logs(service=arg)
    elif command.action == "secrets":
        if arg:
            app.show_secret(arg)
        else:
            app.switch_mode("secrets")
    elif command.action == "database":
        if arg:
            app.show_instance(_connection_name(app.settings, arg))
        else:
            app.switch_mode("database")
    elif command.action == "query":
        app.switch_mode("query")
        if arg:
            app.screen.open_instance(_connection_name(app.settings, arg))  # type: ignore[attr-defined]
    elif command.action == "doctor":
        app.switch_mode("doctor")
    elif command.action == "describe":
        from staging_tui.ui.screens.describe import DescribeScreen

        app.push_screen(DescribeScreen(arg))


def _connection_name(settings: Settings, name: str) -> str:
    for instance in settings.sql_instances:
        if name in (instance.short_name, instance.connection_name):
            return instance.connection_name
    return name


def pane_actions(screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The palette's actions: every binding active on `screen` that has a description,
    as `Services: Refresh (r)`, so ctrl+p finds what a key does without knowing it."""
    title = getattr(screen, "PANE_TITLE", "") or type(screen).__name__
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not active.enabled or not binding.description or binding.action in seen:
            continue
        if binding.action.startswith(("switch_pane", "command_palette")):
            continue
        seen.add(binding.action)
        node, action = active.node, binding.action
        yield SystemCommand(f"{title}: {binding.description}",
                            f"key {key}" + (f" · {binding.id}" if binding.id else ""),
                            lambda n=node, a=action: n.run_action(a))
