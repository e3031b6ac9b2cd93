"""Incident actions on the service a screen shows (Services pane row, service detail):
roll back, traffic split/tags, back to latest, restart, env change / secret pin, undo.

Every action is planned on a freshly read service (its etag goes with the update),
previewed in a modal, confirmed (one key; the name typed in a protected profile), run
as a long-running operation whose progress shows in the screen's status line, and
written to the audit trail. Nothing runs in a read-only profile: `check_action`
disables the keys and the status line says why when one is pressed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, work
from textual.binding import Binding

from staging_tui.domain import ActionPlan, ActionProgress, ActionStage, Revision, Service
from staging_tui.errors import StagingError
from staging_tui.render.action_plans import (
    audit_fields,
    parse_env_text,
    parse_traffic_text,
    plan_env,
    plan_latest,
    plan_pin_secret,
    plan_restart,
    plan_rollback,
    plan_traffic,
    plan_undo,
    traffic_text_of,
)
from staging_tui.ui.screens.action_dialogs import ActionInput, ActionPreview
from staging_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from staging_tui.ui.screens.base import PaneScreen

    _Base = PaneScreen
else:
    _Base = object

ACTIONS = ("rollback", "rollback_to", "traffic", "latest", "restart", "env", "undo")
Planner = Callable[[Service, list[Revision]], ActionPlan]
_STEP = {
    ActionStage.SENT: "operation started",
    ActionStage.CREATING: "revision {rev} creating",
    ActionStage.READY: "revision {rev} ready",
    ActionStage.ROUTING: "traffic moving",
    ActionStage.DONE: "traffic moved",
    ActionStage.FAILED: "failed",
}


def action_bindings(prefix: str) -> list[Binding]:
    """The action keys, with ids `<prefix>.<action>` (remappable per profile)."""
    return [
        Binding("b", "rollback", "Roll back", id=f"{prefix}.rollback"),
        Binding("t", "traffic", "Traffic", id=f"{prefix}.traffic"),
        Binding("L", "latest", "To latest", show=False, id=f"{prefix}.latest"),
        Binding("R", "restart", "Restart", id=f"{prefix}.restart"),
        Binding("e", "env", "Env/pin", show=False, id=f"{prefix}.env"),
        Binding("u", "undo", "Undo traffic", show=False, id=f"{prefix}.undo"),
    ]


class ServiceActions(_Base):
    """Mixed into a PaneScreen that has a StatusLine and knows its current service."""

    action_note: Text | None = None  # how the last action ended (kept on refreshes)
    preview_open = False  # one preview at a time: the action keys wait for its answer

    def action_service(self) -> Service | None:
        """The service the actions apply to (the selected row, the detail's service)."""
        raise NotImplementedError

    def action_revision(self) -> str:
        """A revision the user pointed at (detail: the revisions table cursor), or ""."""
        return ""

    def after_action(self, service: Service) -> None:
        """Called with the service as the operation left it (refresh what is shown)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ACTIONS and (self.preview_open or not self.settings.actions_allowed):
            return None  # shown greyed in the footer; pressing it says why (on_key)
        return True

    def on_key(self, event: events.Key) -> None:
        """While a preview is open its keys (`y`, `esc`) answer it; a disabled action key
        (read-only profile) is not silently ignored: the status line says why."""
        if self.preview_open:
            for panel in self.query(ActionPreview):
                if panel.handle_preview_key(event.key):
                    event.stop()
                    event.prevent_default()
                    return
            return
        if self.settings.actions_allowed:
            return
        bound = self._bindings.key_to_bindings.get(event.key, [])
        if any(b.action in ACTIONS for b in bound):
            event.stop()
            self._refuse_read_only()

    def _refuse_read_only(self) -> bool:
        if self.settings.actions_allowed:
            return False
        hint = " (--sandbox --profile sandbox-actions)" if self.settings.sandbox else ""
        error = StagingError(
            f"profile {self.settings.profile!r} is read-only: incident actions are off",
            f"use a profile with read_only = false{hint}")
        self.query_one(StatusLine).error(error, retry_key="?")
        # Kept when the pane refreshes its status line (Services: counts, error rates).
        self.action_note = Text(f"✗ {error.message}\n  fix: {error.fix}", style="red")
        return True

    # ------------------------------------------------------------------ the keys

    def action_rollback(self) -> None:
        if not self._refuse_read_only():
            self.start_action("rollback", lambda s, revs: plan_rollback(s, revs))

    def action_rollback_to(self) -> None:
        revision = self.action_revision()
        if revision and not self._refuse_read_only():
            self.start_action("rollback", lambda s, revs: plan_rollback(s, revs, revision))

    def action_latest(self) -> None:
        if not self._refuse_read_only():
            self.start_action("latest", lambda s, _revs: plan_latest(s))

    def action_restart(self) -> None:
        if not self._refuse_read_only():
            self.start_action("restart", lambda s, _revs: plan_restart(s, self.now()))

    def action_traffic(self) -> None:
        if not self._refuse_read_only():
            self.ask_and_run("traffic")

    def action_env(self) -> None:
        if not self._refuse_read_only():
            self.ask_and_run("env")

    def action_undo(self) -> None:
        if self._refuse_read_only():
            return
        previous = self.console.last_traffic_action
        if previous is None:
            self.query_one(StatusLine).info("nothing to undo: no traffic change in this session")
            return
        self.start_action("undo", lambda s, _revs: plan_undo(previous, s), previous.service,
                          previous.region)

    # ------------------------------------------------------------------ the flow

    @work(exclusive=True, group="service-action-input", exit_on_error=False)
    async def ask_and_run(self, what: str) -> None:
        service = self.action_service()
        if service is None:
            return
        if what == "traffic":
            answer = await self.app.push_screen_wait(ActionInput(
                f"Traffic of {service.name}",
                "REV=PCT ... (LATEST=PCT for the latest ready), tag:T=REV to move a tag",
                traffic_text_of(service.traffic)))
            if answer is None:
                return
            try:
                split, tags = parse_traffic_text(answer)
            except StagingError as exc:
                self.query_one(StatusLine).error(exc, retry_key="t")
                return
            self.start_action("traffic", lambda s, revs: plan_traffic(s, revs, split, tags))
            return
        answer = await self.app.push_screen_wait(ActionInput(
            f"Change an env var of {service.name} (creates a revision)",
            "NAME=VALUE sets a literal; NAME@3 pins its secret to version 3, NAME@latest unpins"))
        if answer is None:
            return
        try:
            name, value, version = parse_env_text(answer)
        except StagingError as exc:
            self.query_one(StatusLine).error(exc, retry_key="e")
            return
        self.start_action("env", lambda s, _revs: plan_pin_secret(s, name, version) if version
                        else plan_env(s, name, value))

    @work(exclusive=True, group="service-action", exit_on_error=False)
    async def start_action(self, what: str, planner: Planner, service_name: str = "",
                           service_region: str = "") -> None:
        shown = self.action_service()
        if shown is None and not service_name:
            return
        name = service_name or (shown.name if shown else "")
        region = service_region or (
            shown.region if shown is not None and shown.name == name else "")
        status = self.query_one(StatusLine)
        status.busy(f"reading {name} for the {what} preview")
        try:
            run = await self.backend.run()
            actions = await self.backend.run_actions()
            service, base = await actions.read(name, region or self.settings.region)
            revisions = await run.list_revisions(name, service.region)
            plan = planner(service, revisions)
        except StagingError as exc:
            status.error(exc, retry_key=what[0])
            return
        status.info(f"{plan.summary}: previewed, waiting for your confirmation")
        running: list[asyncio.Future[None]] = []
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        panel = ActionPreview(
            plan, self.settings, service.latest_ready_revision,
            on_confirm=lambda: running.append(
                asyncio.ensure_future(self._apply(plan, status, base))),
            result=answer)
        self.preview_open = True
        self.refresh_bindings()  # the footer greys the action keys while it is open
        try:
            await self.mount(panel)
            confirmed = await answer
        finally:
            self.preview_open = False
            self.refresh_bindings()
        if not confirmed or not running:
            status.info(f"{plan.summary}: cancelled, nothing changed")
            return
        try:
            await running[0]
        finally:
            await panel.remove()

    async def _show_after_failure(self, plan: ActionPlan) -> None:
        """The service as the failed operation left it (e.g. its new, failed revision)."""
        try:
            run = await self.backend.run()
            service = await run.get_service(plan.service, plan.region)
        except StagingError:
            return  # the error already shows; the next refresh catches up
        self.after_action(service)

    async def _apply(self, plan: ActionPlan, status: StatusLine, base: object) -> None:
        steps: list[str] = []
        operation = ""

        def progress(p: ActionProgress) -> None:
            nonlocal operation
            operation = operation or p.operation
            if p.stage is not ActionStage.FAILED:
                steps.append(_STEP[p.stage].format(rev=p.revision))
                status.busy(f"{plan.summary} · " + " → ".join(steps))

        self.action_note = None
        status.busy(f"{plan.summary} · sending")
        s = self.settings
        common = dict(account=self.backend.account, profile=s.profile,
                      environment=s.environment)
        trail = self.console.audit_trail
        try:
            actions = await self.backend.run_actions()
            done = await actions.apply(plan, progress, base)
        except StagingError as exc:
            trail.record_service_action(audit_fields(plan), operation=operation,
                                        outcome=f"failed: {exc.message}", **common)
            status.error(exc, retry_key="r")
            code = getattr(exc, "code", "")
            self.action_note = Text(
                f"✗ {plan.summary} · {' → '.join([*steps, 'failed'])}\n"
                f"{code + ': ' if code else ''}{exc.message}\n  fix: {exc.fix}", style="red")
            await self._show_after_failure(plan)
            return
        trail.record_service_action(audit_fields(plan), operation=operation, outcome="ok",
                                    **common)
        if plan.changes_traffic:
            self.console.last_traffic_action = plan
        ok = Text(f"✓ {plan.summary} · " + " → ".join(steps), style="green")
        if trail.last_error:
            ok.append(f"   ({trail.last_error})", style="yellow")
        status.info(ok)
        self.action_note = ok
        self.after_action(done)
