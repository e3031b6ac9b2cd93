"""ServicesTable: the Cloud Run services list. Displays rows; the screen owns the data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from staging_tui.domain import Readiness, Service
from staging_tui.render.services import COLUMNS, STATUS, service_row

GROUP_PREFIX = "group:"


class ServicesTable(DataTable[str | Text]):
    """Rows keyed by service name; group header rows keyed `group:<pr>`."""

    DEFAULT_CSS = "ServicesTable { height: 1fr; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._cells: dict[tuple[str, datetime | None, str], tuple[str | Text, ...]] = {}

    def on_mount(self) -> None:
        for title in COLUMNS:
            self.add_column(title, key=title.lower())

    def show(self, groups: Sequence[tuple[str, Sequence[Service]]], now: datetime) -> None:
        """Replace the rows, keeping the cursor on the same service when possible."""
        selected = self.selected_name
        self.clear()
        for label, services in groups:
            if label:
                self.add_row(Text(f"── PR {label} ──", style="bold cyan"),
                             *[""] * (len(COLUMNS) - 1), key=f"{GROUP_PREFIX}{label}")
            self.add_rows_keyed(services, now)
        if selected:
            try:
                self.move_cursor(row=self.get_row_index(selected))
            except Exception:  # the service is filtered out now
                pass

    def add_rows_keyed(self, services: Sequence[Service], now: datetime) -> None:
        for s in services:
            self.add_row(*self._cells_for(s, now), key=s.name)

    def _cells_for(self, s: Service, now: datetime) -> tuple[str | Text, ...]:
        key = (s.name, s.update_time, s.readiness.value)
        cells = self._cells.get(key)
        if cells is None:
            raw = service_row(s, now)
            _, _, colour = STATUS[s.readiness]
            status = Text(raw[1], style=f"bold {colour}")
            name = Text(raw[0], style="bold red" if s.readiness is Readiness.FAILED else "")
            created = Text(raw[3], style="yellow") if raw[3] else ""
            cells = (name, status, raw[2], created, *raw[4:])
            self._cells[key] = cells
        return cells

    @property
    def selected_name(self) -> str:
        """The service under the cursor ("" on a group row or an empty table)."""
        if not self.row_count:
            return ""
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or ""
        except Exception:
            return ""
        return "" if key.startswith(GROUP_PREFIX) else key
