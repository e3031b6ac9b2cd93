"""The compact Logs buffer: a tail response kept as its wire bytes (log_blocks), the
insertId dedupe window, and the ring that packs blocks and decodes entries when read.
Pure code: responses are built with the google.logging.v2 protobuf classes."""

from __future__ import annotations

import platform
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud.logging_v2 import types

from staging_tui.domain import LogEntry, LogMarker, MarkerKind, Severity
from staging_tui.gcp.insert_id_window import InsertIdWindow
from staging_tui.gcp.log_blocks import EntryBlock, block_from_wire
from staging_tui.gcp.log_entries import entry_from_pb
from staging_tui.gcp.log_tail_state import TailState
from staging_tui.model import log_ring
from staging_tui.model.log_ring import EveryIndex, RingBuffer
from staging_tui.model.log_view import LogViewModel

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SEVERITIES = (Severity.INFO, Severity.ERROR, Severity.DEBUG, Severity.WARNING)


def _pb(i: int, severity: int | None = None) -> Any:
    entry = types.LogEntry.pb()(
        insert_id=f"id{i}", severity=int(severity if severity is not None
                                         else SEVERITIES[i % 4]),
        log_name="projects/p/logs/run.googleapis.com%2Fstdout",
        text_payload=f"message {i}\nsecond line", labels={"seq": str(i)})
    entry.resource.type = "cloud_run_revision"
    entry.resource.labels["service_name"] = "api"
    entry.resource.labels["revision_name"] = "api-00001-abc"
    entry.timestamp.FromDatetime(T0 + timedelta(seconds=i // 10, microseconds=i))
    return entry


def _wire(ids: range | list[int], suppressed: int = 0) -> bytes:
    response = types.TailLogEntriesResponse.pb()(entries=[_pb(i) for i in ids])
    if suppressed:
        response.suppression_info.add(reason=1, suppressed_count=suppressed)
    return bytes(response.SerializeToString())


def _block(ids: range | list[int], window: InsertIdWindow | None = None) -> EntryBlock:
    block, _ = block_from_wire(_wire(ids), (InsertIdWindow(1000) if window is None else window).new)
    assert block is not None
    return block


def test_a_block_keeps_seconds_and_severities_and_decodes_an_entry_as_the_adapter_does(
) -> None:
    block = _block(range(20, 25))
    assert len(block) == 5 and not block.packed
    assert list(block.severities) == [int(SEVERITIES[i % 4]) for i in range(20, 25)]
    assert list(block.seconds) == [int((T0 + timedelta(seconds=2)).timestamp())] * 5
    assert block.entry(3) == entry_from_pb(_pb(23))
    assert block.entries() == [entry_from_pb(_pb(i)) for i in range(20, 25)]
    assert block.entry(0).message == "message 20"


def test_a_block_skips_insert_ids_already_seen_and_says_when_nothing_is_new() -> None:
    window = InsertIdWindow(1000)
    _block(range(0, 10), window)
    block = _block(range(5, 15), window)  # a re-read overlapping the stream
    assert [e.insert_id for e in block.entries()] == [f"id{i}" for i in range(10, 15)]
    assert list(block.positions) == [5, 6, 7, 8, 9]
    again, _ = block_from_wire(_wire(range(0, 15)), window.new)
    assert again is None


def test_a_re_read_entry_is_a_duplicate_of_the_streamed_one_even_when_its_time_rounds_up(
) -> None:
    """A LogEntry's datetime has microseconds: 12.9999996 s shows as 13.000000 s."""
    state = TailState(InsertIdWindow(1000))
    late = _pb(7)
    late.timestamp.seconds, late.timestamp.nanos = 1_700_000_012, 999_999_600
    early = _pb(8)
    early.timestamp.seconds, early.timestamp.nanos = 1_700_000_020, 0
    streamed = types.TailLogEntriesResponse.pb()(entries=[late])
    assert len(state.response(bytes(streamed.SerializeToString()))[0]) == 1  # type: ignore[arg-type]
    reread = [entry_from_pb(late), entry_from_pb(early)]
    assert reread[0].timestamp.timestamp() == 1_700_000_013  # rounded up
    assert state.accept(reread) == [reread[1]]  # the streamed one is not shown twice
    again = types.TailLogEntriesResponse.pb()(entries=[early])
    assert state.response(bytes(again.SerializeToString())) == []  # and the other way


def test_a_find_searches_what_the_entry_shows_without_building_it() -> None:
    from staging_tui.gcp.log_entries import search_text

    def shapes() -> list[Any]:
        text = _pb(1)
        no_text = _pb(2)
        no_text.text_payload = ""
        json_message = _pb(3)
        json_message.json_payload.update({"message": "first\nsecond", "n": 1})
        json_number = _pb(4)
        json_number.json_payload.update({"message": 5})
        request = _pb(5)
        request.ClearField("text_payload")
        request.http_request.request_method = "GET"
        request.http_request.status = 503
        request.http_request.request_url = "https://api.run.app/x"
        no_revision = _pb(6)
        no_revision.resource.labels.pop("revision_name")
        audit = _pb(7)
        audit.proto_payload.type_url = "type.googleapis.com/google.cloud.audit.AuditLog"
        return [text, no_text, json_message, json_number, request, no_revision, audit]

    for pb in shapes():
        entry = entry_from_pb(pb)
        assert search_text(pb) == (entry.text or entry.message, entry.revision or entry.service)


def test_packing_joins_blocks_into_one_deflated_block_that_decodes_the_same() -> None:
    first, second = _block(range(0, 30)), _block(range(100, 110))
    packed = first.packed_with([second])
    assert packed.packed and len(packed) == 40 and packed.total == 40
    assert packed.nbytes < len(first.wire()) + len(second.wire())
    assert packed.entries() == first.entries() + second.entries()
    assert list(packed.severities) == list(first.severities) + list(second.severities)


def test_the_window_finds_a_re_read_in_an_older_generation_and_forgets_beyond_its_size(
) -> None:
    window = InsertIdWindow(100, generation=10)
    for start in range(0, 100, 10):
        assert window.new([f"i{n}" for n in range(start, start + 10)],
                          [start + n for n in range(10)]) == list(range(10))
    assert len(window) == 100
    assert not window.add("i15", 15)  # sealed generation, looked up by its second
    assert window.add("i15", 16)  # same id, another timestamp: another entry for Logging
    assert window.new(["a", "a", "b"], [200, 200, 200]) == [0, 2]  # a repeat in one response
    for start in range(300, 500, 10):
        window.new([f"i{n}" for n in range(start, start + 10)], [start] * 10)
    assert window.add("i15", 15)  # long forgotten: the window is bounded
    assert len(window) <= 100 + 2 * 10  # the size, plus the generation being filled


def test_tail_state_turns_wire_bytes_into_a_block_and_a_suppressed_marker() -> None:
    state = TailState(InsertIdWindow(1000))
    batch = state.response(_wire(range(0, 5), suppressed=7))
    assert isinstance(batch[0], EntryBlock) and len(batch[0]) == 5
    assert isinstance(batch[1], LogMarker) and batch[1].kind is MarkerKind.SUPPRESSED
    assert batch[1].count == 7
    assert state.last_ts == T0 + timedelta(microseconds=4)
    assert state.response(_wire(range(0, 5))) == []  # every insertId was seen


def test_the_ring_packs_older_blocks_and_reads_entries_across_packing_and_eviction(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_ring, "RAW_ENTRIES", 20)
    monkeypatch.setattr(log_ring, "PACK_ENTRIES", 15)
    ring = RingBuffer(50)
    originals: list[LogEntry | LogMarker] = []
    for n in range(12):
        ids = range(n * 10, n * 10 + (3 + n % 5))
        ring.extend(_block(ids))
        originals += [entry_from_pb(_pb(i)) for i in ids]
        marker = LogMarker(MarkerKind.GAP, T0, 0, f"gap {n}")
        ring.append(marker)
        originals.append(marker)
    assert len(ring) == 50 and ring.total == len(originals)
    assert [item for _, item in ring.items()] == originals[-50:]  # packed or not yet
    ring.settle()
    assert [item for _, item in ring.items()] == originals[-50:]
    assert [ring[i] for i in range(ring.first, ring.total)] == originals[-50:]
    packed = {id(s) for s in ring._slots if isinstance(s, EntryBlock) and s.packed}
    assert packed  # older blocks were joined and deflated
    expected = [None if isinstance(o, LogMarker) else int(o.severity) for o in originals[-50:]]
    assert [ring.severity_of(i) for i in range(ring.first, ring.total)] == expected
    with pytest.raises(IndexError):
        ring[ring.first - 1]


def test_the_view_model_counts_filters_and_saves_compact_blocks() -> None:
    now = (T0 + timedelta(seconds=3)).timestamp()
    model = LogViewModel(capacity=100, clock=lambda: now)
    assert model.add_batch([_block(range(0, 30)), LogMarker(MarkerKind.MARK, T0, 0, "m")]) == 31
    assert isinstance(model.visible, EveryIndex)  # nothing filtered: no index to keep
    assert model.counters.received == 30 and len(model) == 31
    assert model.sparkline(4) == [10, 10, 10, 0]
    assert model.sparkline(4, band=3) == [3, 2, 3, 0]  # ERROR is every 4th entry
    model.set_filter(severity_floor=Severity.ERROR)
    assert [e.insert_id for e in model.rows(0, 10) if isinstance(e, LogEntry)] == [
        f"id{i}" for i in range(1, 30, 4)]
    model.add_batch([_block(range(30, 40))])  # indexed by severity, without decoding
    assert len(model) == 8 + 1 + 2
    model.set_filter(r"message 1?3[3-5]\b", severity_floor=Severity.DEFAULT)
    assert [e.insert_id for e in model.rows(0, 10) if isinstance(e, LogEntry)] == [
        "id33", "id34", "id35"]
    model.add_batch([_block(range(130, 136))])
    assert [e.insert_id for e in model.rows(0, 10) if isinstance(e, LogEntry)] == [
        "id33", "id34", "id35", "id133", "id134", "id135"]  # the filter index grows
    model.set_filter("", severity_floor=Severity.DEFAULT)
    assert isinstance(model.visible, EveryIndex)
    saved = model.buffered()
    assert [e.insert_id for e in saved if isinstance(e, LogEntry)][-3:] == [
        "id133", "id134", "id135"]
    assert len(saved) == model.ring.total == 47


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_the_app_fixes_glibcs_mmap_threshold() -> None:
    from staging_tui.process_memory import fix_mmap_threshold

    assert fix_mmap_threshold() is True
