"""TailLogEntries through the adapter: live entries, injected entries, and the
fault scenario where every sequence number must arrive exactly once or be covered
by a visible marker."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from contextlib import aclosing
from datetime import UTC, datetime, timedelta

from fixtures_logs import logs_adapter
from waiting import until

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
    """When the stream is open is not knowable from outside (a busy machine may take a
    while), so write one entry after another until the tail delivers one."""
    source = f"pytest-{uuid.uuid4().hex[:8]}"
    logs = logs_adapter(sandbox)
    received: list[LogEntry] = []

    async def watch() -> None:
        async with aclosing(logs.tail(f'labels.source="{source}"')) as stream:
            async for batch in stream:
                received.extend(x for x in batch if isinstance(x, LogEntry))
                if received:
                    return

    watcher = asyncio.ensure_future(watch())
    try:
        deadline = asyncio.get_running_loop().time() + 30
        written = 0
        while not watcher.done():
            assert asyncio.get_running_loop().time() < deadline, "no written entry arrived"
            await logs.write_entries([LogEntry(
                insert_id=f"{source}-{written}", timestamp=datetime.now(UTC),
                severity=Severity.WARNING, service="webservice", text="injected\nsecond line",
                labels={"source": source}, log_name="run.googleapis.com/stdout")])
            written += 1
            await asyncio.wait({watcher}, timeout=0.25)
        await watcher
    finally:
        watcher.cancel()
        await logs.close()
    entry = received[0]
    assert entry.insert_id.startswith(f"{source}-")
    assert (entry.severity, entry.text, entry.service) == (
        Severity.WARNING, "injected\nsecond line", "webservice")
    assert entry.message == "injected"
    ids = [e.insert_id for e in received]
    assert len(ids) == len(set(ids))


async def test_a_late_write_still_reaches_the_tail(sandbox: RunningSandbox) -> None:
    """An entry whose timestamp the stream has already passed (written late) is sent too."""
    source = f"pytest-late-{uuid.uuid4().hex[:8]}"
    logs = logs_adapter(sandbox)
    try:
        stream = logs.tail(f'labels.source="{source}" OR resource.labels.service_name='
                           '"webservice"')
        await _collect(stream, lambda xs: sum(isinstance(x, LogEntry) for x in xs) >= 2)
        # the stream is open and past "a minute ago"
        await logs.write_entries([LogEntry(
            insert_id=f"{source}-old", timestamp=datetime.now(UTC) - timedelta(minutes=1),
            severity=Severity.INFO, service="webservice", text="late",
            labels={"source": source})])
        items = await _collect(stream, lambda xs: any(
            isinstance(x, LogEntry) and x.insert_id == f"{source}-old" for x in xs))
        await stream.aclose()
    finally:
        await logs.close()
    # (other tests' writes to webservice may arrive too: the tail buffers 2 s by default)
    assert [x.text for x in items
            if isinstance(x, LogEntry) and x.labels.get("source") == source] == ["late"]


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


async def test_buffer_window_holds_entries_and_sends_them_in_order(
        sandbox: RunningSandbox) -> None:
    """TailLogEntries' `buffer_window`: an entry waits that long past its timestamp, so two
    written out of order within the window arrive in timestamp order (the real client)."""
    from google.cloud.logging_v2 import types
    from google.cloud.logging_v2.services.logging_service_v2 import (
        LoggingServiceV2AsyncClient,
    )
    from google.cloud.logging_v2.services.logging_service_v2.transports.grpc_asyncio import (
        LoggingServiceV2GrpcAsyncIOTransport,
    )

    from staging_tui.gcp.endpoints import Endpoints

    source = f"pytest-window-{uuid.uuid4().hex[:8]}"
    window = 2.5
    state = sandbox.shared["logs"]
    opened = state.tails_opened
    client = LoggingServiceV2AsyncClient(transport=LoggingServiceV2GrpcAsyncIOTransport(
        channel=Endpoints.for_sandbox(sandbox.endpoints).grpc_channel()))
    logs = logs_adapter(sandbox)
    done = asyncio.Event()

    async def requests() -> object:
        yield types.TailLogEntriesRequest(
            resource_names=[f"projects/{sandbox.scenario.project}"],
            filter=f'labels.source="{source}"', buffer_window=timedelta(seconds=window))
        await done.wait()

    call = await client.tail_log_entries(requests=requests(), timeout=None, retry=None)
    try:
        await until(lambda: state.tails_opened > opened, interval=0.025)
        newer = datetime.now(UTC)
        older = newer - timedelta(seconds=0.3)
        for name, when in (("newer", newer), ("older", older)):  # written out of order
            await logs.write_entries([LogEntry(
                insert_id=f"{source}-{name}", timestamp=when, severity=Severity.INFO,
                service="webservice", text=name, labels={"source": source})])
        arrived: list[tuple[str, datetime]] = []
        async with asyncio.timeout(30):
            async for response in call:
                arrived += [(e.text_payload, datetime.now(UTC)) for e in response.entries]
                if len(arrived) >= 2:
                    break
    finally:
        done.set()
        call.cancel()
        await logs.close()
        await client.transport.close()
    assert [text for text, _ in arrived] == ["older", "newer"]
    assert arrived[0][1] >= older + timedelta(seconds=window - 0.1)


async def test_a_backlog_over_max_becomes_not_consumed_suppression() -> None:
    """`max_backlog`: what a stream owes beyond it is dropped as NOT_CONSUMED, and the
    consumer sees the count: entries + suppressed cover every sequence number."""
    from staging_tui.sandbox.scenario import scenario_from_dict
    from staging_tui.sandbox.server import SandboxThread

    thread = SandboxThread(scenario_from_dict({
        "project": {"id": "logs-backlog", "region": "us-central1", "seed": 3},
        "services": [{"name": "api"}],
        "logs": {"history": "1s", "tick": "100ms", "rates": {"api": 200.0},
                 "faults": {"max_backlog": 4}},  # ~20 entries a tick, 4 may be owed
    }, source="<backlog>"))
    running = thread.start()
    running.quotas.enabled = False  # counted, not enforced: quota tests own sandboxes
    logs = logs_adapter(running)
    try:
        stream = logs.tail("")
        items = await _collect(stream, lambda xs: sum(
            isinstance(x, LogMarker) and x.kind is MarkerKind.SUPPRESSED for x in xs) >= 3)
        await stream.aclose()
    finally:
        await logs.close()
        thread.stop()
    markers = [x for x in items if isinstance(x, LogMarker) and x.kind is MarkerKind.SUPPRESSED]
    assert all("not consumed" in m.detail and m.count > 0 for m in markers)
    # each marker covers the run of sequence numbers missing just before what follows it
    seqs = [(pos, _seq(x)) for pos, x in enumerate(items) if isinstance(x, LogEntry)]
    for (pos_a, a), (pos_b, b) in itertools.pairwise(seqs):
        if b != a + 1:
            covered = sum(m.count for m in items[pos_a + 1 : pos_b]
                          if isinstance(m, LogMarker) and m.kind is MarkerKind.SUPPRESSED)
            assert covered == b - a - 1, (a, b, covered)
