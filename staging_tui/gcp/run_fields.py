"""Cloud Run Admin API v2 reads that services (gcp/run.py) and jobs (gcp/jobs.py)
share: every page of a List call, timestamps, conditions with their reasons, containers
with their env and secret references. Read from the raw protobuf, as both adapters do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.api_core import retry_async
from google.cloud import run_v2

from staging_tui.domain import Condition, ConditionState, Container, EnvVar, SecretRef
from staging_tui.gcp.api_errors import mapped, transient

T = TypeVar("T")
PAGE_SIZE = 500
# Reads retry transient UNAVAILABLE briefly, then surface the error in the pane (whose
# own auto-refresh backs off) instead of the library's default of a long silent retry.
# An UNAVAILABLE from the auth plugin (expired ADC) is not transient: never retried.
READ_RETRY = retry_async.AsyncRetry(
    initial=0.1, maximum=1.0, multiplier=2.0, timeout=3.0, predicate=transient,
)



async def list_all(list_call: Callable[..., Awaitable[Any]], request_type: Any, parent: str,
                   field: str, convert: Callable[[Any], T]) -> list[T]:
    """Every page of a List call under `parent` (PAGE_SIZE a page, READ_RETRY), each item
    of the raw response's `field` converted; errors mapped with `parent` as the resource."""
    out: list[T] = []
    async with mapped(parent):
        pager = await list_call(request=request_type(parent=parent, page_size=PAGE_SIZE),
                                retry=READ_RETRY)
        async for response in pager.pages:
            out.extend(convert(pb) for pb in getattr(type(response).pb(response), field))
    return out


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
