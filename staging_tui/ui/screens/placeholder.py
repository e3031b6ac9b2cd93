"""A pane whose issue has not landed yet: says so instead of pretending."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from staging_tui.ui.screens.base import PaneScreen


class PlaceholderScreen(PaneScreen):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.PANE_TITLE = title

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.PANE_TITLE}: coming soon.", classes="placeholder")


def placeholder(mode: str, title: str) -> Callable[[], Screen[None]]:
    def make() -> Screen[None]:
        return PlaceholderScreen(title)

    make.__name__ = f"{mode}_placeholder"
    return make
