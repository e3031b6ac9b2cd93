"""Headless `run-job JOB [--region R] [--yes] [--confirm JOB]`: run (or re-run) a Cloud
Run job, with the guard of every headless action (commands/action_guard.py): the preview
and exit 3 without --yes, refusal in a read-only profile, --confirm JOB in a protected one.
Exit 0 when the execution succeeded, 1 when it failed (Google's reason on stderr)."""

from __future__ import annotations

import argparse

from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.action_guard import Progress, add_confirm_options, guard, run_recorded
from staging_tui.domain import ActionProgress, ActionStage, Execution, Job
from staging_tui.errors import StagingError
from staging_tui.render.job_plans import job_audit_fields, job_preview_plain, plan_run_job


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run-job", parents=parents, help="run (or re-run) a Cloud Run job",
                       description="Start a new execution of a Cloud Run job (RunJob) and "
                       "follow it to its end.")
    p.add_argument("job", metavar="JOB", help="Cloud Run job name")
    # --region R is the global option (it narrows the profile's regions to R).
    add_confirm_options(p, "job", "JOB")
    p.set_defaults(run=run_job)


async def _find(backend: Backend, name: str, region: str) -> Job:
    listing = await (await backend.jobs()).list_jobs()
    found = [j for j in listing.jobs if j.name == name and (not region or j.region == region)]
    if not found:
        known = ", ".join(sorted({j.name for j in listing.jobs})) or "none"
        where = f" in {region}" if region else ""
        raise StagingError(f"job {name!r} not found{where} (known: {known})",
                           "check the name: staging-tui jobs")
    if len(found) > 1:
        regions = ", ".join(j.region for j in found)
        raise StagingError(f"job {name!r} exists in several regions ({regions})",
                           f"add --region {found[0].region}")
    return found[0]


def progress_text(p: ActionProgress) -> str:
    return {
        ActionStage.SENT: f"operation {p.operation} started",
        ActionStage.RUNNING: f"execution {p.revision} running",
        ActionStage.DONE: f"execution {p.revision} succeeded",
        ActionStage.FAILED: f"execution {p.revision} failed: {p.message}",
    }.get(p.stage, p.stage.value)


async def run_job(args: argparse.Namespace, backend: Backend) -> int:
    s = backend.settings
    job = await _find(backend, args.job, getattr(args, "region", "") or "")
    plan = plan_run_job(job)
    print(job_preview_plain(plan, environment=s.environment), end="")
    refused = guard(args, s, plan.job, "job", "nothing was run")
    if refused is not None:
        return refused

    async def operate(progress: Progress) -> Execution:
        return await (await backend.jobs()).run_job(plan, progress)

    done = await run_recorded(backend, job_audit_fields(plan), operate, progress_text)
    if done is None:
        return 1
    print(f"done: {plan.job} execution {done.name} {done.status.value.lower()}")
    return 0
