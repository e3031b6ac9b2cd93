"""Headless `run-job JOB [--region R] [--yes] [--confirm JOB]`: run (or re-run) a Cloud
Run job, with the conventions of `restart` (commands/actions.py): the preview and exit 3
without --yes, refusal in a read-only profile, --confirm JOB in a protected one. Exit 0
when the execution succeeded, 1 when it failed (Google's reason on stderr)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from staging_tui.audit_trail import AuditTrail
from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.actions import PREVIEW_ONLY
from staging_tui.domain import ActionProgress, ActionStage, Job
from staging_tui.errors import ApiError, StagingError
from staging_tui.render.job_plans import job_audit_fields, job_preview_plain, plan_run_job


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run-job", parents=parents, help="run (or re-run) a Cloud Run job",
                       description="Start a new execution of a Cloud Run job (RunJob) and "
                       "follow it to its end.")
    p.add_argument("job", metavar="JOB", help="Cloud Run job name")
    # --region R is the global option (it narrows the profile's regions to R).
    p.add_argument("--yes", action="store_true", help="run it (without: print the preview, exit 3)")
    p.add_argument("--confirm", metavar="JOB", default="",
                   help="the job's name again: required with --yes in a protected profile")
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
    fix = "use a profile with read_only = false" + (
        " (--profile sandbox-actions)" if s.sandbox else "")
    if not args.yes:
        print("\npreview only: add --yes to run it"
              + (f" (in a profile that allows it: {fix})" if not s.actions_allowed else ""),
              file=sys.stderr)
        return PREVIEW_ONLY
    if not s.actions_allowed:
        raise StagingError(f"profile {s.profile!r} is read-only: nothing was run", fix)
    if s.protected and args.confirm != plan.job:
        raise StagingError(f"profile {s.profile!r} is protected: confirm with the job's name",
                           f"add --confirm {plan.job}")
    trail = AuditTrail()
    operation = ""

    def progress(p: ActionProgress) -> None:
        nonlocal operation
        operation = operation or p.operation
        print(f"  {progress_text(p)}", file=sys.stderr, flush=True)

    common: dict[str, Any] = dict(account=backend.account, profile=s.profile,
                                  environment=s.environment)
    try:
        done = await (await backend.jobs()).run_job(plan, progress)
    except ApiError as exc:
        trail.record_service_action(job_audit_fields(plan), operation=operation,
                                    outcome=f"failed: {exc.message}", **common)
        print(f"staging-tui: {exc}", file=sys.stderr)
        return 1
    trail.record_service_action(job_audit_fields(plan), operation=operation, outcome="ok",
                                **common)
    print(f"done: {plan.job} execution {done.name} {done.status.value.lower()}")
    return 0
