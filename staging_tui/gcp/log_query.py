"""The Logging query the console sends (Logging query language), built next to the
adapter that sends it (gcp/logs.py). Pure: no google.* import, so the UI may use it."""

from __future__ import annotations

from staging_tui.domain import Severity


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_filter(service: str = "", revision: str = "", severity: Severity | None = None,
                 extra: str = "", region: str = "", job: str = "",
                 execution: str = "") -> str:
    """The Logging query for a Cloud Run service / revision (or a job / execution, whose
    entries are resource.type "cloud_run_job"), a severity floor and more. `region`
    (resource.labels.location) keeps same-named services of two regions apart."""
    if job:
        parts = ['resource.type="cloud_run_job"', f"resource.labels.job_name={_quote(job)}"]
    else:
        parts = ['resource.type="cloud_run_revision"']
        if service:
            parts.append(f"resource.labels.service_name={_quote(service)}")
    if region:
        parts.append(f"resource.labels.location={_quote(region)}")
    if job and execution:
        parts.append(f'labels."run.googleapis.com/execution_name"={_quote(execution)}')
    if not job and revision:
        parts.append(f"resource.labels.revision_name={_quote(revision)}")
    if severity is not None and severity > Severity.DEFAULT:
        parts.append(f"severity>={severity.name}")
    if extra.strip():
        parts.append(f"({extra.strip()})")
    return " AND ".join(parts)


# Deeper nesting than any hand-written query needs; parsers (the sandbox's, and any
# recursive one) must not be handed 5,000 levels. Cloud Logging's own query limit is
# 20,000 characters (docs: "Logging query language", limits).
MAX_FILTER_DEPTH = 50
MAX_FILTER_CHARS = 20_000


def filter_problem(text: str) -> str:
    """Why the console will not send this Logging query ("" when it will): too long,
    or parentheses nested too deep (counted outside quoted strings)."""
    if len(text) > MAX_FILTER_CHARS:
        return (f"the filter has {len(text):,} characters; Cloud Logging accepts at most "
                f"{MAX_FILTER_CHARS:,}: shorten it")
    depth = deepest = 0
    quoted = escaped = False
    for ch in text:
        if quoted:
            escaped, quoted = (False, True) if escaped else (ch == "\\", ch != '"')
            continue
        if ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth = max(0, depth - 1)
    if deepest > MAX_FILTER_DEPTH:
        return (f"the filter nests parentheses {deepest:,} deep; at most {MAX_FILTER_DEPTH}: "
                "remove the extra parentheses")
    return ""
