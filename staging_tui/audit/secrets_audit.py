"""The required-secrets audit: pure checks over the profile, the services and the secrets.

For each required secret of the profile (plain names such as `jwt-secret-key`,
resolved with the naming suffix: `jwt-secret-key-staging`, as in seed 002's table)
and each secret a Cloud Run service references:

- does it exist (and if not, does it exist only WITHOUT the suffix?),
- does it have an enabled version,
- does a reference pin a disabled/destroyed/missing version, or read `latest` while
  the newest version is disabled,
- is a production-named secret (no suffix) referenced by a staging service,
- and which secrets nobody uses.

OK findings are returned too, so a checklist can show ✓ lines. Each problem carries
the gcloud command that fixes it (seed 002: `... | gcloud secrets create NAME --data-file=-`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from staging_tui.config import Settings
from staging_tui.domain import Finding, Level, Secret, SecretRef, Service, VersionState

AREA = "secrets"
USED_BY_LABEL = "used-by"  # a secret labelled used-by=<who> is used outside Cloud Run


@dataclass(frozen=True, slots=True)
class SecretUse:
    """Who needs a secret: the profile's required list, or a service's env var."""

    secret: str
    version: str = "latest"
    service: str = ""
    env: str = ""
    region: str = ""

    @property
    def who(self) -> str:
        return f"{self.service} ({self.env})" if self.service else "the profile's required_secrets"


@dataclass(frozen=True, slots=True)
class AuditInput:
    project: str
    suffix: str = "-staging"
    required: tuple[str, ...] = ()
    profile_secrets: tuple[str, ...] = ()  # e.g. SQL password_secret: used, not audited as refs
    uses: tuple[SecretUse, ...] = field(default=())


def resolve_name(plain: str, suffix: str) -> str:
    """`jwt-secret-key` -> `jwt-secret-key-staging` (unchanged if it already has the suffix)."""
    return plain if not suffix or plain.endswith(suffix) else plain + suffix


def own_projects(project: str, secrets: Iterable[Secret] = ()) -> frozenset[str]:
    """How this project is named in references: its id, and its number, which Secret
    Manager returns in every secret's name (`projects/NUMBER/secrets/S`) and Terraform /
    Pulumi write into Cloud Run references."""
    return frozenset({project, *(s.project for s in secrets if s.project)} - {""})


def service_uses(services: Iterable[Service], project: str | Collection[str] = ""
                 ) -> list[SecretUse]:
    """Every secret a service uses, by env var or mounted as a volume (refs into another
    project are skipped; `project` may name this project by id and number)."""
    mine = {project} if isinstance(project, str) else set(project)
    mine.discard("")
    out = []
    for svc in services:
        refs: list[tuple[str, SecretRef]] = [(v.name, v.secret) for v in svc.env
                                             if v.secret is not None]
        refs += [(f"volume {v.volume}", v.secret) for v in svc.secret_volumes]
        for where, ref in refs:
            if ref.project and mine and ref.project not in mine:
                continue
            out.append(SecretUse(ref.secret, ref.version or "latest", svc.name, where,
                                 svc.region))
    return out


def secret_users(services: Iterable[Service], project: str | Collection[str] = ""
                 ) -> dict[str, list[str]]:
    """secret name -> the services referencing it (sorted, unique): the "used by" column."""
    users: dict[str, set[str]] = {}
    for use in service_uses(services, project):
        users.setdefault(use.secret, set()).add(use.service)
    return {name: sorted(names) for name, names in users.items()}


def audit_input(project: str, suffix: str, required: Sequence[str], services: Iterable[Service],
                profile_secrets: Sequence[str] = (), secrets: Iterable[Secret] = ()
                ) -> AuditInput:
    """`secrets` (as listed) tell the project's number: references by number count."""
    required_uses = [SecretUse(resolve_name(r, suffix)) for r in required]
    return AuditInput(project, suffix, tuple(required), tuple(profile_secrets),
                      (*required_uses,
                       *service_uses(services, own_projects(project, secrets))))


