"""`staging-tui jobs [JOB] [--json]`: Cloud Run jobs, or one job's executions."""

from __future__ import annotations

import argparse
import sys

from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.output import print_json, print_table
from staging_tui.render.jobs import EXECUTION_COLUMNS, JOB_COLUMNS, execution_row, job_row


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("jobs", parents=parents, help="list Cloud Run jobs (or a job's executions)",
                       description="List the profile's Cloud Run jobs with their last "
                                   "execution; with JOB, that job's executions (newest first).")
    p.add_argument("job", nargs="?", default="", help="a job: list its executions")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, backend: Backend) -> int:
    """Exit 0; 1 when a region could not be listed; 2 for an unknown job."""
    jobs_api = await backend.jobs()
    listing = await jobs_api.list_jobs()
    for failure in listing.failures:
        print(f"error: region {failure.region}: {failure.code}: {failure.message}"
              + (f"\n  fix: {failure.fix}" if failure.fix else ""), file=sys.stderr)
    code = 1 if listing.failures else 0
    if not args.job:
        if args.json:
            print_json(listing.jobs)
        else:
            print_table(JOB_COLUMNS, [job_row(j) for j in listing.jobs])
        return code
    matches = [j for j in listing.jobs if j.name == args.job]
    if not matches:
        known = ", ".join(j.name for j in listing.jobs) or "none"
        print(f"staging-tui jobs: no job {args.job!r} (known: {known})\n"
              "  fix: staging-tui jobs   (lists them)", file=sys.stderr)
        return 2
    executions = [e for j in matches for e in await jobs_api.list_executions(j.name, j.region)]
    if args.json:
        print_json(executions)
    else:
        print_table(EXECUTION_COLUMNS, [execution_row(e) for e in executions])
    return code
