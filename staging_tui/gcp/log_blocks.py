"""Tail entries kept compact: a TailLogEntries response as its wire bytes plus, per
entry kept, its epoch second and severity in typed arrays. Nothing else is built per
entry until it is shown: `entry(k)` parses the response (cached for a few blocks) and
builds the domain LogEntry of one entry (log_entries.py).

The ring (model/log_view.py) packs blocks that are no longer the newest: consecutive
small ones are joined (two serialized responses concatenated are one response with
both lists of entries: protobuf's rule for repeated fields) and deflated, which takes
a 100k-entry buffer from ~70 MB of Python objects to a few MB (docs/performance.md).

What a find searches in each entry (`search_texts()`) is read off the response once,
then kept deflated beside the wire: ~8 MB of text for 100k entries deflates to ~0.8 MB,
and a later find inflates and splits it in C instead of parsing every entry again.
It may be computed on a find's thread: it reads no cache shared with the event loop.
"""

from __future__ import annotations

import zlib
from array import array
from collections import deque
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from google.cloud.logging_v2.types import logging as logging_types

from staging_tui.domain import CompactEntries, LogEntry
from staging_tui.gcp.log_entries import entry_from_pb, search_text

RESPONSE = logging_types.TailLogEntriesResponse.pb()
PARSED_BLOCKS = 2  # blocks whose parsed response is kept (~1.8 MB each for 1000 entries)
_parsed: deque[EntryBlock] = deque()
SEP = "\0"  # between the search texts kept deflated
_FIELDS = attrgetter("insert_id", "timestamp.seconds", "severity")


class EntryBlock:
    """Entries of one (or, once packed, several) responses: positions of the entries
    kept (a duplicate insertId is skipped), their epoch seconds and severities."""

    __slots__ = ("_message", "_packed", "_search", "_wire", "positions", "seconds",
                 "severities", "total")

    def __init__(self, wire: bytes, total: int, positions: array[int], seconds: array[int],
                 severities: array[int], packed: bool = False) -> None:
        self._wire = wire
        self._packed = packed
        self._message: Any = None
        self._search: bytes | None = None  # deflated search texts; b"": not kept (a NUL)
        self.total = total  # entries in the wire, kept or not
        self.positions = positions
        self.seconds = seconds
        self.severities = severities

    def __len__(self) -> int:
        return len(self.positions)

    def __repr__(self) -> str:
        return (f"EntryBlock({len(self)} of {self.total} entries, {len(self._wire):,} bytes"
                f"{', packed' if self._packed else ''})")

    @property
    def packed(self) -> bool:
        return self._packed

    @property
    def nbytes(self) -> int:
        """Bytes held: the wire (deflated once packed) and the arrays."""
        return len(self._wire) + len(self._search or b"") + sum(a.itemsize * len(a) for a in (
            self.positions, self.seconds, self.severities))

    def _parsed_entries(self) -> Any:
        if self._message is None:
            wire = zlib.decompress(self._wire, -15) if self._packed else self._wire
            self._message = RESPONSE.FromString(wire)
            _parsed.append(self)
            if len(_parsed) > PARSED_BLOCKS:
                _parsed.popleft()._message = None
        return self._message.entries

    def entry(self, k: int) -> LogEntry:
        """The k-th entry kept, decoded."""
        return entry_from_pb(self._parsed_entries()[self.positions[k]])

    def entries(self) -> list[LogEntry]:
        """Every entry kept, decoded, in order."""
        raw = self._parsed_entries()
        return [entry_from_pb(raw[p]) for p in self.positions]

    def texts(self) -> list[tuple[str, str]]:
        """What a find searches in each entry kept (log_entries.search_text)."""
        flat = self.search_texts()
        return list(zip(flat[0::2], flat[1::2], strict=True))

    def search_joined(self) -> str | None:
        """The search texts joined by SEP (text, source, text ...), or None when a text
        holds a SEP itself (then only `search_texts` says where each one ends)."""
        if self._search is None:
            self.search_texts()
        return zlib.decompress(self._search, -15).decode() if self._search else None

    def search_texts(self) -> list[str]:
        """text, source, text, source ... of the entries kept (log_entries.search_text):
        from the deflated copy once computed. Safe on another thread than the event
        loop's (its own parse, not the shared cache of parsed responses)."""
        kept = self._search
        if kept:
            return zlib.decompress(kept, -15).decode().split(SEP)
        raw = RESPONSE.FromString(self.wire()).entries
        flat = [text for p in self.positions for text in search_text(raw[p])]
        if kept is None:
            joined = SEP.join(flat)
            self._search = (_deflate(joined.encode()) if joined.count(SEP) == len(flat) - 1
                            else b"")  # a NUL in a text: computed again on each find
        return flat

    def wire(self) -> bytes:
        """The response bytes (inflated if packed)."""
        return zlib.decompress(self._wire, -15) if self._packed else self._wire

    def packed_with(self, others: Sequence[CompactEntries] = ()) -> EntryBlock:
        """This block and `others` (the ones right after it) as one deflated block."""
        blocks: tuple[CompactEntries, ...] = (self, *others)
        positions = array("l")
        offset = 0
        for block in blocks:
            positions.extend([p + offset for p in block.positions])
            offset += block.total
        packed = _deflate(b"".join(b.wire() for b in blocks))
        seconds, severities = array("q"), array("h")
        for block in blocks:
            seconds.extend(block.seconds)
            severities.extend(block.severities)
        joined = EntryBlock(packed, offset, positions, seconds, severities, packed=True)
        searched = [b._search for b in blocks if isinstance(b, EntryBlock)]
        if len(searched) == len(blocks) and all(searched):  # keep what finds computed
            joined._search = _deflate(SEP.encode().join(
                zlib.decompress(kept, -15) for kept in searched if kept))
        return joined


def _deflate(data: bytes) -> bytes:
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15, 9)
    return deflate.compress(data) + deflate.flush()


def block_from_wire(data: bytes, new_ids: Any) -> tuple[EntryBlock | None, Any]:
    """A TailLogEntries response's bytes -> (its new entries as a block, or None if none
    is new; the parsed response, for its suppression info). `new_ids(insert_ids, seconds)`
    is the dedupe window's: the positions of the entries not seen before (remembering
    them)."""
    message = RESPONSE.FromString(data)
    raw = message.entries
    if not raw:
        return None, message
    # one pass over the entries (each access of one makes its Python wrapper)
    ids, all_seconds, all_severities = zip(*map(_FIELDS, raw), strict=True)
    positions = new_ids(ids, all_seconds)
    if not positions:
        return None, message
    if len(positions) == len(raw):  # the usual case: nothing seen before
        seconds = array("q", all_seconds)
        severities = array("h", all_severities)
    else:
        seconds = array("q", [all_seconds[p] for p in positions])
        severities = array("h", [all_severities[p] for p in positions])
    block = EntryBlock(data, len(raw), array("l", positions), seconds, severities)
    return block, message


def last_timestamp_ns(block: EntryBlock, message: Any) -> int:
    """The newest kept entry's timestamp in ns (the tail resumes from it)."""
    ts = message.entries[block.positions[-1]].timestamp
    return int(ts.seconds) * 1_000_000_000 + int(ts.nanos)
