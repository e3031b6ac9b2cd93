"""The required-secrets audit: pure rules over domain objects, and the default scenario's
planted problems found through the real adapters."""

from __future__ import annotations

from ui_app import sandbox_profile

from staging_tui.audit.secrets_audit import (
    audit_input,
    audit_profile,
    audit_secrets,
    failed,
    resolve_name,
    secret_users,
)
from staging_tui.domain import (
    Container,
    EnvVar,
    Finding,
    Level,
    Readiness,
    Secret,
    SecretRef,
    SecretVersion,
    Service,
    VersionState,
)
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import RunAdapter
from staging_tui.gcp.secrets import SecretsAdapter
from staging_tui.render.secrets import checklist, secret_row
from staging_tui.sandbox.server import RunningSandbox

E, D, X = VersionState.ENABLED, VersionState.DISABLED, VersionState.DESTROYED


def secret(name: str, *states: VersionState, labels: dict[str, str] | None = None) -> Secret:
    versions = tuple(SecretVersion(name, str(i), s) for i, s in enumerate(states, start=1))
    return Secret(name, "p", labels=labels or {}, versions=tuple(reversed(versions)))


def service(name: str, **refs: str) -> Service:
    env = []
    for var, ref in refs.items():
        secret_name, _, version = ref.partition(":")
        env.append(EnvVar(var, secret=SecretRef(secret_name, version or "latest")))
    return Service(name, "p", "us-central1", Readiness.READY,
                   containers=(Container(name, "img", env=tuple(env)),))


def run(required: tuple[str, ...], services: list[Service], secrets: list[Secret],
        suffix: str = "-staging") -> list[Finding]:
    return audit_secrets(audit_input("p", suffix, required, services), secrets)


def problems(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.check_id, f.title) for f in findings if f.level is not Level.OK]


def test_resolve_name_adds_the_suffix_once() -> None:
    assert resolve_name("jwt-secret-key", "-staging") == "jwt-secret-key-staging"
    assert resolve_name("jwt-secret-key-staging", "-staging") == "jwt-secret-key-staging"
    assert resolve_name("jwt-secret-key", "") == "jwt-secret-key"


def test_all_good_gives_ok_findings_only() -> None:
    findings = run(("jwt-secret-key",), [service("auth", JWT="jwt-secret-key-staging")],
                   [secret("jwt-secret-key-staging", D, E)])
    assert [(f.level, f.title) for f in findings] == [
        (Level.OK, "jwt-secret-key-staging: version 2 enabled")]
    assert findings[0].evidence == "used by auth"
    assert not failed(findings)


def test_missing_secret_names_the_gcloud_fix() -> None:
    findings = run(("secret-key",), [service("auth", SECRET_KEY="secret-key-staging")], [])
    assert problems(findings) == [("secrets.missing", "secret-key-staging is missing")]
    f = findings[0]
    assert "required by the profile (secret-key + -staging)" in f.evidence
    assert "auth SECRET_KEY=secret-key-staging:latest" in f.evidence
    assert f.fix == ('echo -n "$VALUE" | gcloud secrets create secret-key-staging '
                     "--data-file=- --project=p")
    assert failed(findings)


def test_only_without_suffix_says_found_and_expected() -> None:
    findings = run(("gemini-api-key",), [], [secret("gemini-api-key", E)])
    assert problems(findings) == [
        ("secrets.suffix", "found gemini-api-key, expected gemini-api-key-staging")]
    assert "gcloud secrets create gemini-api-key-staging" in findings[0].fix


def test_no_enabled_version() -> None:
    findings = run(("k",), [], [secret("k-staging", X, D)])
    assert problems(findings) == [("secrets.no-enabled-version", "k-staging has no enabled version")]
    assert findings[0].fix == "gcloud secrets versions enable 2 --secret=k-staging --project=p"
    only_destroyed = run(("k",), [], [secret("k-staging", X)])
    assert "gcloud secrets versions add k-staging --data-file=-" in only_destroyed[0].fix


def test_latest_disabled_while_an_older_one_is_enabled() -> None:
    findings = run((), [service("api", URL="redis-url-staging")],
                   [secret("redis-url-staging", E, D)])
    assert problems(findings) == [
        ("secrets.latest-disabled", "redis-url-staging: latest (version 2) is disabled")]
    assert "newest enabled is version 1" in findings[0].evidence
    assert failed(findings)


