"""PaneScreen: the base of every pane — header, body, footer, and access to the Backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, cast

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from staging_tui.audit_trail import AuditTrail
from staging_tui.backend import Backend
from staging_tui.config import Settings
from staging_tui.domain import ActionPlan, Severity
from staging_tui.ui.widgets.env_header import EnvHeader
from staging_tui.ui.widgets.pane_footer import PaneFooter
from staging_tui.ui.widgets.status_line import StatusLine

NARROW = 100  # columns below which the footer goes compact


class ConsoleApp(Protocol):
    """What screens may rely on from the app (avoids importing ui.app here)."""

    backend: Backend
    settings: Settings
    clock: Callable[[], datetime]
    audit_trail: AuditTrail
    last_traffic_action: ActionPlan | None  # what `u` (undo) inverts

    # Jumps between panes (StagingApp switches the mode and calls the pane's entry).
    def open_logs(self, service: str = "", revision: str = "",
                  severity: Severity | None = None, region: str = "") -> None: ...
    def open_job_logs(self, job: str, region: str = "", execution: str = "") -> None: ...
    def show_secret(self, name: str) -> None: ...
    def show_instance(self, connection_name: str) -> None: ...


class PaneScreen(Screen[None]):
    """A pane: subclasses implement `compose_body()` and keep their workers here."""

    PANE_TITLE = ""

    @property
    def console(self) -> ConsoleApp:
        return cast(ConsoleApp, self.app)

    @property
    def backend(self) -> Backend:
        return self.console.backend

    @property
    def settings(self) -> Settings:
        return self.console.settings

    def now(self) -> datetime:
        """The app's clock (fixed in snapshot tests so ages render the same)."""
        return self.console.clock()

    def compose(self) -> ComposeResult:
        yield EnvHeader(self.settings, active=self.PANE_TITLE)
        yield from self.compose_body()
        yield PaneFooter()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died of anything but the errors it handles itself (API errors
        are shown by the worker): show it in this pane's status line; the pane, its
        other workers and the app keep running."""
        error = event.worker.error
        if event.state is not WorkerState.ERROR or error is None:
            return
        lines = self.query(StatusLine)
        if lines:
            what = (event.worker.group if event.worker.group != "default"
                    else event.worker.name) or "a background task"
            lines.first().failure(what, error)

    def on_resize(self, event: events.Resize) -> None:
        """Narrow terminals (80 columns): a compact footer without the palette hint
        (ctrl+p still opens it), so the pane's own keys stay visible."""
        narrow = event.size.width < NARROW
        for footer in self.query(Footer):
            footer.compact = narrow
            footer.show_command_palette = not narrow

    def compose_body(self) -> ComposeResult:
        yield from ()
