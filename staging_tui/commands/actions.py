"""Headless incident actions: `rollback`, `traffic`, `restart`.

Each prints the preview (before/after traffic, template changes, the equivalent gcloud
command). Without `--yes` that is all (exit 3); with it the action runs as Google runs
it, progress on stderr. A read-only profile refuses (exit 2); a protected one also needs
`--confirm SERVICE`. Exit 0 when done, 1 when the operation failed (Google's reason).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from staging_tui.backend import Backend
from staging_tui.commands.action_guard import (
    add_confirm_options,
    guard,
    run_recorded,
)
from staging_tui.domain import ActionPlan, ActionProgress, ActionStage, Revision, Service
from staging_tui.errors import NotFound, StagingError
from staging_tui.render.action_plans import (
    audit_fields,
    plan_restart,
    plan_rollback,
    plan_traffic,
    preview_plain,
)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("service", metavar="SERVICE", help="Cloud Run service name")
    add_confirm_options(p, "service", "SERVICE")


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rollback", parents=parents, help="send 100%% of traffic back",
                       description="Send 100%% of a service's traffic to the last Ready revision "
                       "before the serving one (or --to REVISION).")
    _common(p)
    p.add_argument("--to", metavar="REVISION", default="", help="the revision to roll back to")
    p.set_defaults(run=run_rollback)
    p = sub.add_parser("traffic", parents=parents, help="set a traffic split and tags",
                       description="Set a service's traffic split (REV=PCT ..., LATEST=PCT for "
                       "the latest ready revision) and/or move tags (--tag T=REV).")
    _common(p)
    p.add_argument("split", nargs="*", metavar="REV=PCT", help="e.g. web-00005-abc=90 web-00004-xyz=10")
    p.add_argument("--tag", action="append", default=[], metavar="T=REV",
                   help="point tag T at revision REV (repeatable)")
    p.set_defaults(run=run_traffic)
    p = sub.add_parser("restart", parents=parents, help="restart: a new revision, same template",
                       description="Deploy a new revision with the same template (how Cloud Run "
                       "restarts a service).")
    _common(p)
    p.set_defaults(run=run_restart)


def _pairs(items: list[str], what: str, example: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise StagingError(f"{what} {item!r} is not NAME=VALUE", f"write e.g. {example}")
        out.append((name, value))
    return out


async def _load(backend: Backend, name: str) -> tuple[Service, list[Revision]]:
    run = await backend.run()
    for region in backend.settings.regions:
        try:
            service = await run.get_service(name, region)
        except NotFound:
            continue
        return service, await run.list_revisions(name, region)
    raise StagingError(f"service {name!r} not found in {', '.join(backend.settings.regions)}",
                       "check the name: staging-tui services")


async def run_rollback(args: argparse.Namespace, backend: Backend) -> int:
    service, revisions = await _load(backend, args.service)
    return await _run(args, backend, service, plan_rollback(service, revisions, args.to))


async def run_traffic(args: argparse.Namespace, backend: Backend) -> int:
    split: dict[str, int] = {}
    for rev, pct in _pairs(args.split, "split", "web-00005-abc=90 web-00004-xyz=10"):
        if not pct.isdigit():
            raise StagingError(f"split {rev}={pct}: {pct!r} is not a whole percent",
                               "write e.g. web-00005-abc=90")
        split[rev] = int(pct)
    tags = dict(_pairs(args.tag, "--tag", "--tag canary=web-00005-abc"))
    if not split and not tags:
        raise StagingError("traffic: nothing to change",
                           "give REV=PCT pairs and/or --tag T=REV")
    service, revisions = await _load(backend, args.service)
    return await _run(args, backend, service, plan_traffic(service, revisions, split, tags))


async def run_restart(args: argparse.Namespace, backend: Backend) -> int:
    service, _ = await _load(backend, args.service)
    return await _run(args, backend, service, plan_restart(service, datetime.now(UTC)))


def _progress_text(p: ActionProgress) -> str:
    return {
        ActionStage.SENT: f"operation {p.operation} started",
        ActionStage.CREATING: f"revision {p.revision} creating",
        ActionStage.READY: f"revision {p.revision} ready",
        ActionStage.ROUTING: "traffic moving",
        ActionStage.DONE: "traffic moved",
        ActionStage.FAILED: f"failed: {p.message}",
    }[p.stage]


async def _run(args: argparse.Namespace, backend: Backend, service: Service,
               plan: ActionPlan) -> int:
    s = backend.settings
    print(preview_plain(plan, service.latest_ready_revision, environment=s.environment), end="")
    refused = guard(args, s, plan.service, "service", "nothing was changed")
    if refused is not None:
        return refused
    actions = await backend.run_actions()
    done = await run_recorded(backend, audit_fields(plan),
                              lambda progress: actions.apply(plan, progress), _progress_text)
    if done is None:
        return 1
    shares = ", ".join(
        f"{t.percent}% {'LATEST' if t.latest else t.revision}" + (f" (tag {t.tag})" if t.tag else "")
        for t in done.traffic)
    print(f"done: {done.name} serves {shares} (latest ready {done.latest_ready_revision})")
    return 0
