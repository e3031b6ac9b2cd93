"""The doctor against the sandbox: exactly the planted problems of the default scenario,
nothing on a healthy one, and the headless command's output and exit codes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from fixtures_doctor import healthy_settings
from ui_app import backend_for, sandbox_profile

from staging_tui.audit import secrets_audit
from staging_tui.audit.runner import AreaProgress, problems, run_doctor
from staging_tui.cli import build_parser
from staging_tui.commands import doctor as doctor_command
from staging_tui.domain import Finding, Level
from staging_tui.sandbox.scenario import scenario_from_dict
from staging_tui.sandbox.server import RunningSandbox, SandboxThread

P = "sandbox-staging:us-central1:"
# Every problem the default scenario plants outside the secrets area (which the secrets
# audit owns: compared with that audit's own result below).
PLANTED = {
    ("services.ready", "backend-staging"),
    ("services.rollout", "backend-staging"),
    ("services.env-template", "prefect-worker/PREFECT_WORK_POOL_NAME"),
    ("services.env-placeholder", "auth-staging/OAUTH_CLIENT_ID"),
    ("services.env-placeholder", "auth-staging/OAUTH_CLIENT_SECRET"),
    ("services.localhost", "auth-staging/REDIS_HOST"),
    ("services.cors", "mcp-server-staging/CORS_ORIGINS"),
    ("services.auth-disabled", "mcp-server-staging/AUTH_ENABLED"),
    ("services.public-invoker", "mcp-server-staging"),
    ("services.plain-secret", "backend-pr-12/STRIPE_API_KEY"),
    ("database.tunnel", P + "legacy-reports"),
    ("database.read_only_role", P + "netra-shared"),      # the Query pane logs in as the owner
    ("health.status", "backend-staging"),
    ("logs.error-rate", "backend-staging"),
}
NOTES = {("services.public-invoker", "frontend-staging"),
         ("services.public-invoker", "frontend-pr-12")}


def keyed(findings: list[Finding], *, area: str | None = None, notes: bool = False
          ) -> set[tuple[str, str]]:
    return {(f.check_id, f.target) for f in findings
            if (area is None or f.area == area) and (f.area != "secrets" or area == "secrets")
            and (f.level is Level.INFO if notes else f.level in (Level.WARNING, Level.ERROR))}


@pytest.fixture(scope="module")
def default_findings(sandbox: RunningSandbox) -> list[Finding]:
    async def run() -> list[Finding]:
        backend = backend_for(sandbox)
        try:
            return await run_doctor(backend)
        finally:
            await backend.close()

    return asyncio.run(run())


async def test_default_scenario_yields_exactly_the_planted_problems(
        default_findings: list[Finding]) -> None:
    assert keyed(default_findings) == PLANTED
    assert keyed(default_findings, notes=True) - keyed(
        default_findings, area="secrets", notes=True) == NOTES


async def test_secrets_area_is_the_secrets_audit(sandbox: RunningSandbox,
                                                 default_findings: list[Finding]) -> None:
    backend = backend_for(sandbox)
    s = backend.settings
    try:
        listed = await (await backend.secrets()).list_secrets()
        services = await (await backend.run()).list_services()
    finally:
        await backend.close()
    data = secrets_audit.audit_input(s.project, s.secret_suffix, s.required_secrets, services,
                                     [i.password_secret for i in s.sql_instances])
    own = {(f.check_id, f.target, f.level) for f in secrets_audit.audit_secrets(data, listed)
           if f.level is not Level.OK}
    ours = {(f.check_id, f.target, f.level) for f in default_findings
            if f.area == "secrets" and f.level is not Level.OK}
    assert ours == own
    assert {("secrets.missing", "secret-key-staging"),
            ("secrets.suffix", "gemini-api-key-staging")} <= {(c, t) for c, t, _ in ours}


async def test_findings_carry_evidence_and_fix(default_findings: list[Finding]) -> None:
    by_key = {(f.check_id, f.target): f for f in default_findings}
    storm = by_key[("logs.error-rate", "backend-staging")]
    top = storm.evidence.splitlines()[1]
    assert top.endswith("× ConnectionRefusedError: [Errno 111] Connection refused")
    assert "--severity ERROR" in storm.fix
    rollout = by_key[("services.rollout", "backend-staging")]
    assert "ConnectionRefusedError" in rollout.evidence
    assert "unreachable" in by_key[("database.tunnel", P + "legacy-reports")].evidence
    for f in problems(default_findings):
        assert f.evidence and f.title, f


async def test_database_reached_through_the_tunnel(default_findings: list[Finding]) -> None:
    versions = [f for f in default_findings if f.check_id == "database.version"]
    assert {f.target for f in versions} == {P + "biocirv-db", P + "netra-shared"}
    assert all(f.level is Level.OK and f.evidence for f in versions)


async def test_progress_reports_each_area_and_only_filters(sandbox: RunningSandbox) -> None:
    seen: list[AreaProgress] = []
    backend = backend_for(sandbox)
    try:
        findings = await run_doctor(backend, ["health", "credentials"], on_progress=seen.append)
    finally:
        await backend.close()
    assert {f.area for f in findings} == {"health", "credentials"}
    assert sorted((p.area, p.state) for p in seen) == [
        ("credentials", "done"), ("credentials", "running"), ("health", "done"),
        ("health", "running")]


async def test_an_area_that_cannot_gather_is_a_finding_naming_the_api() -> None:
    scenario = scenario_from_dict({
        "project": {"id": "disabled-run", "region": "us-central1"},
        "faults": {"service_disabled": ["run"]},
        "services": [{"name": "api"}],
    })
    with SandboxThread(scenario) as sandbox:
        sandbox.quotas.enabled = False  # counted, not enforced
        backend = backend_for(sandbox)
        try:
            findings = await run_doctor(backend, ["credentials", "services", "health"])
        finally:
            await backend.close()
    keys = {(f.check_id, f.target): f for f in findings if f.level is Level.ERROR}
    assert set(keys) == {("services.gather", "services"), ("health.gather", "health"),
                         ("credentials.api-enabled", "run.googleapis.com")}
    assert keys[("credentials.api-enabled", "run.googleapis.com")].fix == (
        "gcloud services enable run.googleapis.com --project disabled-run")
    assert "SERVICE_DISABLED" in keys[("services.gather", "services")].evidence


async def test_healthy_scenario_has_no_problems(healthy_sandbox: RunningSandbox) -> None:
    backend = backend_for(healthy_sandbox, healthy_settings(healthy_sandbox))
    try:
        findings = await run_doctor(backend)
    finally:
        await backend.close()
    assert [f for f in findings if f.level is not Level.OK] == []
    ran = {f.check_id for f in findings}
    assert {"database.alembic", "database.extensions", "database.matviews", "health.status",
            "logs.error-rate", "secrets.ok", "services.traffic"} <= ran


# ------------------------------------------------------------------ headless


async def run_command(backend_sandbox: RunningSandbox, argv: list[str], capsys: pytest.CaptureFixture[str],
                      settings_changes: dict[str, object] | None = None) -> tuple[int, str]:
    args = build_parser().parse_args(["doctor", *argv])
    settings = sandbox_profile(backend_sandbox, **(settings_changes or {}))
    backend = backend_for(backend_sandbox, settings)
    try:
        code = await doctor_command.run(args, backend)
    finally:
        await backend.close()
    return code, capsys.readouterr().out


async def test_cli_exit_codes(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert (await run_command(sandbox, ["--only", "credentials"], capsys))[0] == 0
    code, out = await run_command(sandbox, ["--only", "logs"], capsys)
    assert code == 1 and "⚠ backend-staging" in out
    code, out = await run_command(sandbox, ["--only", "services", "health"], capsys)
    assert code == 3  # errors found (2 is a usage error)
    assert "✗ services" in out and "✗ health" in out and "✓ credentials" not in out
    assert "fix: " in out


async def test_cli_json(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = await run_command(sandbox, ["--json", "--only", "health"], capsys)
    data = json.loads(out)
    assert code == 3 and data["exit_code"] == 3
    assert data["findings"] == [{
        "check_id": "health.status", "area": "health", "level": "error",
        "title": "backend-staging: health check failed (HTTP 503)",
        "evidence": data["findings"][0]["evidence"],
        "fix": data["findings"][0]["fix"], "target": "backend-staging"}]


async def test_cli_healthy_exits_zero(healthy_sandbox: RunningSandbox,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["doctor"])
    backend = backend_for(healthy_sandbox, replace(healthy_settings(healthy_sandbox)))
    try:
        code = await doctor_command.run(args, backend)
    finally:
        await backend.close()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "⚠" not in out and "✗" not in out
