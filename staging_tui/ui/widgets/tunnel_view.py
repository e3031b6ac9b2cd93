"""The Database pane's widgets: the tunnels table and the selected tunnel's detail.

They only display what the screen hands them (TunnelState, the instance, a revealed
password or None); the screen owns the workers and the Backend.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from staging_tui.domain import SqlInstance, TunnelState, TunnelStatus
from staging_tui.render.tunnels import detail_lines, tunnel_row
from staging_tui.ui.widgets.nav_table import NavTable

# Fixed widths: cells change every second and must never be cut ("starting",
# "127.0.0.1:65535", "1023.9 KiB"); the instance column fits its names (auto).
COLUMNS: dict[str, int | None] = {"INSTANCE": None, "STATUS": 8, "LOCAL ADDRESS": 21,
                                  "CONNS": 5, "IN": 10, "OUT": 10, "UPTIME": 7, "IP": 7}
STATUS_STYLE = {"ready": "green", "error": "bold red", "starting": "yellow", "stopped": "dim"}


class TunnelTable(NavTable):
    """One row per instance, keyed by connection name."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        for column, width in COLUMNS.items():
            self.add_column(column, key=column, width=width)

    def show(self, rows: list[tuple[SqlInstance, TunnelState, str, str]], now: datetime) -> None:
        """rows: (instance, state, busy label or "", IP type chosen for the next start)."""
        cells_by_key = []
        for instance, state, busy, ip_choice in rows:
            cells: list[str | Text] = list(tunnel_row(state, now))
            label = str(cells[1])
            cells[1] = Text(busy or label, style=STATUS_STYLE.get(label, ""), justify="left")
            running = state.status is not TunnelStatus.STOPPED and state.ip_type
            cells.append(state.ip_type if running else ip_choice)
            cells_by_key.append((instance.connection_name, cells))
        if [str(k.value) for k in self.rows] != [name for name, _ in cells_by_key]:
            cursor = self.cursor_row
            self.clear()
            for name, cells in cells_by_key:
                self.add_row(*cells, key=name)
            if cells_by_key:
                self.move_cursor(row=max(0, min(cursor, len(cells_by_key) - 1)))
            return
        for name, cells in cells_by_key:
            for column, value in zip(COLUMNS, cells, strict=True):
                self.update_cell(name, column, value)


class TunnelDetail(Static):
    """The selected tunnel: address, DATABASE_URL / psql (masked unless revealed),
    counters, the connection test, the last error, and what to press next."""

    plain = ""  # what it shows, as plain text (tests, copy of the whole detail)

    def show(self, instance: SqlInstance | None, state: TunnelState | None, now: datetime,
             password: str | None) -> None:
        if instance is None or state is None:
            self.plain = ""
            self.update("")
            return
        has_password = bool(instance.password_secret) and not instance.iam_auth
        grid = Table.grid(padding=(0, 2))  # long values wrap inside their own column
        grid.add_column(justify="right", style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        lines = detail_lines(state, now, password, has_password=has_password)
        for label, value in lines:
            style = "bold red" if label == "last error" else (
                "green" if value.startswith("ok") else "")
            grid.add_row(label, Text(value, style=style))
        text = Text()
        if state.status is TunnelStatus.STOPPED:
            text.append("\n  s starts the tunnel and tests it · i IP type "
                        "(auto: the first of PUBLIC, PRIVATE, PSC the instance has)", style="dim")
        elif state.status is TunnelStatus.ERROR:
            text.append("\n  r retry · s stop", style="bold")
        elif has_password and password is None and state.port:
            text.append("\n  v reveals the password (from Secret Manager "
                        f"{instance.password_secret})", style="dim")
        self.plain = "".join(f"{row[0]}  {row[1]}\n" for row in lines) + text.plain
        self.update(Group(grid, text))
