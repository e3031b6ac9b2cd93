"""The `:` command line (k9s): one line at the bottom, Tab completes (verbs, then service,
secret or instance names), Enter runs, Esc closes. Parsing and completion are pure
(render/command_line.py); StagingApp runs the command."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from staging_tui.render.command_line import HELP, complete, parse


class _Completions(Suggester):
    def __init__(self, names: Mapping[str, Sequence[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.names = names

    async def get_suggestion(self, value: str) -> str | None:
        for candidate in complete(value, self.names):
            if candidate.startswith(value) and candidate != value:
                return candidate
        return None


class CommandLineScreen(ModalScreen[str | None]):
    """Dismisses with the command text (checked by `parse`) or None."""

    DEFAULT_CSS = """
    CommandLineScreen { align: left bottom; background: $background 30%; }
    CommandLineScreen > Vertical { height: auto; background: $panel; }
    CommandLineScreen #command-input { border: none; height: 1; padding: 0 1; }
    CommandLineScreen #command-candidates { color: $text-muted; padding: 0 1; height: auto; }
    CommandLineScreen #command-candidates.-error { color: $error; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_line", "Close", id="command.close"),
        Binding("tab", "complete", "Complete", id="command.complete"),
    ]

    def __init__(self, names: Mapping[str, Sequence[str]]) -> None:
        super().__init__()
        self.names = dict(names)
        self._suggester = _Completions(self.names)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(HELP, id="command-candidates", markup=False)
            yield Input(placeholder=":svc backend · :logs SERVICE · :q", id="command-input",
                        suggester=self._suggester, select_on_focus=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def update_names(self, names: Mapping[str, Sequence[str]]) -> None:
        """Names arrive after the line opened (the first open lists services and secrets)."""
        self.names.update(names)
        self._show_candidates(self.query_one(Input).value)

    @on(Input.Changed, "#command-input")
    def _changed(self, event: Input.Changed) -> None:
        self._show_candidates(event.value)

    def _show_candidates(self, value: str) -> None:
        box = self.query_one("#command-candidates", Static)
        box.remove_class("-error")
        found = complete(value, self.names) if value.strip() else []
        more = f"  (+{len(found) - 8})" if len(found) > 8 else ""
        box.update("  ".join(c.strip() for c in found[:8]) + more if found else HELP)

    def action_complete(self) -> None:
        """Tab: the line becomes the first candidate (a verb gets its space)."""
        box = self.query_one(Input)
        found = complete(box.value, self.names)
        if found:
            box.value = found[0] if len(found) == 1 or found[0] != box.value else found[1]
            box.cursor_position = len(box.value)

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            parse(event.value, self.names)
        except ValueError as exc:
            box = self.query_one("#command-candidates", Static)
            box.add_class("-error")
            box.update(f"✗ {exc}")
            return
        self.dismiss(event.value)

    def action_dismiss_line(self) -> None:
        self.dismiss(None)
