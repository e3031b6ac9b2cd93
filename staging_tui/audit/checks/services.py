"""Cloud Run services: readiness, rollouts, traffic, env values and security settings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from staging_tui.audit.checks.registry import Check, check, security_level
from staging_tui.domain import (
    EnvVar,
    Finding,
    Level,
    Readiness,
    RegionFailure,
    Revision,
    Service,
)
from staging_tui.env_rules import PLAIN_SECRET_HIDDEN, env_flags, masked_value

READY = check(
    "services.ready", "services", "Every service Ready",
    "The service's terminal Ready condition succeeded.",
    "read the condition message and the revision's logs: staging-tui logs SERVICE --severity ERROR")
ROLLOUT = check(
    "services.rollout", "services", "Latest created revision is the latest ready",
    "A newer revision exists that never became ready: a failed (or stuck) rollout; traffic "
    "stays on the older revision.",
    "fix the cause named in the reason and redeploy (gcloud run deploy SERVICE ...); until "
    "then the latest ready revision keeps serving")
TRAFFIC = check(
    "services.traffic", "services", "Traffic only to ready revisions",
    "A traffic target names a revision that is not ready, so that share of requests fails.",
    "gcloud run services update-traffic SERVICE --to-revisions READY_REVISION=100")
ENV_TEMPLATE = check(
    "services.env-template", "services", "No unresolved templates in env values",
    "An env value still holds a template such as {{ $VAR }} or ${VAR}: the deploy step did "
    "not substitute it, and the app receives the literal text.",
    "set the variable in the deploy pipeline (or the service's env) and redeploy")
ENV_PLACEHOLDER = check(
    "services.env-placeholder", "services", "No placeholder env values",
    "An env value is a placeholder (REPLACE_ME, changeme, your-...-here).",
    "set the real staging value, or reference a secret: --update-secrets VAR=SECRET:latest")
ENV_EMPTY = check(
    "services.env-empty", "services", "No empty env values",
    "An env var is set to the empty string, which usually means a missing value.",
    "gcloud run services update SERVICE --update-env-vars VAR=VALUE (or remove it)")
LOCALHOST = check(
    "services.localhost", "services", "No localhost DB / Redis hosts",
    "A host, URL or DSN points at localhost: inside Cloud Run nothing listens there "
    "(seeds 003/004: REDIS_HOST=localhost).",
    "point it at the real host (Memorystore / Cloud SQL socket) or a secret holding it")
CORS = check(
    "services.cors", "services", "CORS not open to any origin",
    "CORS allows '*': any site can call the API from a browser.",
    "list the allowed origins, e.g. CORS_ORIGINS=https://staging.example.com")
AUTH = check(
    "services.auth-disabled", "services", "Authentication enabled",
    "The app's own authentication is turned off by an env var (AUTH_ENABLED=false ...).",
    "enable it (AUTH_ENABLED=true) and give testers credentials")
PUBLIC = check(
    "services.public-invoker", "services", "Public invoker only where intended",
    "The service allows unauthenticated invocations (allUsers / invoker IAM check off). "
    "A note for a public site; a warning (error when protected) when the app's own auth is "
    "also off, as in seed 001.",
    "gcloud run services remove-iam-policy-binding SERVICE --member=allUsers "
    "--role=roles/run.invoker   (and: gcloud run services update SERVICE --invoker-iam-check)")
PLAIN_SECRET = check(
    "services.plain-secret", "services", "Secret-named env vars use secret references",
    "A var named like a secret (*_KEY, *_PASSWORD, *_SECRET, *_TOKEN) holds a plain value: "
    "it is visible to anyone who can view the service.",
    "store it in Secret Manager and reference it: --update-secrets VAR=NAME-staging:latest")

CREDENTIAL = check(
    "services.credential-in-value", "services", "No credentials inside plain env values",
    "A plain env value holds a credential, whatever the var is called: a password in a URL "
    "(postgres://user:password@host, redis://:password@host, https://user:token@...), a "
    "bearer token, a private key or an API token.",
    "move the value (or the whole URL) to Secret Manager and reference it: "
    "--update-secrets VAR=NAME-staging:latest")

_NOT_READY = re.compile(r"^Revision '[^']+' is not ready and cannot serve traffic\.\s*")
_ENV_RULES: Mapping[str, tuple[Check, Level | None]] = {
    # rule id -> check, level (None: the security level of the profile)
    "template": (ENV_TEMPLATE, Level.ERROR),
    "placeholder": (ENV_PLACEHOLDER, Level.ERROR),
    "empty": (ENV_EMPTY, Level.WARNING),
    "localhost": (LOCALHOST, Level.ERROR),
    "cors": (CORS, None),
    "auth-disabled": (AUTH, None),
    "plain-secret": (PLAIN_SECRET, None),
    "credential-in-value": (CREDENTIAL, None),
}


def env_target(service: str, var: str) -> str:
    return f"{service}/{var}"


def check_readiness(services: Iterable[Service]) -> list[Finding]:
    out = []
    for s in services:
        if s.readiness is Readiness.READY:
            continue
        level = Level.WARNING if s.readiness is Readiness.DEPLOYING else Level.ERROR
        why = s.failure_message or next((c.message for c in s.conditions if c.message), "")
        evidence = f"{s.name} is {s.readiness.value}" + (f": {why}" if why else "")
        out.append(READY.found(level, evidence, s.name, title=f"{s.name} is not Ready",
                               fix=READY.fix.replace("SERVICE", s.name)))
    return out


def check_rollouts(services: Iterable[Service]) -> list[Finding]:
    out = []
    for s in services:
        if not s.rollout_pending:
            continue
        deploying = s.readiness is Readiness.DEPLOYING
        serving = s.latest_ready_revision or "no revision"
        reason = _NOT_READY.sub("", s.failure_message) or "no reason given"
        evidence = (f"latest created {s.latest_created_revision}, latest ready {serving}; "
                    f"reason: {reason}")
        title = (f"{s.name}: rollout of {s.latest_created_revision} in progress" if deploying
                 else f"{s.name}: rollout of {s.latest_created_revision} failed")
        out.append(ROLLOUT.found(Level.WARNING if deploying else Level.ERROR, evidence, s.name,
                                 title=title, fix=ROLLOUT.fix.replace("SERVICE", s.name)))
    return out


def check_traffic(services: Iterable[Service],
                  revisions: Mapping[str, list[Revision]]) -> list[Finding]:
    """`revisions` by service name: needed only for services with explicit revision targets;
    without them, a target naming the not-ready latest created revision still counts."""
    out = []
    for s in services:
        # Keyed by region/name (same-named services of two regions never mix); by name
        # alone when a caller lists one region.
        listed = revisions.get(s.key) or revisions.get(s.name, [])
        ready = {r.name: r.readiness for r in listed}
        for t in s.traffic:
            if t.latest or not t.revision or t.percent == 0:
                continue
            state = ready.get(t.revision)
            bad = (state is not None and state is not Readiness.READY) or (
                state is None and s.rollout_pending and t.revision == s.latest_created_revision)
            if bad:
                out.append(TRAFFIC.found(
                    Level.ERROR, f"{t.percent}% of traffic goes to {t.revision}, which is "
                    f"{(state or Readiness.FAILED).value}", s.name,
                    title=f"{s.name}: traffic to a revision that is not ready",
                    fix=TRAFFIC.fix.replace("SERVICE", s.name).replace(
                        "READY_REVISION", s.latest_ready_revision or "READY_REVISION")))
    return out


def shown_value(var: EnvVar, rule: str) -> str:
    """The value as evidence: hidden for plain secrets, URL passwords masked (the one
    rule `services --json` uses too)."""
    shown = masked_value(var)
    return shown if shown == PLAIN_SECRET_HIDDEN else repr(shown)


def check_env(services: Iterable[Service], protected: bool) -> list[Finding]:
    out = []
    for s in services:
        for var in s.env:
            for flag in env_flags(var):
                spec, level = _ENV_RULES[flag.rule]
                out.append(spec.found(
                    level or security_level(protected),
                    f"{s.name}: {var.name}={shown_value(var, flag.rule)}: {flag.message}",
                    env_target(s.name, var.name),
                    title=f"{s.name}: {var.name}: {flag.message.split(':')[0]}"))
    return out


def check_public(services: Iterable[Service], protected: bool) -> list[Finding]:
    out = []
    for s in services:
        if not s.publicly_invokable:
            continue
        auth_off = any(f.rule == "auth-disabled" for v in s.env for f in env_flags(v))
        level = security_level(protected) if auth_off else Level.INFO
        how = ("allUsers has roles/run.invoker" if s.public else "invoker IAM check disabled")
        evidence = f"{s.name} allows unauthenticated invocations ({how})" + (
            " and its app authentication is disabled" if auth_off else "")
        out.append(PUBLIC.found(level, evidence, s.name, title=f"{s.name} is public",
                                fix=PUBLIC.fix.replace("SERVICE", s.name)))
    return out


REGION = check(
    "services.region", "services", "Every region listed",
    "Listing the services of each of the profile's regions succeeded; a failing region is "
    "reported while the other regions' services are still checked.",
    "check the region name (gcloud run regions list) and your roles there; or remove it "
    "from the profile's regions")


def check_regions(failures: Iterable[RegionFailure]) -> list[Finding]:
    return [REGION.found(Level.ERROR, f"{f.code}: {f.message}" if f.code else f.message,
                         f.region, title=f"Region {f.region} could not be listed",
                         fix=f.fix or REGION.fix)
            for f in failures]


def check_services(services: list[Service], revisions: Mapping[str, list[Revision]],
                   protected: bool) -> list[Finding]:
    return [*check_readiness(services), *check_rollouts(services),
            *check_traffic(services, revisions), *check_env(services, protected),
            *check_public(services, protected)]
