"""SqlErrorBox: the last statement's error under the editor, with its line and
column when the server gave a position, and the fix."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from staging_tui.errors import ReadOnlyViolation, StagingError


class SqlErrorBox(Static):
    DEFAULT_CSS = """
    SqlErrorBox { height: auto; max-height: 4; color: $error; padding: 0 1; display: none; }
    SqlErrorBox.-shown { display: block; }
    """

    def show_error(self, exc: StagingError, location: tuple[int, int] | None = None) -> None:
        """`location` is the 0-based (line, column) of the error in the editor."""
        text = Text()
        message = exc.message
        if location is not None:
            text.append(f"ERROR at line {location[0] + 1}, column {location[1] + 1}: ",
                        style="bold")
        elif isinstance(exc, ReadOnlyViolation):
            text.append("REFUSED: ", style="bold")
            message = message.removeprefix("refused: ")
        elif message.startswith("query cancelled"):
            text.append("CANCELLED: ", style="bold")
        else:
            text.append("ERROR: ", style="bold")
        text.append(message)
        if exc.fix:
            text.append(f"\n  fix: {exc.fix}", style="italic")
        self.update(text)
        self.add_class("-shown")

    def hide(self) -> None:
        self.remove_class("-shown")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")
