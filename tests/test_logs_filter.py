"""The sandbox's Logging query language subset, and the adapter's list contract
(each filter form, paging, ordering) against the default scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fixtures_logs import logs_adapter

from staging_tui.domain import LogEntry, Severity
from staging_tui.errors import InvalidArgument
from staging_tui.sandbox.log_filter import FilterError, compile_filter
from staging_tui.sandbox.server import RunningSandbox

PROJECT = "sandbox-staging"


@pytest.mark.parametrize(("text", "column"), [
    ("severity>=", 11),
    ("severity>=LOUD", 11),
    ("(severity>=ERROR", 17),
    ("severity>=ERROR)", 16),
    ('textPayload:"open', 13),
    ("colour=red", 1),
    ("timestamp>=yesterday", 12),
    ("AND severity=INFO", 1),
    ('labels.a=~"("', 11),
])
def test_invalid_filters_say_where(text: str, column: int) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(text)
    assert info.value.column == column
    assert f"column {column}" in str(info.value)


def test_or_binds_tighter_than_and_as_in_cloud_logging() -> None:
    from google.cloud.logging_v2 import types

    entry = types.LogEntry.pb()(severity=500, text_payload="x")
    assert not compile_filter("severity=ERROR OR severity=INFO AND textPayload:y")(entry)
    assert compile_filter("severity=INFO OR severity=ERROR AND textPayload:x")(entry)


def test_top_level_timestamp_bound_is_extracted() -> None:
    flt = compile_filter('timestamp>="2026-01-01T00:00:00Z" severity>=INFO')
    assert flt.min_time_ns == int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 10**9
    assert compile_filter('NOT timestamp>="2026-01-01T00:00:00Z"').min_time_ns is None
    assert compile_filter('timestamp>="2026-01-01T00:00:00Z" OR severity>=INFO'
                          ).min_time_ns is None


async def _list(sandbox: RunningSandbox, query: str, **kw: object) -> list[LogEntry]:
    logs = logs_adapter(sandbox)
    try:
        return await logs.list_entries(query, limit=400, **kw)
    finally:
        await logs.close()


@pytest.mark.parametrize(("query", "check"), [
    ('resource.type="cloud_run_revision"', lambda e: True),
    ('resource.labels.service_name="backend-staging"', lambda e: e.service == "backend-staging"),
    ('resource.labels.revision_name="backend-staging-00004-7db"',
     lambda e: e.revision == "backend-staging-00004-7db"),
    ("severity>=ERROR", lambda e: e.severity >= Severity.ERROR),
    ("severity=WARNING", lambda e: e.severity == Severity.WARNING),
    ('logName="projects/sandbox-staging/logs/run.googleapis.com%2Frequests"',
     lambda e: e.log_name == "run.googleapis.com/requests" and e.http_request is not None),
    ('labels.instanceId="00c61b117c0001"', lambda e: e.labels["instanceId"] == "00c61b117c0001"),
    ('textPayload:"Errno 111"', lambda e: "ConnectionRefusedError: [Errno 111]" in e.text),
    ('jsonPayload.logger:"webservice"',
     lambda e: e.json_payload is not None and "webservice" in str(e.json_payload["logger"])),
    ('jsonPayload.context.user="user-3"',
     lambda e: e.json_payload is not None and e.json_payload["context"]["user"] == "user-3"),  # type: ignore[index]
    ("httpRequest.status>=500", lambda e: e.http_request is not None
     and e.http_request.status >= 500),
    ('severity>=ERROR AND resource.labels.service_name="webservice"',
     lambda e: e.severity >= Severity.ERROR and e.service == "webservice"),
    ('resource.labels.service_name="webservice" OR resource.labels.service_name="auth-staging"',
     lambda e: e.service in ("webservice", "auth-staging")),
    ('NOT resource.labels.service_name="webservice" -severity<=INFO',
     lambda e: e.service != "webservice" and e.severity > Severity.INFO),
    ('(severity=ERROR OR severity=CRITICAL) resource.labels.service_name="backend-staging"',
     lambda e: e.severity in (Severity.ERROR, Severity.CRITICAL)
     and e.service == "backend-staging"),
    ("Connection refused", lambda e: "connection refused" in e.text.lower()),
])
async def test_each_filter_form(sandbox: RunningSandbox, query: str, check: object) -> None:
    entries = await _list(sandbox, query)
    assert entries, f"{query!r} matched nothing"
    bad = [e for e in entries if not check(e)]  # type: ignore[operator]
    assert not bad, f"{query!r} let through {bad[0]}"


async def test_timestamp_bounds(sandbox: RunningSandbox) -> None:
    now = datetime.now(UTC)
    since, until = now - timedelta(minutes=5), now - timedelta(minutes=4)
    entries = await _list(sandbox, "", since=since, until=until)
    assert entries
    assert all(since <= e.timestamp <= until for e in entries)
    assert [e.timestamp for e in entries] == sorted(e.timestamp for e in entries)


async def test_paging_and_order(sandbox: RunningSandbox) -> None:
    logs = logs_adapter(sandbox)
    until = datetime.now(UTC) - timedelta(minutes=2)
    since = until - timedelta(minutes=2)
    query = 'resource.labels.service_name="webservice"'
    try:
        pages = [p async for p in logs.list_pages(query, since=since, until=until, page_size=7)]
        big = await logs.list_entries(query, since=since, until=until, page_size=1000)
        newest = await logs.list_entries(query, since=since, until=until, newest_first=True,
                                         page_size=13)
    finally:
        await logs.close()
    assert len(pages) > 3 and all(len(p) == 7 for p in pages[:-1])
    small = [e.insert_id for p in pages for e in p]
    assert small == [e.insert_id for e in big]
    assert len(set(small)) == len(small)
    assert [e.insert_id for e in newest] == small[::-1]


async def test_invalid_filter_is_invalid_argument_saying_where(sandbox: RunningSandbox) -> None:
    logs = logs_adapter(sandbox)
    try:
        with pytest.raises(InvalidArgument) as info:
            await logs.check_filter("severity>=ERROR AND (")
    finally:
        await logs.close()
    assert "column 22 (the end of the filter)" in info.value.message
