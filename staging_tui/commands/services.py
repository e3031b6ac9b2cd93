"""`staging-tui services [--json]`: list Cloud Run services headlessly."""

from __future__ import annotations

import argparse

from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.output import print_json, print_table
from staging_tui.render.services import COLUMNS, filter_services, service_row


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("services", parents=parents, help="list Cloud Run services",
                       description="List the profile's Cloud Run services.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--filter", default="", help="substring or regex on names; 'pr:12' for a PR")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, backend: Backend) -> int:
    services = filter_services(await backend.services(), args.filter, backend.settings.pr_pattern)
    if args.json:
        print_json(services)
    else:
        print_table(COLUMNS, [service_row(s) for s in services])
    return 0
