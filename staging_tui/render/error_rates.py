"""Per-service error counts per minute, and their sparkline for the Services table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from staging_tui.domain import LogEntry

BARS = " ▁▂▃▄▅▆▇█"
WINDOW_MINUTES = 15


def error_buckets(entries: Iterable[LogEntry], now: datetime, minutes: int = WINDOW_MINUTES
                  ) -> dict[str, list[int]]:
    """service -> counts per minute, oldest first, over the last `minutes` minutes. Keyed
    by name, and also by region/name (Service.key) when the entry names its region, so
    same-named services of two regions keep their own counts."""
    out: dict[str, list[int]] = {}
    for e in entries:
        age_min = int((now - e.timestamp).total_seconds() // 60)
        if 0 <= age_min < minutes and e.service:
            if e.region:
                regional = out.setdefault(f"{e.region}/{e.service}", [0] * minutes)
                regional[minutes - 1 - age_min] += 1
            counts = out.setdefault(e.service, [0] * minutes)
            counts[minutes - 1 - age_min] += 1
    return out


def sparkline(counts: Sequence[int], peak: int = 0) -> str:
    """One character per bucket, scaled to `peak` (default: the largest count), so that
    several services share one scale; all-zero is blank."""
    peak = peak or max(counts, default=0)
    if peak <= 0 or not any(counts):
        return ""
    top = len(BARS) - 1
    return "".join(BARS[0 if c == 0 else max(1, min(top, round(c / peak * top)))]
                   for c in counts)


def shared_peak(rates: dict[str, list[int]]) -> int:
    return max((max(c) for c in rates.values() if c), default=0)
