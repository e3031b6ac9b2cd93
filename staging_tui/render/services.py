"""Cloud Run services and revisions -> table cells and detail text."""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from staging_tui.domain import Readiness, Service

STATUS = {
    Readiness.READY: ("✓", "Ready", "green"),
    Readiness.FAILED: ("✗", "Failed", "red"),
    Readiness.DEPLOYING: ("◌", "Deploying", "yellow"),
    Readiness.UNKNOWN: ("?", "Unknown", "grey50"),
}
_REGEX_CHARS = set("^$*+?[](){}|\\")


def age(when: datetime | None, now: datetime | None = None) -> str:
    """'3h ago' style, as k9s shows ages."""
    if when is None:
        return "-"
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    if seconds < 0:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def short_revision(service: str, revision: str) -> str:
    """backend-staging-00004-7db -> 00004-7db (the service name is in the row)."""
    prefix = service + "-"
    return revision[len(prefix):] if revision.startswith(prefix) else revision


def traffic_text(service: Service) -> str:
    """Live traffic (traffic_statuses) when reported, else the intended split."""
    parts = []
    for t in service.live_traffic:
        target = "latest" if t.latest else short_revision(service.name, t.revision)
        tag = f" ({t.tag})" if t.tag else ""
        parts.append(f"{t.percent}% {target}{tag}")
    return ", ".join(parts) or "-"


@functools.lru_cache(maxsize=16)
def _pr_regex(pattern: str) -> re.Pattern[str]:
    regex = re.escape(pattern).replace(r"\{service\}", "(?P<service>.+?)").replace(
        r"\{pr\}", r"(?P<pr>\d+)")
    return re.compile(regex)


def pr_number(name: str, pattern: str = "{service}-pr-{pr}") -> str:
    """The PR number if `name` is a PR environment per the profile's pattern."""
    match = _pr_regex(pattern).fullmatch(name)
    return match.group("pr") if match else ""


def resources_text(service: Service) -> str:
    if not service.containers:
        return "-"
    c = service.containers[0]
    return f"{c.cpu or '-'} / {c.memory or '-'}"


def spans_regions(services: Iterable[Service]) -> bool:
    """More than one region in the listing: rows then name their region."""
    return len({s.region for s in services}) > 1


def row_key(service: Service, multi_region: bool = False) -> str:
    """A table row's key: the name, or name@region when several regions are listed
    (the same name may exist in two regions)."""
    return f"{service.name}@{service.region}" if multi_region else service.name


def service_row(service: Service, now: datetime | None = None,
                multi_region: bool = False) -> tuple[str, ...]:
    """The cells of one services-table row, in COLUMNS order."""
    symbol, label, _ = STATUS[service.readiness]
    created = (
        short_revision(service.name, service.latest_created_revision)
        if service.rollout_pending else ""
    )
    return (
        f"{service.name} · {service.region}" if multi_region else service.name,
        f"{symbol} {label}",
        short_revision(service.name, service.latest_ready_revision) or "-",
        created,
        traffic_text(service),
        f"{(service.last_modifier or '-').split('@')[0]} {age(service.update_time, now)}",
        resources_text(service),
        f"{service.min_instances}-{service.max_instances}",
        service.ingress,
        service.uri.removeprefix("https://") or "-",
    )


COLUMNS: tuple[str, ...] = (
    "Name", "Status", "Ready rev", "Created rev", "Traffic", "Modified",
    "CPU/Mem", "Inst", "Ingress", "URL",
)


def compile_filter(text: str) -> re.Pattern[str] | None:
    """A case-insensitive matcher: regex when it looks like one, else a substring.
    An invalid regex falls back to a literal substring match."""
    text = text.strip()
    if not text:
        return None
    if _REGEX_CHARS & set(text):
        try:
            return re.compile(text, re.IGNORECASE)
        except re.error:
            pass
    return re.compile(re.escape(text), re.IGNORECASE)


def in_profile(services: Iterable[Service], service_filter: str) -> list[Service]:
    """The services the profile's `service_filter` glob admits."""
    if service_filter in ("", "*"):
        return list(services)
    return [s for s in services if fnmatch.fnmatchcase(s.name, service_filter)]


def filter_services(services: Sequence[Service], text: str, pr_pattern: str = "{service}-pr-{pr}"
                    ) -> list[Service]:
    """Services whose name (or `pr:N` / `pr` grouping) matches the filter text."""
    stripped = text.strip()
    if stripped.lower() in {"pr", "pr:*", "prs"}:
        return [s for s in services if pr_number(s.name, pr_pattern)]
    if stripped.lower().startswith("pr:"):
        wanted = stripped[3:]
        return [s for s in services if pr_number(s.name, pr_pattern) == wanted]
    matcher = compile_filter(stripped)
    if matcher is None:
        return list(services)
    return [s for s in services if matcher.search(s.name)]


def group_by_pr(services: Iterable[Service], pr_pattern: str) -> list[tuple[str, list[Service]]]:
    """[("", non-PR services), ("12", [...]), ("7", [...])] — PR groups by number."""
    groups: dict[str, list[Service]] = {"": []}
    for s in services:
        groups.setdefault(pr_number(s.name, pr_pattern), []).append(s)
    ordered = [("", groups.pop(""))]
    ordered += sorted(groups.items(), key=lambda kv: int(kv[0]))
    return ordered
