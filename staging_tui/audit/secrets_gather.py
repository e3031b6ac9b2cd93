"""The doctor's secrets area: runs the secrets audit (audit/secrets_audit.py, issue 3)
over the Secret Manager listing and passes its findings on; and reads DB passwords
from Secret Manager for the database area. The adapter is reached through the
runner's DoctorBackend protocol (its SecretReader port), since audit/ may not import gcp/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from staging_tui.audit import secrets_audit
from staging_tui.audit.checks.registry import check
from staging_tui.domain import Finding, Level, Secret, Workload

if TYPE_CHECKING:
    from staging_tui.audit.runner import DoctorBackend

# The secrets audit's check ids, declared here for the checklist and docs/doctor.md.
OK = check("secrets.ok", "secrets", "Required and referenced secrets usable",
           "Each secret the profile requires or a service references exists (with the "
           "naming suffix) and has an enabled version that its references can read.", "")
MISSING = check("secrets.missing", "secrets", "No missing secrets",
                "A required or referenced secret does not exist.",
                'echo -n "$VALUE" | gcloud secrets create NAME --data-file=- --project=PROJECT')
SUFFIX = check("secrets.suffix", "secrets", "Secrets carry the staging suffix",
               "Only the production-named twin exists (found gemini-api-key, expected "
               "gemini-api-key-staging).",
               'echo -n "$VALUE" | gcloud secrets create NAME-staging --data-file=-')
NO_ENABLED = check("secrets.no-enabled-version", "secrets", "Every used secret has an enabled "
                   "version", "All versions of a used secret are disabled or destroyed.",
                   "gcloud secrets versions enable VERSION --secret=NAME")
LATEST_DISABLED = check("secrets.latest-disabled", "secrets", "latest is readable",
                        "A reference reads `latest` but the newest version is disabled.",
                        "gcloud secrets versions enable VERSION --secret=NAME (or add a version)")
PINNED = check("secrets.pinned-unusable", "secrets", "Pinned versions usable",
               "A service pins a version that is disabled, destroyed or missing.",
               "gcloud run services update SERVICE --update-secrets=VAR=NAME:VERSION")
PRODUCTION = check("secrets.production-named", "secrets", "No production-named secrets in "
                   "staging", "A staging service references a secret without the suffix.",
                   "create NAME-staging and repoint the service's env var to it")
UNUSED = check("secrets.unused", "secrets", "No unused secrets (note)",
               "Nobody references the secret and the profile does not require it.",
               "gcloud secrets delete NAME, or label it used-by=WHO")


async def gather_secret_findings(backend: DoctorBackend,
                                 services: Callable[[], Awaitable[list[Workload]]]
                                 ) -> tuple[list[Finding], dict[str, str]]:
    s = backend.settings
    adapter = await backend.secrets()
    names: list[Secret] = await adapter.list_secrets(with_versions=False)  # one call
    data = secrets_audit.audit_input(
        s.project, s.secret_suffix, s.required_secrets, await services(),
        tuple(i.password_secret for i in s.sql_instances if i.password_secret), names)
    # versions only of the secrets someone uses: one read call each, not one per secret
    needed = set(secrets_audit.needed_secrets(data))
    filled = iter(await adapter.fill_versions([x for x in names if x.name in needed]))
    listed = [next(filled) if x.name in needed else x for x in names]
    findings = secrets_audit.audit_secrets(data, listed)
    usable = [f for f in findings if f.level is Level.OK]
    others = [f for f in findings if f.level is not Level.OK]
    return others, {OK.id: f"{len(usable)} secrets checked, of {len(listed)} in the project"}


async def secret_reader(backend: DoctorBackend) -> Callable[[str], Awaitable[str]] | None:
    """A function reading a secret's latest value as text."""
    adapter = await backend.secrets()

    async def read(name: str) -> str:
        payload = await adapter.access(name, "latest")
        return str(payload.data.decode("utf-8", errors="replace"))

    return read
