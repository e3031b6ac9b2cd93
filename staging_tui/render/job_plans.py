"""The RunJob action plan (pure): what running a job will do, its preview text with the
equivalent gcloud command, and what the audit trail keeps of it."""

from __future__ import annotations

import shlex

from staging_tui.domain import Job, JobRunPlan


def plan_run_job(job: Job) -> JobRunPlan:
    """Run the job once more: a new execution with the job's current template."""
    verb = "Re-run" if job.latest_execution else "Run"
    return JobRunPlan(
        job=job.name, project=job.project, region=job.region, etag=job.etag,
        summary=f"{verb} {job.name}: a new execution of {job.task_count} task"
                f"{'s' if job.task_count != 1 else ''} with the job's current template",
        gcloud=" ".join(shlex.quote(a) for a in (
            "gcloud", "run", "jobs", "execute", job.name, "--region", job.region,
            "--project", job.project)),
        latest_execution=job.latest_execution,
        latest_status=job.latest_status.value.lower() if job.latest_execution else "",
    )


def job_preview_plain(plan: JobRunPlan, environment: str = "") -> str:
    where = f"{plan.project}/{plan.region}" + (f" ({environment})" if environment else "")
    last = (f"latest execution: {plan.latest_execution} ({plan.latest_status})"
            if plan.latest_execution else "latest execution: none yet")
    return (f"{plan.summary}\n  in {where}\n  {last}\n"
            f"  after: a new execution (running -> succeeded or failed)\n"
            f"equivalent: {plan.gcloud}\n")


def job_audit_fields(plan: JobRunPlan) -> dict[str, object]:
    """The audit trail's fields for a RunJob (the same keys as a service action's)."""
    return {
        "action": "run-job",
        "service": "",
        "job": plan.job,
        "summary": plan.summary,
        "traffic_before": [],
        "traffic_after": [],
        "template": [],
        "gcloud": plan.gcloud,
        "project": plan.project,
        "region": plan.region,
    }
