"""Tunnel states as text: connection strings, psql commands and table rows.

Passwords appear only when the caller passes one (an explicit reveal); otherwise
they are masked, so these strings are safe to show and copy by default.
"""

from __future__ import annotations

import ipaddress
import shlex
from datetime import datetime

from staging_tui.domain import (
    PASSWORD_MASK,
    TUNNEL_FIXES,
    TunnelErrorKind,
    TunnelState,
    TunnelStatus,
)


def _host(state: TunnelState) -> str:
    """Where a client on this machine connects (a wildcard listener: loopback)."""
    host = state.local_host
    return f"[{host}]" if ":" in host else host


def listen_address(state: TunnelState) -> str:
    """Where the tunnel really listens, as ADDRESS:PORT (0.0.0.0 stays 0.0.0.0)."""
    host = state.host or "127.0.0.1"
    return f"[{host}]:{state.port}" if ":" in host else f"{host}:{state.port}"


def is_loopback(host: str) -> bool:
    if host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(state: TunnelState, iam_auth: bool) -> str:
    """A loud warning when the tunnel listens beyond this machine ("" on loopback)."""
    if is_loopback(state.host):
        return ""
    where = "every interface" if state.host in ("0.0.0.0", "::") else state.host
    risk = ("with IAM authentication that is a database WITHOUT A PASSWORD for anyone who "
            "can reach this machine" if iam_auth else
            "anyone who can reach this machine can try the database's passwords")
    return (f"WARNING: the tunnel listens on {listen_address(state)} ({where}), not on "
            f"loopback: {risk}; use --address 127.0.0.1 unless you mean it")


def database_url(state: TunnelState, password: str | None = None, *, masked: bool = True
                 ) -> str:
    """postgresql://USER[:PASSWORD]@HOST:PORT/DB (TunnelState.url) — the password only if
    given; `masked` shows a placeholder where a password exists but was not revealed."""
    if password:
        return state.url(password)
    return state.url(PASSWORD_MASK if password is None and masked else "")


def psql_command(state: TunnelState, password: str | None = None) -> str:
    """A psql command line; PGPASSWORD only when the password is revealed."""
    conninfo = (f"host={_host(state).strip('[]')} port={state.port} "
                f"dbname={state.database or 'postgres'} user={state.user or 'postgres'}")
    prefix = f"PGPASSWORD={shlex.quote(password)} " if password else ""
    return f"{prefix}psql {shlex.quote(conninfo)}"


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def uptime(state: TunnelState, now: datetime) -> str:
    if state.started_at is None or state.status in (TunnelStatus.STOPPED,):
        return "-"
    seconds = max(0, int((now - state.started_at).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


STATUS_LABEL = {
    TunnelStatus.STOPPED: "stopped",
    TunnelStatus.STARTING: "starting",
    TunnelStatus.READY: "ready",
    TunnelStatus.ERROR: "error",
}


def tunnel_row(state: TunnelState, now: datetime) -> tuple[str, ...]:
    """INSTANCE, STATUS, LOCAL ADDRESS, CONNS, IN, OUT, UPTIME."""
    address = listen_address(state) if state.port and state.status in (
        TunnelStatus.READY, TunnelStatus.STARTING, TunnelStatus.ERROR) else "-"
    return (
        state.instance.rsplit(":", 1)[-1],
        STATUS_LABEL[state.status],
        address,
        str(state.connections),
        human_bytes(state.bytes_in),
        human_bytes(state.bytes_out),
        uptime(state, now),
    )


def ready_line(state: TunnelState) -> str:
    """What `staging-tui tunnel` prints once listening (like cloud-sql-proxy v2)."""
    return (f"Listening on {listen_address(state)} for {state.instance}\n"
            "The proxy has started successfully and is ready for new connections!")


def detail_lines(state: TunnelState, now: datetime, password: str | None = None,
                 *, has_password: bool = True) -> list[tuple[str, str]]:
    """(label, value) pairs for the Database pane's detail of one tunnel."""
    running = state.status is not TunnelStatus.STOPPED and state.port > 0
    masked = has_password and password is None
    lines = [
        ("instance", state.instance),
        ("status", STATUS_LABEL[state.status]),
        ("local address", listen_address(state) if running else "-"),
        ("database / user", f"{state.database or 'postgres'} / {state.user or 'postgres'}"),
    ]
    if running and state.ip_type:
        lines.append(("ip type", state.ip_type))
    if running:
        lines += [
            ("DATABASE_URL", database_url(state, password, masked=masked)),
            ("psql", psql_command(state, password)),
            ("connections", f"{state.connections} ({state.idle_connections} idle)"
             if state.connections else "0"),
            ("bytes in / out", f"{human_bytes(state.bytes_in)} / {human_bytes(state.bytes_out)}"),
            ("uptime", uptime(state, now)),
        ]
    test = state.connection_test
    if test is not None:
        same = state.last_error and not test.ok and test.detail == state.last_error
        lines.append(("connection test", "failed (the last error)" if same else str(test)))
    if running and not is_loopback(state.host):
        lines.append(("warning", f"listening on {listen_address(state)}, not loopback: "
                                 "reachable from other machines"))
    if state.refused:
        lines.append(("refused", f"{state.refused} client(s): connection limit "
                                 f"{state.max_connections} reached; "
                                 f"{TUNNEL_FIXES[TunnelErrorKind.LIMIT]}"))
    if state.last_error:
        lines.append(("last error", state.last_error))
    return lines


START_STEPS = {
    "certificate": "certificate and instance metadata (Cloud SQL Admin API)",
    "password": "password from Secret Manager",
    "dial": "dialling the instance (mTLS)",
    "login": "login (the database may still be starting)",
    "test": "SELECT 1",
}


def start_progress(instance: str, step: str, elapsed: float) -> str:
    """`starting biocirv · 2/5 password from Secret Manager · 3.2 s` for the status line
    while a tunnel starts, so a slow first start never looks hung."""
    steps = list(START_STEPS)
    where = f"{steps.index(step) + 1}/{len(steps)} {START_STEPS[step]}" if step in START_STEPS \
        else step or "listening"
    return f"starting {instance} · {where} · {elapsed:.1f} s"
