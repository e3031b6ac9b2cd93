"""A local, append-only audit trail of what was done with secrets and services.

One JSON object per line in `$XDG_STATE_HOME/staging-tui/audit.jsonl` (default
`~/.local/state/staging-tui/audit.jsonl`): when, which action (reveal, copy, create,
add-version, enable, disable, destroy), which secret and version, which profile,
project and environment. There is no parameter for a value: it cannot be written.

Incident actions (rollback, traffic, latest, restart, env, undo) add who (OS user and
Google account), the service, the traffic before/after, the template changes as shown
in the preview (sensitive literals masked), the operation's name and the result.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ACTIONS = ("reveal", "copy", "create", "add-version", "enable", "disable", "destroy")
SERVICE_ACTIONS = ("rollback", "traffic", "latest", "restart", "env", "undo", "run-job")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return os.environ.get("USER", "")


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
        self._append(entry)

    def record_service_action(self, plan: Mapping[str, Any], *, operation: str = "",
                              outcome: str = "ok", account: str = "", profile: str = "",
                              environment: str = "") -> None:
        """One incident action. `plan` is render.action_plans.audit_fields(plan): action,
        service, summary, traffic before/after, template changes (masked), gcloud, project,
        region."""
        if plan.get("action") not in SERVICE_ACTIONS:
            raise ValueError(f"unknown audit action {plan.get('action')!r}")
        self._append({
            "time": self._clock().isoformat(),
            **plan,
            "who": {"user": _os_user(), "account": account},
            "operation": operation,
            "profile": profile,
            "environment": environment,
            "outcome": outcome,
        })

    def _append(self, entry: dict[str, Any]) -> None:
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
