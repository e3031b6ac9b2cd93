"""Each doctor check on hand-built domain objects (no sandbox, no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from staging_tui import env_rules
from staging_tui.audit.checks import credentials, database, health, logs, services
from staging_tui.audit.checks.registry import CHECKS, exit_code, worst
from staging_tui.audit.runner import gather_error
from staging_tui.domain import (
    Condition,
    ConditionState,
    Container,
    CredentialsStatus,
    DatabaseStatus,
    EnvVar,
    Finding,
    HealthObservation,
    HttpRequest,
    Level,
    LogEntry,
    MatView,
    Readiness,
    Revision,
    SecretRef,
    Service,
    Severity,
    TrafficTarget,
)
from staging_tui.errors import NotFound, PermissionDenied, ServiceDisabled, Unavailable
from staging_tui.render.doctor import checklist_text

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def svc(name: str = "api", *, env: dict[str, str | SecretRef] | None = None,
        readiness: Readiness = Readiness.READY, created: str = "", ready: str = "",
        traffic: tuple[TrafficTarget, ...] = (), public: bool = False,
        message: str = "") -> Service:
    vars_ = tuple(EnvVar(k, secret=v) if isinstance(v, SecretRef) else EnvVar(k, v)
                  for k, v in (env or {}).items())
    conditions = (Condition("Ready", ConditionState.FAILED, message),) if message else ()
    return Service(name=name, project="p", region="r", readiness=readiness,
                   uri=f"https://{name}-x-uc.a.run.app", conditions=conditions,
                   latest_created_revision=created or f"{name}-00001-abc",
                   latest_ready_revision=ready or created or f"{name}-00001-abc",
                   traffic=traffic or (TrafficTarget("", 100, latest=True),),
                   containers=(Container("c", "img", vars_),), invoker_iam_disabled=public)


def ids(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.check_id, f.target) for f in findings}


# ------------------------------------------------------------------ credentials


def test_adc_missing_expired_and_account() -> None:
    missing = credentials.check_credentials(CredentialsStatus(present=False, error="no ADC"))
    assert [(f.check_id, f.level) for f in missing] == [("credentials.adc", Level.ERROR)]
    assert "application-default login" in missing[0].fix
    expired = credentials.check_credentials(CredentialsStatus(valid=False, error="invalid_grant"))
    assert expired[0].title.endswith("expired or revoked") and "invalid_grant" in expired[0].evidence
    anonymous = credentials.check_credentials(CredentialsStatus(account=""))
    assert [(f.check_id, f.level) for f in anonymous] == [("credentials.account", Level.INFO)]
    assert credentials.check_credentials(CredentialsStatus(account="me@example.com")) == []
    assert credentials.check_credentials(CredentialsStatus(sandbox=True)) == []
    assert "me@example.com" in credentials.account_evidence(
        CredentialsStatus(account="me@example.com", project="q"))


def test_project_reachable() -> None:
    assert credentials.check_project("p", None) == []
    denied = credentials.check_project("p", PermissionDenied("denied on p", "ask for a role"))
    assert ids(denied) == {("credentials.project", "p")} and denied[0].fix == "ask for a role"
    assert ids(credentials.check_project("p", NotFound("no such project"))) == {
        ("credentials.project", "p")}
    assert credentials.check_project("p", Unavailable("try later")) == []


def test_service_disabled_names_the_api_once() -> None:
    errs = [ServiceDisabled("run.googleapis.com is not enabled: SERVICE_DISABLED"),
            ServiceDisabled("run.googleapis.com is not enabled: again"),
            ServiceDisabled("secretmanager.googleapis.com is not enabled: x"),
            Unavailable("not this one")]
    found = credentials.check_api_errors("proj", errs)  # type: ignore[arg-type]
    assert ids(found) == {("credentials.api-enabled", "run.googleapis.com"),
                          ("credentials.api-enabled", "secretmanager.googleapis.com")}
    assert found[0].fix == "gcloud services enable run.googleapis.com --project proj"


# ------------------------------------------------------------------ services


def test_readiness_and_failed_rollout_with_reason() -> None:
    bad = svc("backend", readiness=Readiness.FAILED, created="backend-00004-aaa",
              ready="backend-00003-bbb", message="ConnectionRefusedError: [Errno 111]")
    deploying = svc("web", readiness=Readiness.DEPLOYING, created="web-2", ready="web-1")
    found = services.check_services([bad, deploying, svc("ok")], {}, protected=False)
    assert ids(found) == {("services.ready", "backend"), ("services.rollout", "backend"),
                          ("services.ready", "web"), ("services.rollout", "web")}
    rollout = next(f for f in found if f.check_id == "services.rollout" and f.target == "backend")
    assert rollout.level is Level.ERROR and "ConnectionRefusedError" in rollout.evidence
    assert "backend-00003-bbb" in rollout.evidence
    assert all(f.level is Level.WARNING for f in found if f.target == "web")


def test_traffic_to_a_revision_that_is_not_ready() -> None:
    split = (TrafficTarget("api-2", 30), TrafficTarget("api-1", 70))
    s = svc("api", created="api-2", ready="api-1", traffic=split)
    # without the revision list: the not-ready latest created revision still counts
    assert ("services.traffic", "api") in ids(services.check_traffic([s], {}))
    revs = {"api": [Revision("api-2", "api", Readiness.FAILED),
                    Revision("api-1", "api", Readiness.READY)]}
    found = services.check_traffic([s], revs)
    assert len(found) == 1 and "30% of traffic goes to api-2" in found[0].evidence
    healthy = svc("api", created="api-2", ready="api-2",
                  traffic=(TrafficTarget("api-2", 90), TrafficTarget("api-1", 10)))
    ok_revs = {"api": [Revision("api-2", "api", Readiness.READY),
                       Revision("api-1", "api", Readiness.READY)]}
    assert services.check_traffic([healthy], ok_revs) == []


def test_env_values_placeholders_templates_empty_localhost() -> None:
    s = svc("auth", env={
        "POOL": "{{ $PREFECT_WORK_POOL_NAME }}", "CLIENT_ID": "REPLACE_ME",
        "NAME": "your-client-name-here", "REGION": "", "REDIS_HOST": "localhost",
        "DATABASE_URL": "postgresql://app:hunter2@127.0.0.1:5432/app",
        "FINE": "value", "TOKEN_REF": SecretRef("t-staging")})
    found = services.check_env([s], protected=False)
    assert ids(found) == {
        ("services.env-template", "auth/POOL"), ("services.env-placeholder", "auth/CLIENT_ID"),
        ("services.env-placeholder", "auth/NAME"), ("services.env-empty", "auth/REGION"),
        ("services.localhost", "auth/REDIS_HOST"), ("services.localhost", "auth/DATABASE_URL"),
        ("services.credential-in-value", "auth/DATABASE_URL")}
    url = next(f for f in found if f.target == "auth/DATABASE_URL")
    assert "hunter2" not in url.evidence and "app:***@" in url.evidence


@pytest.mark.parametrize(("name", "value", "kind", "secret"), [
    ("DATABASE_URL", "postgres://app:s3cr3t-pw@10.0.0.5:5432/app", "password in a URL", "s3cr3t-pw"),
    ("CACHE", "redis://:r3dis-pw@10.0.0.3:6379/0", "password in a URL", "r3dis-pw"),
    ("UPSTREAM", "https://deploy:ghp_abcdefghijklmnopqrstuvwx@git.example.com/x.git",
     "password in a URL", "ghp_abcdefghijklmnopqrstuvwx"),
    ("EXTRA_HEADERS", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
     "bearer token", "eyJhbGciOiJIUzI1NiJ9.payload.sig"),
    ("SIGNING", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
     "private key", "MIIEowIBAAKCAQEA"),
    ("PAYMENTS", "sk_live_abcdef1234567890", "API token", "sk_live_abcdef1234567890"),
])
def test_credentials_inside_values_are_found_whatever_the_name(
        name: str, value: str, kind: str, secret: str) -> None:
    found = services.check_env([svc("api", env={name: value})], protected=False)
    hit = next(f for f in found if f.check_id == "services.credential-in-value")
    assert kind in hit.evidence
    assert secret not in hit.evidence + hit.title
    assert env_rules.mask_credentials(value).count("***") >= 1
    assert secret not in env_rules.mask_credentials(value)


@pytest.mark.parametrize("value", [
    "postgres://app@10.0.0.5/app", "redis://10.0.0.3:6379/0", "https://example.com/a:b@c",
    "postgresql://app:${DB_PASSWORD}@db/app", "https://user:changeme@host/",
    "Bearer {{ token }}", "plain words",
])
def test_values_without_credentials_are_not_flagged(value: str) -> None:
    assert env_rules.find_credentials(value) == ()


def test_security_settings_warn_in_staging_error_when_protected() -> None:
    s = svc("mcp", env={"CORS_ORIGINS": "*", "AUTH_ENABLED": "false",
                        "STRIPE_API_KEY": "sk_test_plain_value"}, public=True)
    staging = services.check_services([s], {}, protected=False)
    assert ids(staging) == {("services.cors", "mcp/CORS_ORIGINS"),
                            ("services.auth-disabled", "mcp/AUTH_ENABLED"),
                            ("services.plain-secret", "mcp/STRIPE_API_KEY"),
                            ("services.public-invoker", "mcp")}
    assert {f.level for f in staging} == {Level.WARNING}
    assert {f.level for f in services.check_services([s], {}, protected=True)} == {Level.ERROR}
    plain = next(f for f in staging if f.check_id == "services.plain-secret")
    assert "sk_test_plain_value" not in plain.evidence + plain.title


def test_public_site_with_auth_is_only_a_note() -> None:
    found = services.check_public([svc("frontend", public=True)], protected=True)
    assert [(f.check_id, f.level) for f in found] == [("services.public-invoker", Level.INFO)]
    assert services.check_public([svc("private")], protected=True) == []


# ------------------------------------------------------------------ health


def test_health_non_2xx_and_errors() -> None:
    obs = [HealthObservation("a", "https://a/health", 200, 12.0),
           HealthObservation("b", "https://b/health", 503, 8.0),
           HealthObservation("c", "https://c/health", error="no answer within 5 s")]
    found = health.check_health(obs)
    assert ids(found) == {("health.status", "b"), ("health.status", "c")}
    assert "HTTP 503" in found[0].evidence and "no answer within 5 s" in found[1].title


# ------------------------------------------------------------------ logs

TRACE = ("Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n"
         "ConnectionRefusedError: [Errno 111] Connection refused")


def entry(i: int, service: str, severity: Severity, text: str = "",
          http: HttpRequest | None = None) -> LogEntry:
    return LogEntry(f"id{i}", NOW, severity, service=service, text=text, http_request=http)


def test_error_storm_is_one_line_with_its_count() -> None:
    entries = [entry(i, "backend", Severity.ERROR, TRACE) for i in range(40)]
    entries += [entry(100 + i, "backend", Severity.ERROR, f"upstream timeout after {i}s")
                for i in range(5)]
    entries += [entry(200 + i, "backend", Severity.INFO, "ok") for i in range(55)]
    entries += [entry(300 + i, "web", Severity.INFO, "fine") for i in range(100)]
    entries += [entry(400 + i, "web", Severity.ERROR, "rare") for i in range(3)]
    found = logs.check_error_rates(entries, logs.ErrorRateRule(threshold=0.2))
    assert ids(found) == {("logs.error-rate", "backend")}
    lines = found[0].evidence.splitlines()
    assert lines[0].startswith("45 of 100 entries (45%)")
    assert lines[1] == "40× ConnectionRefusedError: [Errno 111] Connection refused"
    assert lines[2] == "5× upstream timeout after 0s"  # numbers do not split a group
    assert found[0].level is Level.WARNING
    worse = logs.check_error_rates(entries[:45], logs.ErrorRateRule())
    assert worse[0].level is Level.ERROR


def test_few_errors_are_not_a_rate_and_http_errors_group_by_status() -> None:
    few = [entry(i, "api", Severity.ERROR, "boom") for i in range(3)]
    assert logs.check_error_rates(few, logs.ErrorRateRule(min_errors=5)) == []
    http = [entry(i, "api", Severity.ERROR, http=HttpRequest("GET", f"/p/{i}", 502))
            for i in range(6)]
    assert logs.top_errors(http) == [("HTTP 502 GET", 6)]


# ------------------------------------------------------------------ database


def test_database_tunnel_select_extensions_views_alembic() -> None:
    down = DatabaseStatus("p:r:db", "app", error="unreachable: ConnectionRefusedError")
    assert ids(database.check_database(down)) == {("database.tunnel", "p:r:db")}
    no_select = DatabaseStatus("p:r:db", "app", connected=True, select_ok=False, error="x")
    assert ids(database.check_database(no_select)) == {("database.select", "p:r:db")}
    up = DatabaseStatus("p:r:db", "app", connected=True, select_ok=True,
                        server_version="16.4", extensions=("plpgsql",),
                        matviews=(MatView("public.v1"), MatView("public.v2", populated=False)),
                        alembic_heads=("aaa",))
    found = database.check_database(up, ["postgis", "plpgsql"], "bbb")
    assert [f.check_id for f in found] == ["database.extensions", "database.matviews",
                                           "database.alembic"]
    assert found[0].fix == "CREATE EXTENSION IF NOT EXISTS postgis"
    assert found[1].fix == "REFRESH MATERIALIZED VIEW public.v2;"
    assert "expected bbb" in found[2].evidence
    no_table = DatabaseStatus("p:r:db", "app", connected=True, select_ok=True)
    assert "no alembic_version" in database.check_database(no_table, (), "bbb")[0].evidence
    fine = DatabaseStatus("p:r:db", "app", connected=True, select_ok=True,
                          extensions=("postgis",), alembic_heads=("bbb",))
    assert database.check_database(fine, ["postgis"], "bbb") == []
    assert database.database_summary(up) == "p:r:db/app: 16.4"


# ------------------------------------------------------------------ levels, errors, docs


def test_exit_codes_and_worst_level() -> None:
    ok = Finding("x", "services", Level.OK, "t")
    note = Finding("x", "services", Level.INFO, "t")
    warn = Finding("x", "services", Level.WARNING, "t")
    err = Finding("x", "services", Level.ERROR, "t")
    assert exit_code([ok, note]) == 0
    assert exit_code([ok, warn]) == 1
    assert exit_code([warn, err, ok]) == 3
    assert worst([]) is Level.OK


def test_gather_error_carries_message_and_fix() -> None:
    f = gather_error("logs", PermissionDenied("no logging.viewer", "ask for the role"))
    assert (f.check_id, f.level, f.fix) == ("logs.gather", Level.ERROR, "ask for the role")
    assert f.evidence.startswith("PERMISSION_DENIED: ")
    bug = gather_error("health", ValueError("bad"))
    assert bug.evidence == "ValueError: bad"


def test_checklist_text_groups_by_area_with_symbols() -> None:
    text = checklist_text([
        Finding("credentials.adc", "credentials", Level.OK, "ADC valid", "sandbox"),
        Finding("services.ready", "services", Level.ERROR, "api is not Ready", "Failed: x",
                "redeploy", "api"),
        Finding("services.cors", "services", Level.WARNING, "CORS *", "CORS_ORIGINS='*'"),
    ])
    assert text.splitlines()[:6] == [
        "✓ credentials", "  ✓ ADC valid — sandbox", "", "✗ services",
        "  ✗ api is not Ready", "      Failed: x"]
    assert "      fix: redeploy" in text
    assert text.rstrip().endswith("1 errors, 1 warnings, 1 passed")


def test_every_check_is_documented() -> None:
    import staging_tui.audit.secrets_gather  # noqa: F401  (declares the secrets ids)

    doc = (Path(__file__).parents[1] / "docs" / "doctor.md").read_text()
    missing = [cid for cid in CHECKS if f"`{cid}`" not in doc]
    assert missing == []


def test_missing_adc_is_probed_without_network(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from staging_tui.gcp.doctor_probes import probe_adc

    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG", "STAGING_TUI_ON_GCP"):
        monkeypatch.delenv(var, raising=False)
    status = probe_adc()
    assert not status.present and "application-default login" in status.fix
    found = credentials.check_credentials(status)
    assert [(f.check_id, f.level) for f in found] == [("credentials.adc", Level.ERROR)]


def test_a_declared_version_the_server_does_not_run_is_stated() -> None:
    from staging_tui.domain import DatabaseStatus

    seen = DatabaseStatus("p:r:db", "app", connected=True, select_ok=True,
                          server_version="15.8 (Debian 15.8-1)", declared_version="POSTGRES_17")
    found = database.check_database(seen)
    assert [(f.check_id, f.level) for f in found] == [("database.version-mismatch",
                                                         Level.WARNING)]
    assert "declares POSTGRES_17 but the server answers PostgreSQL 15.8" in found[0].evidence
    same = DatabaseStatus("p:r:db", "app", connected=True, select_ok=True,
                          server_version="17.2", declared_version="POSTGRES_17")
    assert database.check_database(same) == []
    assert database.database_summary(same) == "p:r:db/app: 17.2 (POSTGRES_17)"
