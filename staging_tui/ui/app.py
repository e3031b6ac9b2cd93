"""StagingApp: the console. One App mode per pane (ui/panes.py), number keys switch.

The app holds the Settings and the Backend; screens own the workers that call it.
Tracebacks are rendered without locals, so a revealed secret can never be printed
in a crash report.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import get_current_worker

from staging_tui.audit_trail import AuditTrail
from staging_tui.backend import Backend
from staging_tui.config import Settings
from staging_tui.domain import ActionPlan, Severity
from staging_tui.process_memory import (
    TRIM_EVERY_S,
    fix_mmap_threshold,
    freeze_start_up,
    release_free_memory,
    thaw,
)
from staging_tui.render.command_line import parse
from staging_tui.ui.command_actions import CommandNames, pane_actions, run_command
from staging_tui.ui.panes import PANES, prewarm

# The app's GC policy, decided here for the whole process (make_app's `gc_thresholds`).
# A full Logs buffer holds ~300k GC-tracked objects; with CPython's default thresholds
# (700, 10, 10) a 20k/s flood triggers a full collection about every second (~100+ ms
# each, during which keys wait and ingest falls behind: bench/logs.py --gc). So the app
# collects less often while it runs and restores the previous thresholds when it ends.
# Entries are freed by reference counting anyway; only cycles wait for the GC.
GC_THRESHOLDS = (10_000, 50, 100)
# With that policy, the objects of start-up (every pane's module) are frozen out of
# later collections once the panes are prewarmed, and the heap pages freed meanwhile
# go back to the system every TRIM_EVERY_S while no key was pressed for a few seconds
# (staging_tui/process_memory.py; docs/performance.md "Idle footprint").
IDLE_BEFORE_TRIM_S = 5.0


class StagingApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "staging-tui"
    MODES = {pane.mode: pane.factory for pane in PANES}
    DEFAULT_MODE = "services"
    BINDINGS = [
        *(Binding(p.key, f"switch_pane('{p.mode}')", p.title, show=False, id=f"pane.{p.mode}")
          for p in PANES),
        Binding("question_mark", "toggle_help", "Keys", id="app.help"),
        Binding("colon", "command_line", ":cmd", show=False, id="app.command-line"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, settings: Settings, backend: Backend,
                 clock: Callable[[], datetime] | None = None,
                 gc_thresholds: tuple[int, int, int] | None = GC_THRESHOLDS) -> None:
        """`gc_thresholds`: raised to these while the app runs (never lowered); None
        leaves CPython's (bench/logs.py --gc python-default compares)."""
        super().__init__()
        self.gc_thresholds = gc_thresholds
        self._gc_before: tuple[int, int, int] | None = None
        self._frozen = False   # start-up objects moved out of GC scans (_settle)
        self.settings = settings
        self.backend = backend
        self.clock = clock or (lambda: datetime.now(UTC))
        # Reveals, copies and secret writes, as JSON lines under the XDG state dir.
        self.audit_trail = AuditTrail(clock=self.clock)
        # The last incident action that moved traffic in this session: `u` inverts it.
        self.last_traffic_action: ActionPlan | None = None
        if settings.keys:
            self.set_keymap(dict(settings.keys))
        self._last_input = 0.0  # time.monotonic() of the last key or mouse event
        self.command_names = CommandNames(backend, settings)  # what `:` completes

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self._last_input = time.monotonic()
        await super().on_event(event)

    def on_mount(self) -> None:
        if self.gc_thresholds is not None:  # the app's memory policy (not for --gc default)
            fix_mmap_threshold()
        before = gc.get_threshold()
        if self.gc_thresholds is not None and before[0] < self.gc_thresholds[0]:
            self._gc_before = before
            gc.set_threshold(*self.gc_thresholds)

    def on_ready(self) -> None:
        # Other panes' imports (psycopg, pygments, ...) happen off the first frame's path,
        # and in the pauses between keystrokes (half a second without input).
        def warm() -> None:
            worker = get_current_worker()
            prewarm(lambda: time.monotonic() - self._last_input >= 0.5,
                    lambda: worker.is_cancelled)
            if not worker.is_cancelled:
                self.call_from_thread(self._settle)

        self.set_timer(1.0, lambda: self.run_worker(warm, thread=True, exit_on_error=False,
                                                    group="prewarm"))
        self.set_interval(TRIM_EVERY_S, self._release_when_idle)

    def _settle(self) -> None:
        """Start-up is over (every pane's module imported): with the app's GC policy, its
        objects leave the collector's scans (process_memory.freeze_start_up), and the
        heap the imports freed goes back to the system."""
        if self.gc_thresholds is not None:
            self._frozen = freeze_start_up() or self._frozen
        release_free_memory()

    def _release_when_idle(self) -> None:
        """Every TRIM_EVERY_S: the heap pages freed since (a pane's first load, finished
        RPCs) go back to the system, unless a key or the mouse was used just now."""
        if time.monotonic() - self._last_input >= IDLE_BEFORE_TRIM_S:
            release_free_memory()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications are never markup: they carry key hints ("[a] add") and names
        and errors from servers and users, whose brackets must show as typed."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def action_switch_pane(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def open_logs(self, service: str = "", revision: str = "",
                  severity: Severity | None = None, region: str = "") -> None:
        """The Logs pane, filtered to one service (or revision) of a region, optionally
        from a severity up: `l` in Services, Doctor's jump (at ERROR)."""
        self._show_in("logs", "show_service", service, revision, severity, region)

    def open_job_logs(self, job: str, region: str = "", execution: str = "") -> None:
        """The Logs pane on a Cloud Run job's entries (cloud_run_job), or one execution's."""
        self._show_in("logs", "show_job", job, region, execution)

    def show_secret(self, name: str) -> None:
        """The Secrets pane, filtered to one secret (Doctor's jump)."""
        self._show_in("secrets", "show_secret", name)

    def show_instance(self, connection_name: str) -> None:
        """The Database pane with one instance selected (Doctor's jump)."""
        self._show_in("database", "show_instance", connection_name)

    def _show_in(self, mode: str, entry: str, *args: object) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)
        # The pane's screen exists once switch_mode returns; its entry is safe before mount.
        # A detail or dialog the pane was left on goes: the jump shows the pane itself.
        while not hasattr(self.screen, entry) and len(self.screen_stack) > 1:
            self.pop_screen()
        getattr(self.screen, entry)(*args)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()
            self.call_after_refresh(self._add_quota_line)

    def _add_quota_line(self) -> None:
        """The `quota` line atop the key help: this session's API calls per API in the last
        minute (per-minute quotas are the project's, shared with the team and CI)."""
        from textual.widgets import HelpPanel, Static

        for panel in self.screen.query(HelpPanel):
            if not panel.query("#quota-line"):
                line = Static(self.backend.quota_line(), id="quota-line")
                panel.mount(line, before=0)
                line.set_interval(2.0, lambda w=line: w.update(self.backend.quota_line()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for pane in PANES:
            yield SystemCommand(f"Go to {pane.title}", f"Switch to the {pane.title} pane "
                                f"(key {pane.key})", lambda m=pane.mode: self.switch_mode(m))
        yield from pane_actions(screen)

    # ------------------------------------------------------------------ `:` command line

    def action_command_line(self) -> None:
        from staging_tui.ui.screens.command_line import CommandLineScreen

        line = CommandLineScreen(self.command_names.known())
        self.push_screen(line, callback=self._run_command_line)
        if self.command_names.stale():
            self.run_worker(self.command_names.load(line), group="command-names",
                            exclusive=True, exit_on_error=False)

    def _run_command_line(self, text: str | None) -> None:
        if text:
            run_command(self, parse(text, self.command_names.known()))

    async def action_quit(self) -> None:
        self.exit(0)

    async def on_unmount(self) -> None:
        """However the app ends (q, ctrl+q, a test's run_test): drain tunnels, close clients."""
        await self.backend.close()
        if self._gc_before is not None:
            gc.set_threshold(*self._gc_before)
        if self._frozen:
            thaw()

    def _fatal_error(self) -> None:
        """Like Textual's, but never with locals: they may hold a revealed secret."""
        import rich
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(traceback)
        self._close_messages_no_wait()
