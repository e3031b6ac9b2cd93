"""`staging-tui services [--json] [--filter TEXT]`: list Cloud Run services headlessly.
Exit 1 (and a line on stderr) when --filter matches nothing."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.output import print_json, print_table
from staging_tui.domain import Service
from staging_tui.env_rules import masked_value
from staging_tui.exit_codes import FINDINGS, OK
from staging_tui.render.services import COLUMNS, filter_services, service_row, spans_regions
from staging_tui.render.suggestions import closest_names


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("services", parents=parents, help="list Cloud Run services",
                       description="List the profile's Cloud Run services.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--filter", default="", help="substring or regex on names; 'pr:12' for a PR")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, backend: Backend) -> int:
    """Exit 0; 1 (findings) when a region could not be listed (its error on stderr, the
    other regions' services printed) or when --filter matched nothing."""
    listing = await backend.service_listing()
    listed = list(listing.services)
    services = filter_services(listed, args.filter, backend.settings.pr_pattern)
    if args.json:
        print_json([masked(s) for s in services])
    else:
        multi = spans_regions(listing.services)
        print_table(COLUMNS, [service_row(s, multi_region=multi) for s in services])
    for failure in listing.failures:
        print(f"error: region {failure.region}: {failure.code}: {failure.message}"
              + (f"\n  fix: {failure.fix}" if failure.fix else ""), file=sys.stderr)
    if args.filter and not services:
        # an empty table must not read as "nothing wrong": say what did not match
        close = closest_names(args.filter, [s.name for s in listed])
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        print(f"staging-tui services: no service matches --filter {args.filter!r} "
              f"(of {len(listed)} in {backend.settings.project}){hint}", file=sys.stderr)
        return FINDINGS
    return FINDINGS if listing.failures else OK


def masked(service: Service) -> Service:
    """`service` with its env values as the doctor would show them (env_rules.masked_value):
    plain values in secret-like vars hidden, URL passwords masked."""
    containers = tuple(replace(c, env=tuple(replace(v, value=masked_value(v)) for v in c.env))
                       for c in service.containers)
    return replace(service, containers=containers)
