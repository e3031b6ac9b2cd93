"""SqlEditor: a TextArea for SQL with completion on Tab / ctrl+space.

SQL highlighting needs textual's tree-sitter extras (`tree-sitter` and
`tree-sitter-sql`); without them the editor works the same, unhighlighted.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

Completer = Callable[[str], list[str]]


def sql_language_available() -> bool:
    try:
        from textual._tree_sitter import get_language
    except ImportError:
        return False
    return get_language("sql") is not None


class SqlEditor(TextArea):
    DEFAULT_CSS = """
    SqlEditor { height: 30%; min-height: 4; max-height: 10; border: tall $panel; }
    SqlEditor:focus { border: tall $accent; }
    """
    BINDINGS = [
        Binding("ctrl+space", "complete", "Complete", show=False, id="query.complete"),
    ]

    class RunRequested(Message):
        """Enter after a statement's `;` (or on a `\\` meta command line): run it, as
        pgcli does; alt+enter / ctrl+j insert a new line instead."""

    class Suggest(Message):
        """Candidates for the word being typed (empty: close the popup)."""

        def __init__(self, word: str, candidates: list[str]) -> None:
            super().__init__()
            self.word = word
            self.candidates = candidates

    class Popup(Message):
        """A key for the open completion popup: move (+1/-1), accept, close."""

        def __init__(self, what: str, step: int = 0) -> None:
            super().__init__()
            self.what = what
            self.step = step

    class Completions(Message):
        """Several candidates for the word at the cursor (shown by the pane)."""

        def __init__(self, candidates: list[str]) -> None:
            super().__init__()
            self.candidates = candidates

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        language = "sql" if sql_language_available() else None
        super().__init__(text, language=language, id=id, soft_wrap=False,
                         show_line_numbers=True, tab_behavior="indent")
        self.completer: Completer | None = None
        self.popup_open = False  # set by the pane that shows the candidates
        self._typed = False
        if os.environ.get("STAGING_TUI_NO_BLINK"):
            self.cursor_blink = False

    def text_before_cursor(self) -> str:
        row, col = self.cursor_location
        lines = self.text.split("\n")
        return "\n".join([*lines[:row], lines[row][:col]]) if lines else ""

    def cursor_offset(self) -> int:
        return len(self.text_before_cursor())

    def offset_of(self, location: tuple[int, int]) -> int:
        row, col = location
        lines = self.text.split("\n")
        return sum(len(line) + 1 for line in lines[:row]) + col

    def location_of(self, offset: int) -> tuple[int, int]:
        before = self.text[:offset]
        row = before.count("\n")
        return row, len(before) - (before.rfind("\n") + 1)

    async def _on_key(self, event: events.Key) -> None:
        popup = {"down": ("move", 1), "up": ("move", -1), "tab": ("accept", 0),
                 "enter": ("accept", 0), "escape": ("close", 0)}
        if self.popup_open and event.key in popup:
            event.stop()
            event.prevent_default()
            what, step = popup[event.key]
            self.post_message(self.Popup(what, step))
            return
        self._typed = event.is_printable or event.key == "backspace"
        if event.key == "tab" and self._word_before_cursor():
            event.stop()
            event.prevent_default()
            self.action_complete()
            return
        if event.key == "enter" and self.enter_runs():
            event.stop()
            event.prevent_default()
            self.post_message(self.RunRequested())
            return
        if event.key in ("ctrl+j", "alt+enter"):
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        if event.key == "escape":  # not TextArea's focus_next: the pane's Esc binding decides
            event.prevent_default()  # Textual calls each class's _on_key; this skips TextArea's
            return
        await super()._on_key(event)

    def on_text_area_changed(self) -> None:
        """As you type (pgcli): the candidates for the word at the cursor, from its
        second character or right after a `.`; other edits close the popup."""
        typed, self._typed = self._typed, False
        word = self._word_before_cursor()
        if not typed or self.completer is None or (len(word) < 2 and not word.endswith(".")):
            if self.popup_open:
                self.post_message(self.Suggest("", []))
            return
        candidates = self.completer(self.text_before_cursor())
        tail = word.rsplit(".", 1)[-1]
        candidates = [c for c in candidates if c.lower() != tail.lower()]
        self.post_message(self.Suggest(tail, candidates[:20]))

    def accept(self, word: str, candidate: str) -> None:
        """Replace the typed `word` with `candidate` (keywords keep the case typed)."""
        if word.islower() and candidate.isupper():
            candidate = candidate.lower()
        self.insert(candidate[len(word):])

    def enter_runs(self) -> bool:
        """pgcli's rule: Enter runs when the statement before the cursor ends with `;`
        (nothing but blanks after the cursor on its line), or the line is a `\\` command."""
        row, col = self.cursor_location
        line = self.document.get_line(row)
        if line[col:].strip():
            return False
        return self.text_before_cursor().rstrip().endswith(";") or \
            line.lstrip().startswith("\\")

    def _word_before_cursor(self) -> str:
        before = self.text_before_cursor()
        word = ""
        for ch in reversed(before):
            if ch.isalnum() or ch in "_.\\$":
                word = ch + word
            else:
                break
        return word

    def action_complete(self) -> None:
        if self.completer is None:
            return
        before = self.text_before_cursor()
        candidates = self.completer(before)
        word = self._word_before_cursor().rsplit(".", 1)[-1]
        if not candidates:
            return
        common = os_common_prefix([c.lower() for c in candidates]) if len(candidates) > 1 \
            else candidates[0].lower()
        insert_len = len(common)
        if insert_len > len(word):
            chosen = candidates[0][:insert_len]
            if word.isupper() or (word and candidates[0].isupper()):
                chosen = chosen.upper() if word.isupper() else chosen
            self.insert(chosen[len(word):])
        if len(candidates) > 1:
            self.post_message(self.Completions(candidates))


def os_common_prefix(words: list[str]) -> str:
    return os.path.commonprefix(words)  # noqa: RUF071 - character prefix of completion words
