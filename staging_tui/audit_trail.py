"""A local, append-only audit trail of what was done with secrets.

One JSON object per line in `$XDG_STATE_HOME/staging-tui/audit.jsonl` (default
`~/.local/state/staging-tui/audit.jsonl`): when, which action (reveal, copy, create,
add-version, enable, disable, destroy), which secret and version, which profile,
project and environment. There is no parameter for a value: it cannot be written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ACTIONS = ("reveal", "copy", "create", "add-version", "enable", "disable", "destroy")


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "staging-tui"


def default_trail_path() -> Path:
    return state_dir() / "audit.jsonl"


class AuditTrail:
    """`record(...)` appends one line; failures to write never stop the caller's action
    but are reported through `last_error` (the UI shows it)."""

    def __init__(self, path: Path | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.path = path or default_trail_path()
        self._clock = clock or (lambda: datetime.now(UTC))
        self.last_error = ""

    def record(self, action: str, secret: str, version: str = "", *, profile: str = "",
               project: str = "", environment: str = "", outcome: str = "ok") -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        entry = {
            "time": self._clock().isoformat(),
            "action": action,
            "secret": secret,
            "version": version,
            "profile": profile,
            "project": project,
            "environment": environment,
            "outcome": outcome,
        }
        line = json.dumps(entry, sort_keys=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
            self.last_error = ""
        except OSError as exc:
            self.last_error = f"audit trail {self.path}: {exc.strerror}"

    def entries(self) -> list[dict[str, Any]]:
        """Everything recorded so far (for tests and `secrets trail`)."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]
