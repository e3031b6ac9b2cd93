"""One service in detail: conditions, revisions, containers and env, health check, and
its golden signals from Cloud Monitoring as charts with the deploys marked (`w` changes
the window: 15 min, 1 h, 6 h)."""

from __future__ import annotations

import webbrowser

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from staging_tui.domain import GoldenSignals, Revision, Service
from staging_tui.errors import StagingError
from staging_tui.model.refresh import Refresh
from staging_tui.render.golden_signals import WINDOWS_MIN, window_label
from staging_tui.render.service_detail import (
    REVISION_COLUMNS,
    conditions_text,
    containers_text,
    revision_cells,
    summary_text,
)
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.screens.service_actions import ServiceActions, action_bindings
from staging_tui.ui.widgets.freshness import Freshness, StatusRow
from staging_tui.ui.widgets.nav_table import NavTable
from staging_tui.ui.widgets.signal_charts import SignalCharts
from staging_tui.ui.widgets.status_line import StatusLine


class ServiceDetailScreen(ServiceActions, PaneScreen):
    PANE_TITLE = "Services"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("h", "health", "Health check", id="detail.health"),
        Binding("c", "copy_url", "Copy URL", id="detail.copy-url"),
        Binding("o", "open_url", "Open URL", id="detail.open-url"),
        Binding("l", "open_logs", "Logs", id="detail.logs"),
        Binding("r", "reload", "Reload", id="detail.reload"),
        *action_bindings("detail"),
        Binding("B", "rollback_to", "Roll back to this", show=False, id="detail.rollback-to"),
        Binding("w", "cycle_window", "Window", id="detail.window"),
    ]

    def __init__(self, service: Service, signals: GoldenSignals | None = None) -> None:
        super().__init__()
        self.service = service
        self.revisions: list[Revision] = []
        self.signals = signals  # the Services pane's last 15 minutes, if it has them
        self.window = WINDOWS_MIN[0]
        self.refresh_schedule = Refresh(0)  # the revisions: on open, r, after an action

    def compose_body(self) -> ComposeResult:
        now = self.now()
        with VerticalScroll(id="detail-body"):
            yield Static(summary_text(self.service, now), id="detail-summary")
            yield Static(conditions_text(self.service), id="detail-conditions")
            yield Static(Text("Revisions", style="bold underline"))
            yield NavTable(id="detail-revisions", zebra_stripes=True)
            yield Static(containers_text(self.service), id="detail-containers")
            yield SignalCharts(id="detail-signals")
        yield StatusRow(StatusLine(id="detail-status"),
                        Freshness(self.refresh_schedule, self.now, self.load_revisions,
                                  id="detail-freshness"))

    def on_mount(self) -> None:
        table = self.query_one("#detail-revisions", DataTable)
        table.add_columns(*REVISION_COLUMNS)
        table.focus()
        self.load_revisions()
        if self.signals is None:
            self.load_signals()
        self.load_access()

    @work(exclusive=True, group="detail-access", exit_on_error=False)
    async def load_access(self) -> None:
        """Who may invoke it: the IAM policy says whether allUsers holds run.invoker."""
        try:
            run = await self.backend.run()
            self.service = await run.with_access(self.service)
        except StagingError:
            return  # no getIamPolicy permission: the summary says "not read"
        self.query_one("#detail-summary", Static).update(summary_text(self.service, self.now()))

    @work(exclusive=True, group="detail-revisions", exit_on_error=False)
    async def load_revisions(self, keep_status: bool = False) -> None:
        """The revisions, on demand under the view's schedule (`r`, after an action; a
        failed load backs off and retries). `keep_status`: an action's end stays shown."""
        error = await self.refresh_schedule.run(lambda: self._load_revisions(keep_status),
                                                self.now)
        if error is not None:
            self.query_one(StatusLine).error(error)

    async def _load_revisions(self, keep_status: bool) -> None:
        status = self.query_one(StatusLine)
        if not keep_status:
            status.busy(f"loading revisions of {self.service.name}")
        run = await self.backend.run()
        self.revisions = await run.list_revisions(self.service.name, self.service.region)
        table = self.query_one("#detail-revisions", DataTable)
        table.clear()
        now = self.now()
        for rev in self.revisions:
            table.add_row(*revision_cells(rev, self.service, now), key=rev.name)
        if keep_status:
            return
        status.info(f"{len(self.revisions)} revisions · [h] health check · [l] logs · "
                    "[c] copy URL · [o] open URL · [w] window · [Esc] back")
        self.show_signals()

    def show_signals(self) -> None:
        self.query_one(SignalCharts).show(self.signals, self.revisions,
                                          window_label(self.window))

    @work(exclusive=True, group="detail-signals", exit_on_error=False)
    async def load_signals(self) -> None:
        """Six ListTimeSeries calls (all services at once), the window's minutes."""
        try:
            monitoring = await self.backend.monitoring()
            signals = await monitoring.golden_signals(self.window, now=self.now())
        except StagingError as exc:
            self.query_one(StatusLine).error(exc, retry_key="w")
            return
        self.signals = signals.get(self.service.key)
        self.show_signals()

    def action_cycle_window(self) -> None:
        self.window = WINDOWS_MIN[(WINDOWS_MIN.index(self.window) + 1) % len(WINDOWS_MIN)]
        self.load_signals()

    def action_reload(self) -> None:
        self.refresh_schedule.cancelled()  # r replaces a load in flight
        self.load_revisions()

    def action_service(self) -> Service | None:
        return self.service

    def action_revision(self) -> str:
        table = self.query_one("#detail-revisions", DataTable)
        if not table.row_count:
            return ""
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def after_action(self, service: Service) -> None:
        """Show the service as the operation left it, and its revisions."""
        self.service = service
        now = self.now()
        self.query_one("#detail-summary", Static).update(summary_text(service, now))
        self.query_one("#detail-conditions", Static).update(conditions_text(service))
        self.query_one("#detail-containers", Static).update(containers_text(service))
        self.refresh_schedule.cancelled()
        self.load_revisions(keep_status=True)

    @work(exclusive=True, group="detail-health", exit_on_error=False)
    async def action_health(self) -> None:
        status = self.query_one(StatusLine)
        status.busy(f"GET {self.service.uri} health")
        try:
            result = await self.backend.health(self.service)
        except StagingError as exc:
            status.error(exc, retry_key="h")
            return
        access = result.access(self.service.ingress)
        if result.error:
            status.error(StagingError(f"health {result.url}: {result.error}",
                                      "check the service URL and that it is reachable"), "h")
        elif access:  # Cloud Run refused us: not a failure of the service
            status.info(Text(f"◌ health {result.url}: HTTP {result.status}: {access}",
                             style="yellow"))
        elif result.ok:
            status.info(Text(f"✓ health {result.url}: HTTP {result.status} in "
                             f"{result.latency_ms:.0f} ms", style="green"))
        else:
            status.error(StagingError(
                f"health {result.url}: HTTP {result.status} in {result.latency_ms:.0f} ms: "
                f"{result.body[:160]}", "see the revision's conditions and its logs ([l])"), "h")

    def action_copy_url(self) -> None:
        self.app.copy_to_clipboard(self.service.uri)
        self.notify(f"Copied {self.service.uri}")

    def action_open_url(self) -> None:
        self.run_worker(lambda: webbrowser.open(self.service.uri), thread=True,
                        exit_on_error=False)
        self.notify(f"Opening {self.service.uri}")

    def action_open_logs(self) -> None:
        table = self.query_one("#detail-revisions", DataTable)
        revision = ""
        if table.has_focus and table.row_count:
            revision = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.console.open_logs(service=self.service.name, revision=revision,
                               region=self.service.region)
