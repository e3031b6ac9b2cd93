"""Run (or re-run) the selected job from the Jobs view: `x`.

The flow of every action (ui/screens/action_runner.py), as for the services: refused
with the reason in a read-only profile; otherwise the job is read afresh, previewed in
the same overlay (`y`, or the job's name typed in a protected profile), run as RunJob's
long-running operation whose progress shows in the status line, written to the audit
trail, and the job's executions reload at the end.
"""

from __future__ import annotations

from textual import work
from textual.binding import Binding

from staging_tui.domain import ActionStage, Execution, Job, JobRunPlan
from staging_tui.errors import StagingError
from staging_tui.render.job_plans import job_audit_fields, plan_run_job
from staging_tui.ui.screens.action_runner import ActionRunner, Progress
from staging_tui.ui.widgets.status_line import StatusLine

JOB_ACTIONS = ("run_job",)
RUN_JOB_BINDING = Binding("x", "run_job", "Run job", id="jobs.run")
_STEP = {
    ActionStage.SENT: "operation started",
    ActionStage.RUNNING: "execution {name} running",
    ActionStage.DONE: "execution {name} succeeded",
}


class JobActions(ActionRunner):
    """Mixed into the Jobs view (a PaneScreen with a StatusLine)."""

    GUARDED_ACTIONS = JOB_ACTIONS
    READ_ONLY_OFF = "running a job is off"

    def selected_job(self) -> Job | None:
        raise NotImplementedError

    def after_job_run(self, job: Job) -> None:
        """The run ended (either way): reload what is shown."""

    def action_run_job(self) -> None:
        job = self.selected_job()
        if job is not None and not self._refuse_read_only():
            self.start_run(job)

    @work(exclusive=True, group="job-run", exit_on_error=False)
    async def start_run(self, shown: Job) -> None:
        status = self.query_one(StatusLine)
        status.busy(f"reading {shown.name} for the run preview")
        try:
            listing = await (await self.backend.jobs()).list_jobs()
        except StagingError as exc:
            status.error(exc, retry_key="x")
            return
        job = next((j for j in listing.jobs if j.key == shown.key), None)
        if job is None:
            status.error(StagingError(f"job {shown.name} is gone from {shown.region}",
                                      "reload the jobs (r)"), retry_key="r")
            return
        plan = plan_run_job(job)
        await self.preview_then_run(plan, status, lambda: self._run(plan, job, status),
                                    cancelled="nothing was run")

    async def _run(self, plan: JobRunPlan, job: Job, status: StatusLine) -> None:
        async def operate(progress: Progress) -> Execution:
            return await (await self.backend.jobs()).run_job(plan, progress)

        await self.run_operation(plan, status, job_audit_fields(plan), operate, _STEP,
                                 retry_key="x")
        self.after_job_run(job)
