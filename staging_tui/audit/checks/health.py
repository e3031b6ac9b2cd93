"""Health: each service's health path answers 2xx within the timeout."""

from __future__ import annotations

from collections.abc import Iterable

from staging_tui.audit.checks.registry import check
from staging_tui.domain import Finding, HealthObservation, Level

HEALTH = check(
    "health.status", "health", "Health paths answer 2xx",
    "A GET of the service's health path (profile [health], default /) answered 2xx in time.",
    "look at the service's errors: staging-tui logs SERVICE --severity ERROR; "
    "set the right path in the profile's [health] table")


def check_health(observations: Iterable[HealthObservation]) -> list[Finding]:
    out = []
    for o in observations:
        if o.ok:
            continue
        if o.access:  # private or internal: Cloud Run refused us, the service is not down
            out.append(HEALTH.found(Level.INFO, f"GET {o.url} -> HTTP {o.status}: {o.access}",
                                    o.service, title=f"{o.service}: not checked ({o.access})",
                                    fix=""))
            continue
        seen = o.error or f"HTTP {o.status}"
        out.append(HEALTH.found(Level.ERROR, f"GET {o.url} -> {seen}", o.service,
                                title=f"{o.service}: health check failed ({seen})",
                                fix=HEALTH.fix.replace("SERVICE", o.service)))
    return out
