"""One tail's state: the insertId dedupe window, the last timestamp seen, and the
conversion of each TailLogEntries response (its wire bytes) into a batch: its new
entries as one compact block (log_blocks.py) plus a SUPPRESSED marker if any."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from staging_tui.domain import CompactEntries, LogEntry, LogMarker, MarkerKind
from staging_tui.gcp.call_budget import CallBudget
from staging_tui.gcp.insert_id_window import InsertIdWindow
from staging_tui.gcp.log_blocks import block_from_wire, last_timestamp_ns

Batch = list[LogEntry | LogMarker]
CompactBatch = Sequence[LogEntry | LogMarker | CompactEntries]
_REASONS = {1: "rate limit", 2: "client too slow (not consumed)"}


def _now() -> datetime:
    return datetime.now(UTC)


class TailState:
    """Dedupe window, last timestamp seen and counters of one tail."""

    def __init__(self, seen: InsertIdWindow) -> None:
        self.seen = seen
        self.last_ts: datetime | None = None
        self.resume_from: datetime | None = None
        self.overlap = True  # re-read `policy.overlap` before resume_from
        self.reconnects = 0
        self.budget: CallBudget | None = None  # list calls of this tail

    def accept(self, entries: Sequence[LogEntry]) -> Batch:
        seen = self.seen
        ids = [e.insert_id for e in entries]
        seconds = [int(e.timestamp.timestamp()) for e in entries]
        # A LogEntry's datetime is rounded to the microsecond: one at .9999995 s or later
        # shows the next second, and is the stream's entry of the second before.
        rounded = [p for p, e in enumerate(entries) if e.timestamp.microsecond == 0]
        before = {p for p in rounded if (ids[p], seconds[p] - 1) in seen}
        new = seen.new(ids, seconds)
        seen.new([ids[p] for p in rounded], [seconds[p] - 1 for p in rounded])
        out: Batch = [entries[p] for p in new if p not in before]
        if entries:
            newest = max(entries[0].timestamp, entries[-1].timestamp)
            if self.last_ts is None or newest > self.last_ts:
                self.last_ts = newest
        return out

    def response(self, data: bytes) -> CompactBatch:
        """A TailLogEntries response's wire bytes -> its new entries as one compact
        block (none if every insertId was seen) and any SUPPRESSED marker."""
        block, pb = block_from_wire(data, self.seen.new)
        out: list[LogEntry | LogMarker | CompactEntries] = []
        if block is not None:
            out.append(block)
            ns = last_timestamp_ns(block, pb)
            newest = datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
                microsecond=ns % 1_000_000_000 // 1000)
            if self.last_ts is None or newest > self.last_ts:
                self.last_ts = newest
        for info in pb.suppression_info:
            if info.suppressed_count:
                out.append(LogMarker(MarkerKind.SUPPRESSED, _now(), info.suppressed_count,
                                     f"suppressed by the server: "
                                     f"{_REASONS.get(info.reason, 'unknown reason')}"))
        return out