def test_pinned_disabled_destroyed_and_missing_versions() -> None:
    svc = service("api", A="tok-staging:1", B="tok-staging:2", C="tok-staging:9",
                  D="tok-staging:3")
    findings = run((), [svc], [secret("tok-staging", X, D, E)])
    assert problems(findings) == [
        ("secrets.pinned-unusable", "api pins tok-staging version 1, which is destroyed"),
        ("secrets.pinned-unusable", "api pins tok-staging version 2, which is disabled"),
        ("secrets.pinned-unusable", "api pins tok-staging version 9, which is missing"),
    ]
    assert findings[0].fix == ("gcloud run services update api --update-secrets=A=tok-staging:3 "
                               "--region=us-central1 --project=p")
    assert findings[1].fix == "gcloud secrets versions enable 2 --secret=tok-staging --project=p"


def test_production_named_reference_from_a_staging_service() -> None:
    findings = run((), [service("backend", KEY="gemini-api-key")], [secret("gemini-api-key", E)])
    assert problems(findings) == [
        ("secrets.production-named", "backend references production-named secret gemini-api-key")]
    assert findings[-1].level is Level.WARNING and not failed(findings)
    assert "gcloud secrets create gemini-api-key-staging" in findings[-1].fix
    assert "--update-secrets=KEY=gemini-api-key-staging:latest" in findings[-1].fix
    assert problems(run((), [service("b", KEY="gemini-api-key")], [secret("gemini-api-key", E)],
                        suffix="")) == []


def test_unused_secrets_skip_used_labels_and_profile_secrets() -> None:
    secrets = [secret("a-staging", E), secret("b-staging", E),
               secret("c-staging", E, labels={"used-by": "ci"}), secret("d-staging", E)]
    data = audit_input("p", "-staging", (), [service("x", A="a-staging")],
                       profile_secrets=("d-staging",))
    findings = audit_secrets(data, secrets)
    assert problems(findings) == [("secrets.unused", "b-staging is not used")]
    assert findings[-1].level is Level.INFO


def test_secret_users_and_rows() -> None:
    services = [service("b", K="s"), service("a", K="s", L="t")]
    users = secret_users(services)
    assert users == {"s": ["a", "b"], "t": ["a"]}
    row = secret_row(secret("s", X, D, E), users["s"])
    assert row[:3] == ("s", "3", "3: 1 enabled, 1 disabled, 1 destroyed")
    assert row[3] == "a, b"


async def test_default_scenario_findings_are_exactly_the_planted_ones(
        sandbox: RunningSandbox) -> None:
    endpoints = Endpoints.for_sandbox(sandbox.endpoints)
    settings = sandbox_profile(sandbox)
    secrets_api = SecretsAdapter(endpoints, settings.project)
    run_api = RunAdapter(endpoints, settings.project, settings.regions)
    try:
        findings = audit_profile(settings, await run_api.list_services(),
                                 await secrets_api.list_secrets())
    finally:
        await secrets_api.close()
        await run_api.close()
    assert problems(findings) == [
        ("secrets.missing", "secret-key-staging is missing"),
        ("secrets.latest-disabled", "redis-url-staging: latest (version 2) is disabled"),
        ("secrets.suffix", "found gemini-api-key, expected gemini-api-key-staging"),
        ("secrets.unused", "stripe-api-key-staging is not used"),
    ]
    ok = {f.target for f in findings if f.level is Level.OK}
    assert {"jwt-secret-key-staging", "db-password-staging", "fernet-key-staging",
            "postgres-password-staging", "mcp-bearer-token-staging"} <= ok
    text = "\n".join(checklist(findings))
    assert "✗ secret-key-staging is missing" in text and "✓ fernet-key-staging" in text


def test_references_by_project_number_and_volumes_count_as_uses() -> None:
    """Secret Manager names secrets `projects/NUMBER/...`; Terraform/Pulumi write that
    into Cloud Run. Such a reference, and a secret mounted as a volume, is a use."""
    from staging_tui.domain import SecretVolume

    listed = [Secret("a-staging", "123456789012", versions=(SecretVersion("a-staging", "1", E),)),
              Secret("b-staging", "123456789012", versions=(SecretVersion("b-staging", "1", E),)),
              Secret("c-staging", "123456789012", versions=(SecretVersion("c-staging", "1", E),))]
    svc = Service("api", "p", "us-central1", Readiness.READY, containers=(Container(
        "api", "img", env=(
            EnvVar("A", secret=SecretRef("a-staging", "latest", "123456789012")),
            EnvVar("X", secret=SecretRef("x-staging", "latest", "other-project")))),),
        secret_volumes=(SecretVolume("certs", SecretRef("b-staging", "1"), "/certs"),))
    data = audit_input("p", "-staging", (), [svc], secrets=listed)
    findings = audit_secrets(data, listed)
    assert problems(findings) == [("secrets.unused", "c-staging is not used")]
    users = secret_users([svc], {"p", "123456789012"})
    assert users == {"a-staging": ["api"], "b-staging": ["api"]}
    uses = {(u.secret, u.env) for u in data.uses}
    assert ("b-staging", "volume certs") in uses and ("x-staging", "X") not in uses
