"""Unit tests of the pure action planning: targets, diffs, gcloud commands, undo."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from staging_tui.domain import (
    ActionKind,
    Container,
    EnvVar,
    Readiness,
    Revision,
    SecretRef,
    Service,
    TrafficTarget,
)
from staging_tui.render.action_plans import (
    PlanError,
    plan_env,
    plan_latest,
    plan_pin_secret,
    plan_restart,
    plan_rollback,
    plan_traffic,
    plan_undo,
    preview_plain,
    rollback_target,
    traffic_diff,
)

R = Readiness


def revs(name: str, states: list[Readiness]) -> list[Revision]:
    return sorted((Revision(f"{name}-{i:05d}-abc", name, s) for i, s in enumerate(states, 1)),
                  key=lambda r: r.name, reverse=True)


def svc(traffic: tuple[TrafficTarget, ...], ready: str, created: str, **kw: object) -> Service:
    return Service("web", "p", "us-central1", R.READY, traffic=traffic,
                   latest_ready_revision=ready, latest_created_revision=created,
                   etag='"e1"', **kw)  # type: ignore[arg-type]


LATEST = (TrafficTarget("", 100, latest=True),)


def test_rollback_past_a_failed_latest_pins_the_last_ready() -> None:
    rs = revs("web", [R.READY, R.READY, R.READY, R.FAILED])
    s = svc(LATEST, "web-00003-abc", "web-00004-abc")
    assert rollback_target(s, rs) == "web-00003-abc"
    plan = plan_rollback(s, rs)
    assert plan.kind is ActionKind.ROLLBACK and plan.etag == '"e1"'
    assert plan.traffic_after == (TrafficTarget("web-00003-abc", 100),)
    assert plan.gcloud == ("gcloud run services update-traffic web --project p --region "
                           "us-central1 --to-revisions web-00003-abc=100")


def test_rollback_goes_to_the_ready_revision_before_the_serving_one() -> None:
    rs = revs("web", [R.READY, R.FAILED, R.READY])
    s = svc(LATEST, "web-00003-abc", "web-00003-abc")
    assert rollback_target(s, rs) == "web-00001-abc"  # skips the failed 2


def test_rollback_keeps_tags_at_zero_and_refuses_a_failed_target() -> None:
    rs = revs("web", [R.READY, R.FAILED, R.READY])
    s = svc((TrafficTarget("web-00003-abc", 90), TrafficTarget("web-00001-abc", 10, "previous")),
            "web-00003-abc", "web-00003-abc")
    plan = plan_rollback(s, rs)
    assert plan.traffic_after == (TrafficTarget("web-00001-abc", 100),
                                  TrafficTarget("web-00001-abc", 0, "previous"))
    with pytest.raises(PlanError, match="cannot serve traffic"):
        plan_rollback(s, rs, to="web-00002-abc")
    with pytest.raises(PlanError, match="no revision 'nope'"):
        plan_rollback(s, rs, to="nope")


def test_split_must_add_up_and_tags_move() -> None:
    rs = revs("web", [R.READY, R.READY])
    s = svc(LATEST, "web-00002-abc", "web-00002-abc")
    with pytest.raises(PlanError, match="adds up to 80%"):
        plan_traffic(s, rs, {"web-00002-abc": 70, "web-00001-abc": 10})
    plan = plan_traffic(s, rs, {"web-00002-abc": 90, "web-00001-abc": 10},
                        {"canary": "web-00001-abc"})
    assert plan.traffic_after == (TrafficTarget("web-00002-abc", 90),
                                  TrafficTarget("web-00001-abc", 10, "canary"))
    assert "--to-revisions web-00002-abc=90,web-00001-abc=10 --update-tags " \
           "canary=web-00001-abc" in plan.gcloud
    rows = traffic_diff(plan, "web-00002-abc")
    assert rows[0] == ("LATEST (web-00002-abc)", "", "100%", "-")
    assert ("web-00001-abc", "canary", "-", "10%") in rows


def test_tag_only_keeps_percentages() -> None:
    rs = revs("web", [R.READY, R.READY])
    s = svc((TrafficTarget("web-00002-abc", 100), TrafficTarget("web-00002-abc", 0, "canary")),
            "web-00002-abc", "web-00002-abc")
    plan = plan_traffic(s, rs, {}, {"canary": "web-00001-abc"})
    assert plan.traffic_after == (TrafficTarget("web-00002-abc", 100),
                                  TrafficTarget("web-00001-abc", 0, "canary"))


def test_latest_undo_restart_env_and_pin() -> None:
    pinned = svc((TrafficTarget("web-00001-abc", 100),), "web-00002-abc", "web-00002-abc",
                 containers=(Container("web", "img", env=(
                     EnvVar("DB", secret=SecretRef("db-pass", "latest")),
                     EnvVar("API_KEY", "old-secret-value"))),))
    latest = plan_latest(pinned)
    assert latest.traffic_after == LATEST and latest.gcloud.endswith("--to-latest")
    moved = svc(LATEST, "web-00002-abc", "web-00002-abc")
    undo = plan_undo(latest, moved)
    assert undo.kind is ActionKind.UNDO and undo.traffic_after == pinned.traffic
    restart = plan_restart(pinned, datetime(2026, 12, 1, 2, 3, 4, tzinfo=UTC))
    assert restart.creates_revision and not restart.changes_traffic
    assert "--update-labels staging-tui-restarted-at=20261201-020304" in restart.gcloud
    with pytest.raises(PlanError, match="did not change traffic"):
        plan_undo(restart, pinned)
    pin = plan_pin_secret(pinned, "DB", "3")
    assert pin.template_changes[0].before == "secret:db-pass@latest"
    assert pin.template_changes[0].after == "secret:db-pass@3"
    assert "--update-secrets DB=db-pass:3" in pin.gcloud
    env = plan_env(pinned, "API_KEY", "new-secret-value")
    text = preview_plain(env)
    assert "secret-value" not in text and "API_KEY=VALUE" in env.gcloud
    assert "<16 chars, masked>" in text
    with pytest.raises(PlanError, match="not a secret reference"):
        plan_pin_secret(pinned, "API_KEY", "2")


def test_preview_shows_the_diff_and_the_command() -> None:
    rs = revs("web", [R.READY, R.READY, R.READY, R.FAILED])
    s = svc(LATEST, "web-00003-abc", "web-00004-abc")
    text = preview_plain(plan_rollback(s, rs), "web-00003-abc", environment="staging")
    assert "Roll back web: 100% to web-00003-abc" in text
    assert "LATEST (web-00003-abc)" in text and "100%" in text
    assert "Equivalent command:" in text and "update-traffic web" in text
