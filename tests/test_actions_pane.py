"""Pilot tests of the incident actions in the Services pane and the service detail,
on a fresh sandbox each: preview, read-only refusal, typed confirmation, progress,
a failing revision, a concurrent change, undo and the audit line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fixtures_actions import FAILURE
from fixtures_audit import AuditEntries
from textual.pilot import Pilot
from textual.widgets import Input, Static
from ui_app import make_app, sandbox_profile
from waiting import until

from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import RunAdapter
from staging_tui.gcp.run_actions import RunActions
from staging_tui.render.action_plans import plan_latest
from staging_tui.sandbox.run_api import revision_name
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.app import StagingApp
from staging_tui.ui.screens.action_dialogs import ActionInput, ActionPreview
from staging_tui.ui.screens.services import ServicesScreen
from staging_tui.ui.widgets.services_table import ServicesTable
from staging_tui.ui.widgets.status_line import StatusLine

ACTIONS = {"read_only": False}
PROTECTED = {"read_only": False, "protected": True}


async def wait_for(pilot: Pilot[Any], cond: Callable[[], bool], what: str) -> None:
    """The suite's one way to wait (tests/waiting.py), polling every 20 ms."""
    await until(cond, pilot, interval=0.02, what=what)


def app_for(sandbox: RunningSandbox, **profile: Any) -> StagingApp:
    return make_app(sandbox, sandbox_profile(sandbox, **profile))


def status_text(app: StagingApp) -> str:
    return str(app.screen.query_one(StatusLine).render())


def preview_text(app: StagingApp) -> str:
    return str(app.screen.query_one("#preview-text", Static).render())


async def select(pilot: Pilot[Any], app: StagingApp, service: str) -> None:
    table = app.screen.query_one(ServicesTable)
    await wait_for(pilot, lambda: table.row_count > 0, "services")
    table.move_cursor(table.get_row_index(service))
    await pilot.pause()


async def traffic_of(sandbox: RunningSandbox, name: str) -> list[tuple[str, int, str]]:
    run = RunAdapter(Endpoints.for_sandbox(sandbox.endpoints), sandbox.scenario.project,
                     sandbox.scenario.regions)
    svc = await run.get_service(name)
    await run.close()
    return [("LATEST" if t.latest else t.revision, t.percent, t.tag) for t in svc.traffic]


async def test_read_only_profile_refuses_and_says_why(actions_sandbox: RunningSandbox,
        trail: AuditEntries) -> None:
    app = app_for(actions_sandbox)  # the sandbox's default profile: read-only
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "backend-staging")
        screen = app.screen
        assert screen.check_action("rollback", ()) is None  # disabled (greyed in the footer)
        await pilot.press("b")
        await pilot.pause()
        assert not bool(app.screen.query(ActionPreview))
        text = status_text(app)
        assert "read-only: incident actions are off" in text
        assert "--profile sandbox-actions" in text
    assert trail() == []
    assert await traffic_of(actions_sandbox, "backend-staging") == [("LATEST", 100, "")]


async def test_rollback_preview_confirm_progress_and_audit(
        actions_sandbox: RunningSandbox, trail: AuditEntries) -> None:
    r3 = revision_name("backend-staging", 3)
    app = app_for(actions_sandbox, **ACTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "backend-staging")
        await pilot.press("b")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        text = preview_text(app)
        assert f"Roll back backend-staging: 100% to {r3}" in text
        assert f"LATEST ({r3})" in text
        assert f"gcloud run services update-traffic backend-staging --project actions-test " \
               f"--region us-central1 --to-revisions {r3}=100" in text
        await pilot.press("y")
        screen = app.screen
        assert isinstance(screen, ServicesScreen)
        await wait_for(pilot, lambda: "✓" in status_text(app), "the end of the operation")
        assert "operation started" in status_text(app) and "traffic moved" in status_text(app)
    assert await traffic_of(actions_sandbox, "backend-staging") == [(r3, 100, "")]
    [entry] = trail()
    assert entry["action"] == "rollback" and entry["outcome"] == "ok"
    assert entry["traffic_after"] == [{"revision": r3, "percent": 100}]
    assert entry["operation"].startswith("projects/actions-test/locations/us-central1/operations/")


async def test_cancel_changes_nothing(actions_sandbox: RunningSandbox, trail: AuditEntries) -> None:
    app = app_for(actions_sandbox, **ACTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "backend-staging")
        await pilot.press("b")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        await pilot.press("escape")
        await wait_for(pilot, lambda: "cancelled" in status_text(app), "cancelled")
    assert trail() == []
    assert await traffic_of(actions_sandbox, "backend-staging") == [("LATEST", 100, "")]


async def test_protected_profile_needs_the_name_typed(actions_sandbox: RunningSandbox,
        trail: AuditEntries) -> None:
    app = app_for(actions_sandbox, **PROTECTED)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "backend-staging")
        await pilot.press("b")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        await pilot.press("y", "enter")  # `y` is only typed here, and is not the name
        assert bool(app.screen.query(ActionPreview))
        assert "is not 'backend-staging'" in str(app.screen.query_one("#preview-error").render())
        app.screen.query_one("#preview-confirm", Input).value = ""
        await pilot.press(*"backend-staging", "enter")
        await wait_for(pilot, lambda: "✓" in status_text(app), "the end of the operation")
    assert trail()[0]["profile"] == "sandbox" and trail()[0]["outcome"] == "ok"


