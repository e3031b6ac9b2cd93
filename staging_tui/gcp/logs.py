"""Cloud Logging v2 adapter: backfill with ListLogEntries, then TailLogEntries.

`LogsAdapter.tail()` yields batches of domain `LogEntry` and `LogMarker` and never
ends on its own: it reconnects after a stream end or cut, the session limit
(OUT_OF_RANGE), UNAVAILABLE / INTERNAL (backoff) and RESOURCE_EXHAUSTED (longer
backoff). On reconnect it re-reads from the last timestamp seen minus an overlap
and drops duplicates by insertId (a bounded window), so a cut loses nothing;
what it cannot re-read becomes a GAP marker, server-side suppression a SUPPRESSED
marker with its count. Conversion (log_entries.py) reads the raw protobuf.

Quota: ListLogEntries counts against the project's 60 read requests per minute,
shared with the team. Every list call waits for room in the adapter's `budget`
(the profile's `quota_share` of 60/min); the tail's backfill and re-reads also keep
to `policy.tail_calls_per_minute` (10), read at most a few pages, and a stream that
ends cleanly is reopened after a delay, never at once (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core import gapic_v1, retry_async
from google.cloud.logging_v2 import types as log_types
from google.cloud.logging_v2.services.logging_service_v2 import LoggingServiceV2AsyncClient
from google.cloud.logging_v2.services.logging_service_v2.transports.base import (
    DEFAULT_CLIENT_INFO,
)
from google.cloud.logging_v2.services.logging_service_v2.transports.grpc_asyncio import (
    LoggingServiceV2GrpcAsyncIOTransport,
)

from staging_tui.domain import LogEntry, LogMarker, MarkerKind
from staging_tui.errors import InvalidArgument, QuotaExceeded
from staging_tui.gcp.api_errors import is_auth_failure, map_api_error, mapped, quota_error, transient
from staging_tui.gcp.call_budget import Backoff, CallBudget, quota_share_budget
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.insert_id_window import InsertIdWindow
from staging_tui.gcp.log_entries import entry_from_pb
from staging_tui.gcp.log_tail_state import Batch, CompactBatch, TailState

__all__ = ["Batch", "CompactBatch", "InsertIdWindow", "LogsAdapter", "ReconnectPolicy",
           "TailState"]
PAGE_SIZE = 1000
READ_QUOTA_PER_MINUTE = 60  # entries.list per project (cloud.google.com/logging/quotas)
TAIL_METHOD = "/google.logging.v2.LoggingServiceV2/TailLogEntries"


# The library's default retries UNAVAILABLE for a minute, and so the auth plugin's
# UNAVAILABLE (expired ADC) too: a pane would wait a minute for an error no retry fixes.
LIST_RETRY = retry_async.AsyncRetry(
    initial=0.1, maximum=2.0, multiplier=2.0, timeout=10.0,
    predicate=lambda exc: transient(exc) or isinstance(
        exc, gexc.InternalServerError | gexc.DeadlineExceeded),
)


@dataclass(frozen=True)
class ReconnectPolicy:
    """How the tail recovers. Delays in seconds; `overlap` is re-read on reconnect."""

    overlap: timedelta = timedelta(seconds=5)
    retry_delay: float = 0.25  # UNAVAILABLE / INTERNAL, doubled up to retry_max
    retry_max: float = 10.0
    exhausted_delay: float = 5.0  # RESOURCE_EXHAUSTED without RetryInfo, doubled up to max
    exhausted_max: float = 60.0
    clean_end_delay: float = 1.0  # a stream that ended cleanly: reopened after this (+jitter),
    clean_end_max: float = 30.0  # doubled while sessions keep ending within short_session
    short_session: float = 10.0
    first_response_wait: float = 0.5  # how long to wait for the new stream before refilling
    refill_limit: int = 2_000  # entries re-read at most per reconnect (else a GAP marker)
    dedupe_window: int = 200_000  # (insertId, second) pairs remembered
    tail_calls_per_minute: int = 10  # list calls of one tail (backfill + re-reads)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _and(filter_: str, clause: str) -> str:
    """Append a clause; the user's text stays a prefix so error columns match it.
    (AND binds loosest in the Logging query language, so no parentheses needed.)"""
    return f"{filter_} AND {clause}" if filter_.strip() else clause


def _now() -> datetime:
    return datetime.now(UTC)


class LogsAdapter:
    """List, tail and write Cloud Logging entries of one project."""

    def __init__(self, endpoints: Endpoints, project: str,
                 policy: ReconnectPolicy | None = None, *, quota_share: float = 0.5) -> None:
        self.project = project
        self.resource = f"projects/{project}"
        self.policy = policy or ReconnectPolicy()
        self.budget = CallBudget(quota_share_budget(READ_QUOTA_PER_MINUTE, quota_share))
        channel = (endpoints.grpc_channel() if endpoints.sandbox
                   else endpoints.google_channel(LoggingServiceV2GrpcAsyncIOTransport))
        transport = LoggingServiceV2GrpcAsyncIOTransport(channel=channel)
        self._client = LoggingServiceV2AsyncClient(transport=transport)
        self._raw_tail: Any = None

    # ------------------------------------------------------------------ list / write

    async def list_pages(self, filter_: str = "", *, since: datetime | None = None,
                         until: datetime | None = None, newest_first: bool = False,
                         limit: int = 0, page_size: int = PAGE_SIZE,
                         budget: CallBudget | None = None
                         ) -> AsyncIterator[list[LogEntry]]:
        """Pages of entries matching `filter_` (and the time bounds), up to `limit`.
        Each page is one call: it waits for room in `budget` (if given) and the
        adapter's own."""
        if since is not None:
            filter_ = _and(filter_, f'timestamp>="{_rfc3339(since)}"')
        if until is not None:
            filter_ = _and(filter_, f'timestamp<="{_rfc3339(until)}"')
        request = log_types.ListLogEntriesRequest(
            resource_names=[self.resource], filter=filter_, page_size=page_size,
            order_by="timestamp desc" if newest_first else "timestamp asc")
        if limit:
            request.page_size = min(page_size, limit)
        count = 0

        async def room() -> None:
            if budget is not None:
                await budget.acquire()
            await self.budget.acquire()

        async with mapped(self.resource):
            await room()
            pager = await self._client.list_log_entries(request=request, retry=LIST_RETRY)
            async for response in pager.pages:
                pb = type(response).pb(response)
                raw = pb.entries
                if limit and count + len(raw) > limit:
                    raw = raw[: limit - count]
                count += len(raw)
                yield [entry_from_pb(e) for e in raw]
                if limit and count >= limit:
                    return
                if pb.next_page_token:
                    await room()  # the pager fetches the next page when asked

    async def list_entries(self, filter_: str = "", *, since: datetime | None = None,
                           until: datetime | None = None, newest_first: bool = False,
                           limit: int = 0, page_size: int = PAGE_SIZE) -> list[LogEntry]:
        pages = self.list_pages(filter_, since=since, until=until, newest_first=newest_first,
                                limit=limit, page_size=page_size)
        return [e async for page in pages for e in page]

    def tail_budget(self) -> CallBudget:
        """The list calls of one tail: `policy.tail_calls_per_minute`."""
        return CallBudget(self.policy.tail_calls_per_minute)

    async def check_filter(self, filter_: str) -> None:
        """Raise InvalidArgument (the server's message says where) if `filter_` is bad."""
        async for _ in self.list_pages(filter_, limit=1, page_size=1):
            break

    async def write_entries(self, entries: Iterable[LogEntry]) -> None:
        """Write entries (tests and users inject them); `service` sets the resource."""
        out = []
        for e in entries:
            pb = log_types.LogEntry.pb()(
                log_name=f"{self.resource}/logs/{e.log_name or 'staging-tui'}".replace(
                    "/logs/run.googleapis.com/", "/logs/run.googleapis.com%2F"),
                insert_id=e.insert_id, severity=int(e.severity), trace=e.trace,
                labels=dict(e.labels))
            pb.timestamp.FromDatetime(e.timestamp)
            pb.resource.type = "cloud_run_revision"
            if e.service:
                pb.resource.labels["service_name"] = e.service
            if e.revision:
                pb.resource.labels["revision_name"] = e.revision
            if e.json_payload is not None:
                pb.json_payload.update(dict(e.json_payload))
            else:
                pb.text_payload = e.text
            out.append(log_types.LogEntry.wrap(pb))
        request = log_types.WriteLogEntriesRequest(entries=out)
        async with mapped(self.resource):
            await self._client.write_log_entries(request=request)

    # ------------------------------------------------------------------ tail

    async def tail(self, filter_: str = "", *, since: datetime | None = None,
                   backfill_limit: int = 2_000) -> AsyncGenerator[Batch, None]:
        """`tail_compact` with every entry decoded (the headless `logs --follow`)."""
        async with aclosing(self.tail_compact(filter_, since=since,
                                              backfill_limit=backfill_limit)) as batches:
            async for batch in batches:
                yield [entry for item in batch for entry in (
                    (item,) if isinstance(item, LogEntry | LogMarker) else item.entries())]

    async def tail_compact(self, filter_: str = "", *, since: datetime | None = None,
                           backfill_limit: int = 2_000) -> AsyncGenerator[CompactBatch, None]:
        """Backfill from `since` (if given; the newest `backfill_limit` entries: two list
        calls), then follow forever, reconnecting. What the stream delivers comes as
        compact blocks (`CompactEntries`, decoded when read); backfill and re-reads
        (a few thousand at most) as LogEntry.

        Raises only what retrying cannot fix (InvalidArgument, PermissionDenied ...).
        """
        state = TailState(InsertIdWindow(self.policy.dedupe_window))
        state.budget = self.tail_budget()
        p = self.policy
        exhausted = Backoff(base=p.exhausted_delay, maximum=p.exhausted_max)
        if since is not None:
            while True:  # a spent quota delays the backfill; it never ends the tail
                until = _now()
                newest: list[LogEntry] = []
                try:
                    async for page in self.list_pages(filter_, since=since, until=until,
                                                      newest_first=True, limit=backfill_limit,
                                                      budget=state.budget):
                        newest.extend(page)
                    break
                except QuotaExceeded as exc:
                    delay = exhausted.next_delay(exc)
                    yield [LogMarker(MarkerKind.RECONNECT, _now(), 0,
                                     f"RESOURCE_EXHAUSTED: {exc.message}; "
                                     f"retrying in {delay:.0f} s")]
                    await asyncio.sleep(delay)
            exhausted.reset()
            older = len(newest) >= backfill_limit
            newest.reverse()
            if older and newest:
                yield [LogMarker(MarkerKind.OLDER, newest[0].timestamp, 0,
                                 f"since {_rfc3339(since)}: showing the newest "
                                 f"{backfill_limit:,}")]
            for start in range(0, len(newest), PAGE_SIZE):
                accepted = state.accept(newest[start : start + PAGE_SIZE])
                if accepted:
                    yield accepted
            state.resume_from = max(state.last_ts or until, until)
            state.overlap = False  # the backfill ended exactly at `until`
        failures = 0
        clean = Backoff(base=p.clean_end_delay, maximum=p.clean_end_max)
        while True:
            opened = asyncio.get_running_loop().time()
            try:
                async for compact in self._session(filter_, state):
                    failures = 0
                    exhausted.reset()
                    yield compact
                # never reopen at once: a stream that keeps ending would be a tight loop
                if asyncio.get_running_loop().time() - opened >= p.short_session:
                    clean.reset()
                reason, delay = "stream ended", clean.next_delay()
            except gexc.OutOfRange:
                reason, delay = "session limit reached", 0.0
            except (gexc.ServiceUnavailable, gexc.InternalServerError, gexc.Aborted,
                    gexc.DeadlineExceeded) as exc:
                if is_auth_failure(exc):  # expired ADC: reconnecting cannot help
                    raise map_api_error(exc, resource=self.resource) from None
                failures += 1
                delay = min(self.policy.retry_delay * 2 ** (failures - 1), self.policy.retry_max)
                reason = f"{exc.grpc_status_code.name if exc.grpc_status_code else 'error'}: " \
                         f"{exc.message}"
            except (gexc.ResourceExhausted, QuotaExceeded) as exc:
                quota = exc if isinstance(exc, QuotaExceeded) else quota_error(exc)
                delay = exhausted.next_delay(quota)
                reason = (f"RESOURCE_EXHAUSTED: {quota.message}" if quota is not None
                          else f"RESOURCE_EXHAUSTED: {exc.message}")
            except gexc.GoogleAPIError as exc:
                raise map_api_error(exc, resource=self.resource) from None
            state.reconnects += 1
            if delay:
                if failures:
                    delay *= 0.8 + 0.4 * random.random()
                reason += f"; retrying in {delay:.1f}s"
            yield [LogMarker(MarkerKind.RECONNECT, _now(), 0, reason)]
            if state.last_ts is not None:
                state.resume_from = state.last_ts
            state.overlap = True
            await asyncio.sleep(delay)

    def _tail_rpc(self) -> Any:
        """TailLogEntries as the client library calls it (its x-goog-api-client header,
        errors mapped to google.api_core exceptions), but answering each response's wire
        bytes: they are parsed once, by log_blocks, and kept as the entries' storage."""
        if self._raw_tail is None:
            transport: Any = self._client.transport
            stub = transport.grpc_channel.stream_stream(
                TAIL_METHOD, request_serializer=log_types.TailLogEntriesRequest.serialize,
                response_deserializer=None)
            self._raw_tail = gapic_v1.method_async.wrap_method(  # type: ignore[no-untyped-call]
                stub, default_timeout=None, client_info=DEFAULT_CLIENT_INFO)
        return self._raw_tail

    async def _session(self, filter_: str, state: TailState) -> AsyncIterator[CompactBatch]:
        """One TailLogEntries stream; refills the gap before it if resuming."""
        closed = asyncio.Event()

        async def requests() -> AsyncIterator[log_types.TailLogEntriesRequest]:
            yield log_types.TailLogEntriesRequest(resource_names=[self.resource],
                                                  filter=filter_)
            await closed.wait()

        call: Any = await self._tail_rpc()(requests(), timeout=None, retry=None)
        responses = call.__aiter__()
        try:
            if state.resume_from is not None:
                first = asyncio.ensure_future(anext(responses))
                await asyncio.wait({first}, timeout=self.policy.first_response_wait)
                try:
                    async for page in self._refill(filter_, state):
                        yield page
                except BaseException:
                    first.cancel()
                    raise
                state.resume_from = None
                try:
                    response = await first
                except StopAsyncIteration:
                    return
                batch = state.response(response)
                if batch:
                    yield batch
            async for response in responses:
                batch = state.response(response)
                if batch:
                    yield batch
        finally:
            closed.set()
            call.cancel()

    async def _refill(self, filter_: str, state: TailState) -> AsyncIterator[Batch]:
        """Re-read what the previous stream may have missed (from resume_from - overlap)."""
        assert state.resume_from is not None
        since = state.resume_from - (self.policy.overlap if state.overlap else timedelta(0))
        count = 0
        try:  # up to now: the new stream is already open and delivers what follows
            async for page in self.list_pages(filter_, since=since, until=_now(),
                                              limit=self.policy.refill_limit,
                                              budget=state.budget):
                count += len(page)
                batch = state.accept(page)
                if batch:
                    yield batch
        except InvalidArgument:
            raise
        except QuotaExceeded:
            raise  # the tail backs off (RetryInfo, jitter) and re-reads from the same point
        except Exception as exc:  # the tail goes on; the hole is shown, not hidden
            detail = getattr(exc, "message", str(exc))
            yield [LogMarker(MarkerKind.GAP, _now(), 0,
                             f"entries after {_rfc3339(since)} may be missing: {detail}")]
            return
        if count >= self.policy.refill_limit:
            yield [LogMarker(MarkerKind.GAP, _now(), 0,
                             f"more than {self.policy.refill_limit} entries since "
                             f"{_rfc3339(since)}: some were not re-read")]

    async def close(self) -> None:
        transport: Any = self._client.transport
        await transport.close()
