"""Cloud Run jobs (reached with `J` from Services): each job with its last execution;
Enter lists the job's executions (status, tasks, start / end, failure reason); `l`
shows the logs of the job or of the selected execution (resource.type cloud_run_job).

The jobs list loads on demand (`r`, after a run) under a `Refresh(0)` schedule, like
the Secrets pane: a failed load backs off and retries by itself, the freshness beside
the status line says how old the list is. A job's executions load when it is opened."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from staging_tui.domain import Execution, ExecutionStatus, Job
from staging_tui.errors import StagingError
from staging_tui.model.refresh import Refresh
from staging_tui.render.jobs import (
    EXECUTION_COLUMNS,
    JOB_COLUMNS,
    STATUS,
    execution_row,
    job_row,
)
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.screens.job_actions import RUN_JOB_BINDING, JobActions
from staging_tui.ui.widgets.freshness import Freshness, StatusRow
from staging_tui.ui.widgets.status_line import StatusLine


class JobsScreen(JobActions, PaneScreen):
    PANE_TITLE = "Services"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="jobs.back"),
        Binding("r", "reload", "Reload", id="jobs.reload"),
        Binding("l", "open_logs", "Logs", id="jobs.logs"),
        RUN_JOB_BINDING,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[Job] = []
        self.executions: list[Execution] = []
        self.job: Job | None = None
        self.refresh_schedule = Refresh(0)  # on demand: one listing per region

    def compose_body(self) -> ComposeResult:
        yield Static(Text("Cloud Run jobs", style="bold underline"))
        yield DataTable(id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text("Executions (Enter on a job)", style="bold underline"),
                     id="executions-title")
        yield DataTable(id="executions-table", cursor_type="row", zebra_stripes=True)
        yield StatusRow(StatusLine(id="jobs-status"),
                        Freshness(self.refresh_schedule, self.now, self.load_jobs,
                                  id="jobs-freshness"))

    def on_mount(self) -> None:
        self.query_one("#jobs-table", DataTable).add_columns(*JOB_COLUMNS)
        self.query_one("#executions-table", DataTable).add_columns(*EXECUTION_COLUMNS)
        self.query_one("#jobs-table", DataTable).focus()
        self.load_jobs()

    def action_reload(self) -> None:
        self.refresh_schedule.cancelled()  # r replaces a load in flight
        self.load_jobs()

    @work(exclusive=True, group="jobs-list", exit_on_error=False)
    async def load_jobs(self, keep_status: bool = False) -> None:
        """One load of the list under the pane's schedule. `keep_status`: the status
        line shows how a run ended; leave it there."""
        error = await self.refresh_schedule.run(lambda: self._load_jobs(keep_status),
                                                self.now)
        if error is not None:
            self.query_one(StatusLine).error(error)

    async def _load_jobs(self, keep_status: bool) -> None:
        status = self.query_one(StatusLine)
        if not keep_status:
            status.busy("loading Cloud Run jobs")
        listing = await (await self.backend.jobs()).list_jobs()
        self.jobs = list(listing.jobs)
        table = self.query_one("#jobs-table", DataTable)
        table.clear()
        now = self.now()
        for job in self.jobs:
            cells = job_row(job, now)
            _, colour = STATUS[job.latest_status]
            table.add_row(cells[0], cells[1], cells[2], Text(cells[3], style=colour),
                          *cells[4:], key=job.key)
        failed = sum(1 for j in self.jobs if j.latest_status is ExecutionStatus.FAILED)
        text = Text(f"{len(self.jobs)} jobs" + (f" · {failed} last failed" if failed else "")
                    + " · [Enter] executions · [l] logs · [x] run · [Esc] back")
        for failure in listing.failures:
            text.append(f"\n✗ region {failure.region}: {failure.code}: {failure.message}",
                        style="bold red")
        if not keep_status:
            status.info(text)

    @on(DataTable.RowSelected, "#jobs-table")
    def _job_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        self.job = next((j for j in self.jobs if j.key == key), None)
        if self.job is not None:
            self.load_executions(self.job)

    @work(exclusive=True, group="jobs-executions", exit_on_error=False)
    async def load_executions(self, job: Job, keep_status: bool = False) -> None:
        """`keep_status`: the status line shows how a run ended; leave it there."""
        status = self.query_one(StatusLine)
        if not keep_status:
            status.busy(f"loading executions of {job.name}")
        try:
            self.executions = await (await self.backend.jobs()).list_executions(
                job.name, job.region)
        except StagingError as exc:
            status.error(exc)
            return
        self.query_one("#executions-title", Static).update(
            Text(f"Executions of {job.name} ({job.region})", style="bold underline"))
        table = self.query_one("#executions-table", DataTable)
        table.clear()
        now = self.now()
        for e in self.executions:
            cells = execution_row(e, now)
            _, colour = STATUS[e.status]
            table.add_row(cells[0], Text(cells[1], style=colour), *cells[2:6],
                          Text(cells[6], style="red") if cells[6] else "", key=e.name)
        table.focus()
        if not keep_status:
            status.info(Text(f"{len(self.executions)} executions of {job.name} · [l] logs of "
                             "the selected execution · [x] run again · [Esc] back"))

    def selected_job(self) -> Job | None:
        """The job under the jobs table's cursor, or the one whose executions show."""
        jobs = self.query_one("#jobs-table", DataTable)
        if jobs.has_focus and jobs.row_count:
            key = str(jobs.coordinate_to_cell_key(jobs.cursor_coordinate).row_key.value)
            return next((j for j in self.jobs if j.key == key), None)
        return self.job

    def after_job_run(self, job: Job) -> None:
        self.job = job
        self.refresh_schedule.cancelled()  # this load replaces one in flight
        self.load_jobs(keep_status=True)  # the job's "last execution" moved
        self.load_executions(job, keep_status=True)

    def action_open_logs(self) -> None:
        jobs = self.query_one("#jobs-table", DataTable)
        executions = self.query_one("#executions-table", DataTable)
        execution = ""
        job = self.job
        if executions.has_focus and executions.row_count and job is not None:
            execution = str(executions.coordinate_to_cell_key(
                executions.cursor_coordinate).row_key.value)
        elif jobs.row_count:
            key = str(jobs.coordinate_to_cell_key(jobs.cursor_coordinate).row_key.value)
            job = next((j for j in self.jobs if j.key == key), None)
        if job is None:
            return
        self.console.open_job_logs(job.name, job.region, execution)
