"""A one-line status under a pane: progress, counts, or an error with its fix."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from staging_tui.errors import StagingError


class StatusLine(Static):
    """`loading()`, `info()` or `error()`; errors keep the pane usable and say the retry key."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 4; padding: 0 1; background: $panel; }
    StatusLine.-error { background: $error 30%; }
    """

    _rows = -1  # screen rows of the current text: a same-height update skips the relayout

    def _show(self, text: str | Text) -> None:
        """Update; lay the screen out again only when the line's height changes (a
        relayout of a pane costs tens of ms, and progress updates come several a second)."""
        plain = text.plain if isinstance(text, Text) else text
        width = max(self.content_size.width, 1)
        rows = sum(max(1, -(-cell_len(line) // width)) for line in plain.split("\n"))
        self.update(text, layout=rows != self._rows or not self.content_size.width)
        self._rows = rows

    def busy(self, what: str) -> None:
        self.remove_class("-error")
        self._show(Text(f"⟳ {what}…", style="italic"))

    def info(self, text: str | Text) -> None:
        self.remove_class("-error")
        self._show(text)

    def error(self, exc: BaseException, retry_key: str = "r",
              retrying_in: float | None = None) -> None:
        """The error and its fix; `retrying_in` seconds when the pane retries by itself
        (a spent quota says so: "...; retrying in 12 s")."""
        self.add_class("-error")
        text = Text()
        if isinstance(exc, StagingError):
            code = getattr(exc, "code", "")
            text.append(f"✗ {code + ': ' if code else ''}{exc.message}", style="bold")
            if retrying_in is not None:
                text.append(f"; retrying in {retrying_in:.0f} s", style="bold")
            if exc.fix:
                text.append(f"\n  fix: {exc.fix}")
        else:
            text.append(f"✗ {type(exc).__name__}: {exc}", style="bold")
        text.append(f"   [{retry_key}] retry", style="dim")
        self._rows = -1
        self.update(text)
