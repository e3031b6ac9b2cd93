"""A one-line status under a pane: progress, counts, or an error with its fix."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from staging_tui.errors import StagingError


class StatusLine(Static):
    """`loading()`, `info()` or `error()`; errors keep the pane usable and say the retry key."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 4; padding: 0 1; background: $panel; }
    StatusLine.-error { background: $error 30%; }
    """

    def busy(self, what: str) -> None:
        self.remove_class("-error")
        self.update(Text(f"⟳ {what}…", style="italic"))

    def info(self, text: str | Text) -> None:
        self.remove_class("-error")
        self.update(text)

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
        self.update(text)
