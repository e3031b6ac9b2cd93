"""The panes of the console: one App mode (a Screen class) each, in tab order.

Adding a pane = one line here. Number keys switch panes in this order. A pane's module
is imported when the pane is first shown (or by `prewarm()` after the first frame), so
the first frame does not wait for psycopg, pygments and the other panes' imports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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


def prewarm(quiet: Callable[[], bool], cancelled: Callable[[], bool],
            poll: float = 0.1) -> int:
    """Import every pane's module, from a thread once the first screen is up: one module
    at a time, each only while `quiet()` (the user is not typing): an import holds the
    GIL, so a keystroke during one would wait for it. Returns how many were imported."""
    done = 0
    for pane in PANES:
        while not quiet():
            if cancelled():
                return done
            time.sleep(poll)
        if cancelled():
            return done
        pane.screen_type()
        done += 1
    return done
