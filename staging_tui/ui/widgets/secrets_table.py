"""SecretsTable and VersionsTable: rows only; the screens own the data and the values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.text import Text

from staging_tui.domain import Secret, SecretVersion, VersionState
from staging_tui.render.secrets import COLUMNS, secret_row, version_row
from staging_tui.ui.widgets.virtual_table import Cell, VirtualTable

VERSION_COLUMNS = ("version", "state", "created", "destroyed")
STATE_STYLE = {VersionState.ENABLED: "green", VersionState.DISABLED: "yellow",
               VersionState.DESTROYED: "red", VersionState.UNKNOWN: "grey50"}


class SecretsTable(VirtualTable):
    """Rows keyed by secret name."""

    def on_mount(self) -> None:
        self.set_columns(COLUMNS)

    def show(self, secrets: Sequence[Secret], users: Mapping[str, Sequence[str]],
             now: datetime, versions_loaded: bool = True) -> None:
        """`versions_loaded=False`: the names are listed, versions still on their way."""
        rows: list[tuple[str, Sequence[Cell]]] = []
        pending = Text("…", style="dim")
        for s in secrets:
            raw = secret_row(s, users.get(s.name, ()), now)
            if not versions_loaded and not s.versions_known:
                rows.append((s.name, (Text(raw[0], style="bold"), pending, pending, *raw[3:])))
                continue
            if not s.versions_known:  # not needed by anyone: fetched when selected
                rows.append((s.name, (Text(raw[0], style="bold"), Text(raw[1], style="dim"),
                                      Text(raw[2], style="dim"), *raw[3:])))
                continue
            latest = s.latest
            enabled: Cell = raw[1]
            if s.latest_enabled is None:
                enabled = Text(raw[1], style="bold red")
            elif latest is not None and latest.state is not VersionState.ENABLED:
                enabled = Text(f"{raw[1]} (latest {latest.version} {latest.state.value})",
                               style="yellow")
            rows.append((s.name, (Text(raw[0], style="bold"), enabled, *raw[2:])))
        self.set_rows(rows)


class VersionsTable(VirtualTable):
    """Rows keyed by version number, newest first."""

    def on_mount(self) -> None:
        self.set_columns(VERSION_COLUMNS)

    def show(self, versions: Sequence[SecretVersion], now: datetime) -> None:
        rows: list[tuple[str, Sequence[Cell]]] = []
        for v in versions:
            raw = version_row(v, now)
            rows.append((v.version, (raw[0], Text(raw[1], style=STATE_STYLE[v.state]), *raw[2:])))
        self.set_rows(rows)
