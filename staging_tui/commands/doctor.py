"""`staging-tui doctor [--format text|json|junit|markdown] [--only AREA ...]`: the staging
checklist for a terminal or a CI step. Exit code: 0 all pass, 1 warnings only, 3 any
error (2: bad arguments)."""

from __future__ import annotations

import argparse
import sys
import time

from staging_tui.audit.checks.logs import ErrorRateRule
from staging_tui.audit.checks.registry import AREAS, exit_code
from staging_tui.audit.runner import AreaProgress, DoctorOptions, run_doctor
from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.output import print_json
from staging_tui.render.doctor import checklist_text, summary_line
from staging_tui.render.doctor_reports import junit_xml, markdown_summary

FORMATS = ("text", "json", "junit", "markdown")


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "doctor", parents=parents, help="check the staging environment (exit 0/1/3)",
        description="Run the staging checks (credentials, services, secrets, database, "
        "health, logs) and print a checklist. Exit code: 0 all pass, 1 warnings only, "
        "3 errors, 2 bad arguments, 4 could not run.")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (the checklist), json, junit (JUnit XML: each check a test "
                   "case) or markdown (a CI job summary)")
    p.add_argument("--json", action="store_const", const="json", dest="format",
                   help="same as --format json")
    p.add_argument("--only", nargs="+", choices=AREAS, metavar="AREA", default=None,
                   help=f"run only these areas ({', '.join(AREAS)})")
    p.add_argument("--quiet", action="store_true", help="list only problems and notes")
    p.add_argument("--log-window", type=float, default=15.0, metavar="MIN",
                   help="minutes of logs for the error rate (default 15)")
    p.add_argument("--error-threshold", type=float, default=0.2, metavar="SHARE",
                   help="error share above which a service is flagged (default 0.2)")
    p.add_argument("--concurrency", type=int, default=16, metavar="N",
                   help="API calls in flight at once (default 16)")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, backend: Backend) -> int:
    options = DoctorOptions(
        concurrency=args.concurrency,
        error_rate=ErrorRateRule(window_min=args.log_window, threshold=args.error_threshold))
    tty = sys.stderr.isatty() and args.format == "text"
    started = time.monotonic()

    def progress(p: AreaProgress) -> None:
        if tty:
            sys.stderr.write(f"\r\x1b[K{p.state} {p.area}…")
            sys.stderr.flush()

    findings = await run_doctor(backend, args.only or AREAS, options, progress)
    if tty:
        sys.stderr.write("\r\x1b[K")
    code = exit_code(findings)
    s = backend.settings
    header = f"staging-tui doctor — {s.project} ({s.profile} profile, {s.environment})"
    if args.format == "json":
        print_json({"project": s.project, "profile": s.profile, "environment": s.environment,
                    "exit_code": code, "summary": summary_line(findings),
                    "findings": findings})
    elif args.format == "junit":
        sys.stdout.write(junit_xml(findings, s.project, time.monotonic() - started))
    elif args.format == "markdown":
        sys.stdout.write(markdown_summary(findings, header))
    else:
        sys.stdout.write(checklist_text(findings, header=header, verbose_passes=not args.quiet))
    return code
