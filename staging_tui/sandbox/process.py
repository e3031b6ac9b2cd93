"""The sandbox in a child process: what `staging-tui --sandbox` uses.

Serving in another process keeps the emulator's work (imports at start-up, log
floods later) off the UI's interpreter lock and on the second core. The child is
`staging-tui sandbox serve --endpoints-json --exit-on-stdin-eof`: it prints one JSON
line of endpoints when ready and exits when our end of its stdin closes, so it never
outlives the console, even if the console is killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from staging_tui.errors import SandboxError


class SandboxProcess:
    """`begin()` starts the child; `wait()` blocks for its endpoints; `stop()` ends it."""

    def __init__(self, scenario: str | Path | None = None) -> None:
        self.scenario = scenario
        self._proc: subprocess.Popen[str] | None = None
        self._endpoints: dict[str, str] | None = None
        self._lock = threading.Lock()

    def begin(self) -> None:
        cmd = [sys.executable, "-m", "staging_tui.cli", "sandbox", "serve", "--endpoints-json",
               "--exit-on-stdin-eof"]
        if self.scenario:
            cmd += ["--scenario", str(self.scenario)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)

    @property
    def pid(self) -> int | None:
        """The child's process id once begun (the start-up bench samples its RSS)."""
        return None if self._proc is None else self._proc.pid

    def wait(self, timeout: float = 60.0) -> dict[str, str]:
        with self._lock:
            if self._endpoints is not None:
                return self._endpoints
            if self._proc is None:
                self.begin()
            assert self._proc is not None and self._proc.stdout is not None
            line = self._proc.stdout.readline()
            if not line:
                err = self._proc.stderr.read() if self._proc.stderr else ""
                raise SandboxError(f"the sandbox did not start: {err.strip()[-600:]}",
                                   "run `staging-tui sandbox serve` to see the full error")
            self._endpoints = dict(json.loads(line))
            return self._endpoints

    def stop(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
