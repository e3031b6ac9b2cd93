"""`staging-tui logs [SERVICE] [--revision R] [--since 10m] [--severity ERROR]
[--filter EXPR] [--follow] [--json]`: print Cloud Run logs, or follow them
(reconnecting like the pane), as text or JSON lines, for scripts and grep."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TextIO

from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.lookup import unknown_service_or_revision
from staging_tui.domain import LogEntry, LogMarker
from staging_tui.durations import parse_since
from staging_tui.errors import InvalidArgument
from staging_tui.exit_codes import OK, USAGE
from staging_tui.gcp.log_query import build_filter, filter_problem
from staging_tui.render.log_lines import (
    json_line,
    parse_severity,
    text_line,
)


def since_argument(text: str) -> str:
    """--since, checked when the arguments are parsed (before any API call)."""
    try:
        parse_since(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("logs", parents=parents, help="print or follow Cloud Run logs",
                       description="Print a service's recent logs; --follow keeps tailing, "
                       "reconnecting on its own. Gaps and suppressed entries are printed as "
                       "marker lines (JSON: {\"marker\": ...}).")
    p.add_argument("service", nargs="?", default="", help="Cloud Run service (default: all)")
    p.add_argument("--revision", default="", help="only this revision")
    p.add_argument("--job", default="", help="a Cloud Run job's logs instead of a service's")
    p.add_argument("--execution", default="", help="with --job: only this execution")
    p.add_argument("--since", type=since_argument, default="10m",
                   help="how far back to start (30s, 10m, 1h, 2d; at most 3650d)")
    p.add_argument("--severity", default="", help="minimum severity (e.g. WARNING, ERROR)")
    p.add_argument("--filter", default="", metavar="EXPR",
                   help="extra Logging query, e.g. 'textPayload:timeout'")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new entries")
    p.add_argument("--json", action="store_true", help="JSON lines instead of text")
    p.add_argument("--utc", action="store_true", help="print times in UTC (text output)")
    p.set_defaults(run=run)


def _write(item: LogEntry | LogMarker, args: argparse.Namespace, out: TextIO) -> None:
    out.write((json_line(item) if args.json else text_line(item, args.utc)) + "\n")


async def run(args: argparse.Namespace, backend: Backend, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        since = datetime.now(UTC) - parse_since(args.since)
        severity = parse_severity(args.severity) if args.severity else None
    except ValueError as exc:
        print(f"staging-tui logs: {exc}", file=sys.stderr)
        return USAGE
    problem = filter_problem(args.filter)
    if problem:
        print(f"staging-tui logs: --filter: {problem}", file=sys.stderr)
        return USAGE
    unknown, revision = await unknown_service_or_revision(backend, args.service, args.revision)
    if unknown:
        print(f"staging-tui logs: {unknown}", file=sys.stderr)
        return USAGE
    # A service's logs are those of its region: --region, else the profile's only one.
    regions = backend.settings.regions
    region = getattr(args, "region", None) or (regions[0] if len(regions) == 1
                                                and regions[0] != "all" else "")
    query = build_filter(args.service, revision, severity, args.filter,
                         region if args.service or args.job else "", args.job, args.execution)
    logs = await backend.logs()
    try:
        if not args.follow:
            async for page in logs.list_pages(query, since=since):
                for entry in page:
                    _write(entry, args, out)
            out.flush()
            return OK
        async for batch in logs.tail(query, since=since):
            for item in batch:
                _write(item, args, out)
            out.flush()
    except InvalidArgument as exc:
        if not args.filter:
            raise
        # the server counts columns in the whole query; say where in what the user typed
        try:
            await logs.check_filter(args.filter)
        except InvalidArgument as own:
            print(f"staging-tui logs: --filter {args.filter!r}: {own.message}", file=sys.stderr)
            return USAGE
        raise exc from None
    return OK
