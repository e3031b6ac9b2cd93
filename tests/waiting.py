"""One way to wait in tests: poll a condition until it holds (an event wait when there is
no event to await). Never a timed assertion: the timeout only ends a test that would
otherwise hang, and names what it waited for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

TIMEOUT_S = 30.0  # generous: the machine running the suite may be busy


async def until(check: Callable[[], object], pilot: Pilot[Any] | None = None, *,
                timeout: float = TIMEOUT_S, interval: float = 0.05,
                what: str | Callable[[], str] = "") -> None:
    """Return once `check()` is truthy, polling every `interval` seconds (through
    `pilot.pause` when a pilot is given, so the app processes its messages meanwhile).
    AssertionError after `timeout` seconds, naming `what` (a text, or a function giving one
    then: what the screen showed at the end), or the check's source."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what  # a callable says how it ended
            raise AssertionError(f"not reached in {timeout:g} s: {said or _describe(check)}")
        if pilot is not None:
            await pilot.pause(interval)
        else:
            await asyncio.sleep(interval)


async def settled(pilot: Pilot[Any]) -> None:
    """After the condition a test waited for: scheduled animations done and the messages
    already queued handled (a refresh the condition caused is painted), with no fixed
    pause. The last step of a snapshot's `run_before`."""
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def workers_done(pilot: Pilot[Any], *groups: str) -> None:
    """Until the app's workers of these groups (`@work(group=...)`) that exist now have
    ended, then settled. For a pane whose other workers never end (a log tail)."""
    for worker in [w for w in pilot.app.workers if w.group in groups]:
        await worker.wait()
    await settled(pilot)


def _describe(check: Callable[[], object]) -> str:
    import inspect

    try:
        return inspect.getsource(check).strip()
    except (OSError, TypeError):
        return repr(check)
