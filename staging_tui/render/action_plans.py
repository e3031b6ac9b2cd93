"""Incident actions planned before they run: roll back, traffic split, tags, back to latest,
restart, pin a secret version / change an env var, undo. Pure: domain objects in, an
`ActionPlan` (the exact change + the equivalent gcloud command) and its preview text out.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.text import Text

from staging_tui.domain import (
    ActionKind,
    ActionPlan,
    Readiness,
    Revision,
    SecretRef,
    Service,
    TemplateChange,
    TrafficTarget,
)
from staging_tui.errors import StagingError

RESTART_LABEL = "staging-tui-restarted-at"
_SENSITIVE = re.compile(r"KEY|SECRET|TOKEN|PASSW|CREDENTIAL|PRIVATE", re.IGNORECASE)


class PlanError(StagingError):
    """The action cannot be planned as asked (unknown revision, split not 100, ...)."""


def serving(service: Service) -> dict[str, int]:
    """Percent of traffic per revision now (LATEST resolved to the latest ready one)."""
    out: dict[str, int] = {}
    for t in service.traffic:
        rev = service.latest_ready_revision if t.latest else t.revision
        if rev and t.percent:
            out[rev] = out.get(rev, 0) + t.percent
    return out


def _gcloud(verb: str, service: Service, *flags: str) -> str:
    parts = ["gcloud", "run", "services", verb, service.name, "--project", service.project,
             "--region", service.region, *flags]
    return " ".join(shlex.quote(p) for p in parts)


def _keep_tags(service: Service, moved: Mapping[str, str] | None = None) -> list[TrafficTarget]:
    """The tagged targets of `service` at 0%, so a traffic change keeps its tag URLs
    (as `gcloud run services update-traffic` does); tags in `moved` are dropped."""
    moved = moved or {}
    return [TrafficTarget(t.revision, 0, t.tag, t.latest) for t in service.traffic
            if t.tag and t.tag not in moved]


def rollback_target(service: Service, revisions: Sequence[Revision]) -> str:
    """The revision a roll back goes to: when traffic follows LATEST past a newer revision
    that failed (or is deploying), the last Ready one (pinned, so it stops following);
    otherwise the newest Ready revision older than the one serving most traffic now."""
    follows_latest = any(t.latest and t.percent for t in service.traffic)
    if follows_latest and service.rollout_pending and service.latest_ready_revision:
        return service.latest_ready_revision
    now = serving(service)
    if not now:
        raise PlanError(f"{service.name}: no revision serves traffic",
                        "choose the revision: rollback --to REVISION")
    current = max(now, key=lambda r: (now[r], r))
    older = sorted((r for r in revisions if r.name < current and
                    r.readiness is Readiness.READY), key=lambda r: r.name, reverse=True)
    if not older:
        raise PlanError(f"{service.name}: no Ready revision older than {current}",
                        "choose the revision: rollback --to REVISION")
    return older[0].name


def plan_rollback(service: Service, revisions: Sequence[Revision], to: str = "") -> ActionPlan:
    target = to or rollback_target(service, revisions)
    _check_revision(service, revisions, target, ready=True)
    after = (TrafficTarget(target, 100), *_keep_tags(service))
    return _traffic_plan(ActionKind.ROLLBACK, service, after,
                         f"Roll back {service.name}: 100% to {target}",
                         _gcloud("update-traffic", service, "--to-revisions", f"{target}=100"))


def plan_traffic(service: Service, revisions: Sequence[Revision], split: Mapping[str, int],
                 tags: Mapping[str, str] | None = None) -> ActionPlan:
    """A split (revision -> percent; "LATEST" for latest) and/or tags (tag -> revision)."""
    tags = dict(tags or {})
    if split:
        bad = [f"{r}={p}" for r, p in split.items() if not 0 <= p <= 100]
        if bad or sum(split.values()) != 100:
            raise PlanError(f"traffic split {', '.join(f'{r}={p}' for r, p in split.items())} "
                            f"adds up to {sum(split.values())}%",
                            "give percentages from 0 to 100 that add up to 100, e.g. A=90 B=10")
        for rev in split:
            if rev != "LATEST":
                _check_revision(service, revisions, rev, ready=True)
        base = [TrafficTarget("", p, latest=True) if r == "LATEST" else TrafficTarget(r, p)
                for r, p in split.items()]
        base += _keep_tags(service)
    else:
        base = list(service.traffic)
    for tag, rev in tags.items():
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,45}", tag):
            raise PlanError(f"tag {tag!r} is not valid",
                            "use lowercase letters, digits and dashes, starting with a letter")
        _check_revision(service, revisions, rev, ready=False)
        base = [TrafficTarget(t.revision, t.percent, "" if t.tag == tag else t.tag, t.latest)
                for t in base]
        base = [t for t in base if t.percent or t.tag]
        idx = next((i for i, t in enumerate(base) if t.revision == rev and not t.tag), None)
        if idx is None:
            base.append(TrafficTarget(rev, 0, tag))
        else:
            base[idx] = TrafficTarget(rev, base[idx].percent, tag)
    flags: list[str] = []
    if split:
        flags += ["--to-revisions", ",".join(f"{r}={p}" for r, p in split.items())]
    if tags:
        flags += ["--update-tags", ",".join(f"{t}={r}" for t, r in tags.items())]
    what = ", ".join(f"{r} {p}%" for r, p in split.items())
    what += ("; " if what else "") + ", ".join(f"tag {t} -> {r}" for t, r in tags.items())
    return _traffic_plan(ActionKind.TRAFFIC, service, tuple(base),
                         f"Traffic of {service.name}: {what}",
                         _gcloud("update-traffic", service, *flags))


def plan_latest(service: Service) -> ActionPlan:
    after = (TrafficTarget("", 100, latest=True), *_keep_tags(service))
    return _traffic_plan(ActionKind.LATEST, service, after,
                         f"Send 100% of {service.name} to the latest ready revision",
                         _gcloud("update-traffic", service, "--to-latest"))


def plan_undo(previous: ActionPlan, service: Service) -> ActionPlan:
    """The inverse of a traffic change: the traffic it replaced, on the service as it is now."""
    if not previous.changes_traffic:
        raise PlanError("the last action did not change traffic", "nothing to undo")
    flags = ["--to-revisions", ",".join(
        f"{'LATEST' if t.latest else t.revision}={t.percent}"
        for t in previous.traffic_before if t.percent)]
    if any(t.latest and t.percent for t in previous.traffic_before) and len(flags[1].split(",")) == 1:
        flags = ["--to-latest"]
    return _traffic_plan(ActionKind.UNDO, service, previous.traffic_before,
                         f"Undo on {service.name}: {previous.summary}",
                         _gcloud("update-traffic", service, *flags))


def plan_restart(service: Service, now: datetime) -> ActionPlan:
    """A new revision with the same template: Cloud Run restarts by deploying; a changed
    template label is the smallest change that makes one."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    change = TemplateChange("label", RESTART_LABEL, "(its previous value, if any)", stamp)
    return ActionPlan(
        ActionKind.RESTART, service.name, service.project, service.region, service.etag,
        f"Restart {service.name}: a new revision with the same template",
        service.traffic, service.traffic, (change,),
        _gcloud("update", service, "--update-labels", f"{RESTART_LABEL}={stamp}"))


