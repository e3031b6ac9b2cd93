"""ServicesTable: the Cloud Run services list. Displays rows; the screen owns the data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from staging_tui.domain import Readiness, Service
from staging_tui.render.error_rates import shared_peak, sparkline
from staging_tui.render.services import COLUMNS, STATUS, row_key, service_row, spans_regions
from staging_tui.ui.widgets.virtual_table import Cell, VirtualTable

GROUP_PREFIX = "group:"
# The error-rate sparkline (5xx per minute) sits after Status; it comes from Cloud
# Monitoring, not the Run API.
TABLE_COLUMNS = (*COLUMNS[:2], "Errors 15m", *COLUMNS[2:])


class ServicesTable(VirtualTable):
    """Rows keyed by service name; group header rows keyed `group:<pr>`."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells: dict[tuple[str, datetime | None, str, bool], tuple[Cell, ...]] = {}
        self.error_rates: dict[str, list[int]] = {}
        self._peak = 0

    def on_mount(self) -> None:
        self.set_columns(TABLE_COLUMNS)

    def set_error_rates(self, rates: dict[str, list[int]]) -> None:
        self.error_rates = rates
        self._peak = shared_peak(rates)

    def forget_cells(self) -> None:
        """Drop cached cells (ages change): called when fresh data arrives."""
        self._cells.clear()

    def show(self, groups: Sequence[tuple[str, Sequence[Service]]], now: datetime) -> None:
        """Replace the rows, keeping the cursor on the same service when possible."""
        rows: list[tuple[str, Sequence[Cell]]] = []
        multi = spans_regions(s for _, services in groups for s in services)
        for label, services in groups:
            if label:
                rows.append((f"{GROUP_PREFIX}{label}",
                             (Text(f"── PR {label} ──", style="bold cyan"),)))
            rows.extend((row_key(s, multi), self._cells_for(s, now, multi)) for s in services)
        self.set_rows(rows)

    def _cells_for(self, s: Service, now: datetime, multi: bool = False) -> tuple[Cell, ...]:
        key = (s.key, s.update_time, s.readiness.value, multi)
        cells = self._cells.get(key)
        if cells is None:
            raw = service_row(s, now, multi)
            _, _, colour = STATUS[s.readiness]
            status = Text(raw[1], style=f"bold {colour}")
            name = Text(raw[0], style="bold red" if s.readiness is Readiness.FAILED else "")
            created = Text(raw[3], style="yellow") if raw[3] else ""
            cells = (name, status, raw[2], created, *raw[4:])
            self._cells[key] = cells
        rates = self.error_rates.get(s.key) or []
        spark = sparkline(rates, self._peak)
        return (*cells[:2], Text(spark, style="red") if spark else "", *cells[2:])

    @property
    def selected_name(self) -> str:
        """The service under the cursor ("" on a group row or an empty table)."""
        key = self.cursor_key
        return "" if key.startswith(GROUP_PREFIX) else key
