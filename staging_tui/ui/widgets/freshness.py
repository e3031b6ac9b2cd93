"""How fresh a pane's data is, beside its status line, worded alike in every pane.

`Freshness` shows the pane's `Refresh` schedule (`Refresh.freshness`: "updated 12s
ago", "loading…", "stale: load failed 3 times, next try in 40s"), repaints when the
schedule changes and once a second, and is the pane's refresh timer: each second it
ticks the schedule and starts the pane's load when one is due. `StatusRow` puts it at
the right of the pane's `StatusLine`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from staging_tui.model.refresh import Refresh
from staging_tui.ui.widgets.status_line import StatusLine

TICK_S = 1.0  # cheap: the schedule decides; fine enough to honour a RetryInfo of a few s


class Freshness(Static):
    DEFAULT_CSS = """
    Freshness { width: auto; height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    Freshness.-stale { color: $warning; text-style: bold; }
    """

    def __init__(self, schedule: Refresh, clock: Callable[[], datetime],
                 on_due: Callable[[], object] | None = None, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.schedule = schedule
        self.clock = clock
        self.on_due = on_due
        self._cells = -1  # width of the text shown: a same-width update skips the relayout

    def on_mount(self) -> None:
        self.schedule.on_change = self.show
        self.set_interval(TICK_S, self._tick)
        self.show()

    def on_unmount(self) -> None:
        if self.schedule.on_change == self.show:
            self.schedule.on_change = None

    def _tick(self) -> None:
        if self.schedule.tick(TICK_S) and self.on_due is not None:
            self.on_due()
        self.show()

    @property
    def text(self) -> str:
        return self.schedule.freshness(self.clock())

    def show(self) -> None:
        text = self.text
        self.set_class(self.schedule.failures > 0, "-stale")
        self.update(Text(text), layout=cell_len(text) != self._cells)
        self._cells = cell_len(text)


class StatusRow(Horizontal):
    """The pane's status line, and its freshness at the right."""

    DEFAULT_CSS = """
    StatusRow { height: auto; background: $panel; }
    StatusRow > StatusLine { width: 1fr; }
    """

    def __init__(self, status: StatusLine, freshness: Freshness) -> None:
        super().__init__()
        self.status = status
        self.freshness = freshness

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.freshness
