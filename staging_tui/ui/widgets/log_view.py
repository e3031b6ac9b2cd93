"""LogView: a virtualized log list over `LogViewModel` (the Line API, like toolong).

Only the rows in the viewport are rendered (`render_line`), each once per change
thanks to an LRU of rendered rows. Follow mode keeps the cursor on the newest row;
moving up or scrolling pauses it; End or `f` resumes.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from time import perf_counter

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import MouseScrollUp
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from staging_tui.domain import LogEntry, LogMarker, MarkerKind
from staging_tui.model.log_view import LogViewModel
from staging_tui.render.log_lines import SEVERITY_STYLE, format_time, log_row, marker_text

SOURCE_WIDTH = 28
CACHE_ROWS = 2000
_CURSOR = Style(bgcolor="grey23", bold=True)
_DIM = Style(dim=True)
_SOURCE = Style(color="cyan")
_SEVERITY = {severity: Style.parse(style) for severity, style in SEVERITY_STYLE.items()}
_MATCH = Style(bgcolor="dark_goldenrod", color="black")
_MARKER_STYLE = {
    MarkerKind.SUPPRESSED: "bold yellow", MarkerKind.GAP: "bold red", MarkerKind.OLDER: "yellow",
    MarkerKind.RECONNECT: "dim cyan", MarkerKind.MARK: "bold magenta",
}


class LogView(ScrollView, can_focus=True):
    """The rows of a LogViewModel; the screen calls `data_changed()` after feeding it."""

    DEFAULT_CSS = """
    LogView { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }
    """
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="logs.cursor-up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="logs.cursor-down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="logs.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="logs.page-down"),
        Binding("home", "top", "Top", show=False, id="logs.top"),
        Binding("end,f", "follow", "Follow", id="logs.follow"),
        Binding("enter", "expand", "Expand", id="logs.expand"),
    ]

    class FollowChanged(Message):
        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    class Expand(Message):
        """Enter on an entry: the screen shows it in full."""

        def __init__(self, entry: LogEntry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, model: LogViewModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.cursor = 0
        self.wrap = False
        self.utc = False
        self.highlight: re.Pattern[str] | None = None
        self._rows: OrderedDict[tuple[int, int], list[Strip]] = OrderedDict()
        self._layout_key: tuple[object, ...] = ()
        self._layout: list[tuple[int, Strip]] = []
        self.rendered_cursor = (-1, 0.0)  # (cursor, perf_counter) of the last frame showing it
        self._width = 0  # content width (without the scrollbar), kept up to date on resize
        self._generation = model.generation

    # ------------------------------------------------------------------ state

    @property
    def following(self) -> bool:
        return self.model.follow

    def set_following(self, on: bool) -> None:
        if self.model.follow != on:
            self.model.follow = on
            self.post_message(self.FollowChanged(on))
        if on:
            self.data_changed()

    def settings_changed(self) -> None:
        """Wrap, time zone or highlight changed: re-render every row."""
        self._rows.clear()
        self._layout_key = ()
        self.data_changed()

    def data_changed(self) -> None:
        """The model changed (new rows, filter, clear): resize and follow."""
        count = len(self.model)
        self._forget_if_cleared()
        self._width = self.scrollable_content_region.width
        self.virtual_size = Size(self._width, count)
        if self.model.follow:
            self.cursor = max(0, count - 1)
            self.scroll_to(y=max(0, count - self.size.height), animate=False, immediate=True)
        else:
            self.cursor = min(self.cursor, max(0, count - 1))
        self.refresh()

    def _forget_if_cleared(self) -> None:
        """Cached rows are keyed by ring index, which a clear starts over."""
        if self._generation != self.model.generation:
            self._generation = self.model.generation
            self._rows.clear()
            self._layout_key = ()

    # ------------------------------------------------------------------ actions

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(1, self.size.height - 1))

    def action_top(self) -> None:
        self._move(0)

    def action_follow(self) -> None:
        self.set_following(True)

    def action_expand(self) -> None:
        if len(self.model):
            item = self.model.row(self.cursor)
            if isinstance(item, LogEntry):
                self.post_message(self.Expand(item))

    def _move(self, position: int) -> None:
        count = len(self.model)
        if not count:
            return
        position = max(0, min(position, count - 1))
        if position < count - 1:
            self.set_following(False)
        self.cursor = position
        top = int(self.scroll_offset.y)
        if position < top:
            self.scroll_to(y=position, animate=False, immediate=True)
        elif position >= top + self._rows_shown():
            self.scroll_to(y=position - self._rows_shown() + 1, animate=False, immediate=True)
        self.refresh()
        if position == count - 1 and not self.following:
            self.set_following(True)

    def _rows_shown(self) -> int:
        top = int(self.scroll_offset.y)
        rows = {r for r, _ in self._compute_layout(top)}
        return max(1, len(rows) - (1 if self.wrap and len(rows) > 1 else 0))

    def on_resize(self) -> None:
        self.data_changed()

    def on_mouse_scroll_up(self, event: MouseScrollUp) -> None:
        self.set_following(False)

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        top = int(self.scroll_offset.y)
        layout = self._compute_layout(top)
        if y >= len(layout):
            return Strip.blank(self._width)
        row, strip = layout[y]
        if row == self.cursor:
            self.rendered_cursor = (row, perf_counter())
            if self.has_focus_within:
                return strip.apply_style(_CURSOR)
        return strip

    def _compute_layout(self, top: int) -> list[tuple[int, Strip]]:
        """(row, line) for each screen line. Wrapped and following: bottom-up, so the
        newest entry is seen whole."""
        width, height = self._width, self.size.height
        count = len(self.model)
        key = (top, width, height, count, self.model.appended, self.wrap, self.model.follow)
        self._forget_if_cleared()
        if key == self._layout_key:
            return self._layout
        out: list[tuple[int, Strip]] = []
        if self.wrap and self.following:
            row = count - 1
            while len(out) < height and row >= 0:
                out[:0] = [(row, strip) for strip in self._row_strips(row, width)]
                row -= 1
            out = out[-height:]
        else:
            row = top
            while len(out) < height and row < count:
                out.extend((row, strip) for strip in self._row_strips(row, width))
                row += 1
            out = out[:height]
        self._layout_key, self._layout = key, out
        return self._layout

    def _row_strips(self, row: int, width: int) -> list[Strip]:
        index = self.model.index_at(row)
        cached = self._rows.get((index, width))
        if cached is not None:
            self._rows.move_to_end((index, width))
            return cached
        item = self.model.at_index(index)
        fast = None if self.wrap or self.highlight else self._fast_strip(item, width)
        if fast is not None:
            self._remember(index, width, [fast])
            return [fast]
        text = self.row_text(item)
        console = self.app.console
        if self.wrap:
            lines = text.wrap(console, max(10, width))
            strips = [Strip(list(line.render(console))).extend_cell_length(width)
                      for line in lines] or [Strip.blank(width)]
        else:
            text.no_wrap = True
            text.truncate(width, overflow="ellipsis")
            segments = [s for s in text.render(console) if s.text != "\n"]
            strips = [Strip(segments).crop_extend(0, width, None)]
        self._remember(index, width, strips)
        return strips

    def _remember(self, index: int, width: int, strips: list[Strip]) -> None:
        self._rows[(index, width)] = strips
        if len(self._rows) > CACHE_ROWS:
            self._rows.popitem(last=False)

    def _fast_strip(self, item: LogEntry | LogMarker, width: int) -> Strip | None:
        """The common row (an entry, ASCII, no highlight) as segments, without rich's
        text layout: a flood shows new rows every frame, so this is the hot path."""
        if not isinstance(item, LogEntry):
            return None
        when, severity, source, message = log_row(item, self.utc, SOURCE_WIDTH)
        if not (message.isascii() and source.isascii()):
            return None
        room = width - len(when) - 1 - len(severity) - 1 - SOURCE_WIDTH - 1
        if room < 1:
            return None
        if len(message) > room:
            message = message[: room - 1] + "…"
        segments = [
            Segment(when, _DIM), Segment(" "),
            Segment(severity, _SEVERITY[item.severity]),
            Segment(" "), Segment(source, _SOURCE), Segment(" "),
            Segment(message.ljust(room)),
        ]
        return Strip(segments, width)

    def row_text(self, item: LogEntry | LogMarker) -> Text:
        if isinstance(item, LogMarker):
            return Text(f"{format_time(item.timestamp, self.utc)} {marker_text(item)}",
                        style=_MARKER_STYLE.get(item.kind, "yellow"))
        when, severity, source, message = log_row(item, self.utc, SOURCE_WIDTH)
        text = Text(no_wrap=not self.wrap, end="")
        text.append(when, style="dim")
        text.append(" ")
        text.append(severity, style=SEVERITY_STYLE[item.severity])
        text.append(" ")
        text.append(source, style="cyan")
        text.append(" ")
        start = len(text)
        text.append(message if not self.wrap else (item.text or item.message))
        if self.highlight is not None:
            for match in self.highlight.finditer(text.plain, start):
                if match.end() > match.start():
                    text.stylize(_MATCH, match.start(), match.end())
        return text


def strip_text(strip: Strip) -> str:
    """The plain text of a rendered line (tests)."""
    return "".join(seg.text for seg in strip if isinstance(seg, Segment))
