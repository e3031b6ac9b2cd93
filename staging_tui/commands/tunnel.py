"""`staging-tui tunnel --list` / `staging-tui tunnel INSTANCE [--port N] [--address A]
[--iam] [--private-ip]`: a Cloud SQL tunnel in the foreground, like cloud-sql-proxy v2
(no binary to install): prints a ready line and the DATABASE_URL, serves until
SIGINT / SIGTERM, then drains open sessions and exits 0."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from typing import Any, TextIO

from staging_tui.audit.fix_commands import as_invoked
from staging_tui.backend import Backend
from staging_tui.errors import StagingError
from staging_tui.exit_codes import OK, USAGE
from staging_tui.render.tunnels import database_url, psql_command, ready_line, start_progress


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tunnel", parents=parents, help="open a Cloud SQL tunnel (no cloud-sql-proxy needed)",
        description="Listen on 127.0.0.1 and forward each client over mutual TLS to the "
        "Cloud SQL instance, like `cloud-sql-proxy INSTANCE --port N`. Ctrl+C stops it.")
    p.add_argument("instance", nargs="?", default="",
                   help="connection name PROJECT:REGION:INSTANCE, or a profile instance's name")
    p.add_argument("--list", action="store_true", help="print the instances the profile knows")
    p.add_argument("--port", "-p", type=int, default=0,
                   help="local port (default: the profile's, else the first free from 5433)")
    p.add_argument("--address", "-a", default="127.0.0.1",
                   help="local address to listen on (default 127.0.0.1)")
    p.add_argument("--iam", "--auto-iam-authn", dest="iam", action="store_true",
                   help="IAM database authentication (no password)")
    ip = p.add_mutually_exclusive_group()
    ip.add_argument("--private-ip", action="store_true", help="connect to the private IP")
    ip.add_argument("--psc", action="store_true", help="connect over Private Service Connect")
    ip.add_argument("--auto-ip", action="store_true",
                    help="the first address the instance has: public, private, then PSC")
    p.add_argument("--lazy-refresh", action="store_true",
                   help="refresh the certificate on connect instead of in the background")
    p.add_argument("--max-connections", type=int, default=0,
                   help="refuse clients beyond this many (default: no limit)")
    p.add_argument("--show-password", action="store_true",
                   help="print the password in DATABASE_URL (default: masked)")
    p.add_argument("--no-test", action="store_true", help="skip the SELECT 1 connection test")
    p.set_defaults(run=run, needs_endpoints=lambda args: not args.list)


async def run(args: argparse.Namespace, backend: Backend, out: TextIO = sys.stdout,
              stop: asyncio.Event | None = None) -> int:
    if args.list:
        for instance in backend.settings.sql_instances:
            out.write(instance.connection_name + "\n")
        out.flush()
        return OK
    if not args.instance:
        print(as_invoked("staging-tui tunnel: name an instance (see: staging-tui tunnel --list)",
                         backend.settings), file=sys.stderr)
        return USAGE
    from staging_tui.domain import TunnelOptions

    options = TunnelOptions(
        port=args.port, address=args.address, iam_auth=args.iam,
        ip_type=("PRIVATE" if args.private_ip else "PSC" if args.psc
                 else "AUTO" if args.auto_ip else "PUBLIC"),
        refresh="lazy" if args.lazy_refresh else "background",
        max_connections=args.max_connections,
    )
    tunnels = await backend.tunnels()
    started = time.monotonic()

    def progress(step: str) -> None:
        if sys.stderr.isatty():  # the steps of a slow start, on one line, like doctor's
            sys.stderr.write(f"\r\x1b[K{start_progress(args.instance, step, time.monotonic() - started)}")
            sys.stderr.flush()

    try:
        tunnel = await tunnels.start(args.instance, options, test=not args.no_test,
                                     progress=progress)
    finally:
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K")
    state = tunnel.state
    password: str | None = None
    if args.show_password:
        try:
            password = await tunnels.password(tunnel.instance)
        except StagingError as exc:
            print(f"staging-tui tunnel: password not available: {exc.message}", file=sys.stderr)
    out.write(ready_line(state) + "\n")
    out.write(f"DATABASE_URL={database_url(state, password, masked=not tunnel.instance.iam_auth)}"
              "\n")
    out.write(f"psql: {psql_command(state, password)}\n")
    if state.connection_test is not None:
        out.write(f"connection test: {state.connection_test}\n")
    out.flush()
    by_signal = stop is None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)  # a repeated signal while draining: no-op
        except (NotImplementedError, RuntimeError):  # not the main thread
            by_signal = False
    await stop.wait()
    final = tunnel.state
    print(f"stopping: draining {final.connections} open connection(s)", file=sys.stderr)
    try:
        await tunnels.close()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass
        if by_signal:
            # Ctrl+C under `uv run` arrives twice (the terminal's, and uv forwards it):
            # the rest of the shutdown (stopping the sandbox) must not turn it into a
            # KeyboardInterrupt traceback and exit code 130.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return OK
