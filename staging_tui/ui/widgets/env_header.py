"""The header: environment, project, region, account, and the pane tabs.

Coloured per environment so nobody mistakes a protected (production-like) profile
for the sandbox: protected = red, sandbox = blue, otherwise = the staging colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from staging_tui.config import Settings
from staging_tui.ui.panes import PANES

if TYPE_CHECKING:
    from staging_tui.backend import Backend

SHORT_TITLES = {"Services": "Svc", "Secrets": "Sec", "Logs": "Log", "Database": "DB",
                "Query": "SQL", "Doctor": "Doc"}


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
            if not self.account and not self.settings.sandbox:
                self.run_worker(self._load_account(backend), group="header-account",
                                exclusive=True, exit_on_error=False)

    async def _load_account(self, backend: Backend) -> None:
        """The ADC account (a refresh away for user credentials), when known."""
        self.account = await backend.load_account()

    def watch_account(self) -> None:
        if self.is_mounted:
            self.query_one("#env-identity", Static).update(self._identity())
            self._fit_tabs()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_tabs()

    def _fit_tabs(self) -> None:
        """The widest tab labels that fit beside the identity: every title, then short
        ones (`4 DB`), then numbers only, the current pane always named."""
        room = self.size.width - cell_len(self._identity().plain)
        tabs = self._tabs(0)
        for tier in (1, 2):
            if cell_len(tabs.plain) <= room:
                break
            tabs = self._tabs(tier)
        self.query_one("#env-tabs", Static).update(tabs)

    def _identity(self) -> Text:
        s = self.settings
        env = "PROTECTED " + s.environment.upper() if s.protected else s.environment.upper()
        mode = ("read-only" if s.read_only else
                "ACTIONS: TYPE NAME" if s.protected else "WRITES ON")
        text = Text()
        text.append(f" {env} ", style="bold reverse")
        who = "" if s.sandbox else f" │ {self.account or 'ADC'}"
        text.append(f" {s.project} │ {', '.join(s.regions)}{who} │ {mode} ")
        return text

    def _tabs(self, tier: int = 0) -> Text:
        """tier 0: `1 Services 2 Secrets ...`; 1: other panes short (`2 Sec`); 2: other
        panes by number only."""
        text = Text(justify="right")
        for pane in PANES:
            active = pane.title == self.active
            style = "bold reverse" if active else "dim"
            title = (pane.title if tier == 0 or active else
                     SHORT_TITLES.get(pane.title, pane.title[:3]) if tier == 1 else "")
            text.append(f"{pane.key} {title}".rstrip(), style=style)
            text.append(" ")
        return text
