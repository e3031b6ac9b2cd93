"""What every headless action shares (`rollback`, `traffic`, `restart`, `run-job`): the
`--yes`/`--confirm` options, the guard (preview only without --yes, exit 3; refused in a
read-only profile; the name again in a protected one), and the run itself, its progress
on stderr and its outcome in the audit trail."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from staging_tui.audit_trail import AuditTrail
from staging_tui.backend import Backend
from staging_tui.config import Settings
from staging_tui.domain import ActionProgress
from staging_tui.errors import ApiError, StagingError

PREVIEW_ONLY = 3
T = TypeVar("T")
Progress = Callable[[ActionProgress], None]


def add_confirm_options(p: argparse.ArgumentParser, what: str, metavar: str) -> None:
    """`--yes` and `--confirm NAME` (`what`: "service", "job")."""
    p.add_argument("--yes", action="store_true", help="run it (without: print the preview, exit 3)")
    p.add_argument("--confirm", metavar=metavar, default="",
                   help=f"the {what}'s name again: required with --yes in a protected profile")


def guard(args: argparse.Namespace, s: Settings, name: str, what: str,
          nothing_done: str) -> int | None:
    """None when the action may run; PREVIEW_ONLY (after saying how to run it) without
    --yes. Raises in a read-only profile, or in a protected one without `--confirm NAME`.
    `nothing_done` ends the read-only refusal ("nothing was changed")."""
    fix = "use a profile with read_only = false" + (
        " (--profile sandbox-actions)" if s.sandbox else "")
    if not args.yes:
        print("\npreview only: add --yes to run it"
              + (f" (in a profile that allows it: {fix})" if not s.actions_allowed else ""),
              file=sys.stderr)
        return PREVIEW_ONLY
    if not s.actions_allowed:
        raise StagingError(f"profile {s.profile!r} is read-only: {nothing_done}", fix)
    if s.protected and args.confirm != name:
        raise StagingError(f"profile {s.profile!r} is protected: confirm with the {what}'s name",
                           f"add --confirm {name}")
    return None


async def run_recorded(backend: Backend, fields: Mapping[str, object],
                       operate: Callable[[Progress], Awaitable[T]],
                       describe: Callable[[ActionProgress], str]) -> T | None:
    """Run `operate(progress)`, each step a line on stderr (`describe`), and write its
    outcome to the audit trail. None when Google failed it (the error on stderr)."""
    s = backend.settings
    trail = AuditTrail()
    operation = ""

    def progress(p: ActionProgress) -> None:
        nonlocal operation
        operation = operation or p.operation
        print(f"  {describe(p)}", file=sys.stderr, flush=True)

    common: dict[str, Any] = dict(account=backend.account, profile=s.profile,
                                  environment=s.environment)
    try:
        done = await operate(progress)
    except ApiError as exc:
        trail.record_service_action(fields, operation=operation,
                                    outcome=f"failed: {exc.message}", **common)
        print(f"staging-tui: {exc}", file=sys.stderr)
        return None
    trail.record_service_action(fields, operation=operation, outcome="ok", **common)
    return done
