"""Pilot tests of the Services pane, driven by keys against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import DataTable, Input, Static
from ui_app import make_app
from waiting import settled, until

from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread
from staging_tui.ui.screens.service_detail import ServiceDetailScreen
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine


def row_names(table: ServicesTable) -> list[str]:
    return table.row_keys


async def wait_loaded(pilot: object, app: object) -> ServicesTable:
    table = app.screen.query_one(ServicesTable)  # type: ignore[attr-defined]
    await until(lambda: table.row_count, pilot)
    return table


async def test_failed_service_reason_is_visible_in_detail(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await wait_loaded(pilot, app)
        table.move_cursor(row=table.get_row_index("backend-staging"))
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ServiceDetailScreen), pilot)
        assert isinstance(app.screen, ServiceDetailScreen)
        conditions = str(app.screen.query_one("#detail-conditions", Static).render())
        assert "ConnectionRefusedError: [Errno 111] Connection refused" in conditions
        revisions = app.screen.query_one("#detail-revisions", DataTable)
        await until(lambda: revisions.row_count, pilot)
        assert "Failed" in str(revisions.get_row_at(0)[1])
        env = str(app.screen.query_one("#detail-containers", Static).render())
        assert "secret:postgres-password-staging@latest" in env
        await pilot.press("h")
        await until(lambda: "HTTP" in str(app.screen.query_one(StatusLine).render()), pilot)
        assert "HTTP 503" in str(app.screen.query_one(StatusLine).render())
        await pilot.press("escape")
        assert not isinstance(app.screen, ServiceDetailScreen)


async def test_env_problems_are_flagged_inline(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await wait_loaded(pilot, app)
        table.move_cursor(row=table.get_row_index("auth-staging"))
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ServiceDetailScreen), pilot)
        await settled(pilot)
        env = str(app.screen.query_one("#detail-containers", Static).render())
        assert "placeholder value 'REPLACE_ME'" in env
        assert "points at localhost" in env


async def test_filter_narrows_and_escape_clears(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await wait_loaded(pilot, app)
        total = table.row_count
        await pilot.press("slash", *"pr-12")
        assert app.screen.query_one("#services-filter", Input).value == "pr-12"
        assert row_names(table) == ["backend-pr-12", "frontend-pr-12"]
        await pilot.press("enter")  # back to the table
        await pilot.press("escape")
        assert table.row_count == total


async def test_pr_grouping(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await wait_loaded(pilot, app)
        await pilot.press("g")
        names = row_names(table)
        assert names.index("group:7") < names.index("backend-pr-7") < names.index("group:12")
        assert names.index("group:12") < names.index("backend-pr-12")
        assert names[0] == "auth-staging"


async def test_sort_by_status_puts_failures_first(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await wait_loaded(pilot, app)
        await pilot.press("s")
        assert row_names(table)[0] == "backend-staging"


@pytest.fixture
def denied_sandbox() -> Iterator[RunningSandbox]:
    tables = {"project": {"id": "p", "region": "us-central1"}, "services": [{"name": "api"}],
              "faults": {"permission_denied": ["projects/p/locations/*"]}}
    thread = SandboxThread(scenario_from_dict(tables))
    yield thread.start()
    thread.stop()


async def test_api_errors_show_in_the_pane_and_app_keeps_working(
        denied_sandbox: RunningSandbox) -> None:
    app = make_app(denied_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        status = app.screen.query_one(StatusLine)
        await until(lambda: "PERMISSION_DENIED" in str(status.render()), pilot)
        text = str(status.render())
        assert "PERMISSION_DENIED" in text and "[r] retry" in text
        await pilot.press("r")
        await pilot.press("2")  # another pane still works
        assert app.current_mode == "secrets"
        await pilot.press("1")
        assert app.current_mode == "services"


async def test_help_and_pane_keys(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        assert not app.screen.query("HelpPanel")
        for key, mode in [("3", "logs"), ("6", "doctor"), ("1", "services")]:
            await pilot.press(key)
            assert app.current_mode == mode


async def test_missing_credentials_show_the_fix_in_the_pane(
        tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from staging_tui.compose import make_app as make_real_app
    from staging_tui.config import Settings
    from staging_tui.gcp.endpoints import Endpoints

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("CLOUDSDK_CONFIG", raising=False)
    settings = Settings(profile="real", project="my-proj")
    app = make_real_app(settings, Endpoints.google())
    async with app.run_test(size=(120, 40)) as pilot:
        status = app.screen.query_one(StatusLine)
        await until(lambda: "fix:" in str(status.render()), pilot)
        assert "gcloud auth application-default login" in str(status.render())
