"""Secrets -> table cells, version lines, audit checklist lines, and payload previews.

Values are only ever turned into text by `payload_text` (explicit reveal) and
`masked`; nothing else here sees a payload's bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from staging_tui.domain import Finding, Level, Secret, SecretPayload, SecretVersion, VersionState
from staging_tui.render.services import age

COLUMNS = ("name", "latest enabled", "versions", "used by", "created", "labels", "replication")
MASK = "••••••••"
MARK = {Level.OK: "✓", Level.INFO: "i", Level.WARNING: "!", Level.ERROR: "✗"}
STATE_MARK = {VersionState.ENABLED: "enabled", VersionState.DISABLED: "disabled",
              VersionState.DESTROYED: "destroyed", VersionState.UNKNOWN: "unknown"}


def version_states(secret: Secret) -> str:
    """'3: 1 enabled, 1 disabled, 1 destroyed' (counts by state, in that order)."""
    if not secret.versions:
        return "0"
    counts = {state: 0 for state in VersionState}
    for v in secret.versions:
        counts[v.state] += 1
    parts = [f"{n} {state.value}" for state, n in counts.items() if n]
    return f"{len(secret.versions)}: {', '.join(parts)}"


def labels_text(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "-"


def secret_row(secret: Secret, users: Sequence[str] = (), now: datetime | None = None
               ) -> tuple[str, ...]:
    latest = secret.latest_enabled
    if not secret.versions_known:
        enabled, states = "·", "not loaded"
    elif secret.versions_error:
        enabled, states = "?", secret.versions_error.split(":", 1)[0].lower()
    else:
        enabled = latest.version if latest is not None else "none"
        states = version_states(secret)
    return (
        secret.name,
        enabled,
        states,
        ", ".join(users) or _label_user(secret),
        age(secret.create_time, now),
        labels_text(secret.labels),
        secret.replication,
    )


def _label_user(secret: Secret) -> str:
    """Secrets used outside Cloud Run say so with a `used-by` label (e.g. cloudsql)."""
    who = secret.labels.get("used-by", "")
    return f"({who})" if who else "-"


def version_row(version: SecretVersion, now: datetime | None = None) -> tuple[str, ...]:
    destroyed = f"destroyed {age(version.destroy_time, now)}" if version.destroy_time else ""
    return (version.version, STATE_MARK[version.state], age(version.create_time, now), destroyed)


def filter_secrets(secrets: Iterable[Secret], text: str,
                   users: Mapping[str, Sequence[str]] | None = None) -> list[Secret]:
    """Case-insensitive substring on name, labels and users; empty keeps everything."""
    needle = text.strip().lower()
    if not needle:
        return list(secrets)
    users = users or {}
    out = []
    for s in secrets:
        hay = " ".join((s.name, labels_text(s.labels), " ".join(users.get(s.name, ())))).lower()
        if needle in hay:
            out.append(s)
    return out


def is_text(data: bytes) -> bool:
    """Printable UTF-8 (tabs and newlines allowed) -> shown as text; else as binary."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def payload_text(payload: SecretPayload, width: int = 64) -> str:
    """The revealed value: text as is, binary as size + hex dump head + base64."""
    data = payload.data
    if is_text(data):
        return data.decode("utf-8")
    head = data[:32]
    hexed = " ".join(f"{b:02x}" for b in head) + (" …" if len(data) > len(head) else "")
    b64 = base64.b64encode(data).decode()
    if len(b64) > width * 4:
        b64 = b64[: width * 4] + "…"
    return f"binary, {len(data)} bytes\nhex:    {hexed}\nbase64: {b64}"


def masked(payload_size: int | None = None) -> str:
    """What stands in for a value; the size is not a secret but is optional."""
    return MASK if payload_size is None else f"{MASK}  ({payload_size} bytes)"


def checklist_line(finding: Finding) -> str:
    """'✗ secret-key-staging is missing' — the title with its mark."""
    return f"{MARK[finding.level]} {finding.title}"


def checklist(findings: Iterable[Finding]) -> list[str]:
    """Lines for text output: mark + title, then indented evidence and fix."""
    lines = []
    for f in findings:
        lines.append(checklist_line(f))
        if f.evidence and f.level is not Level.OK:
            lines.append(f"    {f.evidence}")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    return lines


def audit_summary(findings: Sequence[Finding]) -> str:
    counts = {level: sum(1 for f in findings if f.level is level) for level in Level}
    return (f"{counts[Level.OK]} ok, {counts[Level.ERROR]} errors, "
            f"{counts[Level.WARNING]} warnings, {counts[Level.INFO]} notes")
