"""Pilot test of a find over a full-ish Logs buffer: it runs on a thread, so the pane
keeps handling keys (and following the tail) meanwhile, says how far it got, and ends
with the rows the per-entry filter gives; Esc clears it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud.logging_v2 import types
from ui_app import make_app
from waiting import until

from staging_tui.gcp.insert_id_window import InsertIdWindow
from staging_tui.gcp.log_blocks import block_from_wire
from staging_tui.model.log_view import FindJob
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.logs import FIND_ON_THREAD, LogsScreen
from staging_tui.ui.widgets.log_view import LogView

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ENTRIES = 20_000


def _blocks(count: int) -> list[Any]:
    window = InsertIdWindow(2 * count)
    out = []
    for start in range(0, count, 1000):
        pbs = []
        for i in range(start, start + 1000):
            pb = types.LogEntry.pb()(insert_id=f"bulk{i}", severity=200 if i % 7 else 500,
                                     text_payload=f"request {i} {'timeout' if i % 7 == 0 else 'ok'}")
            pb.resource.labels["service_name"] = "bulk"
            pb.timestamp.FromDatetime(T0 + timedelta(microseconds=i))
            pbs.append(pb)
        wire = bytes(types.TailLogEntriesResponse.pb()(entries=pbs).SerializeToString())
        block, _ = block_from_wire(wire, window.new)
        out.append(block)
    return out


async def test_a_find_over_a_big_buffer_keeps_the_pane_responsive(sandbox: RunningSandbox
                                                                 ) -> None:
    assert ENTRIES > FIND_ON_THREAD
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        screen.model.add_batch(_blocks(ENTRIES))  # beside what the tail streams
        release = threading.Event()
        held: list[FindJob] = []

        def hold(job: FindJob) -> None:  # the find's thread waits here until released
            held.append(job)
            release.wait(30)

        screen.find_checkpoint = hold
        try:
            await pilot.press("slash", *"timeout", "enter")
            await until(lambda: any(j.spec.regex and j.spec.regex.pattern == "timeout"
                                    for j in held), pilot)
            view = screen.query_one(LogView)
            assert screen.model.finding is not None and not view.wrap
            await pilot.press("w")  # handled while the find is held on its thread
            assert view.wrap and screen.model.finding is not None
            await until(lambda: "finding… " in str(screen.query_one("#logs-status").render()),
                        pilot)
        finally:
            release.set()
        await until(lambda: screen.model.finding is None, pilot)
        ring, model = screen.model.ring, screen.model
        per_entry = [i for i in range(ring.first, ring.total) if model.matches(ring[i])]
        assert list(model.visible) == per_entry  # what arrived meanwhile too, once
        bulk = [i for i in model.visible if ring.severity_of(i) == 500]
        assert len(bulk) >= ENTRIES // 7 + 1  # (the sandbox's own errors may say timeout)
        assert "finding" not in str(screen.query_one("#logs-status").render())
        await pilot.press("escape")  # clears the find (the view has the focus)
        assert model.pattern == "" and model.finding is None
        assert len(model) == len(ring)