def needed_secrets(data: AuditInput) -> list[str]:
    """The secrets whose versions the audit reads: referenced by a service first, then the
    required list and the profile's own (SQL passwords); unique, in that order."""
    by_service = [u.secret for u in data.uses if u.service]
    required = [u.secret for u in data.uses if not u.service]
    return list(dict.fromkeys([*by_service, *required, *data.profile_secrets]))


def audit_profile(settings: Settings, services: Iterable[Service], secrets: Iterable[Secret]
                  ) -> list[Finding]:
    """The audit as the profile defines it (required list, suffix, SQL password secrets)."""
    sql = [i.password_secret for i in settings.sql_instances if i.password_secret]
    secrets = list(secrets)
    data = audit_input(settings.project, settings.secret_suffix, settings.required_secrets,
                       services, sql, secrets)
    return audit_secrets(data, secrets)


# ---------------------------------------------------------------------- fixes


def create_fix(name: str, project: str) -> str:
    return f'echo -n "$VALUE" | gcloud secrets create {name} --data-file=- --project={project}'


def add_version_fix(name: str, project: str) -> str:
    return f'echo -n "$VALUE" | gcloud secrets versions add {name} --data-file=- --project={project}'


def enable_fix(name: str, version: str, project: str) -> str:
    return f"gcloud secrets versions enable {version} --secret={name} --project={project}"


def repoint_fix(use: SecretUse, secret: str, version: str, project: str) -> str:
    region = f" --region={use.region}" if use.region else ""
    return (f"gcloud run services update {use.service} "
            f"--update-secrets={use.env}={secret}:{version}{region} --project={project}")


# ---------------------------------------------------------------------- the audit


def audit_secrets(data: AuditInput, secrets: Iterable[Secret]) -> list[Finding]:
    """All findings, OK ones included: required and referenced secrets in order of
    first mention, then production-named references, then unused secrets."""
    by_name = {s.name: s for s in secrets}
    uses: dict[str, list[SecretUse]] = {}
    for use in data.uses:
        uses.setdefault(use.secret, []).append(use)
    findings: list[Finding] = []
    twins: set[str] = set()
    for name, wanted in uses.items():
        secret = by_name.get(name)
        if secret is None:
            findings.append(_missing(name, wanted, data, by_name, twins))
        else:
            findings.extend(_usable(secret, wanted, data.project))
    findings.extend(_production_named(data))
    findings.extend(_unused(by_name, uses, data, twins))
    return findings


def failed(findings: Iterable[Finding]) -> bool:
    """True when a required or referenced secret is missing or unusable."""
    return any(f.level is Level.ERROR for f in findings)


def _evidence(wanted: Sequence[SecretUse], data: AuditInput) -> str:
    parts = []
    for use in wanted:
        if not use.service:
            plain = next((r for r in data.required if resolve_name(r, data.suffix) == use.secret),
                         use.secret)
            how = f" ({plain} + {data.suffix})" if plain != use.secret else ""
            parts.append(f"required by the profile{how}")
        else:
            parts.append(f"{use.service} {use.env}={use.secret}:{use.version}")
    return "; ".join(parts)


def _missing(name: str, wanted: list[SecretUse], data: AuditInput, by_name: Mapping[str, Secret],
             twins: set[str]) -> Finding:
    suffix = data.suffix
    if suffix and name.endswith(suffix) and name[: -len(suffix)] in by_name:
        plain = name[: -len(suffix)]
        twins.add(plain)
        return Finding(
            "secrets.suffix", AREA, Level.ERROR, f"found {plain}, expected {name}",
            evidence=f"{_evidence(wanted, data)}; only {plain} (no {suffix} suffix) exists "
            "— staging secrets are separate from production",
            fix=create_fix(name, data.project), target=name)
    return Finding("secrets.missing", AREA, Level.ERROR, f"{name} is missing",
                   evidence=_evidence(wanted, data), fix=create_fix(name, data.project),
                   target=name)


