"""Dialogs of the incident actions: the preview panel that confirms (one key, or the
service's name typed in a protected profile), and a one-line input (split, env change)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from staging_tui.config import Settings
from staging_tui.domain import ActionPlan, JobRunPlan
from staging_tui.render.action_plans import preview_text
from staging_tui.render.job_plans import job_preview_plain


class ActionPreview(Vertical):
    """The exact change and the equivalent gcloud command; nothing has run yet.

    A panel over the pane (an overlay, like Select's menu) rather than a modal screen:
    closing a modal screen makes Textual restyle every widget of the pane (~70 ms of CPU
    per action, measured in bench/actions.py), and a docked panel resizes the table; an
    overlay leaves the pane's layout alone."""

    DEFAULT_CSS = """
    ActionPreview { overlay: screen; position: absolute; offset: 5 3; width: 110;
        height: auto; max-height: 80%; border: thick $warning; background: $surface;
        padding: 0 1; }
    ActionPreview.-protected { border: thick $error; }
    ActionPreview #preview-body { height: auto; max-height: 24; }
    ActionPreview #preview-title { text-style: bold; background: $warning 30%; }
    ActionPreview #preview-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("y", "confirm", "Run it", id="action.confirm"),
        Binding("escape", "cancel", "Cancel", id="action.cancel"),
    ]

    def __init__(self, plan: ActionPlan | JobRunPlan, settings: Settings, latest_ready: str = "",
                 on_confirm: Callable[[], None] | None = None,
                 result: asyncio.Future[bool] | None = None) -> None:
        super().__init__(classes="-protected" if settings.protected else "")
        self.plan = plan
        # What a protected profile makes the user type: the service's (or job's) name.
        self.target, self.kind = ((plan.service, "service") if isinstance(plan, ActionPlan)
                                  else (plan.job, "job"))
        self.settings = settings
        self.latest_ready = latest_ready
        # Called at once on confirmation, before the panel goes: the update is on the
        # wire while Textual lays the pane out again.
        self.on_confirm = on_confirm
        self.result: asyncio.Future[bool] = (
            result if result is not None else asyncio.get_running_loop().create_future())

    def compose(self) -> ComposeResult:
        s = self.settings
        yield Static(f" PREVIEW · {s.environment} · profile {s.profile} · nothing has run yet",
                     id="preview-title")
        with VerticalScroll(id="preview-body"):
            yield Static(preview_text(self.plan, self.latest_ready, environment=s.environment)
                         if isinstance(self.plan, ActionPlan)
                         else job_preview_plain(self.plan, environment=s.environment),
                         id="preview-text")
        if s.protected:
            yield Static(Text.assemble(
                ("Protected profile: ", "bold red"),
                f"type the {self.kind} name ({self.target}) and press Enter to run it, "
                "Esc to cancel."))
            yield Input(placeholder=f"the {self.kind}'s name", id="preview-confirm")
        else:
            yield Static(Text.assemble(("[y]", "bold"), " run it   ",
                                       ("[Esc]", "bold"), " cancel"), id="preview-keys")
        yield Static("", id="preview-error")

    def on_mount(self) -> None:
        width, height = self.screen.size
        self.styles.width = min(110, max(width - 4, 20))
        self.styles.offset = (max((width - 110) // 2, 2), min(3, max(height // 10, 0)))
        if self.settings.protected:
            self.query_one("#preview-confirm", Input).focus()
        # Otherwise the focus stays where it was (a focus change makes Textual rebuild the
        # footer): the pane hands `y` / `esc` to `handle_key` while the preview is open.

    def handle_preview_key(self, key: str) -> bool:
        """A key pressed in the pane while this preview is open: True if it was ours."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            if binding.action == "confirm" and not self.settings.protected:
                self.action_confirm()
                return True
            if binding.action == "cancel":
                self.action_cancel()
                return True
        return False

    def on_unmount(self) -> None:
        self._settle(False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In a protected profile only the typed name confirms; `y` would just be typed.
        return not (action == "confirm" and self.settings.protected)

    def action_confirm(self) -> None:
        if self.on_confirm is not None and not self.result.done():
            self.on_confirm()
        self._close(True)

    def action_cancel(self) -> None:
        self._close(False)

    def _settle(self, ok: bool) -> None:
        if not self.result.done():
            self.result.set_result(ok)

    def _close(self, ok: bool) -> None:
        self._settle(ok)
        if ok:  # hidden now (cheap), removed by the pane once the action has ended
            self.display = False
        else:
            self.remove()

    @on(Input.Submitted, "#preview-confirm")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() == self.target:
            self.action_confirm()
        else:
            self.query_one("#preview-error", Static).update(
                f"✗ {event.value.strip()!r} is not {self.target!r}: type the {self.kind}'s "
                "name exactly, or Esc to cancel")


class ActionInput(ModalScreen[str | None]):
    """One line for an action's argument; Enter submits, Esc cancels."""

    DEFAULT_CSS = """
    ActionInput { align: center middle; }
    ActionInput > Vertical { width: 100; max-width: 95%; height: auto;
        border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="action.input-cancel")]

    def __init__(self, title: str, hint: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="-title")
            yield Static(self.hint)
            yield Input(value=self.value, id="action-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#action-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
