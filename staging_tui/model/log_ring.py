"""The Logs pane's ring buffer: the newest `capacity` items by a monotonic index.

An item is a domain LogEntry or LogMarker (markers, backfill pages) or one entry of a
compact block (`CompactEntries`: a tail response's wire bytes plus typed arrays).
A block takes one slot per entry holding a reference to the block, and `_keys` says
which of its entries the slot is; an entry is decoded when read (`ring[i]`) and the
last DECODED_KEPT decoded ones are cached. Blocks that are no longer among the newest
(RAW_ENTRIES) are packed: joined up to PACK_ENTRIES entries and deflated, on a thread
of their own (zlib lets go of the GIL while it deflates, so this takes another core,
not the event loop's); the slots point at the packed block once it is ready.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from staging_tui.domain import CompactEntries, LogEntry, LogMarker

Item = LogEntry | LogMarker
Slot = LogEntry | LogMarker | CompactEntries
DECODED_KEPT = 2_048  # decoded entries cached (the rows on screen, the detail view)
RAW_ENTRIES = 4_000  # newest block entries left as received (the rows that follow)
PACK_ENTRIES = 1_000  # entries per packed block (small blocks are joined up to this)
PACKING_AT_ONCE = 4  # groups being packed; more waits (bounded memory if it falls behind)
_packer: ThreadPoolExecutor | None = None


def _packing_thread() -> ThreadPoolExecutor:
    global _packer
    if _packer is None:
        _packer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="log-pack")
    return _packer


class RingBuffer:
    """The newest `capacity` items, addressed by a monotonic absolute index."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self.total = 0  # items ever appended; absolute index of the next one
        self._slots: list[Slot | None] = [None] * self.capacity
        self._keys = array("l", [0]) * self.capacity  # entry of a block's slot
        self._raw: deque[tuple[int, CompactEntries]] = deque()  # unpacked, oldest first
        self._raw_entries = 0
        self._packing: deque[tuple[list[tuple[int, CompactEntries]],
                                   Future[CompactEntries]]] = deque()
        self._decoded: dict[int, LogEntry] = {}

    @property
    def first(self) -> int:
        """Absolute index of the oldest item still held."""
        return max(0, self.total - self.capacity)

    def __len__(self) -> int:
        return self.total - self.first

    def append(self, item: Item) -> int:
        """Add `item`, evicting the oldest when full; returns its absolute index."""
        index = self.total
        self._slots[index % self.capacity] = item
        self.total = index + 1
        return index

    def extend(self, block: CompactEntries) -> int:
        """Add a block's entries; returns the absolute index of its first one."""
        start = self.total
        self.total = start + len(block)
        self._fill(start, block, 0, len(block))
        self._raw.append((start, block))
        self._raw_entries += len(block)
        self._swap_packed()
        while self._raw_entries > RAW_ENTRIES:
            self._pack_oldest()
        return start

    def _fill(self, start: int, block: CompactEntries, key: int, count: int) -> None:
        """Point slots [start, start + count) at entries key.. of `block` (held ones)."""
        skip = max(0, self.first - start)
        start, key, count = start + skip, key + skip, count - skip
        slots, keys, capacity = self._slots, self._keys, self.capacity
        while count > 0:
            at = start % capacity
            run = min(count, capacity - at)
            slots[at : at + run] = [block] * run
            keys[at : at + run] = array("l", range(key, key + run))
            start, key, count = start + run, key + run, count - run

    def _pack_oldest(self) -> None:
        """Join the oldest unpacked blocks (up to PACK_ENTRIES entries) into one deflated
        block and point their slots at it; evicted blocks are just dropped."""
        group: list[tuple[int, CompactEntries]] = []
        size = 0
        while self._raw and (not group or size + len(self._raw[0][1]) <= PACK_ENTRIES):
            start, block = self._raw.popleft()
            self._raw_entries -= len(block)
            if start + len(block) > self.first:  # some of it is still held
                group.append((start, block))
                size += len(block)
        if not group:
            return
        if len(self._packing) >= PACKING_AT_ONCE:
            self._swap_packed(wait=True)
        others = [block for _, block in group[1:]]
        self._packing.append((group, _packing_thread().submit(group[0][1].packed_with, others)))

    def _swap_packed(self, wait: bool = False) -> None:
        """Point the slots of packed groups at their packed block, oldest first (`wait`:
        for the oldest one at least)."""
        while self._packing and (wait or self._packing[0][1].done()):
            group, future = self._packing.popleft()
            packed = future.result()
            wait = False
            key = 0
            for start, block in group:
                self._fill(start, packed, key, len(block))
                key += len(block)

    def settle(self) -> None:
        """Wait for every block being packed (tests, benchmarks)."""
        while self._packing:
            self._swap_packed(wait=True)

    def __getitem__(self, index: int) -> Item:
        if not self.first <= index < self.total:
            raise IndexError(index)
        slot = self._slots[index % self.capacity]
        assert slot is not None
        if isinstance(slot, LogEntry | LogMarker):
            return slot
        decoded = self._decoded.get(index)
        if decoded is None:
            decoded = self._decoded[index] = slot.entry(self._keys[index % self.capacity])
            if len(self._decoded) > DECODED_KEPT:
                del self._decoded[next(iter(self._decoded))]
        return decoded

    def slot(self, index: int) -> tuple[Item | CompactEntries, int]:
        """What holds the item at `index`: the item itself, or a block and which of its
        entries it is (a find matches a block's entries without decoding them)."""
        at = index % self.capacity
        slot = self._slots[at]
        assert slot is not None and self.first <= index < self.total
        return slot, self._keys[at]

    def snapshot(self) -> tuple[list[Slot | None], array[int]]:
        """The slots and keys of the items held, oldest first (copies, made in C: a find
        reads them on another thread while the ring goes on)."""
        held, at, capacity = len(self), self.first % self.capacity, self.capacity
        if at + held <= capacity:
            return self._slots[at:at + held], self._keys[at:at + held]
        wrap = at + held - capacity
        return self._slots[at:] + self._slots[:wrap], self._keys[at:] + self._keys[:wrap]

    def severity_of(self, index: int) -> int | None:
        """The severity number of the entry at `index` without decoding it (None for a
        marker)."""
        slot = self._slots[index % self.capacity]
        if isinstance(slot, LogMarker):
            return None
        if isinstance(slot, LogEntry):
            return int(slot.severity)
        assert slot is not None
        return slot.severities[self._keys[index % self.capacity]]

    def items(self) -> Iterator[tuple[int, Item]]:
        """Every item held, oldest first (a block's entries are decoded together)."""
        slots, keys, capacity = self._slots, self._keys, self.capacity
        block: CompactEntries | None = None
        entries: list[LogEntry] = []
        for index in range(self.first, self.total):
            slot = slots[index % capacity]
            assert slot is not None
            if isinstance(slot, LogEntry | LogMarker):
                yield index, slot
                continue
            if slot is not block:
                block, entries = slot, slot.entries()
            yield index, entries[keys[index % capacity]]

    def nbytes(self) -> int:
        """Bytes the blocks hold (wire, deflated or not, and their arrays)."""
        seen: dict[int, int] = {}
        for slot in self._slots:
            if slot is not None and not isinstance(slot, LogEntry | LogMarker):
                seen.setdefault(id(slot), slot.nbytes)
        return sum(seen.values())

    def clear(self) -> None:
        self._slots = [None] * self.capacity
        self._raw.clear()
        self._packing.clear()  # what is being packed is dropped when done
        self._raw_entries = 0
        self._decoded.clear()
        self.total = 0


class EveryIndex:
    """The visible rows when nothing is filtered: every index the ring holds, without a
    deque of 100k ints (what a filter builds instead). Appending is a no-op."""

    def __init__(self, ring: RingBuffer) -> None:
        self.ring = ring

    def __len__(self) -> int:
        return len(self.ring)

    def __getitem__(self, position: int) -> int:
        held = len(self.ring)
        if not -held <= position < held:
            raise IndexError(position)
        return self.ring.first + position % held

    def append(self, index: int) -> None:
        pass

    def extend(self, indexes: Iterable[int]) -> None:
        pass

    def popleft(self) -> int:
        raise IndexError("the held indexes are evicted by the ring")

    def clear(self) -> None:
        pass
