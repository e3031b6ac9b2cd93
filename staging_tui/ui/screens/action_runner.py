"""ActionRunner: what every action of a screen shares (the service actions of
ui/screens/service_actions.py, running a job in ui/screens/job_actions.py).

In a read-only profile its keys are greyed and, when pressed, refused with the reason in
the status line. Otherwise one preview at a time (the ActionPreview overlay, whose keys
answer it while it is open) waits for the confirmation; the confirmed plan runs as a
long-running operation whose steps show in the status line, and its outcome (either way)
is written to the audit trail. What to plan, how to apply it and what to show after
stay with the screen's own actions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.text import Text
from textual import events

from staging_tui.domain import ActionPlan, ActionProgress, ActionStage, JobRunPlan
from staging_tui.errors import StagingError
from staging_tui.ui.screens.action_dialogs import ActionPreview
from staging_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from staging_tui.ui.screens.base import PaneScreen

    _Base = PaneScreen
else:
    _Base = object

T = TypeVar("T")
Plan = ActionPlan | JobRunPlan
Progress = Callable[[ActionProgress], None]


@dataclass(frozen=True, slots=True)
class Ran(Generic[T]):
    """The operation ended well: what it returned, and the line the status line shows."""

    result: T
    ok: Text


@dataclass(frozen=True, slots=True)
class Failed:
    """The operation failed (the error already shows): the steps it got through."""

    error: StagingError
    steps: tuple[str, ...]


class ActionRunner(_Base):
    """Mixed into a PaneScreen that has a StatusLine. A subclass names its keys' actions
    (`GUARDED_ACTIONS`) and what a read-only profile turns off (`READ_ONLY_OFF`)."""

    GUARDED_ACTIONS: tuple[str, ...] = ()
    READ_ONLY_OFF = "actions are off"
    preview_open = False  # one preview at a time: the action keys wait for its answer

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.GUARDED_ACTIONS and (self.preview_open
                                               or not self.settings.actions_allowed):
            return None  # shown greyed in the footer; pressing it says why (on_key)
        return True

    def on_key(self, event: events.Key) -> None:
        """While a preview is open its keys (`y`, `esc`) answer it; a disabled action key
        (read-only profile) is not silently ignored: the status line says why."""
        if self.preview_open:
            for panel in self.query(ActionPreview):
                if panel.handle_preview_key(event.key):
                    event.stop()
                    event.prevent_default()
                    return
            return
        if self.settings.actions_allowed:
            return
        bound = self._bindings.key_to_bindings.get(event.key, [])
        if any(b.action in self.GUARDED_ACTIONS for b in bound):
            event.stop()
            self._refuse_read_only()

    def _refuse_read_only(self) -> bool:
        """True (and the reason shown) when the profile is read-only."""
        if self.settings.actions_allowed:
            return False
        hint = " (--sandbox --profile sandbox-actions)" if self.settings.sandbox else ""
        error = StagingError(
            f"profile {self.settings.profile!r} is read-only: {self.READ_ONLY_OFF}",
            f"use a profile with read_only = false{hint}")
        self.query_one(StatusLine).error(error, retry_key="?")
        self.note_refusal(error)
        return True

    def note_refusal(self, error: StagingError) -> None:
        """Called after a refusal shows (the service actions keep it over refreshes)."""

    async def preview_then_run(self, plan: Plan, status: StatusLine,
                               run: Callable[[], Coroutine[Any, Any, None]],
                               latest_ready: str = "", cancelled: str = "nothing changed"
                               ) -> None:
        """Show the preview and wait for its answer; on confirmation `run()` starts at
        once (the update is on the wire while the panel goes) and is awaited here."""
        status.info(f"{plan.summary}: previewed, waiting for your confirmation")
        running: list[asyncio.Future[None]] = []
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        panel = ActionPreview(plan, self.settings, latest_ready,
                              on_confirm=lambda: running.append(asyncio.ensure_future(run())),
                              result=answer)
        self.preview_open = True
        self.refresh_bindings()  # the footer greys the action keys while it is open
        try:
            await self.mount(panel)
            confirmed = await answer
        finally:
            self.preview_open = False
            self.refresh_bindings()
        if not confirmed or not running:
            status.info(f"{plan.summary}: cancelled, {cancelled}")
            return
        try:
            await running[0]
        finally:
            await panel.remove()

    async def run_operation(self, plan: Plan, status: StatusLine, fields: Mapping[str, object],
                            operate: Callable[[Progress], Awaitable[T]],
                            steps: Mapping[ActionStage, str], retry_key: str) -> Ran[T] | Failed:
        """`operate(progress)`, each stage named in `steps` ("{name}": the revision or
        execution) appended to the status line, the outcome written to the audit trail."""
        done: list[str] = []
        operation = ""

        def progress(p: ActionProgress) -> None:
            nonlocal operation
            operation = operation or p.operation
            if p.stage in steps:
                done.append(steps[p.stage].format(name=p.revision))
                status.busy(f"{plan.summary} · " + " → ".join(done))

        status.busy(f"{plan.summary} · sending")
        s = self.settings
        common = dict(account=self.backend.account, profile=s.profile,
                      environment=s.environment)
        trail = self.console.audit_trail
        try:
            result = await operate(progress)
        except StagingError as exc:
            trail.record_service_action(fields, operation=operation,
                                        outcome=f"failed: {exc.message}", **common)
            status.error(exc, retry_key=retry_key)
            return Failed(exc, tuple(done))
        trail.record_service_action(fields, operation=operation, outcome="ok", **common)
        ok = Text(f"✓ {plan.summary} · " + " → ".join(done), style="green")
        if trail.last_error:
            ok.append(f"   ({trail.last_error})", style="yellow")
        status.info(ok)
        return Ran(result, ok)

