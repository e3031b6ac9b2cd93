"""Emulated Cloud Logging API v2 (`google.logging.v2.LoggingServiceV2`).

ListLogEntries (paging, `timestamp asc|desc`, the query-language subset of
log_filter), TailLogEntries (bidi stream: first request carries resource_names,
filter, buffer_window; suppression_info RATE_LIMIT / NOT_CONSUMED; OUT_OF_RANGE
after the session length) and WriteLogEntries. Entries come from log_generator,
lazily. The scenario's `[logs]` and `[logs.faults]` tables set rates and faults
(see docs/logs.md). Responses are assembled from each entry's serialized bytes, so
serving costs little more than a memcpy per entry.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.cloud.logging_v2 import types as log_types

from staging_tui.sandbox.log_filter import CompiledFilter, FilterError, compile_filter
from staging_tui.sandbox.log_generator import (
    LogGenerator,
    history_origin,
    length_delimited,
    varint,
)
from staging_tui.sandbox.log_store import LogStore, StoredEntry
from staging_tui.sandbox.rpc import service_handler, unary
from staging_tui.sandbox.scenario import Scenario, parse_duration
from staging_tui.sandbox.server_context import SandboxContext

SERVICE = "google.logging.v2.LoggingServiceV2"
SHARED_KEY = "logs"
DEFAULT_BUFFER_WINDOW_NS = 2 * 10**9
_Reason = log_types.TailLogEntriesResponse.SuppressionInfo.Reason
_SuppressionPb: Any = log_types.TailLogEntriesResponse.SuppressionInfo.pb()
_LogEntryPb: Any = log_types.LogEntry.pb()


def entries_wire(entries: list[StoredEntry]) -> bytes:
    """`repeated LogEntry entries = 1` of a Tail/List response, from cached bytes."""
    return b"".join([b"\x0a" + varint(len(s.wire)) + s.wire for s in entries])


@dataclass
class LogFaults:
    """`[logs.faults]`: what goes wrong with the Logging API in this scenario."""

    stream_cut_after: int = 0  # end the tail stream that sends the Nth, 2Nth ... entry
    tail_unavailable_every: int = 0  # every Nth TailLogEntries call fails UNAVAILABLE
    tail_internal_every: int = 0  # ... INTERNAL
    tail_exhausted_every: int = 0  # ... RESOURCE_EXHAUSTED
    list_unavailable_every: int = 0  # every Nth ListLogEntries call fails UNAVAILABLE
    rate_limit: float = 0.0  # entries/s per stream before RATE_LIMIT suppression (0 = none)
    max_backlog: int = 100_000  # entries a lagging client may owe before NOT_CONSUMED
    _counters: dict[str, itertools.count[int]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> LogFaults:
        return cls(
            stream_cut_after=int(table.get("stream_cut_after", 0)),
            tail_unavailable_every=int(table.get("tail_unavailable_every", 0)),
            tail_internal_every=int(table.get("tail_internal_every", 0)),
            tail_exhausted_every=int(table.get("tail_exhausted_every", 0)),
            list_unavailable_every=int(table.get("list_unavailable_every", 0)),
            rate_limit=float(table.get("rate_limit", 0.0)),
            max_backlog=int(table.get("max_backlog", 100_000)),
        )

    def hit(self, name: str, every: int) -> bool:
        if every <= 0:
            return False
        return next(self._counters.setdefault(name, itertools.count(1))) % every == 0


@dataclass
class LoggingState:
    """What the servicers share (also `ctx.shared["logs"]` for tests and benchmarks)."""

    scenario: Scenario
    store: LogStore
    faults: LogFaults
    session_length: float
    tick: float
    tails_opened: int = 0
    tails_active: int = 0
    sent: int = 0
    suppressed: int = 0


def build_state(scenario: Scenario) -> LoggingState:
    table = scenario.tables.get("logs", {})
    where = f"{scenario.source}: logs"
    now = scenario.clock()
    generator = LogGenerator(scenario, history_origin(scenario, now))
    return LoggingState(
        scenario=scenario,
        store=LogStore(generator, int(table.get("retention", 200_000)), scenario.clock),
        faults=LogFaults.from_table(table.get("faults", {})),
        session_length=parse_duration(table.get("session_length", "1h"), where=where),
        tick=parse_duration(table.get("tick", "50ms"), where=where),
    )


def _ns(seconds: float) -> int:
    """Nanoseconds since the epoch of the sandbox clock's `seconds`."""
    return round(seconds * 1_000_000_000)


async def _checked_filter(text: str, context: grpc.aio.ServicerContext) -> CompiledFilter:
    try:
        return compile_filter(text)
    except FilterError as exc:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        raise AssertionError from None  # abort raises


def _buffer_window_ns(request: log_types.TailLogEntriesRequest) -> int:
    """The request's buffer_window; unset, Google's default: "Valid values are between
    0-60000 milliseconds. Defaults to 2000 milliseconds." (logging.proto)."""
    raw = type(request).pb(request)
    if not raw.HasField("buffer_window"):
        return DEFAULT_BUFFER_WINDOW_NS
    return int(raw.buffer_window.seconds * 10**9 + raw.buffer_window.nanos)


