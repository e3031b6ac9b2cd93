"""A find over the compact Logs buffer (model/log_find.py): the search texts kept
deflated per block, the find as a pure function over a snapshot of the ring (run on a
thread by the pane), and its result equal to the per-entry filter (`matches` on each
decoded entry) whatever the pattern, the texts, packing, eviction and what arrives
while it runs. Pure code: responses built with the google.logging.v2 protobuf classes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud.logging_v2 import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from staging_tui.domain import LogEntry, LogMarker, MarkerKind, Severity
from staging_tui.gcp.insert_id_window import InsertIdWindow
from staging_tui.gcp.log_blocks import EntryBlock, block_from_wire
from staging_tui.gcp.log_entries import entry_from_pb, search_text
from staging_tui.model import log_ring
from staging_tui.model.log_find import FindSpec, run_find
from staging_tui.model.log_view import LogViewModel

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SEVERITIES = (Severity.DEBUG, Severity.INFO, Severity.WARNING, Severity.ERROR)
# patterns that would go wrong on one text of many joined: anchors, separators, spans
PATTERNS = ("refused", "^GET", "^$", r"\d+$", r"a\sb", "[^x]{3}", r"\x00", ".", "",
            "(?<=a)b", r"\Aerr", r"Error\Z", "a.*b", "api-0000[12]", "(?s)x.y", "é|Σ", "^",
            "ok\n", r"\bok\b", "ok", "a b", "É", "-get", "0 x", "api-00002")


def _pb(i: int, text: str, severity: int, revision: str = "api-00001-abc") -> Any:
    entry = types.LogEntry.pb()(insert_id=f"id{i}", severity=severity,
                                log_name="projects/p/logs/run.googleapis.com%2Fstdout")
    if text.startswith("{json}"):
        entry.json_payload.update({"message": text[6:]})
    elif text.startswith("{http}"):
        entry.http_request.request_method = "GET"
        entry.http_request.status = 503
        entry.http_request.request_url = "https://api.run.app/" + text[6:]
    else:
        entry.text_payload = text
    entry.resource.type = "cloud_run_revision"
    entry.resource.labels["service_name"] = "api"
    if revision:
        entry.resource.labels["revision_name"] = revision
    entry.timestamp.FromDatetime(T0 + timedelta(seconds=i // 10, microseconds=i))
    return entry


def _block(entries: list[Any], window: InsertIdWindow) -> EntryBlock:
    wire = bytes(types.TailLogEntriesResponse.pb()(entries=entries).SerializeToString())
    block, _ = block_from_wire(wire, window.new)
    assert block is not None
    return block


texts = st.text(st.sampled_from("ab x\n\0éΣ0123ok-GET:Error"), max_size=12).map(
    lambda t: t) | st.sampled_from(["", "{json}first\nsecond", "{http}x?q=1", "{json}ok"])
entries = st.tuples(texts, st.sampled_from([int(s) for s in SEVERITIES]),
                    st.sampled_from(["api-00001-abc", "api-00002-xyz", ""]))


def _per_entry(model: LogViewModel) -> list[int]:
    """The visible indexes by the per-entry filter on each decoded item."""
    return [i for i in range(model.ring.first, model.ring.total)
            if model.matches(model.ring[i])]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(entries, min_size=1, max_size=8), min_size=1, max_size=8),
       pattern=st.sampled_from(PATTERNS), inverse=st.booleans(),
       floor=st.sampled_from([Severity.DEFAULT, Severity.INFO, Severity.ERROR]))
def test_a_find_over_blocks_equals_the_per_entry_filter(
        monkeypatch: pytest.MonkeyPatch, batches: list[list[tuple[str, int, str]]],
        pattern: str, inverse: bool, floor: Severity) -> None:
    monkeypatch.setattr(log_ring, "RAW_ENTRIES", 6)  # pack most blocks
    monkeypatch.setattr(log_ring, "PACK_ENTRIES", 10)
    model = LogViewModel(capacity=30)
    window = InsertIdWindow(1000)
    n = 0
    for batch in batches:
        pbs = [_pb(n + k, text, severity, revision)
               for k, (text, severity, revision) in enumerate(batch)]
        n += len(batch)
        model.add_batch([_block(pbs, window), LogMarker(MarkerKind.GAP, T0, 0, "gap")])
    model.ring.settle()
    for _ in range(2):  # the first find computes the search texts, the second reads them
        model.set_filter(pattern, inverse=inverse, severity_floor=floor)
        assert list(model.visible) == _per_entry(model)
        model.set_filter("", inverse=False, severity_floor=Severity.DEFAULT)


def test_search_texts_are_kept_deflated_and_follow_the_block_into_its_packing() -> None:
    window = InsertIdWindow(1000)
    first = _block([_pb(i, f"line {i}\nmore", 200) for i in range(30)], window)
    second = _block([_pb(i, "{json}x", 500, revision="") for i in range(30, 40)], window)
    expected = [x for b in (first, second) for e in b.entries()
                for x in (e.text or e.message, e.revision or e.service)]
    before = first.nbytes
    assert first.search_texts() + second.search_texts() == expected
    assert before < first.nbytes < before + 400  # the deflated copy is small
    packed = first.packed_with([second])
    assert packed._search  # kept: the next find over the packed block parses nothing
    assert packed.search_texts() == expected
    nul = _block([_pb(50, "a\0b", 200)], window)
    assert nul.search_texts() == ["a\0b", "api-00001-abc"]
    assert nul._search == b""  # a NUL would split wrongly: not kept, computed each time
    assert nul.search_texts() == ["a\0b", "api-00001-abc"]
    assert first.texts() == [search_text(p) for p in
                             [_pb(i, f"line {i}\nmore", 200) for i in range(30)]]


def test_entries_arriving_while_a_find_runs_are_filtered_once_and_evicted_ones_go(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_ring, "RAW_ENTRIES", 10)
    model = LogViewModel(capacity=60)
    window = InsertIdWindow(1000)

    def add(start: int, count: int) -> None:
        model.add_batch([_block([_pb(i, f"{'hit' if i % 3 == 0 else 'miss'} {i}", 200)
                                 for i in range(start, start + count)], window)])

    for start in range(0, 50, 10):
        add(start, 10)
    job = model.begin_find("hit")
    assert job is not None and job.size == 50 and len(model) == 0  # shown as they come
    assert model.status().startswith("finding… 0 of 50")
    add(50, 10)  # arrives while the find runs: indexed by add_batch
    add(60, 10)  # ... and evicts the 10 oldest of the snapshot
    found = run_find(job)
    assert found is not None and job.done == 50
    assert model.finish_find(job, found)
    assert list(model.visible) == _per_entry(model)
    ids = [e.insert_id for e in model.rows(0, len(model)) if isinstance(e, LogEntry)]
    assert ids == [f"id{i}" for i in range(12, 70, 3)]  # none lost, none twice
    assert model.finding is None and "finding" not in model.status()


def test_a_newer_find_or_a_clear_makes_a_running_one_stale() -> None:
    model = LogViewModel(capacity=100)
    window = InsertIdWindow(1000)
    model.add_batch([_block([_pb(i, f"m{i}", 200) for i in range(20)], window)])
    older = model.begin_find("m1")
    assert older is not None
    newer = model.begin_find("m2")
    assert older.cancelled and run_find(older) is None  # stops at its next checkpoint
    assert not model.finish_find(older, [0])
    model.clear()
    assert newer is not None and not model.finish_find(newer, run_find(newer) or [])
    assert model.pattern == "m2" and len(model) == 0  # the filter stays for what comes
    model.add_batch([_block([_pb(i, f"m{i}", 200) for i in range(20, 40)], window)])
    assert [e.insert_id for e in model.rows(0, 5) if isinstance(e, LogEntry)] == [
        "id20", "id21", "id22", "id23", "id24"]


def test_a_progress_checkpoint_sees_the_count_and_can_cancel(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from staging_tui.model import log_find

    monkeypatch.setattr(log_find, "CHECK_EVERY", 10)
    model = LogViewModel(capacity=100)
    window = InsertIdWindow(1000)
    for start in range(0, 50, 10):
        model.add_batch([_block([_pb(i, f"m{i}", 200) for i in range(start, start + 10)],
                                window)])
    job = model.begin_find("m")
    assert job is not None
    seen: list[int] = []

    def checkpoint(j: Any) -> None:
        seen.append(j.done)
        if j.done >= 30:
            j.cancelled = True

    assert run_find(job, checkpoint) is None and seen == [10, 20, 30]


def test_a_spec_matches_a_decoded_entry_like_a_block_entry() -> None:
    entry = entry_from_pb(_pb(1, "Connection refused", 500))
    spec = FindSpec(re.compile("REFUSED", re.IGNORECASE), False, int(Severity.ERROR))
    assert spec.item_matches(entry) and not spec.trivial
    assert not FindSpec(spec.regex, True, 0).item_matches(entry)
    assert FindSpec(None, False, 0).trivial
    # a plain string is searched over a block's joined texts: one search per hit
    assert FindSpec(re.compile("a b-É", re.IGNORECASE), False, 0).literal
    for pattern in ("^a", "a.b", r"a\x00", "(?s)ab", "a|b"):
        assert not FindSpec(re.compile(pattern, re.IGNORECASE), False, 0).literal
