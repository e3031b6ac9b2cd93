"""Pure rendering of services: ages, traffic, PR environments, filters, env flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from staging_tui.domain import EnvVar, Readiness, SecretRef, Service, TrafficTarget
from staging_tui.env_rules import env_flags
from staging_tui.render.services import (
    age,
    filter_services,
    group_by_pr,
    pr_number,
    service_row,
    traffic_text,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def svc(name: str, **kw: object) -> Service:
    return Service(name=name, project="p", region="r", readiness=Readiness.READY, **kw)  # type: ignore[arg-type]


def test_age() -> None:
    assert age(NOW - timedelta(hours=3, minutes=5), NOW) == "3h ago"
    assert age(NOW - timedelta(seconds=42), NOW) == "42s ago"
    assert age(NOW - timedelta(days=2), NOW) == "2d ago"
    assert age(None, NOW) == "-"


def test_traffic_text_shows_split_and_tags() -> None:
    s = svc("api", traffic=(TrafficTarget("api-00009-abc", 90), TrafficTarget(
        "api-00008-def", 10, tag="previous")))
    assert traffic_text(s) == "90% 00009-abc, 10% 00008-def (previous)"
    assert traffic_text(svc("x", traffic=(TrafficTarget("", 100, latest=True),))) == "100% latest"


def test_pr_number_follows_the_profile_pattern() -> None:
    assert pr_number("backend-pr-12") == "12"
    assert pr_number("backend-staging") == ""
    assert pr_number("pr-7-web", "pr-{pr}-{service}") == "7"


def test_filter_substring_regex_and_pr() -> None:
    names = ["backend-pr-12", "frontend-pr-12", "backend-pr-7", "auth-staging", "webservice"]
    services = [svc(n) for n in names]
    assert [s.name for s in filter_services(services, "pr-12")] == names[:2]
    assert [s.name for s in filter_services(services, "^back")] == ["backend-pr-12",
                                                                   "backend-pr-7"]
    assert [s.name for s in filter_services(services, "pr:7")] == ["backend-pr-7"]
    assert len(filter_services(services, "pr")) == 3
    assert len(filter_services(services, "[")) == 0  # invalid regex -> literal
    groups = group_by_pr(services, "{service}-pr-{pr}")
    assert [g for g, _ in groups] == ["", "7", "12"]


def test_service_row_marks_a_pending_rollout() -> None:
    s = svc("b", latest_ready_revision="b-00003-x", latest_created_revision="b-00004-y")
    row = service_row(s, NOW)
    assert row[2] == "00003-x" and row[3] == "00004-y"


def test_env_flags() -> None:
    def rules(name: str, value: str) -> set[str]:
        return {f.rule for f in env_flags(EnvVar(name, value))}

    assert rules("PREFECT_WORK_POOL_NAME", "{{ $PREFECT_WORK_POOL_NAME }}") == {"template"}
    assert rules("OAUTH_CLIENT_ID", "REPLACE_ME") == {"placeholder"}
    assert "placeholder" in rules("OAUTH_CLIENT_SECRET", "your-oauth-client-secret-here")
    assert rules("REDIS_HOST", "localhost") == {"localhost"}
    assert rules("DATABASE_URL", "postgresql://u@localhost:5432/db") == {"localhost"}
    assert rules("CORS_ORIGINS", "*") == {"cors"}
    assert rules("AUTH_ENABLED", "false") == {"auth-disabled"}
    assert rules("STRIPE_API_KEY", "sk_test_123") == {"plain-secret"}
    assert rules("LOG_LEVEL", "INFO") == set()
    assert rules("PREFECT_SERVER_API_HOST", "0.0.0.0") == set()
    assert env_flags(EnvVar("SECRET_KEY", secret=SecretRef("secret-key-staging"))) == ()


def test_error_buckets_and_sparkline() -> None:
    from staging_tui.domain import LogEntry, Severity
    from staging_tui.render.error_rates import error_buckets, shared_peak, sparkline

    def entry(service: str, minutes_ago: float) -> LogEntry:
        return LogEntry(f"{service}{minutes_ago}", NOW - timedelta(minutes=minutes_ago),
                        Severity.ERROR, service=service)

    entries = [entry("api", 0.5), entry("api", 0.6), entry("api", 14.5), entry("web", 3),
               entry("api", 20)]
    rates = error_buckets(entries, NOW)
    assert rates["api"][-1] == 2 and rates["api"][0] == 1 and sum(rates["api"]) == 3
    assert sum(rates["web"]) == 1
    assert shared_peak(rates) == 2
    assert sparkline(rates["api"], 2)[-1] == "█" and len(sparkline(rates["api"], 2)) == 15
    assert sparkline([0, 0, 0]) == ""
    assert sparkline(rates["web"], 8).strip() == "▁"


def test_refresh_schedule_backs_off_after_errors_and_never_overlaps() -> None:
    from datetime import UTC, datetime

    from staging_tui.model.refresh import Refresh

    r = Refresh(30.0, max_backoff=100.0, jitter=0.0)
    assert not r.tick(25.0) and r.tick(5.0)
    assert r.begin() and not r.begin() and not r.tick(31.0)  # one load at a time
    r.failed()
    assert (r.delay, r.failures) == (60.0, 1) and not r.tick(28.0) and r.tick(1.0)
    r.begin()
    r.failed()
    r.begin()
    r.failed()
    assert r.delay == 100.0  # capped
    now = datetime(2026, 1, 1, tzinfo=UTC)
    r.begin()
    r.succeeded(now)
    assert (r.delay, r.failures, r.loaded_at, r.age(now)) == (30.0, 0, now, 0.0)
    on_demand = Refresh(0.0)
    assert not on_demand.tick(1e9)
    on_demand.begin()
    on_demand.failed()
    assert on_demand.delay == 0.0 and not on_demand.tick(1e9)