async def test_restart_that_fails_shows_googles_reason_and_leaves_traffic(
        actions_sandbox: RunningSandbox, trail: AuditEntries) -> None:
    app = app_for(actions_sandbox, **ACTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "backend-staging")
        await pilot.press("R")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        assert "Creates a new revision" in preview_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: "→ failed" in status_text(app), "the failure noted")
        text = status_text(app)
        assert "operation started → revision backend-staging-00005-" in text
        assert "creating → failed" in text
        assert "FAILED_PRECONDITION" in text and "is not ready and cannot serve traffic" in text
        assert "traffic was left where it was" in text
    assert await traffic_of(actions_sandbox, "backend-staging") == [("LATEST", 100, "")]
    [entry] = trail()
    assert entry["action"] == "restart" and FAILURE in entry["outcome"]


async def test_concurrent_change_fails_with_a_clear_message(
        actions_sandbox: RunningSandbox) -> None:
    r5 = revision_name("web-staging", 5)
    app = app_for(actions_sandbox, **ACTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "web-staging")
        await pilot.press("L")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        # Someone else changes the service while the preview is open.
        run = RunAdapter(Endpoints.for_sandbox(actions_sandbox.endpoints), "actions-test",
                         ("us-central1",))
        other = RunActions(run.services_client, "actions-test")
        from staging_tui.render.action_plans import plan_traffic

        svc = await run.get_service("web-staging")
        await other.apply(plan_traffic(svc, await run.list_revisions("web-staging"), {r5: 100}))
        await run.close()
        await pilot.press("y")
        await wait_for(pilot, lambda: "✗" in status_text(app), "the refusal")
        assert "changed since this preview" in status_text(app)
    assert (r5, 100, "") in await traffic_of(actions_sandbox, "web-staging")
    assert plan_latest  # the action pressed was "to latest"


async def test_traffic_split_then_undo(actions_sandbox: RunningSandbox, trail: AuditEntries) -> None:
    r5, r4 = revision_name("web-staging", 5), revision_name("web-staging", 4)
    before = await traffic_of(actions_sandbox, "web-staging")
    app = app_for(actions_sandbox, **ACTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "web-staging")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionInput), "the traffic input")
        box = app.screen.query_one(Input)
        assert box.value == f"{r5}=90 {r4}=10 tag:previous={r4}"
        box.value = f"{r5}=50 {r4}=50"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        assert "50%" in preview_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: "✓" in status_text(app), "the split")
        assert (r4, 50, "") in await traffic_of(actions_sandbox, "web-staging")
        await pilot.press("u")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the undo preview")
        assert "Undo on web-staging" in preview_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: "✓ Undo" in status_text(app), "the undo")
    assert await traffic_of(actions_sandbox, "web-staging") == before
    assert [e["action"] for e in trail()] == ["traffic", "undo"]


async def test_detail_pin_secret_version_creates_a_revision(
        actions_sandbox: RunningSandbox) -> None:
    app = app_for(actions_sandbox, **ACTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "api-staging")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ServiceDetailScreen", "detail")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionInput), "the env input")
        app.screen.query_one(Input).value = "LOG_LEVEL=DEBUG"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        assert "LOG_LEVEL: 'INFO' → 'DEBUG'" in preview_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: "✓" in status_text(app), "the new revision")
        assert "api-staging-00004-" in status_text(app)
        assert "revision" in status_text(app) and "ready" in status_text(app)


async def test_detail_rolls_back_to_the_revision_under_the_cursor(
        actions_sandbox: RunningSandbox) -> None:
    from textual.widgets import DataTable

    r3 = revision_name("web-staging", 3)
    app = app_for(actions_sandbox, **ACTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "web-staging")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ServiceDetailScreen", "detail")
        table = app.screen.query_one("#detail-revisions", DataTable)
        await wait_for(pilot, lambda: table.row_count == 5, "the revisions")
        table.move_cursor(row=table.get_row_index(r3))
        await pilot.press("B")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        assert f"100% to {r3}" in preview_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: "✓" in status_text(app), "the roll back")
    after = await traffic_of(actions_sandbox, "web-staging")
    assert (r3, 100, "") in after and ("previous" in {t for _, _, t in after})


async def test_escape_in_the_detail_cancels_the_preview_not_the_detail(
        actions_sandbox: RunningSandbox, trail: AuditEntries) -> None:
    app = app_for(actions_sandbox, **ACTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, app, "backend-staging")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ServiceDetailScreen", "detail")
        await pilot.press("b")
        await wait_for(pilot, lambda: bool(app.screen.query(ActionPreview)), "the preview")
        await pilot.press("b")  # a second action waits for this preview's answer
        await pilot.press("escape")
        await wait_for(pilot, lambda: "cancelled" in status_text(app), "cancelled")
        assert type(app.screen).__name__ == "ServiceDetailScreen"
        assert not app.screen.query(ActionPreview)
    assert trail() == []
