"""Budgets of API calls per minute, and the back-off after a refused call.

Google's rate quotas are per project and per minute, shared by everyone on the
project (the team, CI). The console keeps to a share of each (`quota_share` in the
profile, default 0.5): a `CallBudget` makes a caller wait rather than exceed its
calls per sliding minute, and `Backoff` spaces retries after RESOURCE_EXHAUSTED or
a failure: Google's RetryInfo when given, else exponential with jitter, never a
tight loop. Pure asyncio: no google imports.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from staging_tui.errors import QuotaExceeded

WINDOW_S = 60.0


class CallBudget:
    """At most `per_minute` calls in any sliding 60 s; `acquire()` waits for room."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] | None = None) -> None:
        self.per_minute = max(1, per_minute)
        self.clock = clock
        self._sleep = sleep
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] >= WINDOW_S:
            self._times.popleft()

    def wait_needed(self) -> float:
        """Seconds until a call would be allowed (0 when there is room now)."""
        now = self.clock()
        self._trim(now)
        if len(self._times) < self.per_minute:
            return 0.0
        return self._times[0] + WINDOW_S - now

    async def acquire(self) -> None:
        async with self._lock:
            while (delay := self.wait_needed()) > 0:
                await asyncio.sleep(delay)
            self._times.append(self.clock())

    def spent(self) -> int:
        """Calls in the last 60 s."""
        self._trim(self.clock())
        return len(self._times)


@dataclass
class Backoff:
    """Delays between retries: RetryInfo when Google gives it, else `base` doubling up to
    `maximum`; always with +0..`jitter` (a fraction) so that clients do not retry in step."""

    base: float = 5.0
    maximum: float = 60.0
    jitter: float = 0.25
    attempts: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self, error: BaseException | None = None) -> float:
        self.attempts += 1
        if isinstance(error, QuotaExceeded) and error.retry_after:
            delay = error.retry_after
        else:
            delay = min(self.base * 2 ** (self.attempts - 1), self.maximum)
        return delay * (1.0 + self.jitter * self.rng.random())

    def reset(self) -> None:
        self.attempts = 0


def quota_share_budget(limit_per_minute: int, share: float) -> int:
    """The calls per minute this session may spend of a project quota."""
    return max(1, int(limit_per_minute * share))
