"""The header: environment, project, region, account, and the pane tabs.

Coloured per environment so nobody mistakes a protected (production-like) profile
for the sandbox: protected = red, sandbox = blue, otherwise = the staging colour.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from staging_tui.config import Settings
from staging_tui.ui.panes import PANES


def environment_class(settings: Settings) -> str:
    if settings.protected:
        return "-protected"
    if settings.sandbox:
        return "-sandbox"
    return "-staging"


class EnvHeader(Horizontal):
    """One line: `ENV │ project │ region │ account │ mode` then the tabs."""

    account: reactive[str] = reactive("")

    def __init__(self, settings: Settings, active: str = "") -> None:
        super().__init__(classes=environment_class(settings))
        self.settings = settings
        self.active = active

    def compose(self) -> ComposeResult:
        yield Static(self._identity(), id="env-identity")
        yield Static(self._tabs(), id="env-tabs")

    def on_mount(self) -> None:
        backend = getattr(self.app, "backend", None)
        if backend is not None:
            self.account = backend.account

    def watch_account(self) -> None:
        if self.is_mounted:
            self.query_one("#env-identity", Static).update(self._identity())

    def _identity(self) -> Text:
        s = self.settings
        env = "PROTECTED " + s.environment.upper() if s.protected else s.environment.upper()
        mode = "read-only" if not s.writable else "WRITES ON"
        text = Text()
        text.append(f" {env} ", style="bold reverse")
        who = "" if s.sandbox else f" │ {self.account or 'ADC'}"
        text.append(f" {s.project} │ {', '.join(s.regions)}{who} │ {mode} ")
        return text

    def _tabs(self) -> Text:
        text = Text(justify="right")
        for pane in PANES:
            style = "bold reverse" if pane.title == self.active else "dim"
            text.append(f"{pane.key} {pane.title}", style=style)
            text.append(" ")
        return text
