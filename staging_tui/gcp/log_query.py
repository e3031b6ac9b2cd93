"""The Logging query the console sends (Logging query language), built next to the
adapter that sends it (gcp/logs.py). Pure: no google.* import, so the UI may use it."""

from __future__ import annotations

from staging_tui.domain import Severity


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_filter(service: str = "", revision: str = "", severity: Severity | None = None,
                 extra: str = "") -> str:
    """The Logging query for a Cloud Run service / revision, a severity floor and more."""
    parts = ['resource.type="cloud_run_revision"']
    if service:
        parts.append(f"resource.labels.service_name={_quote(service)}")
    if revision:
        parts.append(f"resource.labels.revision_name={_quote(revision)}")
    if severity is not None and severity > Severity.DEFAULT:
        parts.append(f"severity>={severity.name}")
    if extra.strip():
        parts.append(f"({extra.strip()})")
    return " AND ".join(parts)
