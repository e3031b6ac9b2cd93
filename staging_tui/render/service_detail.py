"""A service's detail as Rich text: summary, conditions, containers and flagged env vars."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from staging_tui.domain import ConditionState, Revision, Service
from staging_tui.env_rules import env_flags
from staging_tui.render.services import STATUS, age, short_revision, traffic_text

_COND_STYLE = {
    ConditionState.SUCCEEDED: ("✓", "green"),
    ConditionState.FAILED: ("✗", "red"),
    ConditionState.PENDING: ("◌", "yellow"),
    ConditionState.RECONCILING: ("◌", "yellow"),
    ConditionState.UNKNOWN: ("?", "grey50"),
}


def summary_text(s: Service, now: datetime | None = None) -> Text:
    symbol, label, colour = STATUS[s.readiness]
    t = Text()
    t.append(f"{s.name}  ", style="bold")
    t.append(f"{symbol} {label}\n", style=f"bold {colour}")
    rows = [
        ("URL", s.uri or "-"),
        ("Region", f"{s.region}   project {s.project}"),
        ("Serving", f"{s.latest_ready_revision or '-'}   traffic: {traffic_text(s)}"),
    ]
    if s.rollout_pending:
        rows.append(("Newest", f"{s.latest_created_revision}  (not serving: rollout "
                               f"{'failed' if s.readiness.value == 'Failed' else 'in progress'})"))
    rows += [
        ("Scaling", f"min {s.min_instances} / max {s.max_instances} instances"),
        ("Ingress", s.ingress + ("   public (allUsers invoker)" if s.invoker_iam_disabled else "")),
        ("Account", s.service_account or "-"),
        ("Modified", f"{age(s.update_time, now)} by {s.last_modifier or '-'}"),
        ("Labels", ", ".join(f"{k}={v}" for k, v in sorted(s.labels.items())) or "-"),
    ]
    for key, value in rows:
        t.append(f"  {key:<9}", style="dim")
        t.append(f"{value}\n")
    return t


def conditions_text(s: Service) -> Text:
    t = Text()
    t.append("Conditions\n", style="bold underline")
    for c in s.conditions:
        symbol, colour = _COND_STYLE[c.state]
        t.append(f"  {symbol} {c.type:<20}", style=colour)
        t.append(c.state.value)
        if c.reason:
            t.append(f"  ({c.reason})", style="dim")
        t.append("\n")
        if c.message:
            t.append(f"      {c.message}\n", style="red" if c.state is ConditionState.FAILED
                     else "")
    if not s.conditions:
        t.append("  (none reported)\n", style="dim")
    return t


def containers_text(s: Service) -> Text:
    t = Text()
    for c in s.containers:
        t.append(f"Container {c.name}\n", style="bold underline")
        t.append(f"  image    {c.image}\n")
        t.append(f"  limits   cpu {c.cpu or '-'}, memory {c.memory or '-'}"
                 f"   ports {', '.join(map(str, c.ports)) or '-'}\n")
        t.append("  env\n" if c.env else "  env      (none)\n")
        width = max((len(v.name) for v in c.env), default=0)
        for var in c.env:
            t.append(f"    {var.name:<{width}}  ", style="bold")
            if var.secret is not None:
                t.append(var.secret.display, style="magenta")
            else:
                t.append(var.value or '""')
            for flag in env_flags(var):
                t.append(f"  ⚠ {flag.message}", style="bold yellow")
            t.append("\n")
    return t


def revision_cells(rev: Revision, s: Service, now: datetime | None = None) -> tuple[str, ...]:
    symbol, label, _ = STATUS[rev.readiness]
    percent = sum(t.percent for t in s.traffic
                  if t.revision == rev.name or (t.latest and rev.name == s.latest_ready_revision))
    tags = ", ".join(t.tag for t in s.traffic if t.revision == rev.name and t.tag)
    return (
        short_revision(s.name, rev.name),
        f"{symbol} {label}",
        f"{percent}%" if percent else "",
        tags,
        age(rev.create_time, now),
        rev.failure_message.split(". ")[0][:80],
    )


REVISION_COLUMNS = ("Revision", "Status", "Traffic", "Tag", "Created", "Message")