def _resource_ok(names: list[str], project: str) -> bool:
    return not names or any(n.rstrip("/") == f"projects/{project}" for n in names)


def install(ctx: SandboxContext) -> None:
    state = build_state(ctx.scenario)
    ctx.shared[SHARED_KEY] = state
    project = ctx.scenario.project
    faults = ctx.scenario.faults

    async def list_entries(req: log_types.ListLogEntriesRequest,
                           context: grpc.aio.ServicerContext) -> bytes:
        await faults.apply("logging", "ListLogEntries", "", context)
        if state.faults.hit("list_unavailable", state.faults.list_unavailable_every):
            await context.abort(grpc.StatusCode.UNAVAILABLE, "sandbox: injected UNAVAILABLE")
        if not _resource_ok(list(req.resource_names), project):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"resource_names must be projects/{project}")
        flt = await _checked_filter(req.filter, context)
        order = req.order_by.strip().lower() or "timestamp asc"
        if order not in ("timestamp asc", "timestamp desc"):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"order_by {req.order_by!r}: use 'timestamp asc' or 'timestamp desc'")
        if not 0 <= req.page_size <= 1000:  # logging.proto: "negative or exceeds 1000"
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"page_size {req.page_size} is out of range: Cloud Logging "
                                "takes 1 to 1000 (0 for its default, 50)")
        size = req.page_size or 50
        store = state.store
        store.advance()
        chunk, token = _page(store, flt, order == "timestamp desc", size, req.page_token)
        if chunk is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"page_token {req.page_token!r} is not one this API returned")
        body = entries_wire(chunk or [])
        if token:
            body += length_delimited(b"\x12", token.encode())
        return body

    async def write_entries(req: log_types.WriteLogEntriesRequest,
                            context: grpc.aio.ServicerContext) -> log_types.WriteLogEntriesResponse:
        await faults.apply("logging", "WriteLogEntries", req.log_name, context)
        raw = type(req).pb(req)
        now_ns = _ns(state.store.clock())
        state.store.advance(now_ns / 1e9)
        for entry in raw.entries:
            pb = _LogEntryPb()
            pb.CopyFrom(entry)
            if not pb.log_name:
                pb.log_name = raw.log_name
            if not pb.HasField("resource") and raw.HasField("resource"):
                pb.resource.CopyFrom(raw.resource)
            for key, value in raw.labels.items():
                if key not in pb.labels:
                    pb.labels[key] = value
            if not pb.HasField("timestamp"):
                pb.timestamp.FromNanoseconds(now_ns)
            if not pb.insert_id:
                pb.insert_id = f"w{state.store.written:011d}"
            pb.receive_timestamp.FromNanoseconds(now_ns)
            state.store.write(pb)
        return log_types.WriteLogEntriesResponse()

    async def tail_entries(requests: AsyncIterator[log_types.TailLogEntriesRequest],
                           context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        await faults.apply("logging", "TailLogEntries", "", context)
        first = await anext(aiter(requests), None)  # read it before failing: no races
        if first is None:
            return
        f = state.faults
        if f.hit("tail_unavailable", f.tail_unavailable_every):
            await context.abort(grpc.StatusCode.UNAVAILABLE, "sandbox: injected UNAVAILABLE")
        if f.hit("tail_internal", f.tail_internal_every):
            await context.abort(grpc.StatusCode.INTERNAL, "sandbox: injected INTERNAL")
        if f.hit("tail_exhausted", f.tail_exhausted_every):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                "sandbox: too many concurrent tail sessions (injected)")
        if not _resource_ok(list(first.resource_names), project):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"resource_names must be projects/{project}")
        flt = await _checked_filter(first.filter, context)
        window_ns = _buffer_window_ns(first)
        if not 0 <= window_ns <= 60 * 10**9:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "buffer_window must be between 0 and 60000 milliseconds")
        state.tails_opened += 1
        state.tails_active += 1
        outcome = _TailOutcome()
        try:
            async for chunk in _tail(state, flt, outcome, window_ns):
                yield chunk
        finally:
            state.tails_active -= 1
        if outcome.cut:
            return  # the scenario cuts streams: they just end
        await context.abort(grpc.StatusCode.OUT_OF_RANGE,
                            "Tail session exceeded its maximum length; start a new session")

    ctx.add_grpc(service_handler(SERVICE, [
        ("ListLogEntries", grpc.unary_unary_rpc_method_handler(
            list_entries,
            request_deserializer=log_types.ListLogEntriesRequest.deserialize,
            response_serializer=_Bytes.serialize,
        )),
        unary(SERVICE, "WriteLogEntries", log_types.WriteLogEntriesRequest,
              log_types.WriteLogEntriesResponse, write_entries),
        ("TailLogEntries", grpc.stream_stream_rpc_method_handler(
            tail_entries,
            request_deserializer=log_types.TailLogEntriesRequest.deserialize,
            response_serializer=_Bytes.serialize,
        )),
    ]))


