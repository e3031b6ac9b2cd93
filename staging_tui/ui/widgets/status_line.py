"""A one-line status under a pane: progress, counts, or an error with its fix."""

from __future__ import annotations

from typing import Any

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

    def __init__(self, content: str | Text = "", **kwargs: Any) -> None:
        # Never markup: hints carry keys in brackets ("[h] health check") and errors carry
        # what servers and users wrote ("[Errno 111]", "[[profiles.NAME.sql]]").
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)

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

    def error(self, exc: BaseException, retry_key: str = "r") -> None:
        """The error and its fix. When the pane retries by itself, its Freshness (beside
        this line) says when: "stale: load failed once, next try in 12s"."""
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
        self._rows = -1
        self.update(text)

    def failure(self, what: str, exc: BaseException) -> None:
        """A worker that failed with something other than our own errors: say which work
        stopped and the details (type, message, where), so it is never invisible."""
        self.add_class("-error")
        text = Text()
        text.append(f"✗ {what} stopped unexpectedly", style="bold")
        text.append(f" · details: {failure_details(exc)}")
        text.append("   the pane keeps working; retry its action or switch panes", style="dim")
        self.update(text)
        self._rows = -1


def failure_details(exc: BaseException) -> str:
    """`TypeError: message (query.py:123)`: the innermost frame of ours, no locals."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        path = tb.tb_frame.f_code.co_filename
        if "staging_tui" in path:
            where = f"{path.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        tb = tb.tb_next
    message = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}{': ' + message if message else ''}" + (
        f" ({where})" if where else "")
