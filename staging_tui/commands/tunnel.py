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
from typing import TextIO

from staging_tui.audit.fix_commands import as_invoked
from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.domain import DEFAULT_MAX_CONNECTIONS
from staging_tui.errors import StagingError
from staging_tui.exit_codes import OK, USAGE
from staging_tui.render.tunnels import (
    database_url,
    exposure_warning,
    psql_command,
    ready_line,
    start_progress,
)


def port_number(text: str) -> int:
    """--port: 0-65535, checked when the arguments are parsed."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a TCP port: use 1-65535, or 0 for the first free from 5433")
    return port


def listen_address(text: str) -> str:
    """--address: an IP address of this machine, checked by binding it (port 0)."""
    import ipaddress
    import socket

    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an IP address: use 127.0.0.1 (the default), or an address "
            "of this machine such as 0.0.0.0") from None
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(ip), 0))
    except OSError as exc:
        raise argparse.ArgumentTypeError(
            f"cannot listen on {text}: {exc.strerror or exc}; use 127.0.0.1 (the default) "
            "or an address of this machine (see: ip -brief address)") from None
    return str(ip)


def connection_limit(text: str) -> int:
    try:
        limit = int(text)
    except ValueError:
        limit = -1
    if limit < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a connection limit: use a whole number >= 0 (0 = no limit)")
    return limit


class _Throttled:
    """The tunnel's log of refused clients: the first at once, then at most one line
    a second (a flood of 1,200 sockets is one line, not 1,200)."""

    def __init__(self, out: TextIO, every_s: float = 1.0) -> None:
        self.out = out
        self.every_s = every_s
        self._last = -every_s

    def __call__(self, message: str) -> None:
        import time

        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            print(f"staging-tui tunnel: {message}", file=self.out, flush=True)


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tunnel", parents=parents, help="open a Cloud SQL tunnel (no cloud-sql-proxy needed)",
        description="Listen on 127.0.0.1 and forward each client over mutual TLS to the "
        "Cloud SQL instance, like `cloud-sql-proxy INSTANCE --port N`. Ctrl+C stops it.")
    p.add_argument("instance", nargs="?", default="",
                   help="connection name PROJECT:REGION:INSTANCE, or a profile instance's name")
    p.add_argument("--list", action="store_true", help="print the instances the profile knows")
    p.add_argument("--port", "-p", type=port_number, default=0,
                   help="local port 1-65535 (default: the profile's, else the first free "
                   "from 5433)")
    p.add_argument("--address", "-a", type=listen_address, default="127.0.0.1",
                   help="local address to listen on (default 127.0.0.1; anything else "
                   "exposes the database to the network, and it warns)")
    p.add_argument("--iam", "--auto-iam-authn", dest="iam", action="store_true",
                   help="IAM database authentication (no password)")
    ip = p.add_mutually_exclusive_group()
    ip.add_argument("--private-ip", action="store_true", help="connect to the private IP")
    ip.add_argument("--psc", action="store_true", help="connect over Private Service Connect")
    ip.add_argument("--auto-ip", action="store_true",
                    help="the first address the instance has: public, private, then PSC")
    p.add_argument("--lazy-refresh", action="store_true",
                   help="refresh the certificate on connect instead of in the background")
    p.add_argument("--max-connections", type=connection_limit, default=None,
                   help="refuse clients beyond this many (default: the profile's "
                   f"tunnel_max_connections, {DEFAULT_MAX_CONNECTIONS}; 0 = no limit)")
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

    limit = (backend.settings.tunnel_max_connections if args.max_connections is None
             else args.max_connections)
    options = TunnelOptions(
        port=args.port, address=args.address, iam_auth=args.iam,
        ip_type=("PRIVATE" if args.private_ip else "PSC" if args.psc
                 else "AUTO" if args.auto_ip else "PUBLIC"),
        refresh="lazy" if args.lazy_refresh else "background",
        max_connections=limit,
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
    tunnel.on_refused = _Throttled(sys.stderr)
    warning = exposure_warning(state, tunnel.instance.iam_auth)
    if warning:
        print(warning, file=sys.stderr)
    password: str | None = None
    if args.show_password:
        try:
            password = await tunnels.password(tunnel.instance)
        except StagingError as exc:
            print(f"staging-tui tunnel: password not available: {exc.message}", file=sys.stderr)
    # Before the ready line: a signal sent as soon as it is read must drain, not kill.
    by_signal = stop is None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)  # a repeated signal while draining: no-op
        except (NotImplementedError, RuntimeError):  # not the main thread
            by_signal = False
    out.write(ready_line(state) + "\n")
    out.write(f"DATABASE_URL={database_url(state, password, masked=not tunnel.instance.iam_auth)}"
              "\n")
    out.write(f"psql: {psql_command(state, password)}\n")
    if state.connection_test is not None:
        out.write(f"connection test: {state.connection_test}\n")
    out.flush()
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
