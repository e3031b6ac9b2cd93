"""VirtualTable: a keyed, cursor-driven table that renders only the visible lines.

Built on the Line API (ScrollView.render_line), like Textualize/toolong: replacing
the rows is O(rows) cheap work (no per-cell widgets or measurements beyond one
`cell_len` per cell), so filtering thousands of rows stays within a frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = str | Text
GAP = 2


class VirtualTable(ScrollView, can_focus=True):
    """Rows are `(key, cells)`; line 0 is the header, pinned while scrolling."""

    DEFAULT_CSS = """
    VirtualTable { height: 1fr; background: $surface; }
    VirtualTable:focus { background-tint: $foreground 3%; }
    """
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page-down"),
        Binding("home", "jump(0)", "First", show=False, id="table.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="table.last"),
        Binding("enter", "select", "Select", show=False, id="table.select"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class RowSelected(Message):
        """Enter (or a click) on a row."""

        def __init__(self, table: VirtualTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._titles: tuple[str, ...] = ()
        self._keys: list[str] = []
        self._rows: list[tuple[Cell, ...]] = []
        self._index: dict[str, int] = {}
        self._widths: list[int] = []
        self._cell_widths: dict[int, tuple[tuple[Cell, ...], tuple[int, ...]]] = {}
        self._line_cache: dict[tuple[int, bool], Strip] = {}

    # ------------------------------------------------------------------ data

    def set_columns(self, titles: Sequence[str]) -> None:
        self._titles = tuple(titles)
        self._recompute()

    def set_rows(self, rows: Sequence[tuple[str, Sequence[Cell]]], keep_cursor: bool = True
                 ) -> None:
        """Replace every row; the cursor stays on the same key when it is still there."""
        current = self.cursor_key if keep_cursor else ""
        self._keys = [key for key, _ in rows]
        self._rows = [cells if isinstance(cells, tuple) else tuple(cells) for _, cells in rows]
        self._index = {key: i for i, key in enumerate(self._keys)}
        self._recompute()
        target = self._index.get(current, min(self.cursor_row, max(len(self._rows) - 1, 0)))
        self.cursor_row = target
        self.scroll_to_cursor()

    def _row_widths(self, cells: tuple[Cell, ...]) -> tuple[int, ...]:
        """Cell widths of a row, cached by the identity of its (kept-alive) cells tuple."""
        cached = self._cell_widths.get(id(cells))
        if cached is not None and cached[0] is cells:
            return cached[1]
        widths = tuple(c.cell_len if isinstance(c, Text) else cell_len(c) for c in cells)
        if len(self._cell_widths) > 50_000:
            self._cell_widths.clear()
        self._cell_widths[id(cells)] = (cells, widths)
        return widths

    def _recompute(self) -> None:
        widths = [cell_len(t) for t in self._titles]
        for cells in self._rows:
            row = self._row_widths(cells)
            if len(row) > len(widths):
                widths.extend([0] * (len(row) - len(widths)))
            for i, n in enumerate(row):
                if n > widths[i]:
                    widths[i] = n
        self._widths = widths
        total = sum(widths) + GAP * max(len(widths) - 1, 0) + 2
        self.virtual_size = Size(total, len(self._rows) + 1)
        self._line_cache.clear()
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def row_keys(self) -> list[str]:
        return list(self._keys)

    @property
    def cursor_key(self) -> str:
        if 0 <= self.cursor_row < len(self._keys):
            return self._keys[self.cursor_row]
        return ""

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def get_row(self, key: str) -> tuple[Cell, ...]:
        return self._rows[self._index[key]]

    def move_cursor(self, row: int) -> None:
        self.cursor_row = max(0, min(row, len(self._rows) - 1))
        self.scroll_to_cursor()

    # ------------------------------------------------------------------ actions

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(self.size.height - 2, 1))

    def action_jump(self, row: int) -> None:
        self.move_cursor(row if row >= 0 else len(self._rows) - 1)

    def action_select(self) -> None:
        if self.cursor_key:
            self.post_message(self.RowSelected(self, self.cursor_key))

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_offset.y) + event.y - 1
        if 0 <= row < len(self._rows):
            if row == self.cursor_row and event.chain > 1:
                self.action_select()
            self.move_cursor(row)

    def scroll_to_cursor(self) -> None:
        if self.is_mounted and self._rows:
            # +1 for the pinned header line
            self.scroll_to_region(Region(0, self.cursor_row + 1, 1, 1),
                                  animate=False, spacing=None, force=True)
            top = int(self.scroll_offset.y)
            if self.cursor_row < top:
                self.scroll_to(y=self.cursor_row, animate=False)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._line_cache.pop((old, True), None)
        self._line_cache.pop((old, False), None)
        self._line_cache.pop((new, True), None)
        self._line_cache.pop((new, False), None)
        self.refresh()

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            strip = self._header_strip(base)
        else:
            row = scroll_y + y - 1
            if row >= len(self._rows):
                return Strip.blank(width, base)
            strip = self._row_strip(row, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _header_strip(self, base: Style) -> Strip:
        style = base + Style(bold=True, bgcolor="grey15")
        return self._cells_strip([Text(t) for t in self._titles], style, header=True)

    def _row_strip(self, row: int, base: Style) -> Strip:
        cursor = row == self.cursor_row
        key = (row, cursor and self.has_focus)
        strip = self._line_cache.get(key)
        if strip is None:
            style = base
            if row % 2:
                style = style + Style(bgcolor="grey11")
            if cursor:
                style = style + (Style(bgcolor="dark_blue", bold=True) if self.has_focus
                                 else Style(bgcolor="grey23"))
            strip = self._cells_strip(self._rows[row], style)
            if len(self._line_cache) > 2000:
                self._line_cache.clear()
            self._line_cache[key] = strip
        return strip

    def _cells_strip(self, cells: Sequence[Cell], style: Style, header: bool = False) -> Strip:
        segments: list[Segment] = [Segment(" ", style)]
        for i, width in enumerate(self._widths):
            cell = cells[i] if i < len(cells) else ""
            text = cell if isinstance(cell, Text) else Text(cell)
            if header:
                text = Text(text.plain, style="bold")
            pad = width - text.cell_len
            console = self.app.console
            cell_style = style + console.get_style(text.style) if text.style else style
            for seg in text.render(console):
                segments.append(Segment(seg.text, cell_style + seg.style if seg.style
                                        else cell_style))
            gap = GAP if i < len(self._widths) - 1 else 1
            segments.append(Segment(" " * (pad + gap), style))
        return Strip(segments)

    def on_focus(self) -> None:
        self._line_cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._line_cache.clear()
        self.refresh()
