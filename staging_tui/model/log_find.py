"""A find over the Logs ring as a pure function over a snapshot, so the pane can run it
on a thread while the event loop keeps handling keys and following the tail.

`LogViewModel.begin_find()` takes the snapshot (the slots and keys of the entries held,
two C copies) and from then on indexes new entries itself; `run_find()` computes the
visible indexes of the snapshot, block by block (a block's search texts are read once,
then kept deflated: gcp/log_blocks.py), reporting progress and stopping when the job is
cancelled; `LogViewModel.finish_find()` puts the two together.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby, repeat
from operator import add

from staging_tui.domain import CompactEntries, LogEntry, LogMarker

Item = LogEntry | LogMarker
Slot = LogEntry | LogMarker | CompactEntries
CHECK_EVERY = 2_000  # entries between two progress checkpoints
SEP = "\0"  # between a block's joined search texts (gcp/log_blocks.py)
_META = frozenset(".^$*+?{}[]\\|()")  # a pattern without these is a literal


@dataclass(frozen=True)
class FindSpec:
    """What a find lets through: a regex on the text and source (None: any), inverted
    or not, and a severity floor (number)."""

    regex: re.Pattern[str] | None
    inverse: bool
    floor: int

    @property
    def literal(self) -> bool:
        """The regex is a plain string (no anchor, class, group...): it matches within
        one text of a joined block exactly where it matches that text alone."""
        return (self.regex is not None and self.regex.flags & ~re.UNICODE == re.IGNORECASE
                and not _META.intersection(self.regex.pattern) and SEP not in self.regex.pattern)

    @property
    def trivial(self) -> bool:
        """Everything shows: no index is needed."""
        return self.regex is None and self.floor <= 0

    def item_matches(self, item: Item) -> bool:
        if isinstance(item, LogMarker):
            return True
        if item.severity < self.floor:
            return False
        if self.regex is None:
            return True
        search = self.regex.search  # every line of a text (a traceback's last line too)
        hit = (search(item.text or item.message) is not None
               or search(item.revision or item.service) is not None)
        return hit != self.inverse

    def block_matches(self, block: CompactEntries) -> list[int]:
        """Which of a block's entries pass, from their search texts and severity numbers
        (no LogEntry built); the same verdict as `item_matches` on each decoded entry."""
        floor, severities = self.floor, block.severities
        if self.regex is None:
            return [k for k, n in enumerate(severities) if n >= floor]
        search, inverse = self.regex.search, self.inverse
        if self.literal:
            joined = block.search_joined()
            if joined is not None:
                hit = _literal_hits(search, joined)
                return [k for k, n in enumerate(severities)
                        if n >= floor and (k in hit) != inverse]
        flat = block.search_texts()
        sources = flat[1::2]
        by_source = {s: search(s) is not None for s in set(sources)}  # a few distinct ones
        return [k for k, (text, source, n) in enumerate(zip(flat[0::2], sources, severities,
                                                            strict=True))
                if n >= floor and (by_source[source] or search(text) is not None) != inverse]


def _literal_hits(search: Callable[[str, int], re.Match[str] | None], joined: str
                  ) -> set[int]:
    """The entries of which the text or source holds a literal, from one search per hit
    over the block's joined texts (a literal cannot span a SEP)."""
    hits: set[int] = set()
    pos = counted = texts = 0  # texts: SEPs before `counted`
    while (match := search(joined, pos)) is not None:
        texts += joined.count(SEP, counted, match.start())
        entry = texts // 2
        hits.add(entry)
        counted = match.start()
        for _ in range(2 * entry + 2 - texts):  # on to the next entry's text
            counted = joined.find(SEP, counted) + 1
            if not counted:
                return hits
        texts = 2 * entry + 2
        pos = counted
    return hits


class FindJob:
    """One find over a snapshot of the ring: the absolute indexes [first, first + size)
    held by `slots` (and, for a block, which of its entries: `keys`), oldest first.
    `done` (entries looked at) and `cancelled` are shared with the thread running it."""

    def __init__(self, spec: FindSpec, first: int, slots: list[Slot | None],
                 keys: array[int], generation: int) -> None:
        self.spec = spec
        self.first = first
        self.slots = slots
        self.keys = keys
        self.generation = generation  # the ring's: a clear makes the result meaningless
        self.size = len(slots)
        self.done = 0
        self.cancelled = False


def run_find(job: FindJob, checkpoint: Callable[[FindJob], None] | None = None
             ) -> list[int] | None:
    """The absolute indexes of the snapshot's items that pass, oldest first; None if the
    job was cancelled. `checkpoint(job)` is called every CHECK_EVERY entries or so."""
    spec, slots, keys = job.spec, job.slots, job.keys
    out: list[int] = []
    passing: dict[int, list[int]] = {}  # id(block) -> its entries that pass
    offset = 0
    checked = 0
    for _, run in groupby(slots, key=id):
        count = len(list(run))
        slot = slots[offset]
        start = job.first + offset
        if isinstance(slot, LogEntry | LogMarker):
            out.extend(range(start, start + count) if spec.item_matches(slot) else ())
        elif slot is not None:
            found = passing.get(id(slot))
            if found is None:  # (a block cut in two by a marker is two runs)
                found = passing[id(slot)] = spec.block_matches(slot)
            _block_run(found, keys[offset:offset + count], start, out)
        offset += count
        if offset - checked >= CHECK_EVERY or offset == job.size:
            job.done, checked = offset, offset
            if checkpoint is not None:
                checkpoint(job)
            if job.cancelled:
                return None
    job.done = job.size
    return out


def _block_run(found: list[int], keys: array[int], start: int, out: list[int]) -> None:
    """Indexes start.. hold entries `keys` of a block of which `found` pass: append
    those indexes."""
    key0, count = keys[0], len(keys)
    if keys[-1] - key0 == count - 1:  # consecutive, as the ring fills them
        out.extend(map(add, found[bisect_left(found, key0):bisect_left(found, key0 + count)],
                       repeat(start - key0)))
        return
    passing = set(found)
    out.extend(start + i for i, k in enumerate(keys) if k in passing)
