"""Cloud Run jobs: the latest execution of each job did not fail (migrations and
scheduled flows run as jobs: a failed one leaves the schema or the data behind)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from staging_tui.audit.checks.registry import check
from staging_tui.domain import Execution, ExecutionStatus, Finding, Job, Level

FAILED_EXECUTION = check(
    "services.job-execution", "services", "Latest job executions succeeded",
    "The newest execution of a Cloud Run job failed: a task exited non-zero after its "
    "retries (a migration or a scheduled flow did not run to the end).",
    "read its logs: staging-tui logs --job JOB --since 1d; fix and re-run: "
    "gcloud run jobs execute JOB --region REGION")


def check_jobs(jobs: Iterable[Job], latest: Mapping[str, Execution]) -> list[Finding]:
    """`latest`: the newest execution of each failed job, by job key (its reason)."""
    out = []
    for job in jobs:
        if job.latest_status is not ExecutionStatus.FAILED:
            continue
        execution = latest.get(job.key)
        reason = execution.failure_reason if execution is not None else ""
        tasks = (f"{execution.failed} of {execution.task_count} tasks failed"
                 if execution is not None else "")
        evidence = "; ".join(p for p in (f"{job.latest_execution} failed", tasks, reason) if p)
        out.append(FAILED_EXECUTION.found(
            Level.ERROR, evidence, job.name, title=f"job {job.name}: latest execution failed",
            fix=FAILED_EXECUTION.fix.replace("JOB", job.name).replace("REGION", job.region)))
    return out
