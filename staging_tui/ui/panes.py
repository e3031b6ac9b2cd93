"""The panes of the console: one App mode (a Screen class) each, in tab order.

Adding a pane = one line here. Number keys switch panes in this order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from staging_tui.ui.screens.placeholder import placeholder
from staging_tui.ui.screens.services import ServicesScreen


@dataclass(frozen=True)
class Pane:
    mode: str
    title: str
    key: str
    factory: Callable[[], Screen[None]]


PANES: tuple[Pane, ...] = (
    Pane("services", "Services", "1", ServicesScreen),
    Pane("secrets", "Secrets", "2", placeholder("secrets", "Secrets")),
    Pane("logs", "Logs", "3", placeholder("logs", "Logs")),
    Pane("database", "Database", "4", placeholder("database", "Database")),
    Pane("query", "Query", "5", placeholder("query", "Query")),
    Pane("doctor", "Doctor", "6", placeholder("doctor", "Doctor")),
)
