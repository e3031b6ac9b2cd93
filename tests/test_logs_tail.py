"""TailLogEntries through the adapter: live entries, injected entries, and the
fault scenario where every sequence number must arrive exactly once or be covered
by a visible marker."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from fixtures_logs import logs_adapter

from staging_tui.domain import LogEntry, LogMarker, MarkerKind, Severity
from staging_tui.sandbox.server import RunningSandbox

Item = LogEntry | LogMarker


async def _collect(stream: object, until: object, timeout: float = 30.0) -> list[Item]:
    items: list[Item] = []

    async def run() -> None:
        async for batch in stream:  # type: ignore[attr-defined]
            items.extend(batch)
            if until(items):  # type: ignore[operator]
                return

    await asyncio.wait_for(run(), timeout)
    return items


async def test_tail_streams_new_entries_of_one_service(sandbox: RunningSandbox) -> None:
    logs = logs_adapter(sandbox)
    try:
        stream = logs.tail('resource.labels.service_name="webservice"')
        items = await _collect(stream, lambda xs: sum(isinstance(x, LogEntry) for x in xs) >= 3)
        await stream.aclose()
    finally:
        await logs.close()
    entries = [x for x in items if isinstance(x, LogEntry)]
    assert all(e.service == "webservice" for e in entries)
    assert all(e.timestamp > datetime.now(UTC) - timedelta(seconds=30) for e in entries)


async def test_written_entries_arrive_on_the_tail(sandbox: RunningSandbox) -> None:
    logs = logs_adapter(sandbox)
    try:
        stream = logs.tail('labels.source="pytest"')
        pending = asyncio.ensure_future(_collect(
            stream, lambda xs: any(isinstance(x, LogEntry) for x in xs)))
        await asyncio.sleep(0.3)
        await logs.write_entries([LogEntry(
            insert_id="pytest-1", timestamp=datetime.now(UTC), severity=Severity.WARNING,
            service="webservice", text="injected\nsecond line", labels={"source": "pytest"},
            log_name="run.googleapis.com/stdout")])
        items = await pending
        await stream.aclose()
    finally:
        await logs.close()
    entry = next(x for x in items if isinstance(x, LogEntry))
    assert (entry.insert_id, entry.severity, entry.text) == (
        "pytest-1", Severity.WARNING, "injected\nsecond line")
    assert entry.message == "injected"


async def test_backfill_then_tail_has_no_duplicates(sandbox: RunningSandbox) -> None:
    logs = logs_adapter(sandbox)
    try:
        stream = logs.tail("", since=datetime.now(UTC) - timedelta(seconds=20))
        items = await _collect(stream, lambda xs: len(xs) > 300)
        await stream.aclose()
    finally:
        await logs.close()
    ids = [x.insert_id for x in items if isinstance(x, LogEntry)]
    assert len(ids) == len(set(ids))


def _seq(entry: LogEntry) -> int:
    return int(entry.labels["seq"])


async def test_every_sequence_number_once_or_covered_by_a_marker(
        faulty_logs_sandbox: RunningSandbox) -> None:
    """Cuts every 300 entries, UNAVAILABLE / INTERNAL / RESOURCE_EXHAUSTED on tail calls,
    UNAVAILABLE on lists, 1.2 s sessions and rate-limit suppression, all at once."""
    logs = logs_adapter(faulty_logs_sandbox)
    reasons: Counter[str] = Counter()

    def enough(items: list[Item]) -> bool:
        reasons.clear()
        for x in items:
            if isinstance(x, LogMarker) and x.kind is MarkerKind.RECONNECT:
                reasons[x.detail.split(":")[0].split(";")[0]] += 1
        return (reasons["session limit reached"] >= 2 and reasons["stream ended"] >= 2
                and reasons["UNAVAILABLE"] >= 1 and reasons["INTERNAL"] >= 1
                and any(isinstance(x, LogMarker) and x.kind is MarkerKind.SUPPRESSED
                        for x in items))

    try:
        stream = logs.tail("", since=datetime.now(UTC) - timedelta(seconds=2))
        items = await _collect(stream, enough, timeout=60)
        await stream.aclose()
    finally:
        await logs.close()

    entries = [(pos, x) for pos, x in enumerate(items) if isinstance(x, LogEntry)]
    seqs = Counter(_seq(e) for _, e in entries)
    assert not [s for s, n in seqs.items() if n > 1], "duplicates delivered"
    # the entries of the last moments may still be in flight: judge up to the newest
    # sequence number seen before the final reconnect's refill could matter
    arrival = {_seq(e): pos for pos, e in entries}
    low, high = min(seqs), max(seqs)
    missing = [s for s in range(low, high + 1) if s not in seqs]
    marker_positions = [pos for pos, x in enumerate(items) if isinstance(x, LogMarker)
                        and x.kind in (MarkerKind.SUPPRESSED, MarkerKind.GAP)]
    suppressed = sum(x.count for x in items
                     if isinstance(x, LogMarker) and x.kind is MarkerKind.SUPPRESSED)
    assert len(missing) <= suppressed, (len(missing), suppressed)
    # each run of missing numbers has a suppression/gap marker between its neighbours
    runs: list[tuple[int, int]] = []
    for s in missing:
        if runs and runs[-1][1] == s - 1:
            runs[-1] = (runs[-1][0], s)
        else:
            runs.append((s, s))
    for first, last in runs:
        a, b = sorted((arrival[first - 1], arrival[last + 1]))
        assert any(a < p < b for p in marker_positions), (
            f"seq {first}..{last} missing without a marker")
    assert len(seqs) > 1000
