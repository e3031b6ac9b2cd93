"""Golden signals -> the numbers and chart series the service detail shows.

Pure: x values are minutes relative to the newest point (−14 … 0), and each revision
created inside the window becomes a deploy marker at its minute, so a chart answers
"did the errors start with the deploy?" at a glance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from staging_tui.domain import GoldenSignals, Revision

WINDOWS_MIN = (15, 60, 360)


@dataclass(frozen=True)
class DeployMark:
    minute: float  # relative to the newest point (negative: before it)
    revision: str


def minutes_axis(signals: GoldenSignals) -> list[float]:
    if not signals.times:
        return []
    newest = signals.times[-1]
    return [(t - newest).total_seconds() / 60 for t in signals.times]


def deploy_marks(revisions: Iterable[Revision], signals: GoldenSignals) -> list[DeployMark]:
    """Revisions created inside the window of `signals`, oldest first."""
    if not signals.times:
        return []
    first, newest = signals.times[0], signals.times[-1]
    out = []
    for rev in revisions:
        when = rev.create_time
        if when is not None and first <= when <= newest:
            out.append(DeployMark((when - newest).total_seconds() / 60,
                                  rev.name.rsplit("/", 1)[-1]))
    return sorted(out, key=lambda m: m.minute)


def _last(values: Sequence[float]) -> float:
    return values[-1] if values else 0.0


def summary_line(s: GoldenSignals) -> str:
    """The newest minute: 'req/s 12.3 · 5xx 4.1% · p50 45 ms · p95 180 ms · ...'."""
    return (f"req/s {_last(s.requests_per_s):.1f} · 5xx {_last(s.error_ratio) * 100:.1f}% · "
            f"p50 {_last(s.p50_ms):.0f} ms · p95 {_last(s.p95_ms):.0f} ms · "
            f"instances {_last(s.instances):.0f} · CPU {_last(s.cpu) * 100:.0f}% · "
            f"memory {_last(s.memory) * 100:.0f}%")


def window_label(minutes: int, now: datetime | None = None) -> str:
    return f"last {minutes} min" if minutes < 60 else f"last {minutes // 60} h"
