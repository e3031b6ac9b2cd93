"""Map google.api_core exceptions to our error hierarchy, with a fix each."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.rpc import error_details_pb2

from staging_tui import errors

T = TypeVar("T")

_SERVICE = re.compile(r"([a-z0-9.-]+\.googleapis\.com)")

_BY_TYPE: list[tuple[type[Exception], type[errors.ApiError], str]] = [
    (gexc.PermissionDenied, errors.PermissionDenied,
     "ask for an IAM role that grants access, or check the project id"),
    (gexc.NotFound, errors.NotFound, "check the name and the project / region"),
    (gexc.ServiceUnavailable, errors.Unavailable, "retry in a moment (press r)"),
    (gexc.InvalidArgument, errors.InvalidArgument, "check the request (filter syntax, names)"),
    (gexc.FailedPrecondition, errors.FailedPrecondition, "check the resource's state"),
    (gexc.ResourceExhausted, errors.ResourceExhausted, "wait and retry: quota or rate limit"),
    (gexc.AlreadyExists, errors.AlreadyExists, "use another name or the existing resource"),
    (gexc.DeadlineExceeded, errors.DeadlineExceeded, "retry; the API was slow to answer"),
    (gexc.InternalServerError, errors.InternalError, "retry; Google reported an internal error"),
    (gexc.Unauthenticated, errors.PermissionDenied, errors.ADC_FIX),
]


_API_NAMES = {
    "logging.googleapis.com": "Logging", "secretmanager.googleapis.com": "Secret Manager",
    "run.googleapis.com": "Cloud Run Admin", "sqladmin.googleapis.com": "Cloud SQL Admin",
    "monitoring.googleapis.com": "Monitoring",
}
QUOTA_FIX = "wait: per-minute quotas refill at the next minute; the console retries by itself"


def quota_error(exc: gexc.GoogleAPICallError, *, resource: str = ""
                ) -> errors.QuotaExceeded | None:
    """RESOURCE_EXHAUSTED with Google's ErrorInfo (RATE_LIMIT_EXCEEDED ...) -> a message that
    names the quota: "Logging read quota: 60/min for the project, shared with your team"."""
    if exc.reason != "RATE_LIMIT_EXCEEDED":
        return None  # another kind of exhaustion (e.g. too many tail sessions)
    meta = dict(exc.metadata or {})
    service = meta.get("service", "")
    if not service:
        match = _SERVICE.search(exc.message or "")
        service = match.group(1) if match else ""
    api = _API_NAMES.get(service, service.split(".")[0].capitalize() or "API")
    metric = meta.get("quota_metric", "")
    kind = metric.rsplit("/", 1)[-1].replace("_requests", "").replace("_", " ") or "rate"
    try:
        limit = int(meta.get("quota_limit_value", "0"))
    except ValueError:
        limit = 0
    retry_after: float | None = None
    for detail in exc.details or ():
        if isinstance(detail, error_details_pb2.RetryInfo):
            retry_after = detail.retry_delay.ToTimedelta().total_seconds()
    quota = f"{api} {kind} quota"
    per = f"{limit:,}/min" if limit else "per-minute limit reached"
    message = f"{quota}: {per} for the project, shared with your team"
    return errors.QuotaExceeded(message, QUOTA_FIX, resource=resource, quota=quota,
                                limit=limit, retry_after=retry_after)


def map_api_error(exc: Exception, *, resource: str = "") -> errors.StagingError:
    """The StagingError matching a google.api_core / google.auth exception."""
    if isinstance(exc, errors.StagingError):
        return exc
    if isinstance(exc, gexc.ResourceExhausted):
        quota = quota_error(exc, resource=resource)
        if quota is not None:
            return quota
    if isinstance(exc, gexc.RetryError) and isinstance(exc.cause, Exception):
        return map_api_error(exc.cause, resource=resource)
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return errors.CredentialsError(str(exc), errors.ADC_FIX)
    if isinstance(exc, auth_exc.RefreshError):
        return errors.CredentialsError(
            f"Application Default Credentials could not be refreshed: {exc}", errors.ADC_FIX
        )
    message = getattr(exc, "message", None) or str(exc)
    if "SERVICE_DISABLED" in message or "has not been used in project" in message:
        match = _SERVICE.search(message)
        api = match.group(1) if match else "the API"
        return errors.ServiceDisabled(
            f"{api} is not enabled: {message}",
            f"run: gcloud services enable {api}",
            resource=resource,
        )
    for google_type, ours, fix in _BY_TYPE:
        if isinstance(exc, google_type):
            return ours(message, fix, resource=resource)
    if isinstance(exc, gexc.GoogleAPICallError):
        return errors.ApiError(message, "retry, or check the API status", resource=resource)
    return errors.ApiError(f"{type(exc).__name__}: {exc}", "retry", resource=resource)


async def call(fn: Callable[[], Awaitable[T]], *, resource: str = "") -> T:
    """Await `fn()` and re-raise any API failure as our error type."""
    try:
        return await fn()
    except errors.StagingError:
        raise
    except (gexc.GoogleAPIError, auth_exc.GoogleAuthError) as exc:
        raise map_api_error(exc, resource=resource) from None


@asynccontextmanager
async def mapped(resource: str = "") -> AsyncIterator[None]:
    """`async with mapped(name):` re-raises API failures inside as our error type."""
    try:
        yield
    except errors.StagingError:
        raise
    except (gexc.GoogleAPIError, auth_exc.GoogleAuthError) as exc:
        raise map_api_error(exc, resource=resource) from None
