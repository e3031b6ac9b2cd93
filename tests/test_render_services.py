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
    on_demand = Refresh(0.0, retry_s=10.0, jitter=0.0)
    assert not on_demand.tick(1e9)
    on_demand.begin()
    on_demand.failed()  # an on-demand pane retries a failed load, backing off too
    assert on_demand.delay == 10.0 and not on_demand.tick(9.0) and on_demand.tick(1.0)
    on_demand.begin()
    assert on_demand.failed(retry_after=42.0) == 42.0  # Google's RetryInfo wins
    on_demand.begin()
    on_demand.failed()
    assert on_demand.delay == 84.0
    on_demand.begin()
    on_demand.succeeded(now)
    assert not on_demand.tick(1e9)  # back to on demand


def test_refresh_schedule_stops_after_a_failure_no_retry_fixes() -> None:
    """Expired credentials: no automatic load until the user's own load succeeds."""
    from datetime import UTC, datetime

    from staging_tui.model.refresh import Refresh

    r = Refresh(30.0, jitter=0.0)
    r.begin()
    r.stopped()
    assert not r.tick(1e9)
    r.begin()
    r.succeeded(datetime(2026, 1, 1, tzinfo=UTC))
    assert r.tick(30.0)


def test_freshness_reads_the_same_for_every_schedule() -> None:
    """The words every pane shows beside its status line."""
    from datetime import UTC, datetime, timedelta

    from staging_tui.model.refresh import Refresh

    now = datetime(2026, 1, 1, tzinfo=UTC)
    auto, on_demand = Refresh(30.0, jitter=0.0), Refresh(0.0, retry_s=20.0, jitter=0.0)
    assert (auto.freshness(now), on_demand.freshness(now)) == ("loading…", "not loaded")
    for schedule in (auto, on_demand):
        schedule.begin()
        assert schedule.freshness(now) == "loading…"
        schedule.succeeded(now)
        assert schedule.freshness(now) == "updated just now"
        assert schedule.freshness(now + timedelta(seconds=12)) == "updated 12s ago"
        schedule.begin()
        schedule.failed()
        schedule.tick(5.0)
        assert schedule.freshness(now).startswith("stale: load failed once, next try in ")
        schedule.begin()
        schedule.failed(retry_after=40.0)
        assert schedule.freshness(now) == "stale: load failed 2 times, next try in 40s"
        schedule.begin()
        schedule.stopped()
        assert schedule.freshness(now) == "stale: load failed 3 times, r retries"


async def test_run_sorts_errors_and_ignores_a_replaced_load() -> None:
    """`run()` counts our errors (RetryInfo honoured, credentials stop the schedule) and
    a load the user's r replaced reports nothing."""
    import asyncio
    from datetime import UTC, datetime

    from staging_tui.errors import CredentialsError, QuotaExceeded, Unavailable
    from staging_tui.model.refresh import Refresh

    now = datetime(2026, 1, 1, tzinfo=UTC)
    r = Refresh(30.0, jitter=0.0)

    async def fail(exc: Exception) -> None:
        raise exc

    quota = QuotaExceeded("spent", retry_after=7.0)
    assert await r.run(lambda: fail(quota), lambda: now) is quota
    assert (r.failures, r.remaining()) == (1, 7.0)
    assert isinstance(await r.run(lambda: fail(Unavailable("down")), lambda: now), Unavailable)
    assert r.delay == 14.0
    await r.run(lambda: fail(CredentialsError("expired")), lambda: now)
    assert not r.tick(1e9)
    assert await r.run(lambda: asyncio.sleep(0), lambda: now) is None
    assert (r.failures, r.loaded_at) == (0, now)

    gate = asyncio.Event()
    first = asyncio.ensure_future(r.run(gate.wait, lambda: now))
    await asyncio.sleep(0)
    assert r.running and await r.run(gate.wait, lambda: now) is None  # never two at once
    r.cancelled()  # the user's r replaces the load in flight
    second = asyncio.ensure_future(r.run(gate.wait, lambda: now))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    assert r.running  # the cancelled load does not end the one that replaced it
    gate.set()
    assert await second is None and not r.running


async def test_run_counts_a_bug_as_a_failed_load_and_raises_it() -> None:
    from datetime import UTC, datetime

    import pytest

    from staging_tui.model.refresh import Refresh

    r = Refresh(30.0, jitter=0.0)

    async def buggy() -> None:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        await r.run(buggy, lambda: datetime(2026, 1, 1, tzinfo=UTC))
    assert (r.running, r.failures, r.delay) == (False, 1, 60.0)