def plan_env(service: Service, name: str, value: str | None = None,
             secret: SecretRef | None = None) -> ActionPlan:
    """Set one env var to a literal or a secret reference (e.g. pin a secret version)."""
    current = next((e for e in service.env if e.name == name), None)
    before = _env_text(name, current.value if current else None,
                       current.secret if current else None) if current else None
    after = _env_text(name, value, secret)
    same = current is not None and (
        current.secret == secret if secret is not None else
        current.secret is None and current.value == value)
    if same:
        raise PlanError(f"{name} is already {after}", "choose another value or version")
    if secret is not None:
        flag = ["--update-secrets", f"{name}={secret.secret}:{secret.version}"]
        what = f"{name} -> secret {secret.secret} version {secret.version}"
    else:
        shown = "VALUE" if _SENSITIVE.search(name) else value  # never print a secret
        flag = ["--update-env-vars", f"{name}={shown}"]
        what = f"{name} -> {after}"
    change = TemplateChange("env", name, before, after, secret, value)
    return ActionPlan(
        ActionKind.ENV, service.name, service.project, service.region, service.etag,
        f"Change {service.name}: {what} (a new revision)", service.traffic, service.traffic,
        (change,), _gcloud("update", service, *flag))


def plan_pin_secret(service: Service, name: str, version: str) -> ActionPlan:
    """Pin (a version number) or unpin ("latest") the secret behind env var `name`."""
    current = next((e for e in service.env if e.name == name), None)
    if current is None or current.secret is None:
        raise PlanError(f"{service.name}: {name} is not a secret reference",
                        "pick an env var shown as secret:NAME@VERSION")
    return plan_env(service, name, secret=SecretRef(current.secret.secret, version,
                                                    current.secret.project))


