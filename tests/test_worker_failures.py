"""A worker that fails with anything but our own errors is never invisible: every pane
shows it in its status line with "details: ..." and keeps working. The failure is real:
the sandbox announces its endpoints without the gRPC one (a mismatched sandbox), so
building any adapter raises KeyError in the same code the CLI runs."""

from __future__ import annotations

from textual.widgets import DataTable
from ui_app import sandbox_profile
from waiting import until

from staging_tui.compose import make_app
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.doctor import DoctorScreen
from staging_tui.ui.widgets.status_line import StatusLine


def announced_without_grpc() -> Endpoints:
    return Endpoints.for_sandbox({"sqladmin": "http://127.0.0.1:9"})


async def test_every_pane_shows_an_unexpected_failure_and_keeps_working(
        sandbox: RunningSandbox) -> None:
    app = make_app(sandbox_profile(sandbox), announced_without_grpc, relax_gc=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for key in "12345":
            await pilot.press(key)
            status = app.screen.query_one(StatusLine)
            await until(lambda: "details:" in str(status.render()), pilot,  # noqa: B023
                        what=f"pane {key}: the failure in its status line")
            text = str(status.render())
            assert "stopped unexpectedly · details: KeyError: 'grpc'" in text, text
            assert "(endpoints.py:" in text  # where, never the locals
        await pilot.press("escape", "4", "a")  # the pane still takes keys: the add box opens
        assert app.screen.query_one("#database-add").has_focus
        await pilot.press("escape", "6")
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await until(lambda: not screen.running and screen.findings, pilot)
        rows = [str(r[0]) for r in (screen.query_one("#doctor-table", DataTable).get_row_at(i)
                                   for i in range(screen.query_one(DataTable).row_count))]
        assert any("KeyError" in r for r in rows) or any(
            "KeyError" in f.evidence for f in screen.findings)
