"""The Database pane: Cloud SQL tunnels started from the keyboard.

Instances come from the profile, or are typed ad hoc (`a`). `s` starts / stops the
selected one (several at once); starting runs `SELECT 1` through the tunnel. The
detail shows the local address, DATABASE_URL and psql command (password masked
until `v`), connections, bytes, uptime, the connection test and the last error;
`r` retries an instance that failed. Tunnels drain when the app exits. A revealed
password is hidden again when the pane is left; reveals and copies that carry the
password go to the audit trail, like the Secrets pane's.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from staging_tui.domain import (
    SqlInstance,
    TunnelOptions,
    TunnelState,
    TunnelStatus,
    tunnel_fix,
)
from staging_tui.errors import StagingError, TunnelError
from staging_tui.render.tunnels import database_url, psql_command, start_progress
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.widgets.status_line import StatusLine
from staging_tui.ui.widgets.tunnel_view import TunnelDetail, TunnelTable

if TYPE_CHECKING:
    from staging_tui.ports import TunnelControl

IP_TYPES = ("auto", "PUBLIC", "PRIVATE", "PSC")


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
        Binding("a", "add", "Add", id="database.add"),
        Binding("i", "cycle_ip", "IP type", id="database.ip-type"),
        Binding("v", "reveal", "Reveal", id="database.reveal"),
        Binding("c", "copy_url", "Copy URL", id="database.copy-url"),
        Binding("p", "copy_psql", "Copy psql", id="database.copy-psql"),
        Binding("escape", "cancel_add", "Cancel", show=False, id="database.cancel-add"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.instances: list[SqlInstance] = []
        self.tunnels: TunnelControl | None = None
        self.states: dict[str, TunnelState] = {}
        self.busy: dict[str, str] = {}  # instance -> "starting" / "stopping"
        self.ip_choice: dict[str, str] = {}
        self.revealed: dict[str, str] = {}  # never logged; cleared on hide / stop
        self.starting: dict[str, tuple[str, float]] = {}  # instance -> (step, monotonic start)
        self._initial_instance = ""

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="connection name PROJECT:REGION:INSTANCE — Enter adds, Esc cancels",
                    id="database-add", classes="-hidden")
        yield TunnelTable(id="database-tunnels")
        yield TunnelDetail(id="database-detail")
        yield StatusLine(id="database-status")

    def on_mount(self) -> None:
        self.instances = list(self.settings.sql_instances)
        self.show()
        self.query_one(TunnelTable).focus()
        if self._initial_instance:  # is_mounted is still False here
            self._select_instance(self._initial_instance)
        status = self.query_one(StatusLine)
        status.info(f"{len(self.instances)} instance(s) in profile {self.settings.profile} · "
                    "s start/stop · a add · v reveal · c/p copy" if self.instances else
                    "no Cloud SQL instances in the profile: press a to add one by connection name")
        self.set_interval(1.0, self.poll)
        self.attach()

    # ------------------------------------------------------------------ state

    def poll(self) -> None:
        """Counters change every second while tunnels run: read the live states (also of
        tunnels the Query pane started, ad hoc instances included)."""
        if self.tunnels is not None:
            self.states = {s.instance: s for s in self.tunnels.states()}
            known = {i.connection_name for i in self.instances}
            for name in self.states.keys() - known:
                tunnel = self.tunnels.get(name)
                if tunnel is not None:
                    self.instances.append(tunnel.instance)
        self.show()
        self.show_progress()

    def show_progress(self) -> None:
        """The step of the tunnel starting and the time so far (ticks with the poll)."""
        if self.starting:
            name, (step, since) = next(reversed(self.starting.items()))
            short = name.rsplit(":", 1)[-1]
            self.query_one(StatusLine).busy(start_progress(short, step, time.monotonic() - since))

    @work(group="database-attach", exclusive=True, exit_on_error=False)
    async def attach(self) -> None:
        """The shared Tunnels (the Backend's), so tunnels started elsewhere show here."""
        try:
            self.tunnels = await self.backend.tunnels()
        except StagingError as exc:
            self.query_one(StatusLine).error(exc)
            return
        self.poll()

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
        if self.is_mounted:
            self._select_instance(connection_name)

    def _select_instance(self, connection_name: str) -> None:
        names = [i.connection_name for i in self.instances]
        if connection_name in names:
            self.query_one(TunnelTable).move_cursor(
                row=names.index(connection_name))
        else:
            self.notify(f"{connection_name}: not an instance of this profile (a adds one)",
                        severity="warning")

    def selected(self) -> SqlInstance | None:
        table = self.query_one(TunnelTable)
        if not self.instances or table.cursor_row < 0:
            return None
        return self.instances[min(table.cursor_row, len(self.instances) - 1)]

    def show(self) -> None:
        self.query_one(TunnelTable).show(
            [(i, self.state_of(i), self.busy.get(i.connection_name, ""),
              self.ip_choice.get(i.connection_name, "auto")) for i in self.instances],
            self.now())
        self.show_detail()

    def show_detail(self) -> None:
        instance = self.selected()
        state = self.state_of(instance) if instance else None
        password = self.revealed.get(instance.connection_name) if instance else None
        self.query_one(TunnelDetail).show(instance, state, self.now(), password)

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
        self.query_one(TunnelTable).focus()

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
        table = self.query_one(TunnelTable)
        table.move_cursor(row=[i.connection_name for i in self.instances].index(name))

    def action_reveal(self) -> None:
        instance = self.selected()
        if instance is None:
            return
        if instance.connection_name in self.revealed:
            del self.revealed[instance.connection_name]
            self.show_detail()
            self._masked_again()
        else:
            self.reveal_password(instance)

    def _masked_again(self) -> None:
        """The status line must not keep saying "password revealed" once it is masked."""
        status = self.query_one(StatusLine)
        if "password revealed" in str(status.render()):
            status.info("password masked again: v reveals it")

    def _copy(self, what: str, text: str, instance: SqlInstance) -> None:
        self.app.copy_to_clipboard(text)
        if instance.connection_name in self.revealed:
            self._record("copy", instance)
        masked = self._masked(instance)
        note = " (password masked: v reveals it first)" if masked else ""
        self.notify(f"copied {what}{note}")

    def _masked(self, instance: SqlInstance) -> bool:
        return (instance.connection_name not in self.revealed
                and bool(instance.password_secret) and not instance.iam_auth)

    def _record(self, action: str, instance: SqlInstance) -> None:
        """The audit trail (shared with the Secrets pane): which secret, never its value."""
        trail = self.console.audit_trail
        s = self.settings
        trail.record(action, instance.password_secret, "latest", profile=s.profile,
                     project=s.project, environment=s.environment)
        if trail.last_error:
            self.notify(trail.last_error, severity="warning")

    def on_screen_suspend(self) -> None:
        """Leaving the pane hides revealed passwords (like the Secrets pane)."""
        self.workers.cancel_group(self, "database-reveal")
        if self.revealed:
            self.revealed.clear()
            self.show_detail()
            self._masked_again()

    def action_copy_url(self) -> None:
        instance = self.selected()
        if instance is None or not self.state_of(instance).port:
            return
        password = self.revealed.get(instance.connection_name)
        self._copy("DATABASE_URL", database_url(self.state_of(instance), password,
                                                masked=self._masked(instance)), instance)

    def action_copy_psql(self) -> None:
        instance = self.selected()
        if instance is None or not self.state_of(instance).port:
            return
        password = self.revealed.get(instance.connection_name)
        self._copy("psql command", psql_command(self.state_of(instance), password), instance)

    # ------------------------------------------------------------------ workers

    @work(group="database-tunnel", exit_on_error=False)
    async def start_tunnel(self, instance: SqlInstance) -> None:
        name = instance.connection_name
        status = self.query_one(StatusLine)
        self.busy[name] = "starting"
        self.starting[name] = ("", time.monotonic())
        self.show()
        self.show_progress()
        choice = self.ip_choice.get(name, "auto")

        def step(what: str) -> None:
            self.starting[name] = (what, self.starting.get(name, ("", time.monotonic()))[1])
            self.show_progress()

        try:
            tunnels = self.tunnels = await self.backend.tunnels()
            tunnel = await tunnels.start(instance, TunnelOptions(
                ip_type="AUTO" if choice == "auto" else choice, iam_auth=instance.iam_auth,
                max_connections=self.settings.tunnel_max_connections), progress=step)
        except StagingError as exc:
            self.starting.pop(name, None)
            status.error(exc)
            return
        finally:
            self.busy.pop(name, None)
            self.starting.pop(name, None)
            self.poll()
        state = tunnel.state
        if state.status is TunnelStatus.READY:
            status.info(f"✓ {instance.short_name} on {state.host}:{state.port} "
                        f"({state.ip_type}) · {state.connection_test}")
        else:
            status.error(TunnelError(state.last_error or str(state.connection_test or ""),
                                     tunnel_fix(state.error_kind, name)))

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
        self._record("reveal", instance)
        self.show_detail()
        status.info("password revealed: v hides it again (and leaving the pane does)")

