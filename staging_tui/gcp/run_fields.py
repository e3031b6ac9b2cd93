"""Cloud Run Admin API v2 fields that services (gcp/run.py) and jobs (gcp/jobs.py)
share: timestamps, conditions with their reasons, containers with their env and secret
references. Read from the raw protobuf, as both adapters do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud import run_v2

from staging_tui.domain import Condition, ConditionState, Container, EnvVar, SecretRef

CONDITION_STATE = {
    1: ConditionState.PENDING,
    2: ConditionState.RECONCILING,
    3: ConditionState.FAILED,
    4: ConditionState.SUCCEEDED,
}


def timestamp(ts: Any) -> datetime | None:
    """A protobuf Timestamp as an aware datetime; unset (0) is None."""
    if not ts.seconds and not ts.nanos:
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC)


_REASONS: dict[str, Any] = {
    "reason": run_v2.Condition.CommonReason,
    "revision_reason": run_v2.Condition.RevisionReason,
    "execution_reason": run_v2.Condition.ExecutionReason,
}


def enum_name(enum: Any, value: int) -> str:
    """An enum value's name; a value this library does not know yet (a newer API)
    reads as e.g. "RevisionReason(999)" instead of raising ValueError."""
    try:
        return str(enum(value).name)
    except ValueError:
        return f"{enum.__name__}({value})"


def _reason(c: Any) -> str:
    """The condition's reason, whichever of the `reasons` oneof is set."""
    which = c.WhichOneof("reasons")
    value = getattr(c, which) if which else 0
    return enum_name(_REASONS[which], value) if which and value else ""


def conditions_from_pb(raw: Any) -> tuple[Condition, ...]:
    """Cloud Run conditions (services, revisions, jobs, executions) -> domain."""
    return tuple(
        Condition(
            type=c.type_,
            state=CONDITION_STATE.get(c.state, ConditionState.UNKNOWN),
            message=c.message,
            reason=_reason(c),
            severity=enum_name(run_v2.Condition.Severity, c.severity) if c.severity else "",
            last_transition=timestamp(c.last_transition_time),
        )
        for c in raw
    )


def secret_ref(secret: str, version: str) -> SecretRef:
    """A reference as Cloud Run holds it: `NAME`, or `projects/P/secrets/NAME` (P an id or,
    as Terraform and Pulumi write it, the project number)."""
    project = ""
    if secret.startswith("projects/"):
        parts = secret.split("/")
        project, secret = parts[1], parts[-1]
    return SecretRef(secret, version or "latest", project)


def containers_from_pb(raw: Any) -> tuple[Container, ...]:
    """Containers of a service/revision template or of a job's task template."""
    out = []
    for c in raw:
        env = []
        for e in c.env:
            if e.HasField("value_source"):
                ref = e.value_source.secret_key_ref
                env.append(EnvVar(e.name, secret=secret_ref(ref.secret, ref.version)))
            else:
                env.append(EnvVar(e.name, e.value))
        limits = c.resources.limits
        out.append(Container(
            name=c.name,
            image=c.image,
            env=tuple(env),
            cpu=limits.get("cpu", ""),
            memory=limits.get("memory", ""),
            ports=tuple(p.container_port for p in c.ports),
        ))
    return tuple(out)
