"""The sandbox's Logging store: the entries produced so far by the generator
(sandbox/log_generator.py) and those clients wrote, bounded by the retention, sorted by
timestamp, kept serialized (the wire bytes are sent as they are).
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from staging_tui.sandbox.log_generator import LogEntryPb, LogGenerator


@dataclass(slots=True)
class StoredEntry:
    key: tuple[int, int]  # (timestamp ns, store index): the store's sort order
    wire: bytes  # the serialized LogEntry, sent as is

    @property
    def pb(self) -> Any:
        """The entry parsed (for filters): kept as bytes, which is much smaller."""
        return LogEntryPb.FromString(self.wire)


class LogStore:
    """All entries produced so far (bounded), sorted by timestamp."""

    def __init__(self, generator: LogGenerator, retention: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.generator = generator
        self.clock = clock  # the sandbox's (Scenario.clock)
        self.retention = max(retention, 1000)
        self.entries: list[StoredEntry] = []
        self.next_seq = 0  # next generated sequence number
        self._index = 0  # store index (generated and written entries)
        self.written = 0
        # the newest writes in arrival order: a tail also sends an entry written with a
        # timestamp it has already passed (a late arrival), once
        self.recent_writes: deque[StoredEntry] = deque(maxlen=10_000)

    def advance(self, now: float | None = None) -> int:
        """Produce every entry due by `now`; returns the new count. Cheap when idle."""
        target = self.generator.index_at(self.clock() if now is None else now)
        if not self.generator.services:
            return self.next_seq
        if target - self.next_seq > self.retention:
            self.next_seq = target - self.retention  # nobody listened: skip what we'd evict
        wire, append, index = self.generator.wire, self.entries.append, self._index
        for seq in range(self.next_seq, target):
            ns, data = wire(seq)
            append(StoredEntry((ns, index), data))
            index += 1
        self._index = index
        self.next_seq = max(self.next_seq, target)
        self._evict()
        return self.next_seq

    def write(self, pb: Any) -> StoredEntry:
        """Insert an entry written by a client (WriteLogEntries)."""
        ns = pb.timestamp.seconds * 1_000_000_000 + pb.timestamp.nanos
        stored = StoredEntry((ns, self._index), pb.SerializeToString())
        self._index += 1
        self.written += 1
        self.recent_writes.append(stored)
        bisect.insort(self.entries, stored, key=lambda s: s.key)
        self._evict()
        return stored

    def writes_since(self, written: int) -> list[StoredEntry]:
        """The entries written after the first `written` writes (as far as remembered)."""
        count = min(self.written - written, len(self.recent_writes))
        return list(self.recent_writes)[-count:] if count > 0 else []

    def _evict(self) -> None:
        excess = len(self.entries) - self.retention
        if excess > self.retention // 10:
            del self.entries[:excess]

    def position_after(self, key: tuple[int, int]) -> int:
        return bisect.bisect_right(self.entries, key, key=lambda s: s.key)

    def position_before(self, key: tuple[int, int]) -> int:
        """The position of the last entry sorting before `key` (-1 if none)."""
        return bisect.bisect_left(self.entries, key, key=lambda s: s.key) - 1

    def position_at_time(self, ns: int) -> int:
        return bisect.bisect_left(self.entries, (ns, -1), key=lambda s: s.key)

    def since(self, key: tuple[int, int]) -> Iterator[StoredEntry]:
        """Entries after `key`, in order (a snapshot of positions, safe to iterate)."""
        entries = self.entries
        for pos in range(self.position_after(key), len(entries)):
            yield entries[pos]

    def newest_key(self) -> tuple[int, int]:
        return self.entries[-1].key if self.entries else (0, -1)
