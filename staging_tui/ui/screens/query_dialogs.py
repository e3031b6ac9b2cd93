"""The Query pane's modals: confirmations naming the environment, the cell viewer,
and export to CSV / JSON lines."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from staging_tui.render.query import full_text


class ConfirmScreen(ModalScreen[bool]):
    """Yes / no, with the environment named in the question."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 72; height: auto; border: thick $error; padding: 1 2;
                               background: $surface; }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; }
    ConfirmScreen Button { margin-right: 2; }
    ConfirmScreen .title { text-style: bold; color: $error; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel", id="query.confirm-no"),
        Binding("y", "answer(True)", "Yes", id="query.confirm-yes"),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes") -> None:
        super().__init__()
        self._title, self._body, self._yes = title, body, yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="title", markup=False)
            yield Static(self._body, id="confirm-body", markup=False)
            with Horizontal():
                yield Button(f"{self._yes} (y)", variant="error", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class CellScreen(ModalScreen[None]):
    """A wide value or JSON in full."""

    DEFAULT_CSS = """
    CellScreen { align: center middle; }
    CellScreen > Vertical { width: 90%; height: 80%; border: thick $accent; background: $surface; }
    CellScreen VerticalScroll { height: 1fr; padding: 0 1; }
    CellScreen .title { text-style: bold; background: $boost; width: 100%; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,enter", "dismiss", "Close", id="query.cell-close"),
        Binding("c", "copy", "Copy", id="query.cell-copy"),
    ]

    def __init__(self, column: str, type_name: str, value: object) -> None:
        super().__init__()
        self._title = f"{column} ({type_name})" if type_name else column
        self._text = full_text(value)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{self._title}   [esc] close  [c] copy", classes="title", markup=False)
            with VerticalScroll():
                yield Static(self._text, id="cell-value", markup=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self._text)
        self.notify("copied to the clipboard", timeout=2)


class ExportScreen(ModalScreen[Path | None]):
    """Ask for a file name; .csv or .jsonl decides the format."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 72; height: auto; border: thick $accent; padding: 1 2;
                              background: $surface; }
    """
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="query.export-cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self._default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export the result to (.csv or .jsonl):")
            yield Input(self._default, id="export-path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(Path(value).expanduser() if value else None)
