"""NavTable: Textual's DataTable with the console's one navigation model (the same keys
and binding ids as VirtualTable and the Logs view): arrows or j/k, PgUp/PgDn, Home/End
to the first / last row; rows that are not items (group headers) are never the cursor's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable


class NavTable(DataTable[Any]):
    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page-down"),
        Binding("home,ctrl+home", "first", "First", show=False, id="table.first"),
        Binding("end,ctrl+end", "last", "Last", show=False, id="table.last"),
    ]

    def __init__(self, *args: Any, skip: Callable[[int], bool] | None = None,
                 **kwargs: Any) -> None:
        """`skip(row)`: true for rows the cursor must pass over (headers)."""
        kwargs.setdefault("cursor_type", "row")
        super().__init__(*args, **kwargs)
        self.skip = skip
        self.user_moved = False  # a key moved the cursor (screens stop placing it then)

    def action_cursor_up(self) -> None:
        self.user_moved = True
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self.user_moved = True
        super().action_cursor_down()

    def action_page_up(self) -> None:
        self.user_moved = True
        super().action_page_up()

    def action_page_down(self) -> None:
        self.user_moved = True
        super().action_page_down()

    def action_first(self) -> None:
        self.user_moved = True
        self._land(0, 1)

    def action_last(self) -> None:
        self.user_moved = True
        self._land(self.row_count - 1, -1)

    def settle(self) -> None:
        """After the rows changed: off a skipped row, if the cursor is on one."""
        self._land(self.cursor_row, 1)

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if self.skip is not None and 0 <= new.row < self.row_count and self.skip(new.row):
            self._land(new.row, 1 if new.row >= old.row else -1)

    def _land(self, row: int, step: int) -> None:
        """The first row from `row` in direction `step` that is an item (else the other way)."""
        if not self.row_count:
            return
        for direction in (step, -step):
            r = max(0, min(row, self.row_count - 1))
            while 0 <= r < self.row_count:
                if self.skip is None or not self.skip(r):
                    if r != self.cursor_row:
                        self.move_cursor(row=r)
                    return
                r += direction
