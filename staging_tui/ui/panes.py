"""The panes of the console: one App mode (a Screen class) each, in tab order.

Adding a pane = one line here. Number keys switch panes in this order. A pane's module
is imported when the pane is first shown (or by `prewarm()` after the first frame), so
the first frame does not wait for psycopg, pygments and the other panes' imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from textual.screen import Screen


@dataclass(frozen=True)
class Pane:
    mode: str
    title: str
    key: str
    module: str
    screen_class: str

    def screen_type(self) -> type[Screen[None]]:
        screen: type[Screen[None]] = getattr(import_module(self.module), self.screen_class)
        return screen

    def factory(self) -> Screen[None]:
        return self.screen_type()()


PANES: tuple[Pane, ...] = (
    Pane("services", "Services", "1", "staging_tui.ui.screens.services", "ServicesScreen"),
    Pane("secrets", "Secrets", "2", "staging_tui.ui.screens.secrets", "SecretsScreen"),
    Pane("logs", "Logs", "3", "staging_tui.ui.screens.logs", "LogsScreen"),
    Pane("database", "Database", "4", "staging_tui.ui.screens.database", "DatabaseScreen"),
    Pane("query", "Query", "5", "staging_tui.ui.screens.query", "QueryScreen"),
    Pane("doctor", "Doctor", "6", "staging_tui.ui.screens.doctor", "DoctorScreen"),
)


def prewarm() -> None:
    """Import every pane's module (run in a thread once the first screen is up)."""
    for pane in PANES:
        pane.screen_type()
