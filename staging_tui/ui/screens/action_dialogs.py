"""Dialogs of the incident actions: the preview that confirms (one key, or the service's
name typed in a protected profile), and a one-line input (traffic split, env change)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from staging_tui.config import Settings
from staging_tui.domain import ActionPlan
from staging_tui.render.action_plans import preview_text


class ActionPreview(ModalScreen[bool]):
    """The exact change and the equivalent gcloud command; nothing has run yet."""

    DEFAULT_CSS = """
    ActionPreview { align: center middle; }
    ActionPreview > Vertical { width: 110; max-width: 95%; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1; }
    ActionPreview.-protected > Vertical { border: thick $error; }
    ActionPreview #preview-body { height: auto; max-height: 28; }
    ActionPreview #preview-title { text-style: bold; background: $warning 30%; }
    ActionPreview #preview-error { color: $error; }
    """
    BINDINGS = [
        Binding("y", "confirm", "Run it", id="action.confirm"),
        Binding("escape", "cancel", "Cancel", id="action.cancel"),
    ]

    def __init__(self, plan: ActionPlan, settings: Settings, latest_ready: str = "",
                 on_confirm: Callable[[], None] | None = None) -> None:
        super().__init__(classes="-protected" if settings.protected else "")
        self.plan = plan
        self.settings = settings
        self.latest_ready = latest_ready
        # Called at once on confirmation, before the dialog goes: the update is on the wire
        # while Textual restyles the screen underneath (tens of ms, more on a busy machine).
        self.on_confirm = on_confirm

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical():
            yield Static(f" PREVIEW · {s.environment} · profile {s.profile} · nothing has run yet",
                         id="preview-title")
            with VerticalScroll(id="preview-body"):
                yield Static(preview_text(self.plan, self.latest_ready,
                                          environment=s.environment), id="preview-text")
            if s.protected:
                yield Static(Text.assemble(
                    ("Protected profile: ", "bold red"),
                    f"type the service name ({self.plan.service}) and press Enter to run it, "
                    "Esc to cancel."))
                yield Input(placeholder="the service's name", id="preview-confirm")
            else:
                yield Static(Text.assemble(("[y]", "bold"), " run it   ",
                                           ("[Esc]", "bold"), " cancel"), id="preview-keys")
            yield Static("", id="preview-error")

    def on_mount(self) -> None:
        if self.settings.protected:
            self.query_one("#preview-confirm", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In a protected profile only the typed name confirms; `y` would just be typed.
        return not (action == "confirm" and self.settings.protected)

    def action_confirm(self) -> None:
        self._confirmed()

    def _confirmed(self) -> None:
        if self.on_confirm is not None:
            self.on_confirm()
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Input.Submitted, "#preview-confirm")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.plan.service:
            self._confirmed()
        else:
            self.query_one("#preview-error", Static).update(
                f"✗ {event.value.strip()!r} is not {self.plan.service!r}: type the service's "
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
