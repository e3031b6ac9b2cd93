"""The Database pane: Cloud SQL tunnels started from the keyboard.

Instances come from the profile, or are typed ad hoc (`a`). `s` starts / stops the
selected one (several at once); starting runs `SELECT 1` through the tunnel. The
detail shows the local address, DATABASE_URL and psql command (password masked
until `v`), connections, bytes, uptime, the connection test and the last error;
`r` retries an instance that failed. Tunnels drain when the app exits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from staging_tui.domain import SqlInstance, TunnelState, TunnelStatus
from staging_tui.errors import StagingError, TunnelError
from staging_tui.render.tunnels import database_url, detail_lines, psql_command, tunnel_row
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from staging_tui.gcp.tunnels import Tunnels

COLUMNS = ("INSTANCE", "STATUS", "LOCAL ADDRESS", "CONNS", "IN", "OUT", "UPTIME", "IP")
IP_TYPES = ("auto", "PUBLIC", "PRIVATE", "PSC")
STATUS_STYLE = {"ready": "green", "error": "bold red", "starting": "yellow", "stopped": "dim"}


class DatabaseScreen(PaneScreen):
    PANE_TITLE = "Database"
    DEFAULT_CSS = """
    DatabaseScreen #database-tunnels { height: auto; max-height: 50%; }
    DatabaseScreen #database-detail { height: 1fr; padding: 1 2; }
    DatabaseScreen #database-add.-hidden { display: none; }
    """
    BINDINGS = [
        Binding("s", "start_stop", "Start/stop", id="database.start-stop"),
        Binding("t", "test", "Test", id="database.test"),
        Binding("r", "retry", "Retry", id="database.retry"),
        Binding("a", "add", "Add instance", id="database.add"),
        Binding("i", "cycle_ip", "IP type", id="database.ip-type"),
        Binding("v", "reveal", "Reveal password", id="database.reveal"),
        Binding("c", "copy_url", "Copy URL", id="database.copy-url"),
        Binding("p", "copy_psql", "Copy psql", id="database.copy-psql"),
        Binding("escape", "cancel_add", "Cancel", show=False, id="database.cancel-add"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.instances: list[SqlInstance] = []
        self.tunnels: Tunnels | None = None
        self.states: dict[str, TunnelState] = {}
        self.busy: dict[str, str] = {}  # instance -> "starting" / "stopping"
        self.ip_choice: dict[str, str] = {}
        self.revealed: dict[str, str] = {}  # never logged; cleared on hide / stop
        self._initial_instance = ""

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="connection name PROJECT:REGION:INSTANCE — Enter adds, Esc cancels",
                    id="database-add", classes="-hidden")
        table: DataTable[str | Text] = DataTable(id="database-tunnels", cursor_type="row")
        yield table
        yield Static(id="database-detail")
        yield StatusLine(id="database-status")

    def on_mount(self) -> None:
        self.instances = list(self.settings.sql_instances)
        table = self.query_one("#database-tunnels", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.show()
        table.focus()
        if self._initial_instance:
            self.show_instance(self._initial_instance)
        status = self.query_one(StatusLine)
        status.info(f"{len(self.instances)} instance(s) in profile {self.settings.profile} · "
                    "s start/stop · a add · v reveal · c/p copy" if self.instances else
                    "no Cloud SQL instances in the profile: press a to add one by connection name")
        self.set_interval(1.0, self.poll)

    # ------------------------------------------------------------------ state

    def poll(self) -> None:
        """Counters change every second while tunnels run: read the live states."""
        if self.tunnels is not None:
            self.states = {s.instance: s for s in self.tunnels.states()}
        self.show()

    def state_of(self, instance: SqlInstance) -> TunnelState:
        name = instance.connection_name
        state = self.states.get(name) or TunnelState(
            instance=name, status=TunnelStatus.STOPPED, database=instance.database,
            user=instance.user)
        if name in self.busy and self.busy[name] == "starting":
            state = TunnelState(instance=name, status=TunnelStatus.STARTING,
                                database=instance.database, user=instance.user)
        return state

    def show_instance(self, connection_name: str) -> None:
        """Select one instance's row (a Doctor finding's jump). Safe before mount."""
        self._initial_instance = connection_name
        if not self.is_mounted:
            return
        names = [i.connection_name for i in self.instances]
        if connection_name in names:
            self.query_one("#database-tunnels", DataTable).move_cursor(
                row=names.index(connection_name))
        else:
            self.notify(f"{connection_name}: not an instance of this profile (a adds one)",
                        severity="warning")

    def selected(self) -> SqlInstance | None:
        table = self.query_one("#database-tunnels", DataTable)
        if not self.instances or table.cursor_row < 0:
            return None
        return self.instances[min(table.cursor_row, len(self.instances) - 1)]

    def show(self) -> None:
        table = self.query_one("#database-tunnels", DataTable)
        now = self.now()
        rows = []
        for instance in self.instances:
            state = self.state_of(instance)
            cells: list[str | Text] = list(tunnel_row(state, now))
            label = str(cells[1])
            cells[1] = Text(self.busy.get(instance.connection_name, label),
                            style=STATUS_STYLE.get(label, ""))
            cells.append(self.ip_choice.get(instance.connection_name, "auto"))
            rows.append((instance.connection_name, cells))
        keys = [str(k.value) for k in table.rows]
        if keys != [name for name, _ in rows]:
            cursor = table.cursor_row
            table.clear()
            for name, cells in rows:
                table.add_row(*cells, key=name)
            if rows:
                table.move_cursor(row=max(0, min(cursor, len(rows) - 1)))
        else:
            for name, cells in rows:
                for column, value in zip(COLUMNS, cells, strict=True):
                    table.update_cell(name, column, value)
        self.show_detail()

    def show_detail(self) -> None:
        detail = self.query_one("#database-detail", Static)
        instance = self.selected()
        if instance is None:
            detail.update("")
            return
        state = self.state_of(instance)
        password = self.revealed.get(instance.connection_name)
        has_password = bool(instance.password_secret) and not instance.iam_auth
        text = Text()
        for label, value in detail_lines(state, self.now(), password, has_password=has_password):
            style = "bold red" if label == "last error" else (
                "green" if value.startswith("ok") else "")
            text.append(f"{label:>16}  ", style="dim")
            text.append(value + "\n", style=style)
        if state.status is TunnelStatus.STOPPED:
            text.append("\n  s starts the tunnel and tests it · i IP type "
                        "(auto tries PUBLIC, PRIVATE, PSC)", style="dim")
        elif state.status is TunnelStatus.ERROR:
            text.append("\n  r retry", style="bold")
        elif has_password and password is None and state.port:
            text.append("\n  v reveals the password (from Secret Manager "
                        f"{instance.password_secret})", style="dim")
        detail.update(text)

    @on(DataTable.RowHighlighted, "#database-tunnels")
    def _highlighted(self) -> None:
        self.show_detail()

    @on(DataTable.RowSelected, "#database-tunnels")
    def _selected(self) -> None:
        self.action_start_stop()

    # ------------------------------------------------------------------ actions

    def action_start_stop(self) -> None:
        instance = self.selected()
        if instance is None or instance.connection_name in self.busy:
            return
        state = self.state_of(instance)
        if state.status in (TunnelStatus.READY, TunnelStatus.ERROR) and state.port:
            self.stop_tunnel(instance)
        else:
            self.start_tunnel(instance)

    def action_retry(self) -> None:
        instance = self.selected()
        if instance is not None and instance.connection_name not in self.busy:
            self.start_tunnel(instance)

    def action_test(self) -> None:
        instance = self.selected()
        if instance is not None:
            self.test_tunnel(instance)

    def action_cycle_ip(self) -> None:
        instance = self.selected()
        if instance is None:
            return
        current = self.ip_choice.get(instance.connection_name, "auto")
        self.ip_choice[instance.connection_name] = IP_TYPES[(IP_TYPES.index(current) + 1)
                                                            % len(IP_TYPES)]
        self.show()

    def action_add(self) -> None:
        box = self.query_one("#database-add", Input)
        box.remove_class("-hidden")
        box.focus()

    def action_cancel_add(self) -> None:
        box = self.query_one("#database-add", Input)
        box.value = ""
        box.add_class("-hidden")
        self.query_one("#database-tunnels", DataTable).focus()

    @on(Input.Submitted, "#database-add")
    def _add_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if name.count(":") != 2 or not all(name.split(":")):
            self.query_one(StatusLine).error(TunnelError(
                f"{name!r} is not a connection name", "write PROJECT:REGION:INSTANCE"), "a")
            return
        if all(i.connection_name != name for i in self.instances):
            self.instances.append(SqlInstance(connection_name=name))
        self.action_cancel_add()
        self.show()
        table = self.query_one("#database-tunnels", DataTable)
        table.move_cursor(row=[i.connection_name for i in self.instances].index(name))

    def action_reveal(self) -> None:
        instance = self.selected()
        if instance is None:
            return
        if instance.connection_name in self.revealed:
            del self.revealed[instance.connection_name]
            self.show_detail()
        else:
            self.reveal_password(instance)

    def _copy(self, what: str, text: str, masked: bool) -> None:
        self.app.copy_to_clipboard(text)
        note = " (password masked: v reveals it first)" if masked else ""
        self.notify(f"copied {what}{note}")

    def action_copy_url(self) -> None:
        instance = self.selected()
        if instance is None or not self.state_of(instance).port:
            return
        password = self.revealed.get(instance.connection_name)
        masked = password is None and bool(instance.password_secret) and not instance.iam_auth
        self._copy("DATABASE_URL", database_url(self.state_of(instance), password,
                                                masked=masked), masked)

    def action_copy_psql(self) -> None:
        instance = self.selected()
        if instance is None or not self.state_of(instance).port:
            return
        password = self.revealed.get(instance.connection_name)
        masked = password is None and bool(instance.password_secret) and not instance.iam_auth
        self._copy("psql command", psql_command(self.state_of(instance), password), masked)

    # ------------------------------------------------------------------ workers

    @work(group="database-tunnel", exit_on_error=False)
    async def start_tunnel(self, instance: SqlInstance) -> None:
        from staging_tui.gcp.cloudsql import TunnelOptions

        name = instance.connection_name
        status = self.query_one(StatusLine)
        self.busy[name] = "starting"
        self.show()
        status.busy(f"starting the tunnel to {instance.short_name} and testing SELECT 1")
        choice = self.ip_choice.get(name, "auto")
        order = ("PUBLIC", "PRIVATE", "PSC") if choice == "auto" else (choice,)
        try:
            tunnels = self.tunnels = await self.backend.tunnels()
            for ip_type in order:
                try:
                    tunnel = await tunnels.start(instance, TunnelOptions(
                        ip_type=ip_type, iam_auth=instance.iam_auth))
                    break
                except TunnelError as exc:
                    if "no IP address of the requested type" in exc.message and \
                            ip_type != order[-1]:
                        continue
                    raise
        except StagingError as exc:
            status.error(exc)
            return
        finally:
            self.busy.pop(name, None)
            self.poll()
        state = tunnel.state
        if state.status is TunnelStatus.READY:
            status.info(f"✓ {instance.short_name} on {state.host}:{state.port} "
                        f"({ip_type}) · {state.connection_test}")
        else:
            status.error(TunnelError(state.last_error or state.connection_test,
                                     "press r to retry"))

    @work(group="database-tunnel", exit_on_error=False)
    async def stop_tunnel(self, instance: SqlInstance) -> None:
        name = instance.connection_name
        self.busy[name] = "stopping"
        self.show()
        status = self.query_one(StatusLine)
        status.busy(f"draining the tunnel to {instance.short_name}")
        try:
            await (await self.backend.tunnels()).stop(name)
        except StagingError as exc:
            status.error(exc)
        else:
            status.info(f"stopped the tunnel to {instance.short_name}")
        finally:
            self.busy.pop(name, None)
            self.revealed.pop(name, None)
            self.poll()

    @work(group="database-test", exclusive=True, exit_on_error=False)
    async def test_tunnel(self, instance: SqlInstance) -> None:
        status = self.query_one(StatusLine)
        if self.state_of(instance).status is TunnelStatus.STOPPED:
            status.info(f"{instance.short_name} is not running: s starts it (and tests it)")
            return
        status.busy(f"SELECT 1 through {instance.short_name}")
        try:
            result = await (await self.backend.tunnels()).test(instance.connection_name)
        except StagingError as exc:
            status.error(exc, "t")
            return
        finally:
            self.poll()
        status.info(f"{instance.short_name}: {result}")

    @work(group="database-reveal", exclusive=True, exit_on_error=False)
    async def reveal_password(self, instance: SqlInstance) -> None:
        status = self.query_one(StatusLine)
        if instance.iam_auth or not instance.password_secret:
            status.info(f"{instance.short_name} has no password secret in the profile "
                        "(IAM authentication or none configured)")
            return
        try:
            password = await (await self.backend.tunnels()).password(instance)
        except StagingError as exc:
            status.error(exc, "v")
            return
        self.revealed[instance.connection_name] = password
        self.show_detail()
        status.info("password revealed: v hides it again")
