"""Credentials: ADC present and valid, which account, project reachable, APIs enabled."""

from __future__ import annotations

from staging_tui.audit.checks.registry import check
from staging_tui.domain import CredentialsStatus, Finding, Level
from staging_tui.errors import (
    ADC_FIX,
    CredentialsError,
    NotFound,
    PermissionDenied,
    ServiceDisabled,
    StagingError,
)

ADC = check(
    "credentials.adc", "credentials", "Application Default Credentials present and valid",
    "ADC could be loaded and refreshed: not missing, not expired or revoked.", ADC_FIX)
ACCOUNT = check(
    "credentials.account", "credentials", "Account in use",
    "Which account the API calls run as (ADC user or service account).",
    "to act as another account: gcloud auth application-default login (as that user), "
    "or set GOOGLE_APPLICATION_CREDENTIALS to a key file")
PROJECT = check(
    "credentials.project", "credentials", "Project reachable",
    "Listing Cloud Run services of the profile's project succeeded with these credentials.",
    "check the profile's project id, and that your account has roles/run.viewer on it")
API_ENABLED = check(
    "credentials.api-enabled", "credentials", "Required APIs enabled",
    "No call failed with SERVICE_DISABLED; when one does, the finding names the API.",
    "gcloud services enable <api>.googleapis.com --project <project>")


def check_credentials(status: CredentialsStatus) -> list[Finding]:
    if status.sandbox and status.valid:
        return []
    if not status.present:
        return [ADC.found(Level.ERROR, status.error or "no Application Default Credentials found",
                          fix=status.fix or ADC.fix, title="Application Default Credentials missing")]
    if not status.valid:
        return [ADC.found(Level.ERROR, status.error or "ADC could not be refreshed",
                          fix=status.fix or ADC.fix,
                          title="Application Default Credentials expired or revoked")]
    if not status.account:
        return [ACCOUNT.found(Level.INFO, "the credentials do not say which account they are "
                              "(user credentials without an email)", fix="")]
    return []


def account_evidence(status: CredentialsStatus) -> str:
    if status.sandbox:
        return "sandbox token (emulated project)"
    parts = [status.account or "unknown account"]
    if status.project:
        parts.append(f"ADC project {status.project}")
    parts.append(f"quota project {status.quota_project}" if status.quota_project
                 else "no quota project (quota billed to each API's project)")
    return ", ".join(parts)


def check_project(project: str, error: StagingError | None) -> list[Finding]:
    """`error` is what listing the project's services raised (None when it worked)."""
    if error is None or isinstance(error, ServiceDisabled):
        return []
    if isinstance(error, PermissionDenied | NotFound | CredentialsError):
        return [PROJECT.found(Level.ERROR, f"project {project}: {error.message}", target=project,
                              fix=error.fix or PROJECT.fix,
                              title=f"Project {project} not reachable")]
    return []


def check_api_errors(project: str, errors: list[StagingError]) -> list[Finding]:
    """One finding per disabled API named in SERVICE_DISABLED failures."""
    out: dict[str, Finding] = {}
    for err in errors:
        if not isinstance(err, ServiceDisabled):
            continue
        api = err.message.split(" ", 1)[0] if ".googleapis.com" in err.message else "the API"
        if api not in out:
            out[api] = API_ENABLED.found(
                Level.ERROR, err.message, target=api,
                fix=f"gcloud services enable {api} --project {project}",
                title=f"{api} is not enabled on {project}")
    return list(out.values())
