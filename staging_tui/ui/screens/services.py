"""The Services pane: Cloud Run services, filter, sort, PR grouping, auto-refresh."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from staging_tui.domain import GoldenSignals, RegionFailure, Service
from staging_tui.errors import StagingError
from staging_tui.model.refresh import Refresh
from staging_tui.render.error_rates import WINDOW_MINUTES
from staging_tui.render.services import (
    filter_services,
    group_by_pr,
    pr_number,
    row_key,
    spans_regions,
)
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.screens.service_actions import ServiceActions, action_bindings
from staging_tui.ui.widgets.freshness import Freshness, StatusRow
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine

REFRESH_S = 30.0
SIGNALS_S = 55.0  # golden signals at most once a minute (metrics are per minute)
SORT_KEYS = ("name", "status", "modified")


class ServicesScreen(ServiceActions, PaneScreen):
    PANE_TITLE = "Services"
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="services.filter"),
        Binding("d", "describe", "Describe", id="services.describe"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="services.clear-filter"),
        Binding("r", "refresh", "Refresh", id="services.refresh"),
        Binding("s", "cycle_sort", "Sort", id="services.sort"),
        Binding("g", "toggle_groups", "PR groups", id="services.group"),
        Binding("l", "open_logs", "Logs", id="services.logs"),
        Binding("J", "open_jobs", "Jobs", id="services.jobs"),  # j moves the cursor
        *action_bindings("services"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.services: list[Service] = []
        self.sort_key = "name"
        self.grouped = False
        self.region_failures: tuple[RegionFailure, ...] = ()
        self.refresh_schedule = Refresh(REFRESH_S)
        self._initial_filter = ""
        self.signals: dict[str, GoldenSignals] = {}
        self._signals_at = -SIGNALS_S

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter: substring, regex, or pr:12 — Esc clears",
                    id="services-filter", classes="-hidden")
        yield ServicesTable(id="services-table")
        yield StatusRow(StatusLine(id="services-status"),
                        Freshness(self.refresh_schedule, self.now, self.refresh_services,
                                  id="services-freshness"))

    def on_mount(self) -> None:
        self.query_one(StatusLine).busy("loading Cloud Run services")
        self.query_one(ServicesTable).focus()
        if self._initial_filter:
            self._set_filter(self._initial_filter)
        self.refresh_services()

    # ------------------------------------------------------------------ loading

    @work(exclusive=True, group="services-refresh", exit_on_error=False)
    async def refresh_services(self) -> None:
        """One load under the pane's schedule (every REFRESH_S, backing off after errors,
        never two at once; the Freshness widget ticks it and says how fresh it is)."""
        error = await self.refresh_schedule.run(self._load_services, self.now)
        if error is not None:
            self.query_one(StatusLine).error(error)

    async def _load_services(self) -> None:
        listing = await self.backend.service_listing()
        self.services = list(listing.services)
        self.region_failures = listing.failures
        self.query_one(ServicesTable).forget_cells()
        self.show_rows()
        if time.monotonic() - self._signals_at >= SIGNALS_S:
            self.load_signals()

    @work(exclusive=True, group="services-errors", exit_on_error=False)
    async def load_signals(self) -> None:
        """Golden signals of every service from Cloud Monitoring (six calls for all of
        them, once a minute: metrics are per minute); the table shows 5xx per minute.
        Best effort: without the Monitoring API the column stays empty and says why."""
        self._signals_at = time.monotonic()
        try:
            monitoring = await self.backend.monitoring()
            self.signals = await monitoring.golden_signals(WINDOW_MINUTES, now=self.now())
        except StagingError as exc:
            self.notify(f"golden signals unavailable: {exc.message}", severity="warning")
            return
        self.query_one(ServicesTable).set_error_rates(
            {key: [round(e) for e in s.errors_per_min] for key, s in self.signals.items()})
        self.show_rows()

    # ------------------------------------------------------------------ rendering

    @property
    def filter_text(self) -> str:
        return self.query_one("#services-filter", Input).value

    def visible_services(self) -> list[Service]:
        shown = filter_services(self.services, self.filter_text, self.settings.pr_pattern)
        if self.sort_key == "status":
            shown.sort(key=lambda s: (s.readiness.value != "Failed", s.readiness.value, s.name))
        elif self.sort_key == "modified":
            shown.sort(key=lambda s: s.update_time or datetime.min.replace(tzinfo=UTC),
                       reverse=True)
        return shown

    def show_rows(self) -> None:
        shown = self.visible_services()
        groups = (group_by_pr(shown, self.settings.pr_pattern) if self.grouped
                  else [("", shown)])
        self.query_one(ServicesTable).show(groups, self.now())
        failed = sum(1 for s in shown if s.readiness.value == "Failed")
        prs = {pr_number(s.name, self.settings.pr_pattern) for s in shown} - {""}
        parts = [f"{len(shown)} of {len(self.services)} services"]
        if failed:
            parts.append(f"{failed} failed")
        if prs:
            parts.append(f"{len(prs)} PR environments")
        parts.append(f"sort: {self.sort_key}")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text!r}")
        parts.append(f"auto-refresh {REFRESH_S:g}s")
        line = Text(" · ".join(parts))
        for failure in self.region_failures:  # the other regions are listed above
            line.append(f"\n✗ region {failure.region}: {failure.code}: {failure.message}",
                        style="bold red")
            if failure.fix:
                line.append(f"  fix: {failure.fix}", style="red")
        status = self.query_one(StatusLine)
        if self.action_note is not None:  # the last action's end stays in view
            line = Text.assemble(line, "\n", self.action_note)
            status.styles.max_height = 7
        status.info(line)

    # ------------------------------------------------------------------ actions

    def action_refresh(self) -> None:
        self.query_one(StatusLine).busy("refreshing")
        self.refresh_schedule.cancelled()  # r replaces a load in flight
        self.refresh_services()

    def show_filter(self, text: str) -> None:
        """Filter the table to `text` (the `:svc NAME` command). Safe before mount."""
        self._initial_filter = text
        if self.is_mounted:
            self._set_filter(text)

    def _set_filter(self, text: str) -> None:
        box = self.query_one("#services-filter", Input)
        box.value = text
        box.set_class(not text, "-hidden")
        self.query_one(ServicesTable).focus()
        self.show_rows()

    def action_filter(self) -> None:
        box = self.query_one("#services-filter", Input)
        box.remove_class("-hidden")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#services-filter", Input)
        box.value = ""
        box.add_class("-hidden")
        self.query_one(ServicesTable).focus()

    @on(Input.Changed, "#services-filter")
    def _filter_changed(self) -> None:
        self.show_rows()

    @on(Input.Submitted, "#services-filter")
    def _filter_done(self) -> None:
        self.query_one(ServicesTable).focus()

    def action_cycle_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.show_rows()

    def action_toggle_groups(self) -> None:
        self.grouped = not self.grouped
        self.show_rows()

    def action_service(self) -> Service | None:
        return self.selected_service()

    def after_action(self, service: Service) -> None:
        self.refresh_schedule.cancelled()  # the action's result replaces a load in flight
        self.refresh_services()

    def selected_service(self) -> Service | None:
        key = self.query_one(ServicesTable).selected_name
        multi = spans_regions(self.services)
        return next((s for s in self.services if row_key(s, multi) == key), None)

    @on(ServicesTable.RowSelected, "#services-table")
    def _row_selected(self) -> None:
        self.action_open_detail()

    def action_open_detail(self) -> None:
        service = self.selected_service()
        if service is not None:
            from staging_tui.ui.screens.service_detail import ServiceDetailScreen

            self.app.push_screen(ServiceDetailScreen(service, self.signals.get(service.key)))

    def action_open_jobs(self) -> None:
        from staging_tui.ui.screens.jobs import JobsScreen

        self.app.push_screen(JobsScreen())

    def action_describe(self) -> None:
        service = self.selected_service()
        if service is not None:
            from staging_tui.ui.screens.describe import DescribeScreen

            self.app.push_screen(DescribeScreen(service.name, service.region))

    def action_open_logs(self) -> None:
        service = self.selected_service()
        if service is None:
            return
        self.console.open_logs(service=service.name, region=service.region)
