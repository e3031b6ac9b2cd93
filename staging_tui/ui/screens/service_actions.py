"""Incident actions on the service a screen shows (Services pane row, service detail):
roll back, traffic split/tags, back to latest, restart, env change / secret pin, undo.

Every action is planned on a freshly read service (its etag goes with the update),
previewed in a modal, confirmed (one key; the name typed in a protected profile), run
as a long-running operation whose progress shows in the screen's status line, and
written to the audit trail. Nothing runs in a read-only profile: `check_action`
disables the keys and the status line says why when one is pressed.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.binding import Binding

from staging_tui.domain import ActionPlan, ActionStage, Revision, Service
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
from staging_tui.ui.screens.action_dialogs import ActionInput
from staging_tui.ui.screens.action_runner import ActionRunner, Failed, Progress
from staging_tui.ui.widgets.status_line import StatusLine

ACTIONS = ("rollback", "rollback_to", "traffic", "latest", "restart", "env", "undo")
Planner = Callable[[Service, list[Revision]], ActionPlan]
_STEP = {
    ActionStage.SENT: "operation started",
    ActionStage.CREATING: "revision {name} creating",
    ActionStage.READY: "revision {name} ready",
    ActionStage.ROUTING: "traffic moving",
    ActionStage.DONE: "traffic moved",
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


class ServiceActions(ActionRunner):
    """Mixed into a PaneScreen that has a StatusLine and knows its current service."""

    GUARDED_ACTIONS = ACTIONS
    READ_ONLY_OFF = "incident actions are off"
    action_note: Text | None = None  # how the last action ended (kept on refreshes)

    def action_service(self) -> Service | None:
        """The service the actions apply to (the selected row, the detail's service)."""
        raise NotImplementedError

    def action_revision(self) -> str:
        """A revision the user pointed at (detail: the revisions table cursor), or ""."""
        return ""

    def after_action(self, service: Service) -> None:
        """Called with the service as the operation left it (refresh what is shown)."""

    def note_refusal(self, error: StagingError) -> None:
        # Kept when the pane refreshes its status line (Services: counts, error rates).
        self.action_note = Text(f"✗ {error.message}\n  fix: {error.fix}", style="red")

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
        await self.preview_then_run(plan, status, lambda: self._apply(plan, status, base),
                                    service.latest_ready_revision)

    async def _show_after_failure(self, plan: ActionPlan) -> None:
        """The service as the failed operation left it (e.g. its new, failed revision)."""
        try:
            run = await self.backend.run()
            service = await run.get_service(plan.service, plan.region)
        except StagingError:
            return  # the error already shows; the next refresh catches up
        self.after_action(service)

    async def _apply(self, plan: ActionPlan, status: StatusLine, base: object) -> None:
        self.action_note = None

        async def operate(progress: Progress) -> Service:
            actions = await self.backend.run_actions()
            return await actions.apply(plan, progress, base)

        outcome = await self.run_operation(plan, status, audit_fields(plan), operate, _STEP,
                                           retry_key="r")
        if isinstance(outcome, Failed):
            exc = outcome.error
            code = getattr(exc, "code", "")
            self.action_note = Text(
                f"✗ {plan.summary} · {' → '.join([*outcome.steps, 'failed'])}\n"
                f"{code + ': ' if code else ''}{exc.message}\n  fix: {exc.fix}", style="red")
            await self._show_after_failure(plan)
            return
        if plan.changes_traffic:
            self.console.last_traffic_action = plan
        self.action_note = outcome.ok
        self.after_action(outcome.result)
