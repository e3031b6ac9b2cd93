"""Run (or re-run) the selected job from the Jobs view: `x`.

The same guard as the service actions (ui/screens/service_actions.py): refused with the
reason in a read-only profile; otherwise the job is read afresh, previewed in the same
overlay (`y`, or the job's name typed in a protected profile), run as RunJob's
long-running operation whose progress shows in the status line, written to the audit
trail, and the job's executions reload at the end.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, work
from textual.binding import Binding

from staging_tui.domain import ActionProgress, ActionStage, Job, JobRunPlan
from staging_tui.errors import StagingError
from staging_tui.render.job_plans import job_audit_fields, plan_run_job
from staging_tui.ui.screens.action_dialogs import ActionPreview
from staging_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from staging_tui.ui.screens.base import PaneScreen

    _Base = PaneScreen
else:
    _Base = object

JOB_ACTIONS = ("run_job",)
RUN_JOB_BINDING = Binding("x", "run_job", "Run job", id="jobs.run")
_STEP = {
    ActionStage.SENT: "operation started",
    ActionStage.RUNNING: "execution {ex} running",
    ActionStage.DONE: "execution {ex} succeeded",
}


class JobActions(_Base):
    """Mixed into the Jobs view (a PaneScreen with a StatusLine)."""

    preview_open = False

    def selected_job(self) -> Job | None:
        raise NotImplementedError

    def after_job_run(self, job: Job) -> None:
        """The run ended (either way): reload what is shown."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in JOB_ACTIONS and (self.preview_open or not self.settings.actions_allowed):
            return None  # greyed in the footer; pressing it says why (on_key)
        return True

    def on_key(self, event: events.Key) -> None:
        if self.preview_open:
            for panel in self.query(ActionPreview):
                if panel.handle_preview_key(event.key):
                    event.stop()
                    event.prevent_default()
                    return
            return
        if self.settings.actions_allowed:
            return
        if any(b.action in JOB_ACTIONS for b in self._bindings.key_to_bindings.get(event.key, [])):
            event.stop()
            self._refuse_read_only()

    def _refuse_read_only(self) -> bool:
        if self.settings.actions_allowed:
            return False
        hint = " (--sandbox --profile sandbox-actions)" if self.settings.sandbox else ""
        self.query_one(StatusLine).error(StagingError(
            f"profile {self.settings.profile!r} is read-only: running a job is off",
            f"use a profile with read_only = false{hint}"), retry_key="?")
        return True

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
        status.info(f"{plan.summary}: previewed, waiting for your confirmation")
        running: list[asyncio.Future[None]] = []
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        panel = ActionPreview(plan, self.settings, on_confirm=lambda: running.append(
            asyncio.ensure_future(self._run(plan, job, status))), result=answer)
        self.preview_open = True
        self.refresh_bindings()  # the footer greys the action keys while it is open
        try:
            await self.mount(panel)
            confirmed = await answer
        finally:
            self.preview_open = False
            self.refresh_bindings()
        if not confirmed or not running:
            status.info(f"{plan.summary}: cancelled, nothing was run")
            return
        try:
            await running[0]
        finally:
            await panel.remove()

    async def _run(self, plan: JobRunPlan, job: Job, status: StatusLine) -> None:
        steps: list[str] = []
        operation = ""

        def progress(p: ActionProgress) -> None:
            nonlocal operation
            operation = operation or p.operation
            if p.stage in _STEP:
                steps.append(_STEP[p.stage].format(ex=p.revision))
                status.busy(f"{plan.summary} · " + " → ".join(steps))

        status.busy(f"{plan.summary} · sending")
        s = self.settings
        common = dict(account=self.backend.account, profile=s.profile,
                      environment=s.environment)
        trail = self.console.audit_trail
        try:
            await (await self.backend.jobs()).run_job(plan, progress)
        except StagingError as exc:
            trail.record_service_action(job_audit_fields(plan), operation=operation,
                                        outcome=f"failed: {exc.message}", **common)
            status.error(exc, retry_key="x")
            self.after_job_run(job)
            return
        trail.record_service_action(job_audit_fields(plan), operation=operation, outcome="ok",
                                    **common)
        ok = Text(f"✓ {plan.summary} · " + " → ".join(steps), style="green")
        if trail.last_error:
            ok.append(f"   ({trail.last_error})", style="yellow")
        status.info(ok)
        self.after_job_run(job)
