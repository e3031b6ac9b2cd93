"""The confirmation modal of every Secret Manager write.

It names the secret and the environment (and project); a new value is typed into a
password Input (shown as •). Dismisses with a `SecretWrite` or None (cancelled).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


@dataclass(frozen=True)
class SecretWrite:
    """What the user confirmed. `value` never appears in a repr."""

    action: str
    secret: str
    version: str = ""
    value: bytes = field(default=b"", repr=False)


class SecretWriteModal(ModalScreen[SecretWrite | None]):
    """action: "create" (asks name + value), "add-version" (value), "enable"/"disable"."""

    DEFAULT_CSS = """
    SecretWriteModal { align: center middle; }
    SecretWriteModal > Vertical { width: 80; height: auto; padding: 1 2;
        border: thick $warning; background: $panel; }
    SecretWriteModal Input { margin: 1 0 0 0; }
    SecretWriteModal #write-error { color: $error; height: auto; }
    SecretWriteModal Horizontal { height: auto; margin: 1 0 0 0; align-horizontal: right; }
    SecretWriteModal Button { margin: 0 0 0 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="secrets.write-cancel")]

    def __init__(self, action: str, secret: str, environment: str, project: str,
                 version: str = "") -> None:
        super().__init__()
        self.action = action
        self.secret = secret
        self.version = version
        self.environment = environment
        self.project = project

    def question(self) -> Text:
        where = Text.assemble((self.environment, "bold reverse"), f" (project {self.project})")
        target = Text(self.secret or "a new secret", style="bold")
        verbs = {
            "create": Text.assemble("Create secret ", target, " in "),
            "add-version": Text.assemble("Add a new version (it becomes latest) to ", target,
                                         " in "),
            "enable": Text.assemble(f"Enable version {self.version} of ", target, " in "),
            "disable": Text.assemble(f"Disable version {self.version} of ", target,
                                     " (services reading it will fail to start) in "),
        }
        return Text.assemble(verbs[self.action], where, "?")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question(), id="write-question")
            if self.action == "create":
                yield Input(placeholder="secret name, e.g. secret-key-staging", id="write-name",
                            value=self.secret)
            if self.action in ("create", "add-version"):
                yield Input(placeholder="value (typed masked; empty = no version yet)"
                            if self.action == "create" else "new value (typed masked)",
                            password=True, id="write-value")
            yield Label("", id="write-error", markup=False)
            with Horizontal():
                yield Button("Cancel", id="write-cancel")
                yield Button("Confirm", variant="warning", id="write-confirm")

    def on_mount(self) -> None:
        inputs = self.query(Input)
        (inputs.first() if inputs else self.query_one("#write-cancel", Button)).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#write-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#write-confirm")
    def _confirm(self) -> None:
        secret = self.secret
        if self.action == "create":
            secret = self.query_one("#write-name", Input).value.strip()
            if not secret or "/" in secret or " " in secret:
                self.query_one("#write-error", Label).update("a secret name is required "
                                                             "(letters, digits, - and _)")
                return
        value = b""
        if self.action in ("create", "add-version"):
            box = self.query_one("#write-value", Input)
            value = box.value.encode()
            box.value = ""
            if self.action == "add-version" and not value:
                self.query_one("#write-error", Label).update("type the new value first")
                return
        self.dismiss(SecretWrite(self.action, secret, self.version, value))