def _env_text(name: str, value: str | None, secret: SecretRef | None) -> str:
    if secret is not None:
        return secret.display
    if value is None:
        return "(unset)"
    return f"<{len(value)} chars, masked>" if _SENSITIVE.search(name) else repr(value)


def _check_revision(service: Service, revisions: Sequence[Revision], name: str,
                    *, ready: bool) -> None:
    rev = next((r for r in revisions if r.name == name), None)
    if rev is None:
        raise PlanError(f"{service.name} has no revision {name!r}",
                        "use a revision name from the service's detail (Enter on the service)")
    if ready and rev.readiness is not Readiness.READY:
        raise PlanError(f"revision {name} is {rev.readiness.value}, it cannot serve traffic",
                        "choose a Ready revision")


def _traffic_plan(kind: ActionKind, service: Service, after: tuple[TrafficTarget, ...],
                  summary: str, gcloud: str) -> ActionPlan:
    if tuple(after) == service.traffic:
        raise PlanError(f"{service.name}: traffic is already like that", "nothing to change")
    return ActionPlan(kind, service.name, service.project, service.region, service.etag,
                      summary, service.traffic, tuple(after), (), gcloud)


# --------------------------------------------------------------------------- typed input


def parse_traffic_text(text: str) -> tuple[dict[str, int], dict[str, str]]:
    """`REV=PCT ... tag:T=REV ...` (LATEST=PCT for the latest ready) -> split, tags."""
    split: dict[str, int] = {}
    tags: dict[str, str] = {}
    for word in text.replace(",", " ").split():
        is_tag = word.startswith("tag:")
        name, sep, value = word.removeprefix("tag:").partition("=")
        if not sep or not name or not value:
            raise PlanError(f"{word!r} is not REV=PCT or tag:T=REV",
                            "write e.g. web-00005-abc=90 web-00004-xyz=10 tag:canary=web-00005-abc")
        if is_tag:
            tags[name] = value
        elif not value.isdigit():
            raise PlanError(f"{word!r}: {value!r} is not a whole percent", "write e.g. REV=90")
        else:
            split[name] = int(value)
    if not split and not tags:
        raise PlanError("no traffic given", "write e.g. web-00005-abc=90 web-00004-xyz=10")
    return split, tags


def parse_env_text(text: str) -> tuple[str, str | None, str | None]:
    """`NAME=VALUE` (a literal) or `NAME@VERSION` (pin a secret; `@latest` unpins)
    -> (name, value, version)."""
    text = text.strip()
    at, eq = text.find("@"), text.find("=")
    if at > 0 and (eq < 0 or at < eq):
        name, version = text[:at], text[at + 1:]
        if not version or not (version.isdigit() or version == "latest"):
            raise PlanError(f"{text!r}: version {version!r} is not a number or latest",
                            "write e.g. POSTGRES_HOST@3 or POSTGRES_HOST@latest")
        return name, None, version
    if eq > 0:
        return text[:eq], text[eq + 1:], None
    raise PlanError(f"{text!r} is not NAME=VALUE or NAME@VERSION",
                    "write e.g. LOG_LEVEL=DEBUG, or POSTGRES_HOST@3 to pin a secret version")


