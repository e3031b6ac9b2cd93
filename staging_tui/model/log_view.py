"""The Logs pane's state without a terminal: a bounded ring buffer of entries and
markers, the client-side filter (regex, inverse, severity floor) as an index of
visible rows, follow/pause, and the counters the status bar shows.

Pure and synchronous: the pane feeds it batches from `LogsAdapter.tail()` and
asks for rows by position; the headless command and the benchmark use it too. A find
over many entries can be split (`begin_find`, `run_find` on any thread, `finish_find`:
model/log_find.py) so the pane's event loop does not wait for it; `set_filter` does
all three here.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from staging_tui.domain import CompactEntries, LogEntry, LogMarker, MarkerKind, Severity
from staging_tui.model.log_find import FindJob, FindSpec, run_find
from staging_tui.model.log_ring import EveryIndex, Item, RingBuffer

__all__ = ["Counters", "FindJob", "Item", "LogViewModel", "RingBuffer", "run_find",
           "severity_band"]
RATE_WINDOW = 5.0  # seconds over which entries/s is averaged
SPARK_SECONDS = 300  # per-second history kept for the sparkline
SEVERITY_BANDS = ("debug", "info", "warning", "error")


def severity_band(severity: Severity) -> int:
    """0 debug/default, 1 info/notice, 2 warning, 3 error and worse."""
    if severity >= Severity.ERROR:
        return 3
    if severity >= Severity.WARNING:
        return 2
    if severity >= Severity.INFO:
        return 1
    return 0


_BANDS = {int(s): severity_band(s) for s in Severity}


def _band(number: int) -> int:
    """severity_band of a severity number (a value between the named ones too)."""
    band = _BANDS.get(number)
    return severity_band(Severity.DEFAULT if number < 0 else Severity(
        max(s for s in Severity if s <= number))) if band is None else band


@dataclass
class Counters:
    """What the status bar shows: never silent about loss."""

    received: int = 0
    suppressed: int = 0
    gaps: int = 0
    reconnects: int = 0
    evicted: int = 0
    older_not_loaded: bool = False  # the backfill's cap (not a gap: nothing was lost)


class LogViewModel:
    """Entries + markers in a ring, filtered into `visible` (absolute indexes)."""

    def __init__(self, capacity: int = 100_000, clock: Callable[[], float] = time.time
                 ) -> None:
        """`clock` gives "now" in epoch seconds: rates count entries by their timestamp."""
        self.ring = RingBuffer(capacity)
        self.visible: deque[int] | EveryIndex = EveryIndex(self.ring)  # no filter: all
        self.counters = Counters()
        self.follow = True
        self.severity_floor = Severity.DEFAULT
        self.pattern = ""
        self.inverse = False
        self._regex: re.Pattern[str] | None = None
        self.spec = FindSpec(None, False, int(Severity.DEFAULT))
        self.finding: FindJob | None = None  # a find whose result is not in place yet
        self._clock = clock
        self.spark: dict[int, list[int]] = {}  # entry second -> counts by band
        self.generation = 0  # +1 on clear: ring indexes restart, caches keyed by them go

    # ------------------------------------------------------------------ feeding

    def add_batch(self, batch: Iterable[Item | CompactEntries]) -> int:
        """Append a batch from the tail (entries, markers and compact blocks of
        entries); returns how many became visible."""
        ring = self.ring
        visible = self.visible
        matches = self.matches
        counters = self.counters
        added = 0
        entries = 0
        spark = self.spark
        append = ring.append
        plain = self.spec.trivial
        for item in batch:
            if isinstance(item, LogEntry):
                index = append(item)
                entries += 1
                second = int(item.timestamp.timestamp())
                counts = spark.get(second)
                if counts is None:
                    counts = spark[second] = [0, 0, 0, 0]
                counts[severity_band(item.severity)] += 1
                if plain or matches(item):
                    visible.append(index)
                    added += 1
            elif isinstance(item, LogMarker):
                index = append(item)
                self._count_marker(item)
                visible.append(index)
                added += 1
            else:
                entries += len(item)
                added += self._add_block(item)
        counters.received += entries
        first = ring.first
        if first:
            evicted_before = counters.evicted
            counters.evicted = first
            if counters.evicted != evicted_before:
                while visible and visible[0] < first:
                    visible.popleft()
        if len(spark) > 2 * SPARK_SECONDS:
            self._prune()
        return added

    def _add_block(self, block: CompactEntries) -> int:
        """A compact block: counted by (second, severity) in one pass of C code, and
        indexed by its severities unless a find needs its entries decoded."""
        first = self.ring.extend(block)
        spark = self.spark
        for (second, number), count in Counter(zip(block.seconds, block.severities, strict=True)).items():
            counts = spark.get(second)
            if counts is None:
                counts = spark[second] = [0, 0, 0, 0]
            counts[_band(number)] += count
        held = self.ring.first
        if self.spec.trivial:
            self.visible.extend(range(max(first, held), first + len(block)))
            return len(block)
        shown = [first + k for k in self.spec.block_matches(block)]
        self.visible.extend(i for i in shown if i >= held)
        return len(shown)

    def _count_marker(self, marker: LogMarker) -> None:
        if marker.kind is MarkerKind.SUPPRESSED:
            self.counters.suppressed += marker.count
        elif marker.kind is MarkerKind.GAP:
            self.counters.gaps += 1
        elif marker.kind is MarkerKind.OLDER:
            self.counters.older_not_loaded = True
        elif marker.kind is MarkerKind.RECONNECT:
            self.counters.reconnects += 1

    def _prune(self) -> None:
        """Keep the newest SPARK_SECONDS seconds of counts."""
        keep = sorted(self.spark)[-SPARK_SECONDS:]
        self.spark = {s: self.spark[s] for s in keep}

    # ------------------------------------------------------------------ filter

    def matches(self, item: Item) -> bool:
        return self.spec.item_matches(item)

    def begin_find(self, pattern: str | None = None, *, inverse: bool | None = None,
                   severity_floor: Severity | None = None) -> FindJob | None:
        """Change the client-side filter (raises re.error for a bad regex) and return the
        job that indexes the entries held now (None: everything shows, nothing to
        index); `run_find(job)` computes it (on any thread) and `finish_find` puts it in
        place. Meanwhile the view shows the entries added since, indexed as they come;
        a newer find cancels this one."""
        if pattern is not None:
            self._regex = re.compile(pattern, re.IGNORECASE) if pattern else None
            self.pattern = pattern
        if inverse is not None:
            self.inverse = inverse
        if severity_floor is not None:
            self.severity_floor = severity_floor
        self.spec = FindSpec(self._regex, self.inverse, int(self.severity_floor))
        if self.finding is not None:
            self.finding.cancelled = True
            self.finding = None
        ring = self.ring
        if self.spec.trivial:
            self.visible = EveryIndex(ring)
            return None
        slots, keys = ring.snapshot()
        self.finding = FindJob(self.spec, ring.first, slots, keys, self.generation)
        self.visible = deque()  # what arrives from now on, indexed by add_batch
        return self.finding

    def finish_find(self, job: FindJob, found: list[int]) -> bool:
        """Show `found` (run_find's result for `job`) before what arrived meanwhile; False
        if a newer find or a clear made the job stale."""
        if job is not self.finding or job.generation != self.generation:
            return False
        self.finding = None
        held = self.ring.first  # what was evicted meanwhile goes
        visible = deque(found[bisect_left(found, held):] if found and found[0] < held
                        else found)
        if isinstance(self.visible, deque):  # (always, while a find runs)
            visible.extend(self.visible)
        self.visible = visible
        return True

    def set_filter(self, pattern: str | None = None, *, inverse: bool | None = None,
                   severity_floor: Severity | None = None) -> None:
        """Change the client-side filter and index the entries held, here and now;
        raises re.error for a bad regex. (The pane runs the find on a thread instead:
        begin_find, run_find, finish_find.)"""
        job = self.begin_find(pattern, inverse=inverse, severity_floor=severity_floor)
        if job is not None:
            self.finish_find(job, run_find(job) or [])

    def clear(self) -> None:
        """Forget the buffered entries (counters of loss stay)."""
        self.ring.clear()
        self.finding = None  # (its indexes were of the entries that go)
        self.visible.clear()  # (the ring's own indexes restart at 0 too)
        self.generation += 1

    def reset(self) -> None:
        """A new tail (another query, service or since): entries, counters and rates go;
        the client-side filter and follow mode stay."""
        self.clear()
        self.counters = Counters()
        self.spark = {}
        self.follow = True

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return len(self.visible)

    def row(self, position: int) -> Item:
        """The visible item at `position` (0 = oldest visible)."""
        return self.ring[self.visible[position]]

    def index_at(self, position: int) -> int:
        """The ring index of the visible row at `position`: stable while the row is held
        (until `generation` changes), so a view can cache what it rendered by it."""
        return self.visible[position]

    def at_index(self, index: int) -> Item:
        """The item at ring index `index` (see `index_at`)."""
        return self.ring[index]

    @property
    def appended(self) -> int:
        """Items ever appended since the last clear: changes whenever a batch arrives."""
        return self.ring.total

    def buffered(self, everything: bool = True) -> list[Item]:
        """Every item held (`everything`), or only the visible ones, oldest first."""
        if everything:
            return [item for _, item in self.ring.items()]
        return self.rows(0, len(self.visible))

    def rows(self, start: int, stop: int) -> list[Item]:
        visible, ring = self.visible, self.ring
        stop = min(stop, len(visible))
        return [ring[visible[p]] for p in range(max(0, start), stop)]

    def entries_per_second(self) -> float:
        """Entries per second, by timestamp, over the last RATE_WINDOW seconds."""
        now = int(self._clock())
        window = int(RATE_WINDOW)
        return sum(sum(self.spark.get(s, ())) for s in range(now - window, now)) / window

    def sparkline(self, seconds: int = 60, band: int | None = None) -> list[int]:
        """Entries per second (by timestamp) for the last `seconds`: one band, or all."""
        now = int(self._clock())
        by_second = self.spark
        out = []
        for s in range(now - seconds + 1, now + 1):
            counts = by_second.get(s)
            out.append(0 if counts is None else (sum(counts) if band is None else counts[band]))
        return out

    def status(self) -> str:
        c = self.counters
        mode = "following" if self.follow else "paused"
        parts = [f"{self.entries_per_second():,.0f}/s", f"buffered {len(self.ring):,}",
                 f"shown {len(self.visible):,}", f"suppressed {c.suppressed:,}",
                 f"gaps {c.gaps}", f"reconnects {c.reconnects}", mode]
        if c.evicted:
            parts.insert(2, f"evicted {c.evicted:,}")
        if c.older_not_loaded:
            parts.insert(-1, "older entries not loaded")
        if self.finding is not None:
            parts.insert(0, f"finding… {self.finding.done:,} of {self.finding.size:,}")
        elif not self.visible:  # say so: an empty view must not look like a stuck one
            parts.insert(0, "no entries" if not len(self.ring) else
                         "no entries match the severity floor or find")
        return " · ".join(parts)
