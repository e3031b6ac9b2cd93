"""Cloud Run jobs and executions -> table cells (pure)."""

from __future__ import annotations

from datetime import datetime

from staging_tui.domain import Execution, ExecutionStatus, Job
from staging_tui.render.services import age

STATUS = {
    ExecutionStatus.SUCCEEDED: ("✓", "green"),
    ExecutionStatus.FAILED: ("✗", "red"),
    ExecutionStatus.RUNNING: ("◌", "yellow"),
    ExecutionStatus.CANCELLED: ("⊘", "grey50"),
    ExecutionStatus.UNKNOWN: ("?", "grey50"),
}
JOB_COLUMNS = ("Job", "Region", "Last execution", "Status", "Ended", "Tasks", "Executions")
EXECUTION_COLUMNS = ("Execution", "Status", "Tasks", "Started", "Ended", "Took",
                     "Failure reason")


def job_row(job: Job, now: datetime | None = None) -> tuple[str, ...]:
    symbol, _ = STATUS[job.latest_status]
    return (
        job.name, job.region, job.latest_execution or "-",
        f"{symbol} {job.latest_status.value}" if job.latest_execution else "never run",
        age(job.latest_completed, now) if job.latest_completed else "-",
        str(job.task_count), str(job.execution_count),
    )


def _took(e: Execution) -> str:
    if e.start_time is None or e.completion_time is None:
        return "-"
    seconds = int((e.completion_time - e.start_time).total_seconds())
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def tasks_text(e: Execution) -> str:
    parts = [f"{e.succeeded}/{e.task_count} ok"]
    if e.failed:
        parts.append(f"{e.failed} failed")
    if e.running:
        parts.append(f"{e.running} running")
    if e.retried:
        parts.append(f"{e.retried} retried")
    return ", ".join(parts)


def execution_row(e: Execution, now: datetime | None = None) -> tuple[str, ...]:
    symbol, _ = STATUS[e.status]
    return (
        e.name, f"{symbol} {e.status.value}", tasks_text(e), age(e.start_time, now),
        age(e.completion_time, now) if e.completion_time else "running", _took(e),
        e.failure_reason[:100],
    )