def traffic_text_of(targets: Sequence[TrafficTarget]) -> str:
    """A split as typed back into the traffic dialog."""
    words = [f"{'LATEST' if t.latest else t.revision}={t.percent}" for t in targets if t.percent]
    words += [f"tag:{t.tag}={t.revision or 'LATEST'}" for t in targets if t.tag and not t.latest]
    return " ".join(words)


# --------------------------------------------------------------------------- audit


def traffic_json(targets: Sequence[TrafficTarget]) -> list[dict[str, object]]:
    return [{"revision": "LATEST" if t.latest else t.revision, "percent": t.percent,
             **({"tag": t.tag} if t.tag else {})} for t in targets]


def audit_fields(plan: ActionPlan) -> dict[str, object]:
    """What the audit trail keeps of a plan (display values only: secrets stay masked)."""
    return {
        "action": plan.kind.value,
        "service": plan.service,
        "summary": plan.summary,
        "traffic_before": traffic_json(plan.traffic_before),
        "traffic_after": traffic_json(plan.traffic_after),
        "template": [{"kind": c.kind, "key": c.key, "before": c.before, "after": c.after}
                     for c in plan.template_changes],
        "gcloud": plan.gcloud,
        "project": plan.project,
        "region": plan.region,
    }


# --------------------------------------------------------------------------- preview


def _target_label(t: TrafficTarget, latest_ready: str) -> str:
    if t.latest:
        return f"LATEST ({latest_ready or '-'})"
    return t.revision


def traffic_diff(plan: ActionPlan, latest_ready: str = "") -> list[tuple[str, str, str, str]]:
    """Rows (target, tag, before %, after %) over both traffic tables, in order."""
    keys: list[tuple[str, str]] = []
    before: dict[tuple[str, str], int] = {}
    after: dict[tuple[str, str], int] = {}
    for table, side in ((plan.traffic_before, before), (plan.traffic_after, after)):
        for t in table:
            key = (_target_label(t, latest_ready), t.tag)
            side[key] = side.get(key, 0) + t.percent
            if key not in keys:
                keys.append(key)
    return [(k[0], k[1], f"{before[k]}%" if k in before else "-",
             f"{after[k]}%" if k in after else "-") for k in keys]


def preview_text(plan: ActionPlan, latest_ready: str = "", *, environment: str = "") -> Text:
    t = Text()
    t.append(plan.summary + "\n", style="bold")
    where = f"project {plan.project} · region {plan.region}"
    t.append(where + (f" · {environment}" if environment else "") + "\n\n")
    if plan.changes_traffic:
        rows = traffic_diff(plan, latest_ready)
        width = max(len(r[0]) for r in rows)
        t.append(f"  {'Traffic'.ljust(width)}  {'tag'.ljust(10)} {'before':>7} {'after':>7}\n",
                 style="bold")
        for target, tag, b, a in rows:
            style = "" if a == b else ("green" if a != "-" and a != "0%" else "red")
            t.append(f"  {target.ljust(width)}  {tag.ljust(10)} {b:>7} {a:>7}\n", style=style)
    else:
        t.append("  Traffic: unchanged (a new revision takes the LATEST share once Ready)\n")
    for change in plan.template_changes:
        t.append(f"  Template {change.kind} {change.key}: ", style="bold")
        t.append(f"{change.before or '(unset)'}", style="red")
        t.append(" → ")
        t.append(f"{change.after or '(removed)'}\n", style="green")
    if plan.creates_revision:
        t.append("  Creates a new revision; if it fails to start, traffic stays where it is.\n")
    t.append("\nEquivalent command:\n", style="bold")
    t.append(f"  {plan.gcloud}\n")
    return t


def preview_plain(plan: ActionPlan, latest_ready: str = "", *, environment: str = "") -> str:
    return preview_text(plan, latest_ready, environment=environment).plain
