"""Incident actions: the plan a preview shows (a service's traffic and template
changes, a job run) and the progress of the long-running operation that applies it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from staging_tui.domain.run import SecretRef, TrafficTarget


class ActionKind(StrEnum):
    ROLLBACK = "rollback"
    TRAFFIC = "traffic"
    LATEST = "latest"
    RESTART = "restart"
    ENV = "env"
    UNDO = "undo"


@dataclass(frozen=True, slots=True)
class TemplateChange:
    """One change to the revision template: `kind` is "env" (container env var `key`)
    or "label" (template label `key`). `after` None removes it; a `secret` makes the env
    var a Secret Manager reference instead of a literal. `before`/`after` are for display
    (sensitive literals masked); `value` is the literal to set."""

    kind: str
    key: str
    before: str | None
    after: str | None
    secret: SecretRef | None = None
    value: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """What an incident action will change, decided before anything runs (the preview).

    `etag` is the service version the plan was made from: applying it to a service that
    changed since fails instead of overwriting someone else's change."""

    kind: ActionKind
    service: str
    project: str
    region: str
    etag: str
    summary: str
    traffic_before: tuple[TrafficTarget, ...]
    traffic_after: tuple[TrafficTarget, ...]
    template_changes: tuple[TemplateChange, ...] = ()
    gcloud: str = ""

    @property
    def changes_traffic(self) -> bool:
        return self.traffic_before != self.traffic_after

    @property
    def creates_revision(self) -> bool:
        return bool(self.template_changes)


@dataclass(frozen=True, slots=True)
class JobRunPlan:
    """Run (or re-run) a Cloud Run job: one RunJob from the job version previewed (etag)."""

    job: str
    project: str
    region: str
    etag: str
    summary: str
    gcloud: str
    latest_execution: str = ""
    latest_status: str = ""


class ActionStage(StrEnum):
    SENT = "sent"                 # UpdateService accepted, operation running
    CREATING = "creating"         # a new revision is starting
    READY = "ready"               # the new revision is Ready
    ROUTING = "routing"           # traffic is moving
    RUNNING = "running"           # a job's execution is running (RunJob)
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ActionProgress:
    """One step of a running action, from the operation's metadata."""

    stage: ActionStage
    operation: str
    revision: str = ""
    message: str = ""