def _usable(secret: Secret, wanted: list[SecretUse], project: str) -> list[Finding]:
    name = secret.name
    enabled = secret.latest_enabled
    if enabled is None:
        disabled = [v for v in secret.versions if v.state is VersionState.DISABLED]
        newest = max(disabled, key=lambda v: int(v.version), default=None)
        fix = (enable_fix(name, newest.version, project) if newest is not None
               else add_version_fix(name, project))
        states = ", ".join(f"v{v.version} {v.state.value}" for v in secret.versions) or "none"
        return [Finding("secrets.no-enabled-version", AREA, Level.ERROR,
                        f"{name} has no enabled version",
                        evidence=f"versions: {states}", fix=fix, target=name)]
    out: list[Finding] = []
    latest = secret.latest
    readers = [u for u in wanted if u.version == "latest"]
    if readers and latest is not None and latest.state is not VersionState.ENABLED:
        who = ", ".join(u.who for u in readers)
        out.append(Finding(
            "secrets.latest-disabled", AREA, Level.ERROR,
            f"{name}: latest (version {latest.version}) is {latest.state.value}",
            evidence=f"read as latest by {who}; newest enabled is version {enabled.version}",
            fix=enable_fix(name, latest.version, project)
            if latest.state is VersionState.DISABLED else add_version_fix(name, project),
            target=name))
    for use in wanted:
        if use.version == "latest":
            continue
        pinned = secret.version(use.version)
        if pinned is None or pinned.state is not VersionState.ENABLED:
            state = "missing" if pinned is None else pinned.state.value
            fix = (enable_fix(name, use.version, project)
                   if pinned is not None and pinned.state is VersionState.DISABLED
                   else repoint_fix(use, name, enabled.version, project))
            out.append(Finding(
                "secrets.pinned-unusable", AREA, Level.ERROR,
                f"{use.service or 'the profile'} pins {name} version {use.version}, "
                f"which is {state}",
                evidence=f"{use.who}; newest enabled is version {enabled.version}",
                fix=fix, target=name))
    if not out:
        users = ", ".join(sorted({u.service for u in wanted if u.service})) or "the profile"
        out.append(Finding("secrets.ok", AREA, Level.OK,
                           f"{name}: version {enabled.version} enabled",
                           evidence=f"used by {users}", target=name))
    return out


def _production_named(data: AuditInput) -> list[Finding]:
    if not data.suffix:
        return []
    out = []
    for use in data.uses:
        if use.service and not use.secret.endswith(data.suffix):
            staged = resolve_name(use.secret, data.suffix)
            out.append(Finding(
                "secrets.production-named", AREA, Level.WARNING,
                f"{use.service} references production-named secret {use.secret}",
                evidence=f"{use.env}={use.secret}:{use.version}; staging secrets end in "
                f"{data.suffix}",
                fix=f"{create_fix(staged, data.project)}  &&  "
                f"{repoint_fix(use, staged, 'latest', data.project)}",
                target=use.secret))
    return out


def _unused(by_name: Mapping[str, Secret], uses: Mapping[str, list[SecretUse]],
            data: AuditInput, twins: set[str]) -> list[Finding]:
    used = set(uses) | set(data.profile_secrets) | twins
    out = []
    for name in sorted(by_name):
        secret = by_name[name]
        if name in used or secret.labels.get(USED_BY_LABEL):
            continue
        out.append(Finding(
            "secrets.unused", AREA, Level.INFO, f"{name} is not used",
            evidence="no Cloud Run service references it and the profile does not require it",
            fix=f"if nothing else reads it: gcloud secrets delete {name} --project={data.project}"
            f"   (or label it: gcloud secrets update {name} --update-labels={USED_BY_LABEL}=WHO)",
            target=name))
    return out
