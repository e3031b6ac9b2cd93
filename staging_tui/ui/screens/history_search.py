"""ctrl+r in the Query pane: search the profile's statement history (newest first, as you
type, like readline's reverse search); Enter takes the highlighted one, Esc cancels."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

from staging_tui.db.history import History

SHOWN = 50


class HistorySearchScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    HistorySearchScreen { align: center middle; }
    HistorySearchScreen > Vertical { width: 90%; height: 70%; border: tall $accent;
                                     background: $panel; padding: 0 1; }
    HistorySearchScreen OptionList { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="query.history-cancel"),
        Binding("down", "move(1)", "Next", show=False, id="query.history-next"),
        Binding("up", "move(-1)", "Previous", show=False, id="query.history-previous"),
    ]

    def __init__(self, history: History) -> None:
        super().__init__()
        self.history = history
        self.found: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("history search (newest first) · Enter takes it · Esc cancels",
                        markup=False)
            yield Input(placeholder="text the statement contains", id="history-query")
            yield OptionList(id="history-results")

    def on_mount(self) -> None:
        self._search("")
        self.query_one(Input).focus()

    @on(Input.Changed, "#history-query")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, text: str) -> None:
        self.found = [e.sql for e in self.history.search(text)][:SHOWN]
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options([" ".join(sql.split())[:200] for sql in self.found])
        if self.found:
            results.highlighted = 0

    def action_move(self, step: int) -> None:
        results = self.query_one(OptionList)
        if self.found:
            current = results.highlighted or 0
            results.highlighted = max(0, min(len(self.found) - 1, current + step))

    @on(Input.Submitted, "#history-query")
    def _take(self) -> None:
        index = self.query_one(OptionList).highlighted
        self.dismiss(self.found[index] if self.found and index is not None else None)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.found[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
