"""When a pane reloads what it shows (k9s' model refreshes with back-off): every
`interval` seconds, or only on demand (`interval` 0: a listing that costs quota);
never two loads at once; after an error the next automatic one waits twice as long
(up to `max_backoff`), plus up to `jitter` of it at random so that clients do not
retry in step; when Google said how long to wait (RetryInfo on RESOURCE_EXHAUSTED),
`failed(retry_after)` waits that long instead (never less); a success brings the
interval back. The pane's timer calls
`tick()`; its load worker brackets the call with `begin()` and `succeeded()` /
`failed()`; `loaded_at` and `age()` say how old what it shows is.

Pure and synchronous, no textual: the same schedule for every pane.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Refresh:
    interval: float = 30.0       # seconds between automatic loads; 0 = on demand only
    max_backoff: float = 300.0
    jitter: float = 0.25               # a failed load's wait grows by up to this share
    delay: float = field(init=False)   # until the next automatic load (backed off)
    due: float = field(init=False)     # `delay` with its jitter: what tick() waits for
    elapsed: float = field(default=0.0, init=False)
    running: bool = field(default=False, init=False)
    failures: int = field(default=0, init=False)   # in a row
    loaded_at: datetime | None = field(default=None, init=False)
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.delay = self.due = self.interval

    def tick(self, seconds: float) -> bool:
        """`seconds` passed: True when an automatic load is due (and none is running)."""
        self.elapsed += seconds
        return bool(self.interval) and self.elapsed >= self.due and not self.running

    def begin(self) -> bool:
        """A load starts; False (start none) while another one runs."""
        if self.running:
            return False
        self.running, self.elapsed = True, 0.0
        return True

    def cancelled(self) -> None:
        """The load was cancelled (the user's r replaces it): the next may begin."""
        self.running = False

    def succeeded(self, now: datetime) -> None:
        self.running, self.failures, self.delay, self.loaded_at = False, 0, self.interval, now
        self.due = self.delay

    def failed(self, retry_after: float | None = None) -> float:
        """Keep what was shown; the next automatic load waits longer (or `retry_after`
        seconds when Google said so). Returns the wait, for "retrying in N s"."""
        self.running = False
        self.failures += 1
        if not self.interval:
            self.delay = self.due = 0.0
            return 0.0
        if retry_after:
            self.delay = retry_after
        else:
            self.delay = min(self.delay * 2, self.max_backoff)
        self.due = self.delay * (1.0 + self.jitter * self.rng.random())
        return self.due

    def remaining(self) -> float:
        """Seconds until the next automatic load is due."""
        return max(0.0, self.due - self.elapsed)

    def age(self, now: datetime) -> float | None:
        """Seconds since the last successful load (None before the first)."""
        return None if self.loaded_at is None else (now - self.loaded_at).total_seconds()
