"""The sandbox PostgreSQL's watchdog: it stops the server and removes its temp dir once
the process that owns the server is gone, however that process ended.

Run as a script (stdlib only, no package import, so it starts in a few tens of ms):
`python -I pg_watchdog.py TMPDIR`, in its own session (signals sent to the owner's
process group, by a closing terminal, `timeout` or a CI cancel, do not reach it), with
standard input the read end of a pipe whose only write end the owner holds. The kernel
closes that end when the owner exits, also on SIGKILL, so EOF on stdin is "the owner is
gone". (PR_SET_PDEATHSIG would not do: it fires when the *thread* that forked dies,
and the server is started from worker threads.) The owner's own `stop()` does the
same cleanup first and then closes the pipe, so a normal stop leaves nothing to do.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

GRACE_S = 10.0


def _alive(pid: int, tmp: str) -> bool:
    """`pid` still runs, is not a zombie, and is this dir's postmaster (not a reused pid)."""
    proc = Path(f"/proc/{pid}")
    try:
        if proc.exists():
            stat = (proc / "stat").read_text()
            if stat.rpartition(")")[2].split()[0] == "Z":
                return False
            return tmp.encode() in (proc / "cmdline").read_bytes()
        os.kill(pid, 0)
    except (OSError, IndexError):
        return False
    return True


def _postmaster(tmp: str) -> int | None:
    try:
        first = (Path(tmp) / "data" / "postmaster.pid").read_text().split("\n", 1)[0]
        return int(first)
    except (OSError, ValueError):
        return None


def cleanup(tmp: str) -> None:
    """Immediate shutdown of the postmaster (SIGQUIT; its backends exit with it), then
    SIGKILL after a grace period, then remove the dir."""
    pid = _postmaster(tmp)
    if pid is not None and _alive(pid, tmp):
        for sig, wait in ((signal.SIGQUIT, GRACE_S), (signal.SIGKILL, GRACE_S)):
            try:
                os.kill(pid, sig)
            except OSError:
                break
            deadline = time.monotonic() + wait
            while _alive(pid, tmp) and time.monotonic() < deadline:
                time.sleep(0.02)
            if not _alive(pid, tmp):
                break
    shutil.rmtree(tmp, ignore_errors=True)


class _Stop(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _Stop


def main(argv: list[str]) -> int:
    tmp = argv[1]
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_IGN)
    # A SIGTERM (system shutdown) ends the wait like EOF does: clean up, then exit.
    signal.signal(signal.SIGTERM, _stop)
    try:
        while os.read(0, 4096):
            pass
    except (OSError, _Stop):
        pass
    cleanup(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
