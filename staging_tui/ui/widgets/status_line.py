"""A one-line status under a pane: progress, counts, or an error with its fix."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from staging_tui.errors import StagingError


class StatusLine(Static):
    """`loading()`, `info()` or `error()`; errors keep the pane usable and say the retry key."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 4; padding: 0 1; background: $panel; }
    StatusLine.-error { background: $error 30%; }
    """

    def __init__(self, content: str | Text = "", **kwargs: Any) -> None:
        # Never markup: hints carry keys in brackets ("[h] health check") and errors carry
        # what servers and users wrote ("[Errno 111]", "[[profiles.NAME.sql]]").
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)

    def busy(self, what: str) -> None:
        self.remove_class("-error")
        self.update(Text(f"⟳ {what}…", style="italic"))

    def info(self, text: str | Text) -> None:
        self.remove_class("-error")
        self.update(text)

    def error(self, exc: BaseException, retry_key: str = "r") -> None:
        self.add_class("-error")
        text = Text()
        if isinstance(exc, StagingError):
            code = getattr(exc, "code", "")
            text.append(f"✗ {code + ': ' if code else ''}{exc.message}", style="bold")
            if exc.fix:
                text.append(f"\n  fix: {exc.fix}")
        else:
            text.append(f"✗ {type(exc).__name__}: {exc}", style="bold")
        if retry_key:  # "" for a refusal: pressing the key again would not help
            text.append(f"   [{retry_key}] retry", style="dim")
        self.update(text)
