"""One exception hierarchy. Each error carries a user-facing message and the fix.

Nothing here may hold a secret value: messages are shown on screen, printed by the
CLI and may end up in bug reports.
"""

from __future__ import annotations


class StagingError(Exception):
    """Base of every error we show to a user: what went wrong and how to fix it."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class ConfigError(StagingError):
    """A configuration file (or override) is wrong; names the file and the key."""

    def __init__(self, file: str, key: str, problem: str, fix: str) -> None:
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}", fix)
        self.file = file
        self.key = key
        self.problem = problem


class UsageError(StagingError):
    """What the user typed or pointed at is wrong (an option, a file): exit code 2."""


class CredentialsError(StagingError):
    """Application Default Credentials are missing, expired or unusable."""


ADC_FIX = "run: gcloud auth application-default login   (gcloud auth login alone is not enough)"


class ApiError(StagingError):
    """A Google API call failed. `code` is the canonical gRPC status name."""

    code = "UNKNOWN"

    def __init__(self, message: str, fix: str = "", *, resource: str = "") -> None:
        super().__init__(message, fix)
        self.resource = resource


class PermissionDenied(ApiError):
    code = "PERMISSION_DENIED"


class NotFound(ApiError):
    code = "NOT_FOUND"


class Unavailable(ApiError):
    code = "UNAVAILABLE"


class InvalidArgument(ApiError):
    code = "INVALID_ARGUMENT"


class FailedPrecondition(ApiError):
    code = "FAILED_PRECONDITION"


class ResourceExhausted(ApiError):
    code = "RESOURCE_EXHAUSTED"


class QuotaExceeded(ResourceExhausted):
    """A per-minute rate quota of the project is spent (Google's RATE_LIMIT_EXCEEDED).

    `quota` names it ("Logging read quota"), `limit` is its calls per minute (0 when
    Google did not say), `retry_after` Google's RetryInfo delay in seconds, if given.
    """

    def __init__(self, message: str, fix: str = "", *, resource: str = "", quota: str = "",
                 limit: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message, fix, resource=resource)
        self.quota = quota
        self.limit = limit
        self.retry_after = retry_after


class AlreadyExists(ApiError):
    code = "ALREADY_EXISTS"


class ServiceDisabled(ApiError):
    """The API is not enabled on the project: the fix names the API to enable."""

    code = "SERVICE_DISABLED"


class DeadlineExceeded(ApiError):
    code = "DEADLINE_EXCEEDED"


class InternalError(ApiError):
    code = "INTERNAL"


class ConcurrentModification(ApiError):
    """The resource changed since it was read (etag mismatch, ABORTED): nothing was written."""

    code = "ABORTED"


class OperationFailed(ApiError):
    """A long-running operation ended with an error: Google's reason and the operation."""

    def __init__(self, message: str, fix: str = "", *, resource: str = "", operation: str = "",
                 code: str = "UNKNOWN") -> None:
        super().__init__(message, fix, resource=resource)
        self.operation = operation
        self.code = code


class TunnelError(StagingError):
    """The Cloud SQL tunnel could not start or lost its instance."""


class QueryError(StagingError):
    """A SQL statement failed; `position` is the 1-based character offset if known."""

    def __init__(self, message: str, fix: str = "", *, position: int | None = None) -> None:
        super().__init__(message, fix)
        self.position = position


class ReadOnlyViolation(StagingError):
    """A write was attempted while the session or profile is read-only."""


class SandboxError(StagingError):
    """The built-in sandbox could not start or a scenario file is wrong."""
