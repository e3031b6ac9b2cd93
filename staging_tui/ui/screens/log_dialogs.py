"""Screens the Logs pane opens: one entry in full, a picker, and "save to file"."""

from __future__ import annotations

import json
from dataclasses import replace

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static

from staging_tui.domain import LogEntry
from staging_tui.render.log_lines import expanded_text
from staging_tui.ui.screens.base import PaneScreen


def entry_renderable(entry: LogEntry, utc: bool) -> RenderableType:
    """Header lines, every line of the text, the JSON payload pretty and highlighted."""
    head = expanded_text(replace(entry, text="", json_payload=None, proto_payload=None), utc)
    parts: list[RenderableType] = [Text(head)]
    if entry.text:
        parts += [Text(""), Text(entry.text)]
    for payload in (entry.json_payload, entry.proto_payload):
        if payload is not None:
            pretty = json.dumps(dict(payload), indent=2, sort_keys=True, default=str)
            parts += [Text(""), Syntax(pretty, "json", theme="ansi_dark", word_wrap=True)]
    return Group(*parts)


class LogEntryScreen(PaneScreen):
    """One log entry in full (Enter in the Logs pane); Esc goes back."""

    PANE_TITLE = "Logs"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="logs.entry-back")]

    def __init__(self, entry: LogEntry, utc: bool = False) -> None:
        super().__init__()
        self.entry = entry
        self.utc = utc

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="log-entry-body"):
            yield Static(entry_renderable(self.entry, self.utc), id="log-entry")


class PickerScreen(ModalScreen[str | None]):
    """Choose one of `options` (shown label, returned value); Esc cancels."""

    DEFAULT_CSS = """
    PickerScreen { align: center middle; }
    PickerScreen > Vertical { width: 60; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1; }
    PickerScreen OptionList { height: auto; max-height: 24; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="logs.picker-cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            yield OptionList(*(label for label, _ in self.options), id="picker-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[event.option_index][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveLogsScreen(ModalScreen[tuple[str, bool] | None]):
    """Ask where to save: a path (.jsonl / .json = JSON lines, else text) and whether
    to save all buffered entries or only the filtered ones."""

    DEFAULT_CSS = """
    SaveLogsScreen { align: center middle; }
    SaveLogsScreen > Vertical { width: 70; height: auto; border: round $accent;
        background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="logs.save-cancel")]

    def __init__(self, default_path: str) -> None:
        super().__init__()
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Save log entries to (.jsonl for JSON lines, else text):")
            yield Input(self.default_path, id="save-path")
            yield Checkbox("all buffered entries (not only the filtered ones)", id="save-all")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#save-path")
    def _submit(self) -> None:
        path = self.query_one("#save-path", Input).value.strip()
        self.dismiss((path, self.query_one("#save-all", Checkbox).value) if path else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