class _Bytes:
    """Responses the servicers already hold as wire bytes."""

    @staticmethod
    def serialize(data: bytes) -> bytes:
        return data


@dataclass
class _TailOutcome:
    cut: bool = False


def _page(store: LogStore, flt: CompiledFilter, desc: bool, size: int, token: str
          ) -> tuple[list[StoredEntry] | None, str]:
    """One page, newest or oldest first; the token is the last entry's sort key."""
    entries = store.entries
    if token:
        try:
            ns, idx = (int(x) for x in token.split(":"))
        except ValueError:
            return None, ""
        key = (ns, idx)
        pos = store.position_before(key) if desc else store.position_after(key)
    elif desc:
        pos = len(entries) - 1
    else:
        pos = store.position_at_time(flt.min_time_ns) if flt.min_time_ns is not None else 0
    out: list[StoredEntry] = []
    step = -1 if desc else 1
    while 0 <= pos < len(entries) and len(out) < size + 1:
        stored = entries[pos]
        if desc and flt.min_time_ns is not None and stored.key[0] < flt.min_time_ns:
            break
        if flt(stored.pb):
            out.append(stored)
        pos += step
    if len(out) > size:
        out = out[:size]
        last = out[-1].key
        return out, f"{last[0]}:{last[1]}"
    return out, ""


def _due(store: LogStore, flt: CompiledFilter, cursor: tuple[int, int], horizon: int | None
         ) -> tuple[list[StoredEntry], tuple[int, int]]:
    """The entries after `cursor` stamped up to `horizon` (ns; None = all) that match,
    in timestamp order, and the new cursor."""
    out: list[StoredEntry] = []
    for stored in store.since(cursor):
        if horizon is not None and stored.key[0] > horizon:
            break
        cursor = stored.key
        if flt(stored.pb):
            out.append(stored)
    return out, cursor


async def _tail(state: LoggingState, flt: CompiledFilter, outcome: _TailOutcome,
                window_ns: int = 0) -> AsyncIterator[bytes]:
    """Stream entries as the generator releases them until the session length passes.
    With a `buffer_window`, an entry waits that long after its timestamp, so entries
    arriving out of order within the window are sent in order (as Google does)."""
    store = state.store
    f = state.faults
    store.advance()
    # what is stamped within the window before the start is still to come
    clock = store.clock
    cursor = (_ns(clock()) - window_ns, -1) if window_ns else store.newest_key()
    written = store.written
    deadline = time.monotonic() + state.session_length
    allowance = f.rate_limit / 4  # token bucket: a quarter second's burst
    last = time.monotonic()
    while True:
        now_m = time.monotonic()
        if now_m >= deadline:
            return
        next_due = store.generator.time_of(store.next_seq) - clock()
        wait = state.tick if window_ns else max(next_due, state.tick)
        await asyncio.sleep(min(wait, deadline - now_m, 1.0))
        store.advance()
        horizon = _ns(clock()) - window_ns if window_ns else None
        passed = cursor
        fresh, cursor = _due(store, flt, cursor, horizon)
        if store.written != written:  # written behind the cursor: late, but sent
            late = [s for s in store.writes_since(written) if s.key <= passed and flt(s.pb)]
            written = store.written
            fresh[:0] = late
        if not fresh:
            continue
        chunks: list[bytes] = []
        if len(fresh) > f.max_backlog:
            dropped = len(fresh) - f.max_backlog
            fresh = fresh[dropped:]
            chunks.append(_suppression(_Reason.NOT_CONSUMED, dropped))
            state.suppressed += dropped
        limited = 0
        if f.rate_limit:
            now_m = time.monotonic()
            allowance = min(f.rate_limit / 4, allowance + (now_m - last) * f.rate_limit)
            last = now_m
            if len(fresh) > allowance:
                keep = int(allowance)
                limited = len(fresh) - keep
                state.suppressed += limited
                fresh = fresh[:keep]
            allowance -= len(fresh)
        cut = False
        if f.stream_cut_after:
            room = f.stream_cut_after - state.sent % f.stream_cut_after
            if len(fresh) >= room:
                fresh = fresh[:room]
                cut = True
        for start in range(0, len(fresh), 1000):
            chunks.append(entries_wire(fresh[start : start + 1000]))
        if limited and not cut:  # the newest were dropped: the marker follows what was kept
            chunks.append(_suppression(_Reason.RATE_LIMIT, limited))
        for chunk in chunks:
            yield chunk
        state.sent += len(fresh)
        if cut:
            outcome.cut = True
            return


def _suppression(reason: Any, count: int) -> bytes:
    info = _SuppressionPb(reason=reason, suppressed_count=count)
    return length_delimited(b"\x12", info.SerializeToString())
