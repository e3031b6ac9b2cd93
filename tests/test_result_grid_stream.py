"""ResultGrid while rows stream in: its virtual size follows at most every 0.25 s (a
layout each), but a flush at the end of the stream and any jump size it for every row
appended, so `end` lands on the last row."""

from __future__ import annotations

from textual.app import App, ComposeResult

from staging_tui.domain import Column
from staging_tui.ui.widgets.result_grid import ResultGrid


class GridApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResultGrid()


async def test_streamed_batches_then_a_jump_to_the_last_row() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 20)) as pilot:
        grid = app.query_one(ResultGrid)
        grid.set_columns([Column("n", "int4"), Column("name", "text")])
        for batch in range(20):
            grid.append_text_rows([(str(batch * 100 + i), f"name {i}") for i in range(100)])
        assert grid.row_count == 2000
        grid.focus()
        await pilot.press("end")
        assert grid.cursor_row == 1999
        assert grid.virtual_size.height == 2001            # header + every row
        await pilot.pause()
        assert "1999" in "".join(s.text for s in grid.render_line(grid.size.height - 1))


async def test_flush_sizes_the_grid_for_every_row() -> None:
    app = GridApp()
    async with app.run_test(size=(60, 20)):
        grid = app.query_one(ResultGrid)
        grid.set_columns([Column("n", "int4")])
        for batch in range(10):
            grid.append_text_rows([(str(batch * 10 + i),) for i in range(10)])
        grid.flush()
        assert grid.virtual_size.height == 101
