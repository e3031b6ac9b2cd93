"""When a pane reloads what it shows (k9s' model refreshes with back-off), and how it
says how fresh that is. The one schedule for every pane that loads from an API.

Every `interval` seconds, or only on demand (`interval` 0: a listing that costs quota,
reloaded with `r`); never two loads at once; after an error the next automatic load
waits twice as long as the last (from `interval`, or `retry_s` for an on-demand pane,
up to `max_backoff`), plus up to `jitter` of it at random so that clients do not retry
in step; when Google said how long to wait (RetryInfo on RESOURCE_EXHAUSTED) it waits
that long instead; a failure no retry fixes (expired credentials) stops the automatic
loads until the user's own load succeeds; a success brings the interval back (an
on-demand pane goes back to waiting for `r`).

The pane's timer calls `tick()`; its load worker runs the load through `run()`, which
brackets it with `begin()` and `succeeded()` / `failed()` / `stopped()` / `cancelled()`
and sorts our errors into those. `freshness(now)` is the one line every pane shows
beside its status: "updated 12s ago", "loading…", "stale: load failed 3 times, next
try in 40s". `on_change` (the widget's repaint) is called after each change of state.

Pure and synchronous but for `run()`, no textual.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from staging_tui.errors import CredentialsError, QuotaExceeded, StagingError
from staging_tui.render.services import age

RETRY_S = 15.0  # an on-demand pane's first automatic retry after a failed load


@dataclass
class Refresh:
    interval: float = 30.0       # seconds between automatic loads; 0 = on demand only
    max_backoff: float = 300.0
    jitter: float = 0.25               # a failed load's wait grows by up to this share
    retry_s: float = RETRY_S           # first wait after a failure when `interval` is 0
    delay: float = field(init=False)   # until the next automatic load (backed off)
    due: float = field(init=False)     # `delay` with its jitter: what tick() waits for
    elapsed: float = field(default=0.0, init=False)
    running: bool = field(default=False, init=False)
    failures: int = field(default=0, init=False)   # in a row
    loaded_at: datetime | None = field(default=None, init=False)
    generation: int = field(default=0, init=False)  # which load's outcome still counts
    rng: random.Random = field(default_factory=random.Random, repr=False)
    on_change: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.delay = self.due = self.interval

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def tick(self, seconds: float) -> bool:
        """`seconds` passed: True when an automatic load is due (and none is running):
        every `interval`, or the retry of a failed load (on-demand panes too)."""
        self.elapsed += seconds
        automatic = bool(self.interval) or self.failures > 0
        return automatic and self.elapsed >= self.due and not self.running

    def begin(self) -> bool:
        """A load starts; False (start none) while another one runs."""
        if self.running:
            return False
        self.running, self.elapsed = True, 0.0
        self.generation += 1
        self._changed()
        return True

    def cancelled(self) -> None:
        """The load was cancelled (the user's r replaces it): the next may begin, and
        whatever the cancelled one still reports is ignored."""
        self.running = False
        self.generation += 1
        self._changed()

    def succeeded(self, now: datetime) -> None:
        self.running, self.failures, self.delay, self.loaded_at = False, 0, self.interval, now
        self.due = self.delay
        self._changed()

    def failed(self, retry_after: float | None = None) -> float:
        """Keep what was shown; the next automatic load waits longer (or `retry_after`
        seconds when Google said so). Returns the wait, for "next try in N s"."""
        self.running = False
        self.failures += 1
        if retry_after:
            self.delay = retry_after
        elif not math.isfinite(self.delay) or self.delay <= 0:  # on demand, or stopped
            self.delay = self.interval or self.retry_s
        else:
            self.delay = min(self.delay * 2, self.max_backoff)
        self.due = self.delay * (1.0 + self.jitter * self.rng.random())
        self._changed()
        return self.due

    def remaining(self) -> float:
        """Seconds until the next automatic load is due."""
        return max(0.0, self.due - self.elapsed)

    def stopped(self) -> None:
        """A failure no retry can fix (expired credentials): no automatic load until a
        load the user asks for succeeds."""
        self.running = False
        self.failures += 1
        self.delay = self.due = math.inf
        self._changed()

    def age(self, now: datetime) -> float | None:
        """Seconds since the last successful load (None before the first)."""
        return None if self.loaded_at is None else (now - self.loaded_at).total_seconds()

    async def run(self, load: Callable[[], Awaitable[object]],
                  now: Callable[[], datetime]) -> StagingError | None:
        """Run one load under the schedule: nothing when another one runs; our errors
        come back (already counted: RetryInfo honoured, credentials stop the automatic
        loads) for the pane to show; any other exception counts as a failure and is
        raised (the pane's worker handler shows it); a cancelled load lets the next
        one begin."""
        if not self.begin():
            return None
        mine = self.generation
        try:
            await load()
        except CredentialsError as exc:
            # Expired or revoked ADC: every retry would fail (and call the token
            # endpoint again): no automatic load until the user presses r.
            if mine == self.generation:
                self.stopped()
            return exc
        except StagingError as exc:
            if mine == self.generation:
                self.failed(exc.retry_after if isinstance(exc, QuotaExceeded) else None)
            return exc
        except Exception:  # a bug: the pane shows it; what was shown is stale
            if mine == self.generation:
                self.failed()
            raise
        except BaseException:  # cancelled (r replaces it, the pane closes)
            if mine == self.generation:
                self.cancelled()
            raise
        if mine == self.generation:
            self.succeeded(now())
        return None

    def freshness(self, now: datetime) -> str:
        """How fresh the pane's data is, the same words in every pane."""
        if self.running:
            return "loading…"
        if self.failures:
            times = "once" if self.failures == 1 else f"{self.failures} times"
            if not math.isfinite(self.due):
                return f"stale: load failed {times}, r retries"
            return f"stale: load failed {times}, next try in {math.ceil(self.remaining())}s"
        if self.loaded_at is None:
            return "not loaded" if not self.interval else "loading…"
        return "updated " + ("just now" if (self.age(now) or 0) < 1 else
                             age(self.loaded_at, now))
