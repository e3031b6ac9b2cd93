"""The Logs view model (ring buffer, client-side filter, counters) and the text /
JSON rendering, without a terminal; plus the headless `logs` command."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ui_app import backend_for
from waiting import until

from staging_tui.commands import logs as logs_command
from staging_tui.domain import HttpRequest, LogEntry, LogMarker, MarkerKind, Severity
from staging_tui.durations import parse_since
from staging_tui.gcp.log_query import build_filter
from staging_tui.model.log_view import LogViewModel, RingBuffer
from staging_tui.render.log_lines import (
    expanded_text,
    json_line,
    save_lines,
    summary,
    text_line,
)
from staging_tui.sandbox.server import RunningSandbox

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _entry(i: int, severity: Severity = Severity.INFO, text: str = "", service: str = "api"
           ) -> LogEntry:
    return LogEntry(insert_id=f"id{i}", timestamp=T0 + timedelta(seconds=i), severity=severity,
                    service=service, revision=f"{service}-00001-abc",
                    text=text or f"message {i}", labels={"seq": str(i)})


def test_ring_buffer_keeps_the_newest() -> None:
    ring = RingBuffer(3)
    for i in range(5):
        ring.append(_entry(i))
    assert (len(ring), ring.first, ring.total) == (3, 2, 5)
    assert [e.insert_id for _, e in ring.items()] == ["id2", "id3", "id4"]  # type: ignore[union-attr]
    with pytest.raises(IndexError):
        ring[1]


def test_view_model_filters_and_counts() -> None:
    model = LogViewModel(capacity=5, clock=lambda: (T0 + timedelta(seconds=5)).timestamp())
    model.add_batch([_entry(1), _entry(2, Severity.ERROR, "boom: refused"),
                     LogMarker(MarkerKind.SUPPRESSED, T0, 7, "rate limit"),
                     _entry(3, Severity.WARNING), LogMarker(MarkerKind.RECONNECT, T0),
                     LogMarker(MarkerKind.GAP, T0, 0, "lost"), _entry(4)])
    assert len(model.ring) == 5 and model.counters.evicted == 2
    assert (model.counters.suppressed, model.counters.gaps, model.counters.reconnects) == (7, 1, 1)
    assert model.counters.received == 4
    assert len(model) == 5
    model.set_filter(severity_floor=Severity.WARNING)
    assert [type(x).__name__ for x in model.rows(0, 10)] == [
        "LogMarker", "LogEntry", "LogMarker", "LogMarker"]  # markers always stay visible
    model.set_filter("message", severity_floor=Severity.DEFAULT)
    assert [x.insert_id for x in model.rows(0, 10) if isinstance(x, LogEntry)] == ["id3", "id4"]
    model.set_filter(inverse=True)
    assert [x.insert_id for x in model.rows(0, 10) if isinstance(x, LogEntry)] == []
    model.set_filter("", inverse=False)
    model.add_batch([_entry(5, Severity.ERROR)])
    assert model.sparkline(3) == [1, 1, 1]  # by timestamp: entries 3, 4 and 5
    assert model.sparkline(3, band=3) == [0, 0, 1]
    assert model.entries_per_second() == 4 / 5  # entries 1-4 in the 5 s before "now"
    assert "suppressed 7" in model.status() and "reconnects 1" in model.status()
    model.clear()
    assert len(model) == 0 and model.counters.suppressed == 7


def test_quick_filter_searches_every_line_and_the_source() -> None:
    model = LogViewModel(capacity=10)
    model.add_batch([_entry(1, Severity.ERROR, "Traceback (most recent call last):\n"
                            "ConnectionRefusedError: [Errno 111]", service="backend"),
                     _entry(2, service="webservice")])
    model.set_filter("refused")
    assert [x.insert_id for x in model.rows(0, 10) if isinstance(x, LogEntry)] == ["id1"]
    model.set_filter("webservice-0000")  # the revision column
    assert [x.insert_id for x in model.rows(0, 10) if isinstance(x, LogEntry)] == ["id2"]


def test_reset_forgets_entries_counters_and_rates_but_keeps_the_filter() -> None:
    model = LogViewModel(capacity=10, clock=lambda: (T0 + timedelta(seconds=5)).timestamp())
    model.set_filter("message", severity_floor=Severity.INFO)
    model.follow = False
    model.add_batch([_entry(1), LogMarker(MarkerKind.GAP, T0, 0, "lost")])
    model.reset()
    assert (len(model), len(model.ring), model.counters.gaps, model.sparkline(5)) == (
        0, 0, 0, [0] * 5)
    assert model.follow and model.pattern == "message"
    assert model.severity_floor == Severity.INFO


def test_bad_quick_filter_regex_raises() -> None:
    import re

    with pytest.raises(re.error):
        LogViewModel().set_filter("(")


def test_text_json_and_expanded_rendering() -> None:
    entry = LogEntry("x1", T0, Severity.ERROR, "backend-staging", "backend-staging-00004-7db",
                     "run.googleapis.com/stderr",
                     "Traceback (most recent call last):\nConnectionRefusedError: [Errno 111]",
                     None, HttpRequest("GET", "https://b/api", 500, 12.5), {"seq": "1"}, "t/1")
    assert text_line(entry, utc=True) == (
        "03:04:05.000 ERROR backend-staging-00004-7db         Traceback … "
        "ConnectionRefusedError: [Errno 111]")
    short = LogEntry("x2", T0, Severity.INFO, "web", "web-00001-abc", "l", "hello")
    lines = [text_line(entry, utc=True), text_line(short, utc=True)]
    assert lines[0].index("Traceback") == lines[1].index("hello")  # columns line up
    assert entry.message == "Traceback (most recent call last):"
    assert summary(_entry(1, text="one line")) == "one line"
    assert summary(_entry(1, text="first\n\n  last  \n")) == "first … last"
    assert summary(_entry(1, text="a\nb\nc\nd")) == "a ⏎ +2 lines … d"
    data = json.loads(json_line(entry))
    assert data["httpRequest"]["status"] == 500 and data["labels"] == {"seq": "1"}
    full = expanded_text(entry, utc=True)
    assert "ConnectionRefusedError: [Errno 111]" in full and "GET https://b/api -> 500" in full
    marker = LogMarker(MarkerKind.SUPPRESSED, T0, 12, "rate limit")
    assert "12 entries suppressed" in text_line(marker, utc=True)
    assert json.loads(next(iter(save_lines([marker], as_json=True))))["count"] == 12


def test_build_filter_and_since() -> None:
    assert build_filter("web", "web-00001-abc", Severity.ERROR, "textPayload:x") == (
        'resource.type="cloud_run_revision" AND resource.labels.service_name="web" AND '
        'resource.labels.revision_name="web-00001-abc" AND severity>=ERROR AND (textPayload:x)')
    assert parse_since("15m") == timedelta(minutes=15)
    with pytest.raises(ValueError, match="30s, 10m"):
        parse_since("soon")


async def test_logs_command_prints_text_and_json(sandbox: RunningSandbox,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    backend = backend_for(sandbox)
    parser = argparse.ArgumentParser()
    logs_command.add_parser(parser.add_subparsers(), [])
    try:
        out = io.StringIO()
        args = parser.parse_args(["logs", "backend-staging", "--since", "5m",
                                  "--severity", "ERROR", "--json"])
        assert await logs_command.run(args, backend, out) == 0
        rows = [json.loads(line) for line in out.getvalue().splitlines()]
        assert rows and all(r["resource"]["labels"]["service_name"] == "backend-staging"
                            for r in rows)
        assert all(r["severity"] in ("ERROR", "CRITICAL") for r in rows)
        assert any("[Errno 111] Connection refused" in r.get("textPayload", "") for r in rows)
        out = io.StringIO()
        args = parser.parse_args(["logs", "--since", "1m", "--filter", "severity>=", "--utc"])
        assert await logs_command.run(args, backend, out) == 2
        # the column counts in what the user typed, not in the query built around it
        err = capsys.readouterr().err
        assert "--filter 'severity>=': " in err and "at column 11" in err
        args = parser.parse_args(["logs", "webservice", "--since", "5m", "--utc"])
        out = io.StringIO()
        assert await logs_command.run(args, backend, out) == 0
        lines = out.getvalue().splitlines()
        assert lines and all(" webservice" in line for line in lines)
    finally:
        await backend.close()


async def test_logs_follow_keeps_printing_new_entries(sandbox: RunningSandbox) -> None:
    """`logs --follow --json` backfills, then keeps printing entries written after it began."""
    import asyncio

    backend = backend_for(sandbox)
    parser = argparse.ArgumentParser()
    logs_command.add_parser(parser.add_subparsers(), [])
    args = parser.parse_args(["logs", "webservice", "--since", "1m", "--follow", "--json"])
    out = io.StringIO()
    started = datetime.now(UTC)
    task = asyncio.ensure_future(logs_command.run(args, backend, out))
    try:
        def printed() -> list[dict[str, Any]]:
            return [json.loads(line) for line in out.getvalue().splitlines()]

        def newer(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for r in rows if "insertId" in r  # entries, not gap markers
                    and datetime.fromisoformat(r["timestamp"]) > started + timedelta(seconds=1)]

        await until(lambda: len(newer(printed())) >= 3, what="3 entries newer than the start")
        rows = printed()
        fresh = newer(rows)
        assert all(r["resource"]["labels"]["service_name"] == "webservice" for r in fresh)
        ids = [r["insertId"] for r in rows if "insertId" in r]
        assert len(ids) == len(set(ids))  # backfill and tail overlap without a duplicate
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await backend.close()


def test_labels_behave_like_a_dict_and_share_repeated_values() -> None:
    from google.cloud.logging_v2 import types

    from staging_tui.gcp.log_entries import entry_from_pb

    def pb(seq: int) -> object:
        entry = types.LogEntry.pb()(insert_id=f"i{seq}", severity=200,
                                    labels={"seq": str(seq), "instanceId": "00c61b117c0001"})
        entry.timestamp.FromDatetime(T0)
        return entry

    first, second = entry_from_pb(pb(1)), entry_from_pb(pb(2))
    assert first.labels == {"seq": "1", "instanceId": "00c61b117c0001"}
    assert dict(first.labels) == {"seq": "1", "instanceId": "00c61b117c0001"}
    assert (first.labels.get("seq"), first.labels.get("nope"), len(first.labels)) == ("1", None, 2)
    assert sorted(first.labels.items()) == [("instanceId", "00c61b117c0001"), ("seq", "1")]
    assert first.labels["instanceId"] is second.labels["instanceId"]  # one copy in memory
    assert json.loads(json_line(first))["labels"] == {"seq": "1", "instanceId": "00c61b117c0001"}
    empty = entry_from_pb(types.LogEntry.pb()(insert_id="e"))
    assert dict(empty.labels) == {} and "labels" not in json.loads(json_line(empty))
