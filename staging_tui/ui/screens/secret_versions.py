"""One secret's versions: states, reveal/copy any enabled one, enable/disable, add."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from staging_tui.domain import Secret, VersionState
from staging_tui.model.refresh import Refresh
from staging_tui.render.secrets import labels_text
from staging_tui.ui.screens.secret_base import SecretPaneBase
from staging_tui.ui.screens.secret_write import SecretWrite
from staging_tui.ui.widgets.freshness import Freshness, StatusRow
from staging_tui.ui.widgets.secret_value import SecretValue
from staging_tui.ui.widgets.secrets_table import VersionsTable
from staging_tui.ui.widgets.status_line import StatusLine


class SecretVersionsScreen(SecretPaneBase):
    PANE_TITLE = "Secrets"
    DEFAULT_CSS = """
    #versions-summary { height: auto; padding: 0 1; }
    #versions-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="secrets.back"),
        *SecretPaneBase.VALUE_BINDINGS,
        Binding("e", "enable_version", "Enable", id="secrets.enable"),
        Binding("d", "disable_version", "Disable", id="secrets.disable"),
        Binding("r", "reload", "Reload", id="secrets.reload-versions"),
    ]

    def __init__(self, secret: Secret, users: Sequence[str],
                 on_change: Callable[[], object] | None = None,
                 loaded_at: datetime | None = None) -> None:
        super().__init__()
        self.secret = secret
        self.users = list(users)
        self.on_change = on_change
        self.refresh_schedule = Refresh(0)  # on demand: r, after a write
        if loaded_at is not None:  # the Secrets pane's listing brought these versions
            self.refresh_schedule.succeeded(loaded_at)

    def compose_body(self) -> ComposeResult:
        yield Static(self.summary(), id="versions-summary")
        yield VersionsTable(id="versions-table")
        yield SecretValue(self.now, id="versions-value")
        yield StatusRow(StatusLine(id="versions-status"),
                        Freshness(self.refresh_schedule, self.now, self.load,
                                  id="versions-freshness"))

    def summary(self) -> Text:
        s = self.secret
        return Text.assemble(
            (s.name, "bold"), f"   labels: {labels_text(s.labels)}",
            f"   replication: {s.replication}",
            f"   used by: {', '.join(self.users) or '-'}")

    def on_mount(self) -> None:
        table = self.query_one(VersionsTable)
        table.focus()
        self.watch(table, "cursor_row", self._cursor_moved, init=False)
        self.show_rows()

    def show_rows(self) -> None:
        self.query_one("#versions-summary", Static).update(self.summary())
        self.query_one(VersionsTable).show(self.secret.versions, self.now())
        n = len(self.secret.versions)
        self.query_one(StatusLine).info(
            f"{n} versions · {'writes enabled' if self.settings.writable else 'read-only'}")
        self.point_value_box()

    def selected_version(self) -> str:
        return self.query_one(VersionsTable).cursor_key

    def target(self) -> tuple[str, str]:
        key = self.selected_version()
        version = self.secret.version(key) if key else None
        if version is None or version.state is not VersionState.ENABLED:
            return self.secret.name, ""
        return self.secret.name, version.version

    def point_value_box(self) -> None:
        super().point_value_box()
        key = self.selected_version()
        version = self.secret.version(key) if key else None
        if version is not None and version.state is not VersionState.ENABLED:
            box = self.value_box()
            box.note = f"version {key} is {version.state.value}: no value to show"
            box.show_target(self.secret.name, "", box.note)

    def _cursor_moved(self) -> None:
        self.point_value_box()

    def action_reload(self) -> None:
        self.refresh_schedule.cancelled()  # r replaces a load in flight
        self.load()

    @work(exclusive=True, group="secrets-versions", exit_on_error=False)
    async def load(self) -> None:
        """This secret again, under the view's schedule (a failed load backs off)."""
        error = await self.refresh_schedule.run(self._load_secret, self.now)
        if error is not None:
            self.query_one(StatusLine).error(error)

    async def _load_secret(self) -> None:
        api = await self.backend.secrets()
        self.secret = await api.get_secret(self.secret.name)
        self.show_rows()

    def after_write(self, write: SecretWrite) -> None:
        self.action_reload()
        if self.on_change is not None:
            self.on_change()

    def action_add_version(self) -> None:
        self.ask_write("add-version", self.secret.name)

    def action_enable_version(self) -> None:
        key = self.selected_version()
        if key:
            self.ask_write("enable", self.secret.name, key)

    def action_disable_version(self) -> None:
        key = self.selected_version()
        if key:
            self.ask_write("disable", self.secret.name, key)
