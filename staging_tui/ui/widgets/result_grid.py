"""ResultGrid: a query result of any size, rendered through the Line API.

Rows live in a ResultStore (db/result_store.py: by column, PostgreSQL's text in
compact buffers, appended batch by batch while the query streams); only the visible
lines are formatted, with a small cache, so a million rows cost ~80 MB and
scrolling to the end is one frame. Column widths
come from the header and the first rows (capped), so they never jump while rows
stream in. NULL is drawn as a dim "∅", never as the text NULL. `expanded` shows
one record per block, like psql's \\x.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from staging_tui.db.result_store import Kind, ResultStore, shown_text
from staging_tui.domain import Column
from staging_tui.render.query import NULL_TEXT, header_text

MAX_WIDTH = 40
SAMPLE_ROWS = 1000
GAP = 2
NULL_STYLE = Style(dim=True, italic=True)
RESIZE_EVERY_S = 0.25   # while rows stream in, the virtual size follows this often


class ResultGrid(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    ResultGrid { height: 1fr; background: $surface; }
    ResultGrid:focus { background-tint: $foreground 3%; }
    """
    BINDINGS = [
        Binding("up,k", "move(-1, 0)", "Up", show=False, id="query.grid-up"),
        Binding("down,j", "move(1, 0)", "Down", show=False, id="query.grid-down"),
        Binding("left", "move(0, -1)", "Left", show=False, id="query.grid-left"),
        Binding("right", "move(0, 1)", "Right", show=False, id="query.grid-right"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="query.grid-page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="query.grid-page-down"),
        Binding("home,ctrl+home", "jump(0)", "First row", show=False, id="query.grid-first"),
        Binding("end,ctrl+end", "jump(-1)", "Last row", show=False, id="query.grid-last"),
        Binding("enter,v", "view_cell", "Cell", id="query.cell"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)
    cursor_col: reactive[int] = reactive(0, always_update=True)
    expanded: reactive[bool] = reactive(False)

    class CellSelected(Message):
        def __init__(self, grid: ResultGrid, row: int, col: int) -> None:
            super().__init__()
            self.grid = grid
            self.row = row
            self.col = col

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns: tuple[Column, ...] = ()
        self.store = ResultStore(())
        self._titles: list[str] = []
        self._widths: list[int] = []
        self._cache: dict[tuple[int, int], Strip] = {}
        self._resized_at = 0.0
        self._resize_pending = False

    # ------------------------------------------------------------------ data
    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self._titles = [header_text(c) for c in self.columns]
        self._widths = [min(cell_len(t), MAX_WIDTH) for t in self._titles]
        self.store = ResultStore(self.columns)
        self._resize()

    @property
    def rows(self) -> ResultStore:
        """The rows (iterating gives tuples of typed values; export reads the store)."""
        return self.store

    def append_text_rows(self, rows: Sequence[Sequence[str | None]]) -> None:
        """A batch as PostgreSQL's text (QuerySession.stream(text=True))."""
        start = len(self.store)
        self.store.append(rows)
        self._appended(start)

    def append_rows(self, rows: Sequence[Sequence[object]]) -> None:
        """A batch of Python values (results of our own queries)."""
        start = len(self.store)
        self.store.append_values(rows)
        self._appended(start)

    def _appended(self, start: int) -> None:
        if start < SAMPLE_ROWS:
            kinds = self.store.kinds
            for r in range(start, min(len(self.store), SAMPLE_ROWS)):
                for i, text in enumerate(self.store.row(r)[: len(self._widths)]):
                    n = min(cell_len(_cell(kinds[i], text, MAX_WIDTH)), MAX_WIDTH)
                    if n > self._widths[i]:
                        self._widths[i] = n
            self._cache.clear()
        # a new virtual size costs the screen a layout: while rows stream in, at most
        # every RESIZE_EVERY_S (the caller flushes the last one)
        if start == 0 or time.monotonic() - self._resized_at >= RESIZE_EVERY_S:
            self._resize()
        else:
            self._resize_pending = True

    def flush(self) -> None:
        """Size the grid for every row appended (the stream ended, or a jump)."""
        if self._resize_pending:
            self._resize()

    @property
    def row_count(self) -> int:
        return len(self.store)

    def cell(self, row: int, col: int) -> object:
        return self.store.value(row, col)

    def _lines_per_row(self) -> int:
        return len(self.columns) + 1 if self.expanded else 1

    def _resize(self) -> None:
        self._resize_pending = False
        self._resized_at = time.monotonic()
        if self.expanded:
            label = max((cell_len(c.name) for c in self.columns), default=0)
            self.virtual_size = Size(label + 3 + 120, len(self.store) * self._lines_per_row())
        else:
            width = sum(self._widths) + GAP * max(len(self._widths) - 1, 0) + 2
            self.virtual_size = Size(width, len(self.store) + 1)
        self.refresh()

    def watch_expanded(self) -> None:
        self._cache.clear()
        self._resize()
        self.scroll_to_cursor()

    # ------------------------------------------------------------------ cursor
    def move_to(self, row: int, col: int | None = None) -> None:
        self.flush()
        self.cursor_row = max(0, min(row, len(self.store) - 1))
        if col is not None:
            self.cursor_col = max(0, min(col, len(self.columns) - 1))
        self.scroll_to_cursor()

    def action_move(self, rows: int, cols: int) -> None:
        self.move_to(self.cursor_row + rows, self.cursor_col + cols)

    def action_page(self, direction: int) -> None:
        step = max(self.size.height - 2, 1) // self._lines_per_row() or 1
        self.move_to(self.cursor_row + direction * step)

    def action_jump(self, row: int) -> None:
        self.move_to(row if row >= 0 else len(self.store) - 1)

    def action_view_cell(self) -> None:
        if len(self.store) and self.columns:
            self.post_message(self.CellSelected(self, self.cursor_row, self.cursor_col))

    def on_click(self, event: events.Click) -> None:
        if self.expanded or not len(self.store):
            return
        row = int(self.scroll_offset.y) + event.y - 1
        x = int(self.scroll_offset.x) + event.x - 1
        col, edge = 0, 0
        for i, w in enumerate(self._widths):
            edge += w + GAP
            if x < edge:
                col = i
                break
        if 0 <= row < len(self.store):
            self.move_to(row, col)
            if event.chain > 1:
                self.action_view_cell()

    def scroll_to_cursor(self) -> None:
        if not self.is_mounted or not len(self.store):
            return
        per = self._lines_per_row()
        top = self.cursor_row * per
        if self.expanded:
            region = Region(0, top, 1, per)
        else:
            x = sum(self._widths[: self.cursor_col]) + GAP * self.cursor_col
            width = self._widths[self.cursor_col] if self._widths else 1
            region = Region(x, top + 1, width + 2, 1)
        self.scroll_to_region(region, animate=False, spacing=None, force=True)
        if not self.expanded and self.cursor_row < int(self.scroll_offset.y):
            self.scroll_to(y=self.cursor_row, animate=False)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._cache.pop((old, 0), None)
        self._cache.pop((new, 0), None)
        self.refresh()

    def watch_cursor_col(self) -> None:
        self._cache.pop((self.cursor_row, 0), None)
        self.refresh()

    # ------------------------------------------------------------------ rendering
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if self.expanded:
            strip = self._record_line(scroll_y + y, base)
        elif y == 0:
            strip = self._header(base)
        else:
            row = scroll_y + y - 1
            if row >= len(self.store):
                return Strip.blank(width, base)
            strip = self._row(row, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _header(self, base: Style) -> Strip:
        style = base + Style(bold=True, bgcolor="grey15")
        segments = [Segment(" ", style)]
        for i, (title, w) in enumerate(zip(self._titles, self._widths, strict=False)):
            text = title if cell_len(title) <= w else title[: w - 1] + "…"
            segments.append(Segment(text + " " * (w - cell_len(text)), style))
            if i < len(self._widths) - 1:
                segments.append(Segment(" " * GAP, style))
        segments.append(Segment(" ", style))
        return Strip(segments)

    def _row(self, row: int, base: Style) -> Strip:
        key = (row, 0)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        is_cursor = row == self.cursor_row
        row_style = base + Style(bgcolor="grey23") if is_cursor else base
        segments = [Segment(" ", row_style)]
        values = self.store.row(row)
        kinds = self.store.kinds
        for i, w in enumerate(self._widths):
            value = values[i] if i < len(values) else None
            text = _cell(kinds[i], value, w)
            style = row_style + NULL_STYLE if value is None else row_style
            if is_cursor and i == self.cursor_col and self.has_focus:
                style = style + Style(reverse=True)
            pad = w - cell_len(text)
            cell = (" " * pad + text) if kinds[i].numeric else (text + " " * pad)
            segments.append(Segment(cell, style))
            if i < len(self._widths) - 1:
                segments.append(Segment(" " * GAP, row_style))
        segments.append(Segment(" ", row_style))
        strip = Strip(segments)
        if len(self._cache) > 500:
            self._cache.clear()
        self._cache[key] = strip
        return strip

    def _record_line(self, line: int, base: Style) -> Strip:
        per = self._lines_per_row()
        row, part = divmod(line, per)
        if row >= len(self.store):
            return Strip.blank(self.size.width, base)
        label = max((cell_len(c.name) for c in self.columns), default=0)
        is_cursor = row == self.cursor_row
        style = base + Style(bgcolor="grey23") if is_cursor else base
        if part == 0:
            return Strip([Segment(f"-[ RECORD {row + 1} ]" + "-" * max(0, label - 4),
                                  style + Style(bold=True))])
        col = part - 1
        value = self.store.text(row, col)
        name = self.columns[col].name
        text = _cell(self.store.kinds[col], value, 120)
        return Strip([Segment(f"{name.ljust(label)} | ", style),
                      Segment(text, style + NULL_STYLE if value is None else style)])

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()


def _cell(kind: Kind, text: str | None, width: int) -> str:
    """One line of a cell: NULL as its mark, newlines and tabs flattened, cut to width."""
    if text is None:
        return NULL_TEXT
    text = shown_text(kind, text).replace("\n", "↵").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"
