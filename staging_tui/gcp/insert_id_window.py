"""The tail's dedupe: the last `size` insertIds seen, in a few MB.

A duplicate is the same entry delivered twice (a re-read after a reconnect overlaps
what the stream gave): same insertId and same timestamp, which is also how Cloud
Logging itself tells duplicates apart (LogEntry.insert_id: "the same timestamp and
insertId" are duplicates). So ids are kept by generations of GENERATION ids: the
current one as a set, older ones as sorted arrays of 64-bit hashes with the range of
epoch seconds they cover. A stream's new response is newer than every older
generation, so only the current set is asked (in C); a re-read of older entries
looks them up in the generations whose seconds it falls in (bisect). 200k ids take
~3 MB where a set of Python ints took ~17 MB.

A hash collision could hide one entry in ~10^13 pairs; we accept that.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

GENERATION = 20_000


@dataclass(frozen=True)
class _Sealed:
    first_second: int
    last_second: int
    keys: array[int]  # sorted

    def __contains__(self, key: int) -> bool:
        keys = self.keys
        at = bisect_left(keys, key)
        return at < len(keys) and keys[at] == key


class InsertIdWindow:
    """The last `size` (insertId, second) seen, rounded up to a whole generation."""

    def __init__(self, size: int, generation: int = GENERATION) -> None:
        self.size = size
        self.generation = max(1, min(generation, size))
        self._current: set[int] = set()
        self._first = self._last = 0  # seconds the current generation covers
        self._sealed: deque[_Sealed] = deque()
        self._sealed_last = -1  # the newest second of any sealed generation
        self._sealed_count = 0

    def add(self, insert_id: str, second: int) -> bool:
        """True when the entry is new (and remember it)."""
        return bool(self.new([insert_id], [second]))

    def __contains__(self, entry: tuple[str, int]) -> bool:
        """Whether (insert_id, second) was seen (without remembering it)."""
        key = hash(entry)
        return key in self._current or (entry[1] <= self._sealed_last
                                        and self._sealed_has(key, entry[1]))

    def new(self, insert_ids: Sequence[str], seconds: Sequence[int]) -> list[int]:
        """The positions of the entries not seen before (a repeat within these too),
        remembering them: one call per response."""
        if not insert_ids:
            return []
        keys = list(map(hash, zip(insert_ids, seconds, strict=True)))
        oldest = min(seconds)
        if len(self._current) >= self.generation and (
                oldest > self._last or len(self._current) >= 2 * self.generation):
            self._seal()  # between seconds: the next responses stay on the fast path
        current = self._current
        if (oldest > self._sealed_last and current.isdisjoint(keys)
                and len(set(keys)) == len(keys)):  # a stream's usual response
            current.update(keys)
            positions = list(range(len(keys)))
            newest = max(seconds)
        else:
            positions = []
            for position, (key, second) in enumerate(zip(keys, seconds, strict=True)):
                if key in current or (second <= self._sealed_last and self._sealed_has(
                        key, second)):
                    continue
                current.add(key)
                positions.append(position)
            if not positions:
                return positions
            newest = max(seconds[p] for p in positions)
            oldest = min(seconds[p] for p in positions)
        if len(current) == len(positions):  # it was empty
            self._first, self._last = oldest, newest
        else:
            self._first, self._last = min(self._first, oldest), max(self._last, newest)
        return positions

    def _sealed_has(self, key: int, second: int) -> bool:
        return any(g.first_second <= second <= g.last_second and key in g
                   for g in self._sealed)

    def _seal(self) -> None:
        sealed = _Sealed(self._first, self._last, array("q", sorted(self._current)))
        self._sealed.append(sealed)
        self._sealed_count += len(sealed.keys)
        self._current = set()
        while self._sealed_count > self.size:
            self._sealed_count -= len(self._sealed.popleft().keys)
        self._sealed_last = max((g.last_second for g in self._sealed), default=-1)

    def __len__(self) -> int:
        return self._sealed_count + len(self._current)
