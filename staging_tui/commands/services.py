"""`staging-tui services [--json] [--filter TEXT]`: list Cloud Run services headlessly.
Exit 1 (and a line on stderr) when --filter matches nothing."""

from __future__ import annotations

import argparse
import sys

from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.output import print_json, print_table
from staging_tui.exit_codes import FINDINGS, OK
from staging_tui.render.services import COLUMNS, filter_services, service_row
from staging_tui.render.suggestions import closest_names


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("services", parents=parents, help="list Cloud Run services",
                       description="List the profile's Cloud Run services.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--filter", default="", help="substring or regex on names; 'pr:12' for a PR")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, backend: Backend) -> int:
    listed = await backend.services()
    services = filter_services(listed, args.filter, backend.settings.pr_pattern)
    if args.json:
        print_json(services)
    else:
        print_table(COLUMNS, [service_row(s) for s in services])
    if args.filter and not services:
        # an empty table must not read as "nothing wrong": say what did not match
        close = closest_names(args.filter, [s.name for s in listed])
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        print(f"staging-tui services: no service matches --filter {args.filter!r} "
              f"(of {len(listed)} in {backend.settings.project}){hint}", file=sys.stderr)
        return FINDINGS
    return OK
